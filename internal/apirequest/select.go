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
	p := selParser{in: []rune(raw), raw: raw, src: asciiSource(raw)}
	items, _, err := p.forest(0, false)
	return items, err
}

type selParser struct {
	in  []rune
	raw string
	// src is asciiSource(raw), which names are sliced from.
	src string
	// items holds the lists of items, each list a part of it; embeds the
	// embeddings. Both are allocated once, at their first use, for all
	// there can be: a list has at most one item more than its commas, and
	// every embedding and nested list opens a parenthesis.
	items  []SelectItem
	embeds []Embed
}

// what names the parameter in error messages; built only for an error.
func (p *selParser) what() string { return "failed to parse select parameter (" + p.raw + ")" }

// newList is an empty list for the items of the list at i, with room for
// as many as it has.
func (p *selParser) newList(i int) []SelectItem {
	if p.items == nil {
		p.items = make([]SelectItem, 0, strings.Count(p.raw, ",")+strings.Count(p.raw, "(")+1)
	}
	n := min(p.countItems(i), cap(p.items)-len(p.items))
	l := p.items[len(p.items) : len(p.items) : len(p.items)+n]
	p.items = p.items[:len(p.items)+n]
	return l
}

// countItems counts the items of the list at i: one more than its commas
// outside quotes and nested parentheses, up to the `)` that closes it. It
// only sizes the list: a list that outgrows it is copied.
func (p *selParser) countItems(i int) int {
	in, n, depth := p.in, 1, 0
	for ; i < len(in); i++ {
		switch in[i] {
		case '"':
			for i++; i < len(in) && in[i] != '"'; i++ {
				if in[i] == '\\' {
					i++
				}
			}
		case '(':
			depth++
		case ')':
			if depth == 0 {
				return n
			}
			depth--
		case ',':
			if depth == 0 {
				n++
			}
		}
	}
	return n
}

// newEmbed is e on the heap, in the parser's block of embeddings.
func (p *selParser) newEmbed(e Embed) *Embed {
	if p.embeds == nil {
		p.embeds = make([]Embed, 0, strings.Count(p.raw, "("))
	}
	if len(p.embeds) == cap(p.embeds) {
		n := new(Embed) // not &e, which would put every e on the heap
		*n = e
		return n
	}
	p.embeds = append(p.embeds, e)
	return &p.embeds[len(p.embeds)-1]
}

// forest parses items from i. Nested lists stop before their `)`; the top
// level must reach the end of the input (PostgREST ignores trailing input
// there, which hides unbalanced parentheses).
func (p *selParser) forest(i int, nested bool) ([]SelectItem, int, *pgrsterr.Error) {
	in := p.in
	i = skipWS(in, i)
	if nested && i < len(in) && in[i] == ')' {
		return []SelectItem{}, i, nil
	}
	items := p.newList(i)
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
			f2.add(j, tok(in, j), cont.list(`","`, `")"`)...)
		default:
			f2.add(j, tok(in, j), cont.list(`","`)...)
			f2.addEOF(in, j)
		}
		return nil, 0, f2.toError(p.what(), in)
	}
}

// itemCont says what could have continued an item where it ended, for the
// message when what follows it does not fit; list builds it only then.
type itemCont struct {
	// column is set for a column; cast when a cast ended it.
	column, cast bool
	// quoted, steps and pathCont are the column's, for appendNameCont.
	quoted   bool
	steps    []JSONStep
	pathCont []string
}

// list is what could have continued the item, then more.
func (c itemCont) list(more ...string) []string {
	var l []string
	switch {
	case c.cast:
		l = []string{"letter", "digit", `"."`, `"::"`}
	case c.column:
		l = appendNameCont(nil, c.quoted, c.steps, c.pathCont)
		l = append(l, `"->>"`, `"->"`, `"::"`, `"."`)
	}
	return append(l, more...)
}

