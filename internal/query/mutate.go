package query

import (
	"sort"
	"strings"

	"github.com/pgrest-lambda/pgrest-lambda/internal/pgrsterr"
	"github.com/pgrest-lambda/pgrest-lambda/internal/plan"
	"github.com/pgrest-lambda/pgrest-lambda/internal/schemacache"
)

// mutateQuery builds the query of a write: the INSERT, UPDATE or DELETE runs in
// the pgrst_mutation CTE, RETURNING the written rows, and the response
// reads them like a relation (select list, embeddings), as PostgREST's
// mutateRequestToQuery. The payload is one bind parameter unpacked with
// json_to_recordset into the columns' own types (jsonb_to_recordset merged
// over the column defaults for `missing=default`).
func mutateQuery(mp *plan.MutatePlan, out Output) (Query, *pgrsterr.Error) {
	if err := checkMutation(mp); err != nil {
		return Query{}, err
	}
	rp := mp.Read
	from := "pgrst_mutation AS " + ident(rp.Alias)
	return assemble(parts{
		with: func(b *sqlBuilder) string {
			sql, _ := b.mutation(mp)
			return "pgrst_mutation AS (" + sql + ")"
		},
		source:   func(b *sqlBuilder) *pgrsterr.Error { return b.writeSelect(rp, nodeSource{from: from}, nil) },
		unpaged:  func(b *sqlBuilder) *pgrsterr.Error { return unpagedNode(b, rp, nodeSource{from: from}) },
		shape:    shapeRows,
		inserted: countsInserted(mp),
	}, out)
}

// checkMutation validates a write's statement before it is sent: the
// filters and logic trees must render.
func checkMutation(mp *plan.MutatePlan) *pgrsterr.Error {
	_, err := (&sqlBuilder{}).mutation(mp)
	return err
}

// mutation renders the data-modifying statement of mp.
func (b *sqlBuilder) mutation(mp *plan.MutatePlan) (string, *pgrsterr.Error) {
	target := qi(mp.Table.QI()) + " AS " + ident(mp.Where.Alias)
	returning := " RETURNING " + ident(mp.Where.Alias) + ".*"
	switch mp.Kind {
	case plan.MutateDelete:
		if limited(mp) {
			with, match, err := b.affectedRows(mp)
			if err != nil {
				return "", err
			}
			return with + "DELETE FROM " + target + " USING pgrst_affected_rows WHERE " + match + returning, nil
		}
		where, err := b.where(mp.Where)
		if err != nil {
			return "", err
		}
		return "DELETE FROM " + target + where + returning, nil
	case plan.MutateUpdate:
		if len(mp.Columns) == 0 {
			// An empty payload updates nothing.
			return "SELECT " + ident(mp.Where.Alias) + ".* FROM " + target + " WHERE false", nil
		}
		sets := make([]string, len(mp.Columns))
		for i, c := range mp.Columns {
			sets[i] = ident(c.Name) + " = " + bodyValue(mp, c)
		}
		if limited(mp) {
			with, match, err := b.affectedRows(mp)
			if err != nil {
				return "", err
			}
			return with + "UPDATE " + target + " SET " + strings.Join(sets, ", ") +
				" FROM pgrst_affected_rows, (SELECT * FROM " + b.recordset(mp) + " LIMIT 1) AS pgrst_body WHERE " +
				match + returning, nil
		}
		body := b.recordset(mp)
		where, err := b.where(mp.Where)
		if err != nil {
			return "", err
		}
		return "UPDATE " + target + " SET " + strings.Join(sets, ", ") +
			" FROM (SELECT * FROM " + body + " LIMIT 1) AS pgrst_body" + where + returning, nil
	}
	cols := make([]string, len(mp.Columns))
	vals := make([]string, len(mp.Columns))
	for i, c := range mp.Columns {
		cols[i] = ident(c.Name)
		vals[i] = bodyValue(mp, c)
	}
	var sb strings.Builder
	sb.WriteString("INSERT INTO " + target)
	if len(cols) > 0 {
		sb.WriteString(" (" + strings.Join(cols, ", ") + ")")
	}
	sb.WriteString(" SELECT " + strings.Join(vals, ", ") + " FROM ")
	if len(cols) == 0 {
		// No columns: one row of defaults per object.
		sb.WriteString("pg_catalog.json_array_elements(" + b.param(string(mp.Payload)) + "::json) AS pgrst_body")
	} else {
		sb.WriteString("(SELECT * FROM " + b.recordset(mp) + ") AS pgrst_body")
	}
	var conds []string
	if mp.PutKey != nil {
		keys := make([]string, 0, len(mp.PutKey))
		for k := range mp.PutKey {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			v := "pgrst_body." + ident(k)
			if c := mp.Table.Column(k); c != nil {
				v = bodyValue(mp, *c)
			}
			conds = append(conds, v+" = "+b.param(mp.PutKey[k]))
		}
	}
	if countsInserted(mp) {
		conds = append(conds, insertedBump)
	}
	if len(conds) > 0 {
		sb.WriteString(" WHERE " + strings.Join(conds, " AND "))
	}
	sb.WriteString(onConflict(mp))
	sb.WriteString(returning)
	return sb.String(), nil
}

