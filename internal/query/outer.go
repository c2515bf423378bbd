package query

import (
	"strconv"
	"strings"

	"github.com/pgrest-lambda/pgrest-lambda/internal/apirequest"
	"github.com/pgrest-lambda/pgrest-lambda/internal/pgrsterr"
	"github.com/pgrest-lambda/pgrest-lambda/internal/plan"
	"github.com/pgrest-lambda/pgrest-lambda/internal/schemacache"
)

// The main statement wraps the rows of the request in one outer query, as
// PostgREST's Statements module does:
//
//	WITH pgrst_source AS (<rows>)[, pgrst_source_count AS (<unpaged rows>)]
//	SELECT <total> AS total_result_set, count(_postgrest_t) AS page_total, <body> AS body
//	FROM (SELECT * FROM pgrst_source) AS _postgrest_t
//
// This file owns that outer layer: how rows become the response body in the
// negotiated media type, and how the total of a count preference is found.

// shape is what a body aggregates: rows of a relation or SETOF composite,
// one composite value, one scalar, a set of scalars or nothing.
type shape int

const (
	shapeRows shape = iota
	shapeComposite
	shapeScalar
	shapeSetOfScalar
	shapeVoid
)

// parts are the pieces of a statement, each rendered with the builder of
// the statement it goes into (bind parameters are numbered per statement).
type parts struct {
	// with renders a CTE the rows read from (the routine call); nil for none.
	with func(b *sqlBuilder) string
	// source appends the rows of the response, paged, to b.buf.
	source func(b *sqlBuilder) *pgrsterr.Error
	// unpaged appends the same rows without limit and offset; nil when the
	// source is never paged (scalar results).
	unpaged func(b *sqlBuilder) *pgrsterr.Error
	shape   shape
	// inserted marks a write that counts its inserted rows (countsInserted).
	inserted bool
}

// readQuery builds the query for a read plan.
func readQuery(rp *plan.ReadPlan, out Output) (Query, *pgrsterr.Error) {
	src := nodeSource{table: rp.Table}
	return assemble(parts{
		source:  func(b *sqlBuilder) *pgrsterr.Error { return b.writeSelect(rp, src, nil) },
		unpaged: func(b *sqlBuilder) *pgrsterr.Error { return unpagedNode(b, rp, src) },
		shape:   shapeRows,
	}, out)
}

// unpagedNode appends the rows of rp without limit, offset and order: what
// a count counts. It is the read builder's own writeSelect on a copy.
func unpagedNode(b *sqlBuilder, rp *plan.ReadPlan, src nodeSource) *pgrsterr.Error {
	c := *rp
	c.Limit, c.Offset, c.Order = nil, nil, nil
	return b.writeSelect(&c, src, nil)
}

// callQuery builds the query for a routine call. The arguments travel as one
// JSON object unpacked with json_to_record into the parameters' own types,
// as PostgREST does. The call runs once, in the pgrst_call CTE, which a
// composite result's select, filters, paging and count read from.
func callQuery(cp *plan.CallPlan, out Output) (Query, *pgrsterr.Error) {
	r := cp.Routine
	callFrom := func(b *sqlBuilder, alias string) string {
		call, fromArgs := b.callExpr(cp)
		return fromArgs + call + " AS " + ident(alias)
	}
	if !r.Return.Composite {
		sh := shapeScalar
		switch {
		case r.Return.IsVoid():
			sh = shapeVoid
		case r.Return.SetOf:
			sh = shapeSetOfScalar
		}
		return assemble(parts{
			source: func(b *sqlBuilder) *pgrsterr.Error {
				var sql string
				if r.Return.IsRecord() {
					// A record is called in the select list, as PostgREST
					// calls every scalar: each row is the JSON object of
					// its fields.
					call, fromArgs := b.callExpr(cp)
					sql = "SELECT " + call + " AS pgrst_scalar"
					if fromArgs != "" {
						sql += " FROM " + strings.TrimSuffix(fromArgs, lateralArgs)
					}
				} else {
					sql = "SELECT _pgrst_call AS pgrst_scalar FROM " + callFrom(b, "_pgrst_call")
				}
				// A set of scalars is paged like rows, as PostgREST does.
				if cp.Limit != nil {
					sql += " LIMIT " + b.param(strconv.FormatInt(*cp.Limit, 10))
				}
				if cp.Offset != nil {
					sql += " OFFSET " + b.param(strconv.FormatInt(*cp.Offset, 10))
				}
				b.buf = append(b.buf, sql...)
				return nil
			},
			shape: sh,
		}, out)
	}
	rp := cp.Result
	from := "pgrst_call AS " + ident(rp.Alias)
	sh := shapeRows
	if !r.Return.SetOf {
		sh = shapeComposite
	}
	return assemble(parts{
		with: func(b *sqlBuilder) string {
			return "pgrst_call AS (SELECT " + ident(rp.Alias) + ".* FROM " + callFrom(b, rp.Alias) + ")"
		},
		source:  func(b *sqlBuilder) *pgrsterr.Error { return b.writeSelect(rp, nodeSource{from: from}, nil) },
		unpaged: func(b *sqlBuilder) *pgrsterr.Error { return unpagedNode(b, rp, nodeSource{from: from}) },
		shape:   sh,
	}, out)
}

