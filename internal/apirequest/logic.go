package apirequest

import (
	"fmt"
	"strings"

	"github.com/pgrest-lambda/pgrest-lambda/internal/pgrsterr"
)

// LogicTree is an `and`/`or` parameter: `or=(a.eq.1,and(b.gt.2,c.is.null))`,
// `not.and=(...)`, or `rel.or=(...)` on an embedded resource.
type LogicTree struct {
	// EmbedPath is the embedded resource it applies to; empty for the top level.
	EmbedPath []string
	// Negate is true for `not.and` / `not.or`.
	Negate bool
	// Op is "and" or "or".
	Op string
	// Children are the conditions, in order.
	Children []LogicNode
}

// LogicNode is one condition of a logic tree: a filter or a nested tree.
type LogicNode struct {
	Filter *Filter
	Tree   *LogicTree
}

// parseLogic parses one `[rel.][not.](and|or)=(...)` parameter as
// PostgREST's pLogicTree: a parenthesised, comma-separated list of
// `field.[not.]op.value` conditions and nested `[not.](and|or)(...)` trees.
// Values may be double-quoted to hold commas and parentheses.
func parseLogic(key, value string) (*LogicTree, *pgrsterr.Error) {
	path, last, perr := parseTreePath(key)
	if perr != nil {
		return nil, perr
	}
	t := &LogicTree{EmbedPath: path, Op: last}
	if n := len(path); n > 0 && path[n-1] == "not" {
		t.EmbedPath, t.Negate = path[:n-1], true
	}
	if len(t.EmbedPath) == 0 {
		t.EmbedPath = nil
	}
	in := []rune(value)
	p := &logicParser{in: in, raw: value}
	if !p.list(t) {
		return nil, p.err()
	}
	if p.pos != len(in) {
		p.fail("end of input")
		return nil, p.err()
	}
	return t, nil
}

// logicParser is a recursive-descent parser over a logic tree value.
type logicParser struct {
	in     []rune
	raw    string
	pos    int
	errPos int
	expect string
	// details, when set, is the error of a condition's operator.
	details string
}

func (p *logicParser) fail(expect string) {
	p.errPos, p.expect = p.pos, expect
}

func (p *logicParser) err() *pgrsterr.Error {
	found := "end of input"
	if p.errPos < len(p.in) {
		found = hsShow(string(p.in[p.errPos]))
	}
	details := p.details
	if details == "" {
		details = fmt.Sprintf("unexpected %s expecting %s", found, p.expect)
	}
	return pgrsterr.ParseError(
		fmt.Sprintf("%s (line 1, column %d)", hsShow("failed to parse logic tree ("+p.raw+")"), p.errPos+1), details)
}

// list parses `(cond,cond,...)` into t.Children.
func (p *logicParser) list(t *LogicTree) bool {
	if p.pos >= len(p.in) || p.in[p.pos] != '(' {
		p.fail(`"("`)
		return false
	}
	p.pos++
	for {
		node, ok := p.node()
		if !ok {
			return false
		}
		t.Children = append(t.Children, node)
		if p.pos < len(p.in) && p.in[p.pos] == ',' {
			p.pos++
			continue
		}
		if p.pos < len(p.in) && p.in[p.pos] == ')' {
			p.pos++
			return true
		}
		p.fail(`"," or ")"`)
		return false
	}
}

// node parses a nested tree or a single condition.
func (p *logicParser) node() (LogicNode, bool) {
	for _, prefix := range []string{"not.and(", "not.or(", "and(", "or("} {
		if hasPrefixAt(p.in, p.pos, prefix) {
			sub := &LogicTree{Negate: strings.HasPrefix(prefix, "not."), Op: strings.TrimSuffix(strings.TrimPrefix(prefix, "not."), "(")}
			p.pos += len([]rune(prefix)) - 1
			if !p.list(sub) {
				return LogicNode{}, false
			}
			return LogicNode{Tree: sub}, true
		}
	}
	start := p.pos
	field, ok := p.field()
	if !ok {
		return LogicNode{}, false
	}
	if p.pos >= len(p.in) || p.in[p.pos] != '.' {
		p.fail("delimiter (.)")
		return LogicNode{}, false
	}
	p.pos++
	opStart := p.pos
	p.skipValue()
	e, perr, _ := parseOpExpr(string(p.in[opStart:p.pos]))
	if perr != nil {
		p.errPos, p.details = start, fmt.Sprint(perr.Details)
		return LogicNode{}, false
	}
	if e.op != "in" && e.op != "is" {
		e.val = unquoteValue(e.val)
	}
	return LogicNode{Filter: &Filter{
		Field: field, Negate: e.negate, Op: e.op, Value: e.val, Values: e.vals,
		Quantifier: e.quant, Language: e.lang,
	}}, true
}

// field reads a column name: a double-quoted identifier or a run of
// identifier characters.
func (p *logicParser) field() (string, bool) {
	if p.pos < len(p.in) && p.in[p.pos] == '"' {
		v, end, ok := quotedRun(p.in, p.pos)
		if !ok {
			p.fail(`closing quote`)
			return "", false
		}
		p.pos = end
		return v, true
	}
	start := p.pos
	for p.pos < len(p.in) && isIdentChar(p.in[p.pos]) {
		p.pos++
	}
	if p.pos == start {
		p.fail("field name (* or [a..z0..9_$])")
		return "", false
	}
	return string(p.in[start:p.pos]), true
}

// skipValue advances over an operator and its value up to the next
// top-level ',' or ')', honouring double quotes, parenthesised lists and,
// as PostgREST's pPgArray, `{…}` array literals (`tags.cs.{a,b}`).
func (p *logicParser) skipValue() {
	depth := 0
	for p.pos < len(p.in) {
		switch r := p.in[p.pos]; {
		case r == '"':
			if _, end, ok := quotedRun(p.in, p.pos); ok {
				p.pos = end
				continue
			}
		case r == '{':
			if end := closingBrace(p.in, p.pos); end > 0 {
				p.pos = end + 1
				continue
			}
		case r == '(':
			depth++
		case r == ')':
			if depth == 0 {
				return
			}
			depth--
		case r == ',' && depth == 0:
			return
		}
		p.pos++
	}
}

// closingBrace is the index of the '}' closing the '{' at in[pos], with
// no brace between them (PostgREST's pPgArray); 0 when there is none.
func closingBrace(in []rune, pos int) int {
	for i := pos + 1; i < len(in); i++ {
		switch in[i] {
		case '}':
			return i
		case '{':
			return 0
		}
	}
	return 0
}

// quotedRun reads a double-quoted run starting at in[pos] with backslash
// escapes, returning its content and the index after the closing quote.
func quotedRun(in []rune, pos int) (string, int, bool) {
	var b strings.Builder
	for i := pos + 1; i < len(in); i++ {
		switch in[i] {
		case '\\':
			if i+1 < len(in) {
				i++
				b.WriteRune(in[i])
			}
		case '"':
			return b.String(), i + 1, true
		default:
			b.WriteRune(in[i])
		}
	}
	return "", len(in), false
}

// unquoteValue strips PostgREST's optional double quotes around a value in
// a logic tree (`a.eq."x,y"`).
func unquoteValue(v string) string {
	in := []rune(v)
	if len(in) >= 2 && in[0] == '"' {
		if s, end, ok := quotedRun(in, 0); ok && end == len(in) {
			return s
		}
	}
	return v
}
