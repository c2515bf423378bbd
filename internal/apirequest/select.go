package apirequest

import (
	"strings"

	"github.com/pgrest-lambda/pgrest-lambda/internal/pgrsterr"
)

// starSelect is the select list of a request without a select parameter.
func starSelect() []SelectItem { return []SelectItem{{Column: "*"}} }

// parseSelect parses the select parameter (PostgREST's pFieldForest):
// comma-separated items, each `*`, `[alias:]col[::cast]` or
// `[alias:]rel[!hint][!inner|!left](items)`, nested to any depth. An empty
// parameter selects `*`. Columns may follow a JSON path (`data->a->>b`);
// `count()` and `col.sum()` (avg, max, min, count) are aggregates with an
// optional `::cast` of the result; `...rel(cols)` spreads an embedding's
// columns into its parent.
func parseSelect(raw string) ([]SelectItem, *pgrsterr.Error) {
	if strings.TrimSpace(raw) == "" {
		return starSelect(), nil
	}
	p := selParser{in: []rune(raw), raw: raw}
	items, _, err := p.forest(0, false)
	return items, err
}

type selParser struct {
	in  []rune
	raw string
}

// what names the parameter in error messages; built only for an error.
func (p *selParser) what() string { return "failed to parse select parameter (" + p.raw + ")" }

// forest parses items from i. Nested lists stop before their `)`; the top
// level must reach the end of the input (PostgREST ignores trailing input
// there, which hides unbalanced parentheses).
func (p *selParser) forest(i int, nested bool) ([]SelectItem, int, *pgrsterr.Error) {
	in := p.in
	items := []SelectItem{}
	i = skipWS(in, i)
	if nested && i < len(in) && in[i] == ')' {
		return items, i, nil
	}
	for {
		item, j, cont, f := p.item(i)
		if f != nil {
			if f.err == nil && nested && len(items) == 0 && f.pos == i {
				f.add(i, tok(in, i), `")"`)
			}
			return nil, 0, f.toError(p.what(), in)
		}
		items = append(items, item)
		j = skipWS(in, j)
		if j < len(in) && in[j] == ',' {
			i = skipWS(in, j+1)
			continue
		}
		var f2 failure
		switch {
		case nested && j < len(in) && in[j] == ')':
			return items, j, nil
		case !nested && j == len(in):
			return items, j, nil
		case nested:
			f2.add(j, tok(in, j), append(cont, `","`, `")"`)...)
		default:
			f2.add(j, tok(in, j), append(cont, `","`)...)
			f2.addEOF(in, j)
		}
		return nil, 0, f2.toError(p.what(), in)
	}
}

// item parses one select item at i. cont lists what could have continued
// the item, for error messages about what follows it.
func (p *selParser) item(i int) (SelectItem, int, []string, *failure) {
	in := p.in
	if hasPrefixAt(in, i, "...") {
		it, j, ok, err := p.relation(i + 3)
		if err != nil {
			return SelectItem{}, 0, nil, err
		}
		if !ok || it.Alias != "" {
			return SelectItem{}, 0, nil, &failure{set: true, pos: i + 3, msg: "a spread (...) must be followed by an embedding without an alias, rel(cols)"}
		}
		it.Embed.Spread = true
		return it, j, nil, nil
	}
	if it, j, ok, err := p.relation(i); ok || err != nil {
		return it, j, nil, err
	}
	if i < len(in) && in[i] == '*' {
		j := skipWS(in, i+1)
		if j == len(in) || in[j] == ')' || in[j] == ',' {
			return SelectItem{Column: "*"}, i + 1, nil, nil
		}
		f := &failure{}
		f.addEOF(in, j, `")"`, `","`)
		return SelectItem{}, 0, nil, f
	}
	alias, j := p.alias(i)
	// The failure stays on the stack unless it is returned.
	var fs failure
	f := &fs
	if hasPrefixAt(in, j, "count()") {
		it := SelectItem{Alias: alias, Aggregate: "count"}
		k := j + len("count()")
		if k+1 < len(in) && in[k] == ':' && in[k+1] == ':' {
			c, k2, ok := identifier(in, k+2, f)
			if !ok {
				return SelectItem{}, 0, nil, f.copied()
			}
			it.AggregateCast, k = c, k2
		}
		return p.end(it, k, f)
	}
	name, k, quoted, ok := fieldName(in, j, f)
	if !ok {
		return SelectItem{}, 0, nil, f.copied()
	}
	steps, k, pathCont, ok := jsonPath(in, k, f)
	if !ok {
		return SelectItem{}, 0, nil, f.copied()
	}
	// Room for what forest adds after the item, in one allocation.
	cont := appendNameCont(make([]string, 0, len(pathCont)+len(identCont)+8), quoted, steps, pathCont)
	cont = append(cont, `"->>"`, `"->"`, `"::"`, `"."`)
	cast := ""
	if k+1 < len(in) && in[k] == ':' && in[k+1] == ':' {
		c, k2, ok := identifier(in, k+2, f)
		if !ok {
			return SelectItem{}, 0, nil, f.copied()
		}
		cast, k = c, k2
		cont = []string{"letter", "digit", `"."`, `"::"`}
	}
	it := SelectItem{Alias: alias, Column: name, Cast: cast, JSONPath: steps}
	if k < len(in) && in[k] == '.' {
		agg, k2, ok := aggregate(in, k+1, f)
		if !ok {
			return SelectItem{}, 0, nil, f.copied()
		}
		it.Aggregate, k = agg, k2
		if k+1 < len(in) && in[k] == ':' && in[k+1] == ':' {
			c, k3, ok := identifier(in, k+2, f)
			if !ok {
				return SelectItem{}, 0, nil, f.copied()
			}
			it.AggregateCast, k = c, k3
		}
		return p.end(it, k, f)
	}
	k2 := skipWS(in, k)
	if k2 == len(in) || in[k2] == ')' || in[k2] == ',' {
		return it, k, cont, nil
	}
	f.add(k2, tok(in, k2), cont...)
	f.addEOF(in, k2, `")"`, `","`)
	return SelectItem{}, 0, nil, f.copied()
}