// assemble renders the main statement and, for planned and estimated
// counts, the EXPLAIN of the unpaged rows.
func assemble(p parts, out Output) (Query, *pgrsterr.Error) {
	q := Query{
		Void:    p.shape == shapeVoid,
		Count:   out.Count,
		MaxRows: out.MaxRows,
	}
	isPlan := out.Media.Kind == apirequest.MediaPlan
	if isPlan {
		q.Scan = ScanPlan
	}
	if out.Handler != nil && !out.Head && out.Media.Kind != apirequest.MediaPlan {
		q.BinaryBody = out.Handler.Binary
	}
	b := newSQLBuilder()
	pooled := bufPool.Get().(*[]byte)
	b.buf = (*pooled)[:0]
	defer func() {
		if cap(b.buf) <= maxPooledBuf {
			*pooled = b.buf[:0]
			bufPool.Put(pooled)
		}
	}()
	// The statement is written into one buffer: [EXPLAIN ...] WITH [p.with's
	// CTE, ] pgrst_source[, pgrst_source_count] SELECT ...; p.with runs
	// before p.source so the parameters keep their numbers.
	if isPlan {
		b.buf = append(b.buf, explain(out.Media)...)
	}
	b.buf = append(b.buf, "WITH "...)
	if p.with != nil {
		with := p.with(b)
		b.buf = append(append(b.buf, with...), ", "...)
	}
	b.buf = append(b.buf, "pgrst_source AS ("...)
	if err := p.source(b); err != nil {
		return Query{}, err
	}
	b.buf = append(b.buf, ')')
	total := "NULL::bigint"
	// PostgREST counts in the statement for exact and estimated counts only.
	if out.Count == apirequest.CountExact || out.Count == apirequest.CountEstimated {
		b.buf = append(b.buf, ", pgrst_source_count AS ("...)
		if p.unpaged != nil {
			if err := p.unpaged(b); err != nil {
				return Query{}, err
			}
		} else {
			b.buf = append(b.buf, "SELECT 1 FROM pgrst_source"...)
		}
		if out.Count == apirequest.CountEstimated && out.MaxRows > 0 {
			// One row more than max-rows tells that the planner's estimate is needed.
			ph := b.param(strconv.Itoa(out.MaxRows + 1))
			b.buf = append(append(b.buf, " LIMIT "...), ph...)
		}
		b.buf = append(b.buf, ')')
		total = "(SELECT pg_catalog.count(*) FROM pgrst_source_count)"
	}
	inserted := "NULL::bigint"
	if p.inserted {
		inserted = insertedCount
	}
	for _, part := range [...]string{" SELECT ", total, " AS total_result_set, ",
		"pg_catalog.count(_postgrest_t)::bigint AS page_total, ", body(p.shape, out), " AS body, ",
		gucHeaders, " AS response_headers, ", gucStatus, " AS response_status, ",
		inserted, " AS response_inserted FROM (SELECT * FROM pgrst_source) AS _postgrest_t"} {
		b.buf = append(b.buf, part...)
	}
	q.Main = Statement{SQL: string(b.buf), Args: b.params()}
	if !isPlan && (out.Count == apirequest.CountPlanned || out.Count == apirequest.CountEstimated) {
		cb := newSQLBuilder()
		cb.buf = append(b.buf[:0], "EXPLAIN (FORMAT JSON) "...)
		if p.with != nil {
			with := p.with(cb)
			cb.buf = append(append(append(cb.buf, "WITH "...), with...), ' ')
		}
		rows := p.unpaged
		if rows == nil {
			rows = p.source
		}
		err := rows(cb)
		// cb wrote in b's buffer, which goes back to the pool.
		b.buf = cb.buf
		if err != nil {
			return Query{}, err
		}
		q.CountPlan = &Statement{SQL: string(cb.buf), Args: cb.params()}
	}
	return q, nil
}

