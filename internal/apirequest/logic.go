package apirequest

import (
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

// negationLabel and logicOpLabel are PostgREST's names for the parts of a
// nested tree.
const (
	negationLabel = "negation operator (not)"
	logicOpLabel  = "logic operator (and, or)"
)

// parseLogic parses one `[rel.][not.](and|or)=(...)` parameter as
// PostgREST's pLogicTree does: over the operator and the value joined
// (`or(a.eq.1,b.gt.2)`), so that error columns count as PostgREST's. A
// tree is a parenthesised, comma-separated list of conditions
// `field[->json path].[not.]op.value` and nested `[not.](and|or)(...)`
// trees; values end at a ',' or ')' unless double-quoted or a `{…}` array
// literal. As in PostgREST, whose parser is not asked to reach the end of
// its input, whatever follows the tree's closing parenthesis is ignored
// (AndOrParamsSpec's `and=(id.eq.1,id.neq.2))`).
func parseLogic(key, value string) (*LogicTree, *pgrsterr.Error) {
	path, last, perr := parseTreePath(key)
	if perr != nil {
		return nil, perr
	}
	negate := false
	if n := len(path); n > 0 && path[n-1] == "not" {
		path, negate = path[:n-1], true
	}
	if len(path) == 0 {
		path = nil
	}
	op := last
	if negate {
		op = "not." + last
	}
	in := []rune(op + value)
	what := "failed to parse logic tree (" + value + ")"
	p := logicParser{in: in}
	node, r := p.tree(0)
	if !r.ok {
		return nil, r.err.toError(what, in)
	}
	if node.Tree != nil {
		node.Tree.EmbedPath = path
		return node.Tree, nil
	}
	// `or=.eq.1` is, for PostgREST, a condition on a column named "or".
	return &LogicTree{EmbedPath: path, Op: "and", Children: []LogicNode{node}}, nil
}

// logicParser is a recursive-descent parser over a logic tree, following
// Parsec's rules for PostgREST's messages: an alternative that consumed
// input before failing decides the error alone; otherwise the failures of
// all alternatives merge and the one furthest into the input wins.
type logicParser struct {
	in []rune
}

// logicResult is the outcome of one parser: where it ended, whether it
// succeeded and whether it consumed input, and its failure (on success,
// what it expected where it stopped).
type logicResult struct {
	end      int
	ok       bool
	consumed bool
	err      failure
}

// tree parses PostgREST's pLogicTree at i: a condition, tried first, or a
// `[not.](and|or)(…)` list of trees.
func (p *logicParser) tree(i int) (LogicNode, logicResult) {
	in := p.in
	flt, r := p.condition(i)
	if r.ok {
		return LogicNode{Filter: flt}, r
	}
	failed := r.err
	var f failure
	j, consumed, negate := i, false, false
	if hasPrefixAt(in, i, "not.") {
		j, consumed, negate = i+4, true, true
	} else {
		if ok, t := matchPrefix(in, i, "not"); ok {
			f.add(i+3, tok(in, i+3), "delimiter (.)")
		} else {
			f.add(i, t, quote("not"))
		}
		f.relabel(negationLabel)
	}
	op := ""
	switch {
	case hasPrefixAt(in, j, "and"):
		op = "and"
	case hasPrefixAt(in, j, "or"):
		op = "or"
	case j < len(in) && in[j] == 'o':
		// `string "or"` failing after its first letter has consumed it.
		_, t := matchPrefix(in, j, "or")
		var cf failure
		cf.add(j, t, quote("or"))
		return LogicNode{}, logicResult{err: cf, consumed: true}
	default:
		var of failure
		_, t := matchPrefix(in, j, "and")
		of.add(j, t, quote("and"))
		of.add(j, tok(in, j), quote("or"))
		of.relabel(logicOpLabel)
		f.merge(of)
		if consumed {
			return LogicNode{}, logicResult{err: f, consumed: true}
		}
		failed.merge(f)
		return LogicNode{}, logicResult{err: failed}
	}
	k := skipWS(in, j+len(op))
	if k >= len(in) || in[k] != '(' {
		var pf failure
		pf.add(k, tok(in, k), quote("("))
		return LogicNode{}, logicResult{err: pf, consumed: true}
	}
	t := &LogicTree{Negate: negate, Op: op}
	k = skipWS(in, k+1)
	for {
		child, r := p.tree(k)
		if !r.ok {
			return LogicNode{}, logicResult{err: r.err, consumed: true}
		}
		t.Children = append(t.Children, child)
		e := r.end
		s := skipWS(in, e)
		if s < len(in) && in[s] == ',' {
			k = skipWS(in, s+1)
			continue
		}
		var sf failure
		if s > e {
			// The separator's blanks were consumed: only "," fits.
			sf.add(s, tok(in, s), quote(","))
			return LogicNode{}, logicResult{err: sf, consumed: true}
		}
		if e < len(in) && in[e] == ')' {
			return LogicNode{Tree: t}, logicResult{end: skipWS(in, e+1), ok: true, consumed: true}
		}
		sf = r.err
		sf.add(e, tok(in, e), quote(","), quote(")"))
		return LogicNode{}, logicResult{err: sf, consumed: true}
	}
}

// condition parses PostgREST's pLogicFilter at i:
// `field[->json path].[not.]op.value`, with blanks around the field.
func (p *logicParser) condition(i int) (*Filter, logicResult) {
	in := p.in
	var f failure
	j := skipWS(in, i)
	name, k, quoted, ok := fieldName(in, "", j, &f)
	if !ok {
		return nil, logicResult{err: f}
	}
	steps, k, pathCont, ok := jsonPath(in, k, &f)
	if !ok {
		return nil, logicResult{err: f}
	}
	d := skipWS(in, k)
	if d >= len(in) || in[d] != '.' {
		f.add(k, tok(in, k), append(nameCont(quoted, steps, pathCont), quote("->>"), quote("->"))...)
		f.add(d, tok(in, d), "delimiter (.)")
		return nil, logicResult{err: f}
	}
	e, end, h, ok, _ := opExprAt(in, d+1, true)
	if !ok {
		return nil, logicResult{err: h}
	}
	return &Filter{
		Field: name, JSONPath: steps, Negate: e.negate, Op: e.op, Value: e.val, Values: e.vals,
		Quantifier: e.quant, Language: e.lang,
	}, logicResult{end: end, ok: true, consumed: true, err: h}
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