// limited reports whether an update or delete is limited by limit/offset.
func limited(mp *plan.MutatePlan) bool {
	return mp.Where.Limit != nil || mp.Where.Offset != nil
}

// affectedRows renders the rows a limited update or delete touches, as
// PostgREST does: `WITH pgrst_affected_rows AS (SELECT <order columns>
// FROM t WHERE ... ORDER BY ... LIMIT ... OFFSET ...) `, and the condition
// matching the target's rows to them on the order columns. The planner
// requires an order on plain columns; when they are not unique more rows
// can match, which the caller checks (PGRST110).
func (b *sqlBuilder) affectedRows(mp *plan.MutatePlan) (with, match string, err *pgrsterr.Error) {
	w := mp.Where
	alias := ident(w.Alias)
	var cols, conds []string
	seen := map[string]bool{}
	for _, o := range w.Order {
		if seen[o.Column] {
			continue
		}
		seen[o.Column] = true
		cols = append(cols, alias+"."+ident(o.Column))
		conds = append(conds, alias+"."+ident(o.Column)+" = pgrst_affected_rows."+ident(o.Column))
	}
	where, err := b.where(w)
	if err != nil {
		return "", "", err
	}
	with = "WITH pgrst_affected_rows AS (SELECT " + strings.Join(cols, ", ") + " FROM " +
		qi(mp.Table.QI()) + " AS " + alias + where + b.orderLimit(w, nil) + ") "
	return with, strings.Join(conds, " AND "), nil
}

// bodyValue is a written column's value from the payload row pgrst_body,
// read through the domain representation of its cast from json when it
// has one (recordset then leaves the value json).
func bodyValue(mp *plan.MutatePlan, c schemacache.Column) string {
	v := "pgrst_body." + ident(c.Name)
	if fn, ok := mp.FromJSON[c.Name]; ok {
		return qi(fn) + "(" + v + ")"
	}
	return v
}

// recordset renders the payload as rows typed like the written columns
// (json for those a domain representation reads, see bodyValue): with
// json_to_recordset, or jsonb_to_recordset under missing=default.
func (b *sqlBuilder) recordset(mp *plan.MutatePlan) string {
	typed := make([]string, len(mp.Columns))
	for i, c := range mp.Columns {
		t := columnType(c)
		if _, ok := mp.FromJSON[c.Name]; ok {
			t = "json"
		}
		typed[i] = ident(c.Name) + " " + t
	}
	def := ""
	for _, c := range mp.Columns {
		if mp.ApplyDefaults && c.Default != nil {
			if def != "" {
				def += ", "
			}
			def += b.param(c.Name) + "::text, " + *c.Default
		}
	}
	payload := b.param(string(mp.Payload))
	if !mp.ApplyDefaults {
		return "pg_catalog.json_to_recordset(" + payload + "::json) AS _(" + strings.Join(typed, ", ") + ")"
	}
	// With missing=default the payload is read as jsonb, as PostgREST
	// does, so a repeated key in an object keeps its last value
	// (InsertSpec: "doesn't insert json duplicate keys").
	if def == "" {
		return "pg_catalog.jsonb_to_recordset(" + payload + "::jsonb) AS _(" + strings.Join(typed, ", ") + ")"
	}
	// Keys present in an object override the defaults.
	merged := "(SELECT coalesce(pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(" + def + ") || pgrst_elem), '[]') " +
		"FROM pg_catalog.jsonb_array_elements(" + payload + "::jsonb) AS pgrst_elem)"
	return "pg_catalog.jsonb_to_recordset(" + merged + ") AS _(" + strings.Join(typed, ", ") + ")"
}

