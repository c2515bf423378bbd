package plan

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/pgrest-lambda/pgrest-lambda/internal/apirequest"
	"github.com/pgrest-lambda/pgrest-lambda/internal/pgrsterr"
	"github.com/pgrest-lambda/pgrest-lambda/internal/schemacache"
)

// New plans req against sc. maxRows (db-max-rows, 0 = unlimited) caps the
// rows of the top-level resource, as PostgREST does for reads and RPC. It
// returns a PostgREST error for an unknown relation (PGRST205),
// relationship (PGRST200, PGRST201) or routine (PGRST202, PGRST203), and
// PGRST100 for a cast that is not a type name.
func New(req *apirequest.Request, sc *schemacache.SchemaCache, maxRows int) (*Plan, *pgrsterr.Error) {
	p := &Plan{Schema: req.Schema}
	defer func() { p.capRows(maxRows) }()
	switch req.Kind {
	case apirequest.TargetRoutine:
		call, err := planCall(req, sc)
		if err != nil {
			return nil, err
		}
		p.Call = call
	default:
		qi := schemacache.QI{Schema: req.Schema, Name: req.Name}
		if sc.Table(qi) == nil {
			return nil, pgrsterr.TableNotFound(req.Schema, req.Name, suggestTable(sc, req.Schema, req.Name))
		}
		read, err := planRead(req, sc, qi)
		if err != nil {
			return nil, err
		}
		p.Read = read
	}
	return p, nil
}

// capRows applies db-max-rows to the top-level read.
func (p *Plan) capRows(maxRows int) {
	rp := p.Read
	if p.Call != nil {
		rp = p.Call.Result
	}
	if maxRows <= 0 || rp == nil {
		return
	}
	if m := int64(maxRows); rp.Limit == nil || *rp.Limit > m {
		rp.Limit = &m
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
	if err := unsupported(req); err != nil {
		return nil, err
	}
	rp.Filters, rp.Order, rp.Limit, rp.Offset = req.Filters, req.Order, req.Limit, req.Offset
	return rp, nil
}

// unsupported rejects parsed syntax the query stage does not implement
// yet with PGRST127, rather than silently ignoring it.
func unsupported(req *apirequest.Request) *pgrsterr.Error {
	switch {
	case len(req.Logic) > 0:
		return pgrsterr.NotImplemented("Logic trees (and/or) are not supported yet")
	case len(req.EmbedOrders) > 0, len(req.EmbedRanges) > 0:
		return pgrsterr.NotImplemented("Ordering and paging embedded resources is not supported yet")
	}
	for _, f := range req.Filters {
		switch {
		case len(f.EmbedPath) > 0:
			return pgrsterr.NotImplemented("Filters on embedded resources are not supported yet")
		case f.Quantifier != "":
			return pgrsterr.NotImplemented("The (any) and (all) operator modifiers are not supported yet")
		case f.Language != "" || strings.HasSuffix(f.Op, "fts"):
			return pgrsterr.NotImplemented("Full-text search operators are not supported yet")
		}
	}
	return nil
}

// builder numbers the SQL aliases of one query.
type builder struct {
	sc     *schemacache.SchemaCache
	schema string
	n      int
}

// castRe accepts type names such as `text`, `int4`, `character varying`,
// `numeric[]`: casts reach SQL verbatim, so nothing else may pass.
var castRe = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_ ]*(\[\])?$`)

func (b *builder) node(qi schemacache.QI, alias string, sel []apirequest.SelectItem) (*ReadPlan, *pgrsterr.Error) {
	rp := &ReadPlan{Table: qi, Alias: alias}
	for _, it := range sel {
		if it.Cast != "" && !castRe.MatchString(it.Cast) {
			return nil, pgrsterr.ParseError("failed to parse select parameter",
				fmt.Sprintf("unexpected cast %q", it.Cast))
		}
		if it.Embed == nil {
			rp.Fields = append(rp.Fields, Field{Name: it.Column, Alias: it.Alias, Cast: it.Cast})
			continue
		}
		rel, err := findRel(b.sc, b.schema, qi, it.Embed.Target, it.Embed.Hint)
		if err != nil {
			return nil, err
		}
		b.n++
		child, err := b.node(rel.ForeignTable, fmt.Sprintf("%s_%d", rel.ForeignTable.Name, b.n), it.Embed.Select)
		if err != nil {
			return nil, err
		}
		key := it.Alias
		if key == "" {
			key = it.Embed.Target
		}
		e := &Embed{Key: key, Rel: rel, Inner: it.Embed.Inner, Plan: child}
		if rel.Junction != nil {
			e.JunctionAlias = fmt.Sprintf("%s_%d", rel.Junction.Table.Name, b.n)
		}
		rp.Embeds = append(rp.Embeds, e)
		rp.Fields = append(rp.Fields, Field{embedIndex: len(rp.Embeds)})
	}
	return rp, nil
}