// end checks that an aggregate item ends at k.
func (p *selParser) end(it SelectItem, k int, f *failure) (SelectItem, int, []string, *failure) {
	k2 := skipWS(p.in, k)
	if k2 == len(p.in) || p.in[k2] == ')' || p.in[k2] == ',' {
		return it, k, nil, nil
	}
	f.add(k2, tok(p.in, k2), `"::"`)
	f.addEOF(p.in, k2, `")"`, `","`)
	return SelectItem{}, 0, nil, f.copied()
}

// aggregates are the aggregate functions PostgREST allows in select.
var aggregates = []string{"avg", "count", "max", "min", "sum"}

// aggregate parses `agg()` at i (after a column's `.`).
func aggregate(in []rune, i int, f *failure) (string, int, bool) {
	for _, a := range aggregates {
		if hasPrefixAt(in, i, a+"()") {
			return a, i + len(a) + 2, true
		}
	}
	f.add(i, tok(in, i), quote("avg()"), quote("count()"), quote("max()"), quote("min()"), quote("sum()"))
	return "", i, false
}

// alias parses an optional `alias:` prefix (a single colon, `::` is a cast).
func (p *selParser) alias(i int) (string, int) {
	var f failure
	name, k, _, ok := fieldName(p.in, i, &f)
	if ok && k < len(p.in) && p.in[k] == ':' && (k+1 >= len(p.in) || p.in[k+1] != ':') {
		return name, k + 1
	}
	return "", i
}

// relation tries `[alias:]rel[!param[!param]](items)`; ok is false, with
// no error, when the item is not an embedding.
func (p *selParser) relation(i int) (SelectItem, int, bool, *failure) {
	in := p.in
	alias, j := p.alias(i)
	var f failure
	name, k, _, ok := fieldName(in, j, &f)
	// `count()` is an aggregate, never an embedding (as in PostgREST).
	if !ok || name == "count" {
		return SelectItem{}, 0, false, nil
	}
	// Most items are columns: the Embed is allocated only for an embedding.
	emb := Embed{Target: name}
	joinSet := false
	for n := 0; n < 2 && k < len(in) && in[k] == '!'; n++ {
		prm, k2, _, ok := fieldName(in, k+1, &f)
		if !ok {
			return SelectItem{}, 0, false, nil
		}
		switch {
		case prm == "inner" || prm == "left":
			if !joinSet {
				emb.Inner, joinSet = prm == "inner", true
			}
		case emb.Hint == "":
			emb.Hint = prm
		}
		k = k2
	}
	if k >= len(in) || in[k] != '(' {
		return SelectItem{}, 0, false, nil
	}
	children, m, err := p.forest(k+1, true)
	if err != nil {
		return SelectItem{}, 0, false, &failure{set: true, err: err}
	}
	emb.Select = children
	e := emb // on the heap from here
	return SelectItem{Alias: alias, Embed: &e}, m + 1, true, nil
}
