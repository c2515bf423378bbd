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
	what := "failed to parse filter (" + raw + ")"
	var f failure
	s := 0
	if ok, t := matchPrefix(in, 0, "not"); !ok {
		f.add(0, t, quote("not"))
	} else if len(in) > 3 && in[3] == '.' {
		e.negate, s = true, 4
	} else {
		f.add(3, tok(in, 3), "delimiter (.)")
	}
	committed = e.negate

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
		e.op, e.val = "in", string(in[k:])
		var lf failure
		vals, ok := listVal(in, k, &lf)
		if !ok {
			return e, lf.toError(what, in), true
		}
		e.vals = vals
		return e, nil, true
	}
	if k := keyword(s, "is"); k >= 0 {
		var vf failure
		v, ok := isVal(in, k, &vf)
		if !ok {
			return e, vf.toError(what, in), true
		}
		e.op, e.val = "is", v
		return e, nil, true
	}
	if k := keyword(s, "isdistinct"); k >= 0 {
		e.op, e.val = "isdistinct", string(in[k:])
		return e, nil, false
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
			if l, k2, ok := identifier(in, k+1, &of); ok {
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
			e.op, e.lang, e.val = op, lang, string(in[k+1:])
			return e, nil, false
		}
		of.add(k, tok(in, k), "delimiter (.)")
	}
	for _, op := range simpleOps {
		if k := keyword(s, op); k >= 0 {
			e.op, e.val = op, string(in[k:])
			return e, nil, false
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
			e.op, e.quant, e.val = op, quant, string(in[k+1:])
			return e, nil, false
		}
		of.add(k, tok(in, k), "delimiter (.)")
	}
	of.relabel(operatorLabel)
	f.merge(of)
	return e, f.toError(what, in), committed
}

// isVal parses the operand of `is.`, case-insensitively, as lower case.
// PostgREST ignores input after the keyword; it is rejected here.
func isVal(in []rune, pos int, f *failure) (string, bool) {
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
		if pos+n == len(in) {
			return w, true
		}
		f.addEOF(in, pos+n)
		return "", false
	}
	mf.relabel(isValLabel)
	f.merge(mf)
	return "", false
}

// listVal parses the operand of `in.`: `(a,b,"c,d")`, where a double-quoted
// element may hold commas and parentheses and backslash-escapes any
// character. PostgREST ignores input after the closing parenthesis; it is
// rejected here.
func listVal(in []rune, pos int, f *failure) ([]string, bool) {
	i := skipWS(in, pos)
	if i >= len(in) || in[i] != '(' {
		f.add(i, tok(in, i), `"("`)
		return nil, false
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
			return nil, false
		}
		i = skipWS(in, i+1) // past ')'
		if i < len(in) {
			f.addEOF(in, i)
			return nil, false
		}
		return vals, true
	}
}
