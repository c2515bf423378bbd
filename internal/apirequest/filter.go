package apirequest

import (
	"strings"
	"unicode/utf8"

	"github.com/pgrest-lambda/pgrest-lambda/internal/pgrsterr"
)

const (
	operatorLabel = "operator (eq, gt, ...)"
	isValLabel    = "isVal: (null, not_null, true, false, unknown)"
)

// Operator groups, in the order PostgREST's pOpExpr tries them (the order
// decides which failure a bad operator reports).
var (
	ftsOps    = []string{"fts", "plfts", "phfts", "wfts"}
	simpleOps = []string{"neq", "cs", "cd", "ov", "sl", "sr", "nxr", "nxl", "adj"}
	quantOps  = []string{"eq", "gte", "gt", "lte", "lt", "like", "ilike", "match", "imatch"}
	isVals    = []string{"null", "not_null", "true", "false", "unknown"}
)

// opExpr is a parsed `[not.]op.value` filter value.
type opExpr struct {
	negate               bool
	op, quant, lang, val string
	vals                 []string
}

// plainOps are the operators whose whole syntax is `op.value`: the fast
// path of parseOpExpr takes them without the error bookkeeping.
var plainOps = map[string]bool{
	"eq": true, "neq": true, "gt": true, "gte": true, "lt": true, "lte": true,
	"like": true, "ilike": true, "match": true, "imatch": true, "isdistinct": true,
	"cs": true, "cd": true, "ov": true, "sl": true, "sr": true, "nxr": true, "nxl": true, "adj": true,
	"fts": true, "plfts": true, "phfts": true, "wfts": true,
}

// parseOpExpr parses a filter value (PostgREST's pOpExpr). On failure,
// committed tells whether the parser had recognised `not.`, `in.` or `is.`:
// for RPC reads an uncommitted failure means the parameter is an argument.
// The common `[not.]op.value` forms skip the full parser, which records
// every alternative it tries for its error messages.
func parseOpExpr(raw string) (e opExpr, err *pgrsterr.Error, committed bool) {
	if e, ok := plainOpExpr(raw); ok {
		return e, nil, false
	}
	return parseOpExprFull(raw)
}

// plainOpExpr parses `[not.]op.value` for the plainOps; ok is false for
// anything else (lists, is, quantifiers, languages, errors), which the
// full parser handles. It gives exactly the full parser's result.
func plainOpExpr(raw string) (opExpr, bool) {
	var e opExpr
	rest := raw
	if strings.HasPrefix(rest, "not.") {
		e.negate, rest = true, rest[4:]
	}
	dot := strings.IndexByte(rest, '.')
	if dot < 0 || !plainOps[rest[:dot]] || !utf8.ValidString(raw) {
		return opExpr{}, false
	}
	e.op, e.val = rest[:dot], rest[dot+1:]
	return e, true
}

// parseOpExprFull is parseOpExpr without the fast path.
func parseOpExprFull(raw string) (e opExpr, err *pgrsterr.Error, committed bool) {
	in := []rune(raw)
	e, _, f, ok, committed := opExprAt(in, 0, false)
	if !ok {
		return e, f.toError("failed to parse filter ("+raw+")", in), committed
	}
	return e, nil, committed
}

