package apirequest

import "github.com/pgrest-lambda/pgrest-lambda/internal/pgrsterr"

// parseOrder parses an order parameter (PostgREST's pOrder): comma-separated
// `col[->path][.asc|.desc][.nullsfirst|.nullslast]` terms, where col may be
// `rel(col)`: a column of a to-one embedding.
func parseOrder(raw string) ([]OrderTerm, *pgrsterr.Error) {
	in, src := []rune(raw), asciiSource(raw)
	what := "failed to parse order (" + raw + ")"
	var terms []OrderTerm
	i := 0
	for {
		var f failure
		i = skipWS(in, i)
		name, k, quoted, ok := fieldName(in, src, i, &f)
		if !ok {
			return nil, f.toError(what, in)
		}
		relation := ""
		if k < len(in) && in[k] == '(' {
			// A related order: `rel(col)` orders by a column of a to-one embedding.
			relation = name
			if name, k, _, ok = fieldName(in, src, k+1, &f); !ok {
				return nil, f.toError(what, in)
			}
		}
		steps, k, pathCont, ok := jsonPath(in, k, &f)
		if !ok {
			return nil, f.toError(what, in)
		}
		if relation != "" {
			if k >= len(in) || in[k] != ')' {
				f.add(k, tok(in, k), `")"`)
				return nil, f.toError(what, in)
			}
			k++
		}
		k = skipWS(in, k)
		term := OrderTerm{Relation: relation, Column: name, JSONPath: steps}
		f.add(k, tok(in, k), append(nameCont(quoted, steps, pathCont), `"->>"`, `"->"`)...)
		// Direction, then nulls; each is `.word` and a failed word after a
		// delimiter is reported where the word starts.
		words := []string{"asc", "desc", "nullsfirst", "nullslast"}
		for len(words) > 0 {
			if k >= len(in) || in[k] != '.' {
				f.add(k, tok(in, k), "delimiter (.)")
				break
			}
			matched := ""
			for _, w := range words {
				ok, t := matchPrefix(in, k+1, w)
				if ok {
					matched = w
					break
				}
				f.add(k+1, t, quote(w))
			}
			if matched == "" {
				return nil, f.toError(what, in)
			}
			k += 1 + len(matched)
			switch matched {
			case "desc":
				term.Desc = true
			case "nullsfirst":
				term.Nulls = "first"
			case "nullslast":
				term.Nulls = "last"
			}
			// A matched word moves past every failure recorded so far.
			f = failure{}
			words = nil
			if matched == "asc" || matched == "desc" {
				words = []string{"nullsfirst", "nullslast"}
			}
		}
		if k < len(in) && in[k] == ',' {
			terms = append(terms, term)
			i = k + 1
			continue
		}
		if k == len(in) {
			return append(terms, term), nil
		}
		f.add(k, tok(in, k), `","`)
		f.addEOF(in, k)
		return nil, f.toError(what, in)
	}
}
