package plan

import (
	"fmt"
	"regexp"
	"strconv"

	"github.com/pgrest-lambda/pgrest-lambda/internal/apirequest"
	"github.com/pgrest-lambda/pgrest-lambda/internal/pgrsterr"
	"github.com/pgrest-lambda/pgrest-lambda/internal/schemacache"
)

// options are the configuration the planner follows.
type options struct {
	// MaxRows (db-max-rows, 0 = unlimited) caps the rows of the top-level
	// resource, as PostgREST does for reads and RPC.
	MaxRows int
	// AggregatesEnabled allows aggregates in select (db-aggregates-enabled);
	// otherwise they are PGRST123.
	AggregatesEnabled bool
}

// planTarget plans the relation read or routine call of req against sc. It returns a PostgREST error for an unknown
// relation (PGRST205), relationship (PGRST200, PGRST201) or routine
// (PGRST202, PGRST203), a related order on a to-many embedding (PGRST118),
// aggregates or to-many spreads when aggregates are disabled (PGRST123),
// and PGRST100 for a cast that is not a type name.
func planTarget(req *apirequest.Request, sc *schemacache.SchemaCache, opts options) (target, *pgrsterr.Error) {
	if !opts.AggregatesEnabled && usesAggregates(req.Select) {
		return target{}, pgrsterr.AggregatesDisabled()
	}
	var p target
	switch req.Kind {
	case apirequest.TargetRoutine:
		call, err := planCall(req, sc)
		if err != nil {
			return target{}, err
		}
		p.Call = call
	default:
		qi := schemacache.QI{Schema: req.Schema, Name: req.Name}
		if sc.Table(qi) == nil {
			return target{}, pgrsterr.TableNotFound(req.Schema, req.Name, suggestTable(sc, req.Schema, req.Name))
		}
		read, err := planRead(req, sc, qi)
		if err != nil {
			return target{}, err
		}
		p.Read = read
	}
	if !opts.AggregatesEnabled && (spreadsToMany(p.Read) || (p.Call != nil && spreadsToMany(p.Call.Result))) {
		// PostgREST aggregates a to-many spread's rows into arrays.
		return target{}, pgrsterr.AggregatesDisabled()
	}
	p.capRows(opts.MaxRows)
	return p, nil
}

// spreadsToMany reports whether rp, or an embedding inside it, spreads a
// one-to-many or many-to-many relationship; false for nil.
func spreadsToMany(rp *ReadPlan) bool {
	if rp == nil {
		return false
	}
	for _, e := range rp.Embeds {
		if (e.Spread && !e.Rel.IsToOne()) || spreadsToMany(e.Plan) {
			return true
		}
	}
	return false
}

// capRows applies db-max-rows to the top-level rows of a complete plan:
// the read, a routine's composite result or its set of scalars.
func (p *target) capRows(maxRows int) {
	if maxRows <= 0 {
		return
	}
	limit := func(l **int64) {
		if m := int64(maxRows); *l == nil || **l > m {
			*l = &m
		}
	}
	switch {
	case p.Read != nil:
		limit(&p.Read.Limit)
	case p.Call == nil:
	case p.Call.Result != nil:
		limit(&p.Call.Result.Limit)
	case p.Call.Routine.Return.SetOf:
		limit(&p.Call.Limit)
	}
}

// planRead builds the read plan of relation qi with the request's select
// list, filters, order and paging.
func planRead(req *apirequest.Request, sc *schemacache.SchemaCache, qi schemacache.QI) (*ReadPlan, *pgrsterr.Error) {
	b := &builder{sc: sc, schema: req.Schema}
	rp, err := b.node(qi, qi.Name, req.Select)
	if err != nil {
		return nil, err
	}
	if err := attach(rp, req); err != nil {
		return nil, err
	}
	return rp, nil
}

// attach distributes the request's filters, logic trees, orders and paging
// to the plan nodes their paths name: `rel.col=eq.1` filters the embedded
// rows of rel (not its parents), `rel.order=` and `rel.limit=` shape them,
// and `rel=is.null` / `rel=not.is.null` keep only parents without / with
// a related row (PostgREST's null filtering on embedded resources). A path
// naming no embedding of the select list is PGRST108.
func attach(rp *ReadPlan, req *apirequest.Request) *pgrsterr.Error {
	rp.Order, rp.Limit, rp.Offset = req.Order, req.Limit, req.Offset
	for _, f := range req.Filters {
		n, err := rp.at(f.EmbedPath)
		if err != nil {
			return err
		}
		if e := n.EmbedByKey(f.Field); e != nil && f.Op == "is" && (f.Value == "null" || f.Value == "not_null") {
			present := (f.Value == "not_null") != f.Negate
			e.Presence = "absent"
			if present {
				e.Presence = "present"
			}
			continue
		}
		n.Filters = append(n.Filters, f)
	}
	for _, t := range req.Logic {
		n, err := rp.at(t.EmbedPath)
		if err != nil {
			return err
		}
		n.Logic = append(n.Logic, t)
	}
	for _, o := range req.EmbedOrders {
		n, err := rp.at(o.Path)
		if err != nil {
			return err
		}
		n.Order = o.Terms
	}
	if err := checkRelatedOrders(rp); err != nil {
		return err
	}
	for _, r := range req.EmbedRanges {
		n, err := rp.at(r.Path)
		if err != nil {
			return err
		}
		if r.Limit != nil {
			n.Limit = r.Limit
		}
		if r.Offset != nil {
			n.Offset = r.Offset
		}
	}
	return nil
}