// opExprAt parses PostgREST's pOpExpr at s. In a logic tree (logic true)
// the value is pLogicSingleVal, which ends at a ',' or ')', and the input
// may go on after the expression; otherwise the value runs to the end of
// the input (pSingleVal), and what follows `in.(…)` or `is.x` is ignored,
// as PostgREST's parser is not asked to reach the end of its input. It returns
// the expression and the index after it; f is the failure when ok is
// false, and otherwise what the parser expected where it stopped. On
// failure, committed tells whether `not.`, `in.` or `is.` was recognised.
func opExprAt(in []rune, s0 int, logic bool) (e opExpr, end int, f failure, ok, committed bool) {
	s := s0
	if ok, t := matchPrefix(in, s0, "not"); !ok {
		f.add(s0, t, quote("not"))
	} else if s0+3 < len(in) && in[s0+3] == '.' {
		e.negate, s = true, s0+4
	} else {
		f.add(s0+3, tok(in, s0+3), "delimiter (.)")
	}
	committed = e.negate
	// value reads the operand starting at k.
	value := func(k int) (string, int, failure) {
		if logic {
			return logicSingleVal(in, k)
		}
		return string(in[k:]), len(in), failure{}
	}

	var of failure
	// keyword matches kw at pos and then a delimiter; it returns the index
	// after the delimiter, or -1 after recording the failure in of.
	keyword := func(pos int, kw string) int {
		ok, t := matchPrefix(in, pos, kw)
		if !ok {
			of.add(pos, t, quote(kw))
			return -1
		}
		k := pos + len([]rune(kw))
		if k < len(in) && in[k] == '.' {
			return k + 1
		}
		of.add(k, tok(in, k), "delimiter (.)")
		return -1
	}
	if k := keyword(s, "in"); k >= 0 {
		var lf failure
		vals, end, ok := listVal(in, k, &lf)
		if !ok {
			return e, 0, lf, false, true
		}
		e.op, e.val, e.vals = "in", string(in[k:end]), vals
		return e, end, failure{}, true, true
	}
	if k := keyword(s, "is"); k >= 0 {
		var vf failure
		v, end, ok := isVal(in, k, &vf)
		if !ok {
			return e, 0, vf, false, true
		}
		e.op, e.val = "is", v
		return e, end, failure{}, true, true
	}
	if k := keyword(s, "isdistinct"); k >= 0 {
		e.op = "isdistinct"
		e.val, end, f = value(k)
		return e, end, f, true, false
	}
	for _, op := range ftsOps {
		ok, t := matchPrefix(in, s, op)
		if !ok {
			of.add(s, t, quote(op))
			continue
		}
		k := s + len(op)
		lang := ""
		if k < len(in) && in[k] == '(' {
			if l, k2, ok := identifier(in, "", k+1, &of); ok {
				if k2 < len(in) && in[k2] == ')' {
					lang, k = l, k2+1
				} else {
					of.add(k2, tok(in, k2), `")"`)
				}
			}
		} else {
			of.add(k, tok(in, k), `"("`)
		}
		if k < len(in) && in[k] == '.' {
			e.op, e.lang = op, lang
			e.val, end, f = value(k + 1)
			return e, end, f, true, false
		}
		of.add(k, tok(in, k), "delimiter (.)")
	}
	for _, op := range simpleOps {
		if k := keyword(s, op); k >= 0 {
			e.op = op
			e.val, end, f = value(k)
			return e, end, f, true, false
		}
	}
	for _, op := range quantOps {
		ok, t := matchPrefix(in, s, op)
		if !ok {
			of.add(s, t, quote(op))
			continue
		}
		k := s + len(op)
		quant := ""
		if k < len(in) && in[k] == '(' {
			for _, q := range []string{"any", "all"} {
				ok, t := matchPrefix(in, k+1, q)
				if !ok {
					of.add(k+1, t, quote(q))
					continue
				}
				if k+4 < len(in) && in[k+4] == ')' {
					quant = q
				} else {
					of.add(k+4, tok(in, k+4), `")"`)
				}
				break
			}
			if quant != "" {
				k += 5
			}
		} else {
			of.add(k, tok(in, k), `"("`)
		}
		if k < len(in) && in[k] == '.' {
			e.op, e.quant = op, quant
			e.val, end, f = value(k + 1)
			return e, end, f, true, false
		}
		of.add(k, tok(in, k), "delimiter (.)")
	}
	of.relabel(operatorLabel)
	f.merge(of)
	return e, 0, f, false, committed
}

// logicSingleVal reads a value in a logic tree (PostgREST's
// pLogicSingleVal): a double-quoted value followed by ',' or ')', a `{…}`
// array literal, or everything up to the next ',' or ')'. A range literal
// such as `[1,2)` therefore has to be quoted, as in PostgREST. h is what
// the parser expected after the value.
func logicSingleVal(in []rune, k int) (v string, end int, h failure) {
	if k < len(in) && in[k] == '"' {
		var qf failure
		if v, j, ok := quotedValue(in, k, &qf); ok && (j == len(in) || in[j] == ',' || in[j] == ')') {
			return v, j, failure{}
		}
	}
	if k < len(in) && in[k] == '{' {
		if end := closingBrace(in, k); end > 0 {
			return string(in[k : end+1]), end + 1, failure{}
		}
	}
	j := k
	for j < len(in) && in[j] != ',' && in[j] != ')' {
		j++
	}
	if j == k {
		h.add(k, tok(in, k), quote(`"`), quote("{"))
	}
	return string(in[k:j]), j, h
}

// isVal parses the operand of `is.` at pos, case-insensitively, as lower
// case, and returns the index after it.
func isVal(in []rune, pos int, f *failure) (string, int, bool) {
	var mf failure
	for _, w := range isVals {
		n := 0
		for n < len(w) && pos+n < len(in) && strings.ToLower(string(in[pos+n])) == string(w[n]) {
			n++
		}
		if n < len(w) {
			mf.add(pos+n, tok(in, pos+n))
			continue
		}
		return w, pos + n, true
	}
	mf.relabel(isValLabel)
	f.merge(mf)
	return "", 0, false
}

// listVal parses the operand of `in.`: `(a,b,"c,d")`, where a double-quoted
// element may hold commas and parentheses and backslash-escapes any
// character. It returns the items and the index after the closing
// parenthesis and the blanks after it.
func listVal(in []rune, pos int, f *failure) ([]string, int, bool) {
	i := skipWS(in, pos)
	if i >= len(in) || in[i] != '(' {
		f.add(i, tok(in, i), `"("`)
		return nil, 0, false
	}
	i = skipWS(in, i+1)
	vals := []string{}
	for {
		if i < len(in) && in[i] == '"' {
			var qf failure
			if v, j, ok := quotedValue(in, i, &qf); ok && (j == len(in) || in[j] == ',' || in[j] == ')') {
				vals = append(vals, v)
				i = j
				goto sep
			}
		}
		{
			j := i
			for j < len(in) && in[j] != ',' && in[j] != ')' {
				j++
			}
			vals = append(vals, string(in[i:j]))
			i = j
		}
	sep:
		if i < len(in) && in[i] == ',' {
			i++
			continue
		}
		if i >= len(in) {
			f.add(i, "", `","`, `")"`)
			return nil, 0, false
		}
		return vals, skipWS(in, i+1), true
	}
}