// columnType is the declared type of a column, with its typmod.
func columnType(c schemacache.Column) string {
	if c.NominalType != "" {
		return c.NominalType
	}
	return c.Type
}

// onConflict renders the conflict clause of an upsert: DO UPDATE of the
// written columns for merge-duplicates, DO NOTHING for ignore-duplicates
// or when no column is written.
func onConflict(mp *plan.MutatePlan) string {
	if len(mp.OnConflict) == 0 {
		return ""
	}
	target := make([]string, len(mp.OnConflict))
	for i, c := range mp.OnConflict {
		target[i] = ident(c)
	}
	s := " ON CONFLICT (" + strings.Join(target, ", ") + ")"
	if mp.Resolution != "merge-duplicates" || len(mp.Columns) == 0 {
		return s + " DO NOTHING"
	}
	sets := make([]string, len(mp.Columns))
	for i, c := range mp.Columns {
		sets[i] = ident(c.Name) + " = EXCLUDED." + ident(c.Name)
	}
	return s + " DO UPDATE SET " + strings.Join(sets, ", ") + " WHERE " + insertedDrop
}

// The inserted-row count of an upsert, as PostgREST keeps it: every row
// offered to the INSERT adds one to the transaction-local pgrst.inserted
// and every row that conflicts and is updated takes one away, so what is
// left counts the rows inserted. Unlike `xmax = 0` in RETURNING, it works
// on views too. The comparisons only keep the calls valid conditions: the
// counter never reaches the compared value at that point.
const (
	insertedBump = "pg_catalog.set_config('pgrst.inserted', (coalesce(nullif(" +
		"pg_catalog.current_setting('pgrst.inserted', true), '')::int, 0) + 1)::text, true) <> '0'"
	insertedDrop = "pg_catalog.set_config('pgrst.inserted', (coalesce(nullif(" +
		"pg_catalog.current_setting('pgrst.inserted', true), '')::int, 0) - 1)::text, true) <> '-1'"
	// insertedCount reads the counter in the outer statement.
	insertedCount = "coalesce(nullif(pg_catalog.current_setting('pgrst.inserted', true), '')::bigint, 0)"
)

// countsInserted reports whether a write tells inserted rows from updated
// ones, which decides between 201 and 200: a merging upsert or PUT, as
// PostgREST (ignore-duplicates never updates, so it is always 201).
func countsInserted(mp *plan.MutatePlan) bool {
	return mp.Kind == plan.MutateInsert && len(mp.OnConflict) > 0 &&
		mp.Resolution == "merge-duplicates" && len(mp.Columns) > 0
}

// where renders the WHERE clause of an update or delete; "" without filters.
func (b *sqlBuilder) where(w *plan.ReadPlan) (string, *pgrsterr.Error) {
	var conds []string
	for _, f := range w.Filters {
		c, err := b.filter(w, f)
		if err != nil {
			return "", err
		}
		conds = append(conds, c)
	}
	for _, t := range w.Logic {
		c, err := b.logic(w, t)
		if err != nil {
			return "", err
		}
		conds = append(conds, c)
	}
	if len(conds) == 0 {
		return "", nil
	}
	return " WHERE " + strings.Join(conds, " AND "), nil
}