// EmbedByKey is the embedding of rp whose output key is key; nil for none.
func (rp *ReadPlan) EmbedByKey(key string) *Embed {
	for _, e := range rp.Embeds {
		if e.Key == key {
			return e
		}
	}
	return nil
}

// at follows a path of embedding keys from rp. PostgREST names the
// resource by its alias when it has one; using the target name of an
// aliased embedding is PGRST108 with the alias hint.
func (rp *ReadPlan) at(path []string) (*ReadPlan, *pgrsterr.Error) {
	n := rp
	for _, key := range path {
		e := n.EmbedByKey(key)
		if e == nil {
			for _, a := range n.Embeds {
				if a.Target == key {
					return nil, pgrsterr.AliasedEmbedTarget(key, a.Key)
				}
			}
			return nil, pgrsterr.NotEmbedded(key)
		}
		n = e.Plan
	}
	return n, nil
}

// builder numbers the SQL aliases of one query.
type builder struct {
	sc     *schemacache.SchemaCache
	schema string
	n      int
	// plans, embeds, embedPtrs and fields hold the nodes, embeddings and
	// select lists of the plan, allocated at the first node for the whole
	// select tree (see reserve) and handed out in parts.
	plans     []ReadPlan
	embeds    []Embed
	embedPtrs []*Embed
	fields    []Field
}

// reserve allocates the builder's blocks for the select tree sel.
func (b *builder) reserve(sel []apirequest.SelectItem) {
	items, embeds := countItems(sel)
	b.plans = make([]ReadPlan, 0, embeds+1)
	if embeds > 0 {
		b.embeds = make([]Embed, 0, embeds)
		b.embedPtrs = make([]*Embed, 0, embeds)
	}
	b.fields = make([]Field, 0, items)
}

// countItems counts the items of a select tree and its embeddings.
func countItems(sel []apirequest.SelectItem) (items, embeds int) {
	items = len(sel)
	for _, it := range sel {
		if it.Embed != nil {
			n, e := countItems(it.Embed.Select)
			items, embeds = items+n, embeds+e+1
		}
	}
	return items, embeds
}

// newPlan is rp on the heap, in the builder's block when it has room.
func (b *builder) newPlan(rp ReadPlan) *ReadPlan { return inBlock(&b.plans, rp) }

// newEmbed is e on the heap, in the builder's block when it has room.
func (b *builder) newEmbed(e Embed) *Embed { return inBlock(&b.embeds, e) }

// inBlock stores v in the next free element of *block and returns it, or
// in a new allocation of its own when the block is full.
func inBlock[T any](block *[]T, v T) *T {
	if len(*block) == cap(*block) {
		n := new(T) // not &v, which would put every v on the heap
		*n = v
		return n
	}
	*block = append(*block, v)
	return &(*block)[len(*block)-1]
}

// part takes an empty slice with room for n from the front of *block, or
// leaves it nil when the block has too little room.
func part[T any](block *[]T, n int) []T {
	l := len(*block)
	if cap(*block)-l < n {
		return nil
	}
	*block = (*block)[:l+n]
	return (*block)[l : l : l+n]
}

// checkCasts rejects casts that are not type names.
func checkCasts(it apirequest.SelectItem) *pgrsterr.Error {
	for _, c := range []string{it.Cast, it.AggregateCast} {
		if c != "" && !castRe.MatchString(c) {
			return pgrsterr.ParseError("failed to parse select parameter", fmt.Sprintf("unexpected cast %q", c))
		}
	}
	return nil
}