// The response GUCs a routine or trigger may set, read after the rows as
// PostgREST does (nullif: a GUC once set in a session reads ” after).
const (
	gucHeaders = "nullif(pg_catalog.current_setting('response.headers', true), '')"
	gucStatus  = "nullif(pg_catalog.current_setting('response.status', true), '')"
)

// explain is the EXPLAIN prefix of a plan media type.
func explain(m apirequest.MediaType) string {
	opts := []string{"FORMAT TEXT"}
	if m.PlanJSON {
		opts[0] = "FORMAT JSON"
	}
	for _, o := range m.PlanOptions {
		opts = append(opts, strings.ToUpper(o))
	}
	return "EXPLAIN (" + strings.Join(opts, ", ") + ") "
}

// csvBody is PostgREST's CSV aggregate: a header line with the keys of the
// first row, then each row as its composite text without the parentheses.
const csvBody = "(SELECT coalesce(pg_catalog.string_agg(a.k, ','), '') FROM (" +
	"SELECT pg_catalog.json_object_keys(r)::text AS k FROM (" +
	"SELECT pg_catalog.row_to_json(hh) AS r FROM pgrst_source AS hh LIMIT 1) AS s) AS a)" +
	" || E'\\n' || coalesce(pg_catalog.string_agg(" +
	"substring(_postgrest_t::text, 2, length(_postgrest_t::text) - 2), E'\\n'), '')"

// body is the body expression (text) for a shape in the output's media type.
func body(sh shape, out Output) string {
	if sh == shapeVoid {
		return "NULL::text"
	}
	if out.Head {
		return "''::text"
	}
	if out.Handler != nil {
		return handlerBody(sh, out.Handler)
	}
	m := out.Media.Body()
	switch m.Kind {
	case apirequest.MediaCSV:
		return csvBody
	case apirequest.MediaGeoJSON:
		return "pg_catalog.json_build_object('type', 'FeatureCollection', 'features', " +
			"coalesce(pg_catalog.json_agg(ST_AsGeoJSON(_postgrest_t)::json), '[]'))::text"
	}
	if sh == shapeRows && m.Kind != apirequest.MediaSingular && m.Kind != apirequest.MediaArrayStrip {
		// What the rest builds for a JSON array of rows, the usual body.
		return "coalesce(pg_catalog.json_agg(_postgrest_t)::text, '[]')"
	}
	agg := "pg_catalog.json_agg(_postgrest_t)"
	if sh == shapeScalar || sh == shapeSetOfScalar {
		agg = "pg_catalog.json_agg(_postgrest_t.pgrst_scalar)"
	}
	// A single composite or scalar, and the singular media type, take the first element.
	one := sh == shapeComposite || sh == shapeScalar || m.Kind == apirequest.MediaSingular
	if one {
		agg = "(" + agg + " -> 0)"
	}
	if m.Kind == apirequest.MediaArrayStrip || (m.Kind == apirequest.MediaSingular && m.StripNulls) {
		agg = "pg_catalog.json_strip_nulls(" + agg + ")"
	}
	if one {
		return "coalesce(" + agg + "::text, 'null')"
	}
	return "coalesce(" + agg + "::text, '[]')"
}

// handlerBody is the body a custom media type handler makes, as text:
// base64 for a domain over bytea (see Query.BinaryBody). An aggregate
// takes the rows, cast to the relation it handles; a function handler's
// own result (the first row's value) is the body.
func handlerBody(sh shape, h *schemacache.MediaHandler) string {
	var expr string
	switch {
	case h.Aggregate == (schemacache.QI{}):
		col := "_postgrest_t"
		if sh == shapeScalar || sh == shapeSetOfScalar {
			col = "_postgrest_t.pgrst_scalar"
		}
		expr = "(pg_catalog.array_agg(" + col + "))[1]"
	case h.Target == (schemacache.QI{}):
		expr = qi(h.Aggregate) + "(_postgrest_t)"
	default:
		expr = qi(h.Aggregate) + "(_postgrest_t::" + qi(h.Target) + ")"
	}
	if h.Binary {
		return "pg_catalog.encode(" + expr + "::bytea, 'base64')"
	}
	return expr + "::text"
}
