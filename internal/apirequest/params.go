package apirequest

import (
	"github.com/pgrest-lambda/pgrest-lambda/internal/pgrsterr"
)

// parseQuery fills the query-string parts of req. Errors are reported in
// PostgREST's order: order, columns, select, filters, on_conflict, then
// limit/offset. The first select, columns and on_conflict win; a repeated
// order, limit or offset replaces the earlier one.
func parseQuery(req *Request, rawQuery string, rpcRead bool) *pgrsterr.Error {
	// A query string has a few parameters: they and the filters among
	// them fit in arrays on the stack.
	var paramBuf, filterBuf [8]queryParam
	params := appendQuery(paramBuf[:0], rawQuery)
	var sel, cols, onConflict string
	var hasSel, hasCols, hasOnConflict bool
	filters := filterBuf[:0]
	var orders, ranges, logic []queryParam
	for _, p := range params {
		if !p.hasValue {
			continue
		}
		switch {
		case p.key == "select":
			if !hasSel {
				sel, hasSel = p.value, true
			}
		case p.key == "columns":
			if !hasCols {
				cols, hasCols = p.value, true
			}
		case p.key == "on_conflict":
			if !hasOnConflict {
				onConflict, hasOnConflict = p.value, true
			}
		default:
			switch lastSegment(p.key) {
			case "order":
				orders = append(orders, p)
			case "limit", "offset":
				ranges = append(ranges, p)
			case "and", "or":
				logic = append(logic, p)
			default:
				filters = append(filters, p)
			}
		}
	}
	for _, p := range orders {
		path, _, err := parseTreePath(p.key)
		if err != nil {
			return err
		}
		terms, err := parseOrder(p.value)
		if err != nil {
			return err
		}
		if len(path) == 0 {
			req.Order = terms
		} else {
			req.EmbedOrders = append(req.EmbedOrders, EmbedOrder{Path: path, Terms: terms})
		}
	}
	var err *pgrsterr.Error
	if hasCols {
		if req.Columns, err = parseColumns("columns", cols); err != nil {
			return err
		}
	}
	if hasSel {
		if req.Select, err = parseSelect(sel); err != nil {
			return err
		}
	} else {
		req.Select = starSelect()
	}
	if err = parseFilters(req, filters, rpcRead); err != nil {
		return err
	}
	for _, p := range logic {
		t, err := parseLogic(p.key, p.value)
		if err != nil {
			return err
		}
		req.Logic = append(req.Logic, *t)
	}
	if hasOnConflict {
		if req.OnConflict, err = parseColumns("on_conflict", onConflict); err != nil {
			return err
		}
	}
	return parseRanges(req, ranges)
}

// parseFilters turns `[rel.]field=[not.]op.value` parameters into Filters.
// For RPC reads a value without an operator is a function argument
// instead; a repeated argument becomes an array (variadic functions).
func parseFilters(req *Request, params []queryParam, rpcRead bool) *pgrsterr.Error {
	var argNames []string
	argVals := map[string][]string{}
	for _, p := range params {
		path, field, steps, err := parseFilterKey(p.key)
		if err != nil {
			return err
		}
		e, err, committed := parseOpExpr(p.value)
		if err != nil {
			if rpcRead && !committed {
				if _, seen := argVals[field]; !seen {
					argNames = append(argNames, field)
				}
				argVals[field] = append(argVals[field], p.value)
				continue
			}
			return err
		}
		req.Filters = append(req.Filters, Filter{
			EmbedPath: path, Field: field, JSONPath: steps, Negate: e.negate, Op: e.op,
			Value: e.val, Values: e.vals, Quantifier: e.quant, Language: e.lang,
		})
	}
	if req.Kind == TargetRoutine {
		req.Args, req.TextArgs = stringArgs(argNames, argVals), true
	}
	return nil
}

// parseRanges reads limit and offset parameters as PostgREST does: a value
// that Haskell's readMaybe does not read as an integer is ignored, and
// leaves the range whole (a later `limit=abc` undoes an earlier
// `limit=3`, as the later key wins PostgREST's map). A negative limit is
// PGRST103 (416) and a negative offset is no offset (RangeSpec: "succeeds
// if offset is negative as a no-op"). A value beyond bigint is the error
// PostgreSQL gives PostgREST's literal, 22003.
func parseRanges(req *Request, params []queryParam) *pgrsterr.Error {
	for _, p := range params {
		path, name, err := parseTreePath(p.key)
		if err != nil {
			return err
		}
		n, err := parseCount(name, p.value)
		if err != nil {
			return err
		}
		if len(path) == 0 {
			if name == "limit" {
				req.Limit = n
			} else {
				req.Offset = n
			}
			continue
		}
		var target *EmbedRange
		for i := range req.EmbedRanges {
			if equalPath(req.EmbedRanges[i].Path, path) {
				target = &req.EmbedRanges[i]
				break
			}
		}
		if target == nil {
			req.EmbedRanges = append(req.EmbedRanges, EmbedRange{Path: path})
			target = &req.EmbedRanges[len(req.EmbedRanges)-1]
		}
		if name == "limit" {
			target.Limit = n
		} else {
			target.Offset = n
		}
	}
	return nil
}

// parseCount parses the value of a limit or offset parameter; nil when
// the value is not an integer and is ignored.
func parseCount(name, raw string) (*int64, *pgrsterr.Error) {
	v, ok := readInteger(raw)
	if !ok {
		return nil, nil
	}
	var n int64
	switch {
	case v.Sign() < 0:
		if name == "limit" {
			return nil, pgrsterr.NegativeLimit()
		}
	case !v.IsInt64():
		return nil, pgrsterr.BigintOutOfRange()
	default:
		n = v.Int64()
	}
	return &n, nil
}

func equalPath(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
