package apirequest

import (
	"strconv"
	"strings"
	"unicode"

	"github.com/pgrest-lambda/pgrest-lambda/internal/pgrsterr"
)

// failure collects parse failures the way Parsec (PostgREST's parser
// library) does, so PGRST100 messages match PostgREST's wording: the
// failure furthest into the input wins, failures at the same position merge
// their expectations, and the first "unexpected" token is reported.
type failure struct {
	set bool
	pos int
	// sys is the first token-level unexpected input ("" = end of input);
	// unexp is an explicit one (from an end-of-input check), shown instead.
	sys, unexp string
	hasSys     bool
	expect     []string
	msg        string
	// err is a finished error from a nested parse, passed through as is.
	err *pgrsterr.Error
}

// add records that at pos the input tok (a shown token, "" for end of
// input) was unexpected and any of expect would have fitted.
func (f *failure) add(pos int, tok string, expect ...string) {
	if f.set && pos < f.pos {
		return
	}
	if !f.set || pos > f.pos {
		*f = failure{set: true, pos: pos}
	}
	if !f.hasSys {
		f.sys, f.hasSys = tok, true
	}
	f.expect = append(f.expect, expect...)
}

// addEOF records a failed end-of-input check at pos (Parsec's eof reports
// the next character single-quoted).
func (f *failure) addEOF(in []rune, pos int, expect ...string) {
	f.add(pos, tok(in, pos), append(expect, "end of input")...)
	if f.pos == pos && f.unexp == "" && pos < len(in) {
		f.unexp = hsShowChar(in[pos])
	}
}

// merge folds another failure into f.
func (f *failure) merge(o failure) {
	if !o.set {
		return
	}
	if f.set && o.pos < f.pos {
		return
	}
	if !f.set || o.pos > f.pos {
		*f = o
		return
	}
	if !f.hasSys && o.hasSys {
		f.sys, f.hasSys = o.sys, true
	}
	if f.unexp == "" {
		f.unexp = o.unexp
	}
	f.expect = append(f.expect, o.expect...)
	if f.msg == "" {
		f.msg = o.msg
	}
}

// relabel replaces every expectation with label, like Parsec's <?>.
func (f *failure) relabel(label string) {
	if f.set {
		f.expect = []string{label}
	}
}

// details renders Parsec's "unexpected X expecting a, b or c" text.
func (f *failure) details() string {
	var parts []string
	switch {
	case f.unexp != "":
		parts = append(parts, "unexpected "+f.unexp)
	case f.hasSys && f.sys == "":
		parts = append(parts, "unexpected end of input")
	case f.hasSys:
		parts = append(parts, "unexpected "+f.sys)
	}
	var exp []string
	seen := map[string]bool{}
	for _, e := range f.expect {
		if e != "" && !seen[e] {
			seen[e] = true
			exp = append(exp, e)
		}
	}
	if len(exp) > 0 {
		parts = append(parts, "expecting "+commasOr(exp))
	}
	if f.msg != "" {
		parts = append(parts, f.msg)
	}
	return strings.Join(parts, " ")
}

// copied is a copy of f on the heap, for a parser that keeps its failure
// on the stack until it returns it.
func (f *failure) copied() *failure {
	c := *f
	return &c
}

// toError builds the PGRST100 error for input in, parsed under the name
// what (e.g. "failed to parse select parameter (id,)").
func (f *failure) toError(what string, in []rune) *pgrsterr.Error {
	if f.err != nil {
		return f.err
	}
	msg := hsShow(what) + " (line 1, column " + strconv.Itoa(column(in, f.pos)) + ")"
	return pgrsterr.ParseError(msg, f.details())
}

// unsupported is a PGRST100 for grammar PostgREST accepts but this
// implementation does not handle yet.
func unsupported(what string, in []rune, pos int, feature string) *pgrsterr.Error {
	f := failure{set: true, pos: pos, msg: feature + " not supported"}
	return f.toError(what, in)
}

func commasOr(ms []string) string {
	if len(ms) == 1 {
		return ms[0]
	}
	return strings.Join(ms[:len(ms)-1], ", ") + " or " + ms[len(ms)-1]
}

// column is Parsec's 1-based column of rune index pos (tabs stop every 8).
func column(in []rune, pos int) int {
	col := 1
	for i := 0; i < pos && i < len(in); i++ {
		if in[i] == '\t' {
			col += 8 - (col-1)%8
		} else {
			col++
		}
	}
	return col
}

// tok shows the rune at pos as Parsec does for a token mismatch ("x"), or
// "" at the end of input.
func tok(in []rune, pos int) string {
	if pos >= len(in) {
		return ""
	}
	return hsShow(string(in[pos]))
}

// quote shows a literal the parser expected, e.g. "asc".
func quote(s string) string { return hsShow(s) }

// matchPrefix compares kw with in at pos; it returns whether kw matches and
// otherwise the shown mismatching token (Parsec's `string` reports it at
// the start position).
func matchPrefix(in []rune, pos int, kw string) (bool, string) {
	for i, r := range []rune(kw) {
		if pos+i >= len(in) {
			return false, ""
		}
		if in[pos+i] != r {
			return false, hsShow(string(in[pos+i]))
		}
	}
	return true, ""
}

// hasPrefixAt reports whether in[pos:] starts with prefix, without
// copying the rest of the input (which made parsing quadratic).
func hasPrefixAt(in []rune, pos int, prefix string) bool {
	for _, r := range prefix {
		if pos >= len(in) || in[pos] != r {
			return false
		}
		pos++
	}
	return true
}

// hsShow renders s like Haskell's `show` for strings, which PostgREST uses
// in its messages: non-ASCII and control characters become decimal escapes.
func hsShow(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	rs := []rune(s)
	for i, r := range rs {
		switch {
		case r == '"':
			b.WriteString(`\"`)
		case r == '\\':
			b.WriteString(`\\`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\t':
			b.WriteString(`\t`)
		case r >= 0x20 && r < 0x7f:
			b.WriteRune(r)
		default:
			b.WriteString(`\` + strconv.Itoa(int(r)))
			if i+1 < len(rs) && rs[i+1] >= '0' && rs[i+1] <= '9' {
				b.WriteString(`\&`)
			}
		}
	}
	b.WriteByte('"')
	return b.String()
}

// hsShowChar renders r like Haskell's `show` for a Char ('x').
func hsShowChar(r rune) string {
	switch {
	case r == '\'':
		return `'\''`
	case r == '\\':
		return `'\\'`
	case r == '\n':
		return `'\n'`
	case r == '\t':
		return `'\t'`
	case r >= 0x20 && r < 0x7f:
		return "'" + string(r) + "'"
	}
	return `'\` + strconv.Itoa(int(r)) + "'"
}

func isIdentChar(r rune) bool {
	return unicode.IsLetter(r) || (r >= '0' && r <= '9') || r == '_' || r == ' ' || r == '$'
}

func skipWS(in []rune, i int) int {
	for i < len(in) && (in[i] == ' ' || in[i] == '\t') {
		i++
	}
	return i
}
