package config

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// DefaultRoleClaimKey is PostgREST's default jwt-role-claim-key: the
// top-level "role" claim.
const DefaultRoleClaimKey = ".role"

// RoleClaimKey is a parsed jwt-role-claim-key: the path to the claim that
// names the role a request runs as. Build one with [ParseRoleClaimKey]; it
// is immutable and safe for concurrent use.
//
// Two syntaxes are accepted, as PostgREST accepts both:
//
//   - PostgREST's JSPath (the syntax of its releases up to v16): a
//     sequence of .key, ."quoted key" and [index] steps, optionally ended
//     by one string filter [?(@ OP "text")] where OP is == (equals),
//     != (differs), ^== (starts with), ==^ (ends with) or *== (contains).
//     Examples: .role, .realm_access.roles[0],
//     ."https://x.io/claims".role, .roles[?(@ ^== "app_")].
//   - A subset of RFC 9535 JSONPath, PostgREST's newer syntax, rooted at $:
//     .name, ['name'] or ["name"], [index] (negative counts from the end)
//     and [?@ == 'text'] or [?@ != 'text'] filters (parentheses optional),
//     e.g. $.role or $['https://x.io/claims'].roles[0].
type RoleClaimKey struct {
	src   string
	steps []pathStep
}

// stepKind says what one path step does.
type stepKind int

const (
	stepKey stepKind = iota
	stepIndex
	stepFilter
)

type pathStep struct {
	kind  stepKind
	key   string
	index int
	op    string // ==, !=, ^==, ==^, *==
	text  string
}

// String returns the key as it was configured.
func (k *RoleClaimKey) String() string { return k.src }

// ParseRoleClaimKey parses a jwt-role-claim-key. An empty value is
// [DefaultRoleClaimKey]. An invalid key returns an error describing where
// parsing stopped; PostgREST refuses to start with such a key.
func ParseRoleClaimKey(s string) (*RoleClaimKey, error) {
	if s == "" {
		s = DefaultRoleClaimKey
	}
	p := &pathParser{src: s}
	var steps []pathStep
	var err error
	if strings.HasPrefix(s, "$") {
		p.pos = 1
		steps, err = p.parseRFC()
	} else {
		steps, err = p.parseJSPath()
	}
	if err != nil {
		return nil, fmt.Errorf("failed to parse role-claim-key value (%s): %w", s, err)
	}
	return &RoleClaimKey{src: s, steps: steps}, nil
}

type pathParser struct {
	src string
	pos int
}

func (p *pathParser) eof() bool { return p.pos >= len(p.src) }

func (p *pathParser) errf(format string, args ...any) error {
	return fmt.Errorf("at character %d: %s", p.pos+1, fmt.Sprintf(format, args...))
}

func (p *pathParser) consume(s string) bool {
	if strings.HasPrefix(p.src[p.pos:], s) {
		p.pos += len(s)
		return true
	}
	return false
}

func (p *pathParser) skipSpaces() {
	for !p.eof() && strings.IndexByte(" \t\n\r\f\v", p.src[p.pos]) >= 0 {
		p.pos++
	}
}