// item parses one select item at i. cont tells what could have continued
// the item, for error messages about what follows it.
func (p *selParser) item(i int) (SelectItem, int, itemCont, *failure) {
	in := p.in
	if hasPrefixAt(in, i, "...") {
		it, j, ok, err := p.relation(i + 3)
		if err != nil {
			return SelectItem{}, 0, itemCont{}, err
		}
		if !ok || it.Alias != "" {
			return SelectItem{}, 0, itemCont{}, &failure{set: true, pos: i + 3, msg: "a spread (...) must be followed by an embedding without an alias, rel(cols)"}
		}
		it.Embed.Spread = true
		return it, j, itemCont{}, nil
	}
	// `*` is neither an embedding nor a name.
	if i < len(in) && in[i] == '*' {
		j := skipWS(in, i+1)
		if j == len(in) || in[j] == ')' || in[j] == ',' {
			return SelectItem{Column: "*"}, i + 1, itemCont{}, nil
		}
		f := &failure{}
		f.addEOF(in, j, `")"`, `","`)
		return SelectItem{}, 0, itemCont{}, f
	}
	alias, j := p.alias(i)
	// The failure stays on the stack unless it is returned.
	var fs failure
	f := &fs
	if hasPrefixAt(in, j, "count()") {
		it := SelectItem{Alias: alias, Aggregate: "count"}
		k := j + len("count()")
		if k+1 < len(in) && in[k] == ':' && in[k+1] == ':' {
			c, k2, ok := identifier(in, p.src, k+2, f)
			if !ok {
				return SelectItem{}, 0, itemCont{}, f.copied()
			}
			it.AggregateCast, k = c, k2
		}
		return p.end(it, k, f)
	}
	name, k, quoted, ok := fieldName(in, p.src, j, f)
	if !ok {
		return SelectItem{}, 0, itemCont{}, f.copied()
	}
	// The name read once serves an embedding and a column alike.
	if it, m, ok, err := p.embedding(alias, name, k); ok || err != nil {
		return it, m, itemCont{}, err
	}
	steps, k, pathCont, ok := jsonPath(in, k, f)
	if !ok {
		return SelectItem{}, 0, itemCont{}, f.copied()
	}
	cont := itemCont{column: true, quoted: quoted, steps: steps, pathCont: pathCont}
	cast := ""
	if k+1 < len(in) && in[k] == ':' && in[k+1] == ':' {
		c, k2, ok := identifier(in, p.src, k+2, f)
		if !ok {
			return SelectItem{}, 0, itemCont{}, f.copied()
		}
		cast, k = c, k2
		cont.cast = true
	}
	it := SelectItem{Alias: alias, Column: name, Cast: cast, JSONPath: steps}
	if k < len(in) && in[k] == '.' {
		agg, k2, ok := aggregate(in, k+1, f)
		if !ok {
			return SelectItem{}, 0, itemCont{}, f.copied()
		}
		it.Aggregate, k = agg, k2
		if k+1 < len(in) && in[k] == ':' && in[k+1] == ':' {
			c, k3, ok := identifier(in, p.src, k+2, f)
			if !ok {
				return SelectItem{}, 0, itemCont{}, f.copied()
			}
			it.AggregateCast, k = c, k3
		}
		return p.end(it, k, f)
	}
	k2 := skipWS(in, k)
	if k2 == len(in) || in[k2] == ')' || in[k2] == ',' {
		return it, k, cont, nil
	}
	f.add(k2, tok(in, k2), cont.list()...)
	f.addEOF(in, k2, `")"`, `","`)
	return SelectItem{}, 0, itemCont{}, f.copied()
}

// end checks that an aggregate item ends at k.
func (p *selParser) end(it SelectItem, k int, f *failure) (SelectItem, int, itemCont, *failure) {
	k2 := skipWS(p.in, k)
	if k2 == len(p.in) || p.in[k2] == ')' || p.in[k2] == ',' {
		return it, k, itemCont{}, nil
	}
	f.add(k2, tok(p.in, k2), `"::"`)
	f.addEOF(p.in, k2, `")"`, `","`)
	return SelectItem{}, 0, itemCont{}, f.copied()
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
	name, k, _, ok := fieldName(p.in, p.src, i, &f)
	if ok && k < len(p.in) && p.in[k] == ':' && (k+1 >= len(p.in) || p.in[k+1] != ':') {
		return name, k + 1
	}
	return "", i
}

// relation tries `[alias:]rel[!param[!param]](items)`; ok is false, with
// no error, when the item is not an embedding.
func (p *selParser) relation(i int) (SelectItem, int, bool, *failure) {
	alias, j := p.alias(i)
	var f failure
	name, k, _, ok := fieldName(p.in, p.src, j, &f)
	if !ok {
		return SelectItem{}, 0, false, nil
	}
	return p.embedding(alias, name, k)
}

// embedding tries the rest of an embedding, `[!param[!param]](items)`,
// after its alias and name, which end at k; ok is false, with no error,
// when the item is not an embedding.
func (p *selParser) embedding(alias, name string, k int) (SelectItem, int, bool, *failure) {
	in := p.in
	// `count()` is an aggregate, never an embedding (as in PostgREST).
	if name == "count" {
		return SelectItem{}, 0, false, nil
	}
	var f failure
	// Most items are columns: the Embed is allocated only for an embedding.
	emb := Embed{Target: name}
	joinSet := false
	for n := 0; n < 2 && k < len(in) && in[k] == '!'; n++ {
		prm, k2, _, ok := fieldName(in, p.src, k+1, &f)
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
	return SelectItem{Alias: alias, Embed: p.newEmbed(emb)}, m + 1, true, nil
}