// castRe accepts type names such as `text`, `int4`, `character varying`,
// `numeric[]`: casts reach SQL verbatim, so nothing else may pass.
var castRe = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_ ]*(\[\])?$`)

func (b *builder) node(qi schemacache.QI, alias string, sel []apirequest.SelectItem) (*ReadPlan, *pgrsterr.Error) {
	if b.plans == nil {
		b.reserve(sel)
	}
	rp := b.newPlan(ReadPlan{Table: qi, Alias: alias})
	rp.Fields = part(&b.fields, len(sel))
	nEmbeds := 0
	for _, it := range sel {
		if it.Embed != nil {
			nEmbeds++
		}
	}
	rp.Embeds = part(&b.embedPtrs, nEmbeds)
	t := b.sc.Table(qi)
	if t != nil {
		rp.Columns = t.Columns
		defer represent(b.sc, rp, t)
	}
	for _, it := range sel {
		if err := checkCasts(it); err != nil {
			return nil, err
		}
		if it.Embed == nil {
			rp.Fields = append(rp.Fields, field(it))
			continue
		}
		rel, err := findRel(b.sc, b.schema, qi, it.Embed.Target, it.Embed.Hint)
		if err != nil {
			return nil, err
		}
		b.n++
		child, err := b.node(rel.ForeignTable, rel.ForeignTable.Name+"_"+strconv.Itoa(b.n), it.Embed.Select)
		if err != nil {
			return nil, err
		}
		if it.Embed.Spread {
			expandStar(child, b.sc.Table(rel.ForeignTable))
		}
		key := it.Alias
		if key == "" {
			key = it.Embed.Target
		}
		e := b.newEmbed(Embed{Key: key, Target: it.Embed.Target, Rel: rel, Inner: it.Embed.Inner, Spread: it.Embed.Spread, Plan: child})
		if rel.Junction != nil {
			e.JunctionAlias = rel.Junction.Table.Name + "_" + strconv.Itoa(b.n)
		}
		rp.Embeds = append(rp.Embeds, e)
		// `rel()` embeds only for filtering: PostgREST leaves it out of the body.
		if it.Embed.Select != nil && len(it.Embed.Select) == 0 {
			continue
		}
		rp.Fields = append(rp.Fields, Field{embedIndex: len(rp.Embeds)})
	}
	if len(rp.Fields) == 0 {
		rp.Fields = nil // as when nothing was selected
	}
	if len(rp.Embeds) == 0 {
		rp.Embeds = nil
	}
	return rp, nil
}

// field plans a column selection; a JSON path's output key is its last key,
// as PostgREST names it.
func field(it apirequest.SelectItem) Field {
	f := Field{Name: it.Column, Alias: it.Alias, Cast: it.Cast, JSONPath: it.JSONPath,
		Aggregate: it.Aggregate, AggregateCast: it.AggregateCast}
	switch {
	case f.Alias != "":
	case f.Aggregate != "":
		f.Alias = f.Aggregate // PostgREST names `pages.sum()` "sum"
	case len(f.JSONPath) > 0:
		f.Alias = apirequest.JSONKey(it.Column, it.JSONPath)
	}
	return f
}

// usesAggregates reports whether a select list, embeddings included, has
// an aggregate.
func usesAggregates(items []apirequest.SelectItem) bool {
	for _, it := range items {
		if it.Aggregate != "" || (it.Embed != nil && usesAggregates(it.Embed.Select)) {
			return true
		}
	}
	return false
}

// checkRelatedOrders resolves `order=rel(col)` terms of every node: rel
// must be a to-one embedding of the node (PGRST108 when it is not
// embedded, PGRST118 when it is to-many).
func checkRelatedOrders(rp *ReadPlan) *pgrsterr.Error {
	for _, o := range rp.Order {
		if o.Relation == "" {
			continue
		}
		e := rp.EmbedByKey(o.Relation)
		if e == nil {
			return pgrsterr.NotEmbedded(o.Relation)
		}
		if !e.Rel.IsToOne() {
			return pgrsterr.RelatedOrderNotToOne(rp.Table.Name, o.Relation)
		}
	}
	for _, e := range rp.Embeds {
		if err := checkRelatedOrders(e.Plan); err != nil {
			return err
		}
	}
	return nil
}

// expandStar replaces `*` in a spread's plan rp with the columns of its
// relation t, in table order, as PostgREST expands it: each column of a
// to-one spread becomes a column of the parent, each of a to-many spread
// an array. Nothing changes when t is unknown.
func expandStar(rp *ReadPlan, t *schemacache.Table) {
	if t == nil {
		return
	}
	fields := make([]Field, 0, len(rp.Fields)+len(t.Columns))
	for _, f := range rp.Fields {
		if f.Name == "*" && f.embedIndex == 0 && f.Aggregate == "" {
			for _, c := range t.Columns {
				fields = append(fields, Field{Name: c.Name})
			}
			continue
		}
		fields = append(fields, f)
	}
	rp.Fields = fields
}