// parseJSPath parses PostgREST's JSPath: one or more steps, a filter only last.
func (p *pathParser) parseJSPath() ([]pathStep, error) {
	var steps []pathStep
	for !p.eof() {
		switch {
		case p.consume("."):
			if p.consume(`"`) {
				end := strings.IndexByte(p.src[p.pos:], '"')
				if end < 0 {
					return nil, p.errf(`unterminated quoted key`)
				}
				steps = append(steps, pathStep{kind: stepKey, key: p.src[p.pos : p.pos+end]})
				p.pos += end + 1
				continue
			}
			start := p.pos
			for !p.eof() {
				r, size := utf8.DecodeRuneInString(p.src[p.pos:])
				if !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '_' && r != '$' && r != '@' {
					break
				}
				p.pos += size
			}
			if p.pos == start {
				return nil, p.errf(`expected a key after "."`)
			}
			steps = append(steps, pathStep{kind: stepKey, key: p.src[start:p.pos]})
		case p.consume("[?("):
			st, err := p.parseLegacyFilter()
			if err != nil {
				return nil, err
			}
			if !p.eof() {
				return nil, p.errf("a filter must be the last step")
			}
			steps = append(steps, st)
		case p.consume("["):
			start := p.pos
			for !p.eof() && p.src[p.pos] >= '0' && p.src[p.pos] <= '9' {
				p.pos++
			}
			n, err := strconv.Atoi(p.src[start:p.pos])
			if err != nil || !p.consume("]") {
				return nil, p.errf("expected an array index like [0]")
			}
			steps = append(steps, pathStep{kind: stepIndex, index: n})
		default:
			return nil, p.errf(`expected ".", "[" or "[?("`)
		}
	}
	if len(steps) == 0 {
		return nil, errors.New("empty path")
	}
	return steps, nil
}

// parseLegacyFilter parses `@ OP "text")]` after "[?(".
func (p *pathParser) parseLegacyFilter() (pathStep, error) {
	if !p.consume("@") {
		return pathStep{}, p.errf(`expected "@" in filter`)
	}
	p.skipSpaces()
	var op string
	for _, o := range []string{"==^", "==", "!=", "^==", "*=="} {
		if p.consume(o) {
			op = o
			break
		}
	}
	if op == "" {
		return pathStep{}, p.errf("expected one of ==, !=, ^==, ==^, *==")
	}
	p.skipSpaces()
	if !p.consume(`"`) {
		return pathStep{}, p.errf("expected a double-quoted string")
	}
	end := strings.IndexByte(p.src[p.pos:], '"')
	if end < 0 {
		return pathStep{}, p.errf("unterminated string")
	}
	text := p.src[p.pos : p.pos+end]
	p.pos += end + 1
	if !p.consume(")]") {
		return pathStep{}, p.errf(`expected ")]" to close the filter`)
	}
	return pathStep{kind: stepFilter, op: op, text: text}, nil
}

// parseRFC parses the supported RFC 9535 subset after the leading "$".
func (p *pathParser) parseRFC() ([]pathStep, error) {
	var steps []pathStep
	for !p.eof() {
		switch {
		case p.consume("."):
			start := p.pos
			for !p.eof() {
				r, size := utf8.DecodeRuneInString(p.src[p.pos:])
				first := r == '_' || r >= 0x80 || unicode.IsLetter(r)
				if !first && (p.pos == start || r < '0' || r > '9') {
					break
				}
				p.pos += size
			}
			if p.pos == start {
				return nil, p.errf(`expected a member name after "."`)
			}
			steps = append(steps, pathStep{kind: stepKey, key: p.src[start:p.pos]})
		case p.consume("["):
			p.skipSpaces()
			switch {
			case p.consume("?"):
				p.skipSpaces()
				paren := p.consume("(")
				p.skipSpaces()
				if !p.consume("@") {
					return nil, p.errf(`expected "@" in filter`)
				}
				p.skipSpaces()
				var op string
				switch {
				case p.consume("=="):
					op = "=="
				case p.consume("!="):
					op = "!="
				default:
					return nil, p.errf("expected == or != in filter")
				}
				p.skipSpaces()
				text, err := p.parseRFCString()
				if err != nil {
					return nil, err
				}
				p.skipSpaces()
				if paren && !p.consume(")") {
					return nil, p.errf(`expected ")"`)
				}
				steps = append(steps, pathStep{kind: stepFilter, op: op, text: text})
			case !p.eof() && (p.src[p.pos] == '\'' || p.src[p.pos] == '"'):
				name, err := p.parseRFCString()
				if err != nil {
					return nil, err
				}
				steps = append(steps, pathStep{kind: stepKey, key: name})
			default:
				start := p.pos
				p.consume("-")
				for !p.eof() && p.src[p.pos] >= '0' && p.src[p.pos] <= '9' {
					p.pos++
				}
				n, err := strconv.Atoi(p.src[start:p.pos])
				if err != nil {
					return nil, p.errf("expected a name, an index or a filter in brackets")
				}
				steps = append(steps, pathStep{kind: stepIndex, index: n})
			}
			p.skipSpaces()
			if !p.consume("]") {
				return nil, p.errf(`expected "]"`)
			}
		default:
			return nil, p.errf(`expected "." or "["`)
		}
	}
	return steps, nil
}

