package apirequest

import (
	"math/big"
	"unicode"
)

// integerReader reads a limit or offset value as PostgREST does, with
// Haskell's `readMaybe :: Maybe Integer`: white space around the number,
// optional balanced parentheses, a minus sign (which space may follow),
// and decimal, 0x hexadecimal or 0o octal digits. Fractions and exponents
// are not integers.
type integerReader struct {
	in  []rune
	pos int
}

// readInteger reports the value of s and whether s is an integer in
// Haskell's syntax; any other text is not (ok false).
func readInteger(s string) (n *big.Int, ok bool) {
	r := &integerReader{in: []rune(s)}
	n, ok = r.number()
	r.skipSpace()
	if !ok || r.pos != len(r.in) {
		return nil, false
	}
	return n, true
}

func (r *integerReader) skipSpace() {
	for r.pos < len(r.in) && unicode.IsSpace(r.in[r.pos]) {
		r.pos++
	}
}

// number reads `( number )`, `- digits` or digits, after white space.
func (r *integerReader) number() (*big.Int, bool) {
	r.skipSpace()
	if r.pos < len(r.in) && r.in[r.pos] == '(' {
		r.pos++
		n, ok := r.number()
		r.skipSpace()
		if !ok || r.pos >= len(r.in) || r.in[r.pos] != ')' {
			return nil, false
		}
		r.pos++
		return n, true
	}
	neg := false
	if r.pos < len(r.in) && r.in[r.pos] == '-' {
		// Haskell lexes a run of symbol characters as one symbol: "--3"
		// is not a negation.
		if r.pos+1 < len(r.in) && isHaskellSymbol(r.in[r.pos+1]) {
			return nil, false
		}
		neg = true
		r.pos++
		r.skipSpace()
	}
	n, ok := r.digits()
	if ok && neg {
		n.Neg(n)
	}
	return n, ok
}

// digits reads a decimal, 0x/0X hexadecimal or 0o/0O octal literal.
func (r *integerReader) digits() (*big.Int, bool) {
	base := 10
	if r.pos+2 < len(r.in) && r.in[r.pos] == '0' {
		switch r.in[r.pos+1] {
		case 'x', 'X':
			if digitValue(r.in[r.pos+2]) < 16 {
				base = 16
			}
		case 'o', 'O':
			if digitValue(r.in[r.pos+2]) < 8 {
				base = 8
			}
		}
		if base != 10 {
			r.pos += 2
		}
	}
	start := r.pos
	for r.pos < len(r.in) && digitValue(r.in[r.pos]) < base {
		r.pos++
	}
	if r.pos == start {
		return nil, false
	}
	if base == 10 && r.pos < len(r.in) {
		// A fraction or an exponent makes a number that is no Integer.
		if c := r.in[r.pos]; c == '.' || c == 'e' || c == 'E' {
			return nil, false
		}
	}
	n, ok := new(big.Int).SetString(string(r.in[start:r.pos]), base)
	return n, ok
}

// digitValue is the value of an ASCII digit or letter, 99 for anything else.
func digitValue(c rune) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'a' && c <= 'f':
		return int(c-'a') + 10
	case c >= 'A' && c <= 'F':
		return int(c-'A') + 10
	}
	return 99
}

// isHaskellSymbol tells the ASCII symbol characters of Haskell's lexer.
func isHaskellSymbol(c rune) bool {
	switch c {
	case '!', '#', '$', '%', '&', '*', '+', '.', '/', '<', '=', '>', '?', '@', '\\', '^', '|', '-', '~', ':':
		return true
	}
	return false
}