// parseRFCString reads a single- or double-quoted string literal with
// RFC 9535 escapes.
func (p *pathParser) parseRFCString() (string, error) {
	if p.eof() || (p.src[p.pos] != '\'' && p.src[p.pos] != '"') {
		return "", p.errf("expected a quoted string")
	}
	q := p.src[p.pos]
	p.pos++
	var b strings.Builder
	for !p.eof() {
		c := p.src[p.pos]
		switch {
		case c == q:
			p.pos++
			return b.String(), nil
		case c == '\\':
			if p.pos+1 >= len(p.src) {
				return "", p.errf("unterminated escape")
			}
			e := p.src[p.pos+1]
			switch e {
			case '\\', '/', '\'', '"':
				b.WriteByte(e)
			case 'b':
				b.WriteByte('\b')
			case 'f':
				b.WriteByte('\f')
			case 'n':
				b.WriteByte('\n')
			case 'r':
				b.WriteByte('\r')
			case 't':
				b.WriteByte('\t')
			default:
				return "", p.errf("unsupported escape \\%c", e)
			}
			p.pos += 2
		default:
			b.WriteByte(c)
			p.pos++
		}
	}
	return "", p.errf("unterminated string")
}

// Eval follows the key through claims (decoded JSON: map[string]any,
// []any, string, float64 or json.Number, bool or nil) and returns the
// first value it reaches, with ok false when the path leads nowhere (a
// missing key, an index out of range, a step of the wrong kind or a filter
// matching no string). A present JSON null is returned as (nil, true), as
// PostgREST finds it. A nil key is the default, DefaultRoleClaimKey.
func (k *RoleClaimKey) Eval(claims any) (v any, ok bool) {
	if k == nil {
		// A Config not read by FromEnv: the default key.
		k = defaultRoleClaimKey
	}
	return evalSteps(claims, k.steps)
}

// defaultRoleClaimKey is DefaultRoleClaimKey, parsed.
var defaultRoleClaimKey = func() *RoleClaimKey {
	k, err := ParseRoleClaimKey(DefaultRoleClaimKey)
	if err != nil {
		panic("config: the default role claim key does not parse: " + err.Error())
	}
	return k
}()

func evalSteps(v any, steps []pathStep) (any, bool) {
	if len(steps) == 0 {
		return v, true
	}
	st := steps[0]
	switch st.kind {
	case stepKey:
		obj, isObj := v.(map[string]any)
		if !isObj {
			return nil, false
		}
		next, found := obj[st.key]
		if !found {
			return nil, false
		}
		return evalSteps(next, steps[1:])
	case stepIndex:
		arr, isArr := v.([]any)
		if !isArr {
			return nil, false
		}
		i := st.index
		if i < 0 {
			i += len(arr)
		}
		if i < 0 || i >= len(arr) {
			return nil, false
		}
		return evalSteps(arr[i], steps[1:])
	case stepFilter:
		arr, isArr := v.([]any)
		if !isArr {
			return nil, false
		}
		for _, el := range arr {
			s, isStr := el.(string)
			if !isStr || !filterMatches(st.op, s, st.text) {
				continue
			}
			if r, found := evalSteps(el, steps[1:]); found {
				return r, true
			}
		}
	}
	return nil, false
}

func filterMatches(op, s, text string) bool {
	switch op {
	case "==":
		return s == text
	case "!=":
		return s != text
	case "^==":
		return strings.HasPrefix(s, text)
	case "==^":
		return strings.HasSuffix(s, text)
	case "*==":
		return strings.Contains(s, text)
	}
	return false
}
