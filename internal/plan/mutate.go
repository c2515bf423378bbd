package plan

import (
	"net/http"

	"github.com/pgrest-lambda/pgrest-lambda/internal/apirequest"
	"github.com/pgrest-lambda/pgrest-lambda/internal/pgrsterr"
	"github.com/pgrest-lambda/pgrest-lambda/internal/schemacache"
)

// MutateKind is the statement a write runs.
type MutateKind int

const (
	// MutateInsert is POST (and PUT, an insert with a conflict clause).
	MutateInsert MutateKind = iota
	// MutateUpdate is PATCH.
	MutateUpdate
	// MutateDelete is DELETE.
	MutateDelete
)

// MutatePlan writes to one relation and reads the written rows back for
// the response, as PostgREST's MutateReadPlan.
type MutatePlan struct {
	Kind  MutateKind
	Table *schemacache.Table
	// Columns are the columns the payload writes, in payload key order.
	Columns []schemacache.Column
	// Payload is the body as a JSON array of objects.
	Payload []byte
	// ApplyDefaults gives keys absent from an object their column default
	// (`Prefer: missing=default`) instead of null.
	ApplyDefaults bool
	// Where holds the filters and logic trees restricting the rows an
	// update or delete touches; its Alias is the target table's alias.
	Where *ReadPlan
	// OnConflict is the conflict target of an upsert; nil for none.
	OnConflict []string
	// Resolution is merge-duplicates or ignore-duplicates for an upsert
	// with a conflict target, "" otherwise.
	Resolution string
	// PutKey maps the primary key columns to their URL values for PUT; nil otherwise.
	PutKey map[string]string
	// FromJSON maps the written columns whose payload values are read by a
	// domain representation (a cast from json to the column's domain) to
	// its function; nil when none.
	FromJSON map[string]schemacache.QI
	// Read shapes the written rows for the response (select and embeddings).
	Read *ReadPlan
}

// newMutate plans a write on a relation: POST, PATCH, PUT or DELETE. It
// returns PGRST205 for an unknown relation, PGRST204 for a payload key or
// `columns` entry that is not a column, PGRST114 and PGRST105 for a PUT
// with paging or without exactly the primary key filters, PGRST109 for a
// limited PATCH or DELETE without an order, and the errors of planning the
// select list of the response.
func newMutate(req *apirequest.Request, sc *schemacache.SchemaCache) (*MutatePlan, *pgrsterr.Error) {
	qi := schemacache.QI{Schema: req.Schema, Name: req.Name}
	t := sc.Table(qi)
	if t == nil {
		return nil, pgrsterr.TableNotFound(req.Schema, req.Name, suggestTable(sc, req.Schema, req.Name))
	}
	mp := &MutatePlan{Table: t, ApplyDefaults: req.Preferences.Missing == "default"}
	switch req.Method {
	case http.MethodPatch:
		mp.Kind = MutateUpdate
	case http.MethodDelete:
		mp.Kind = MutateDelete
	}
	if req.Method == http.MethodPut {
		if req.Limit != nil || req.Offset != nil {
			return nil, pgrsterr.PutRange()
		}
		key, ok := putKey(req, t)
		if !ok {
			return nil, pgrsterr.InvalidPutFilters()
		}
		mp.PutKey = key
	}
	if req.Payload != nil && mp.Kind != MutateDelete {
		mp.Payload = req.Payload.JSON
		for _, k := range req.Payload.Keys {
			c := t.Column(k)
			if c == nil {
				return nil, pgrsterr.ColumnNotFound(t.Name, k)
			}
			mp.Columns = append(mp.Columns, *c)
		}
	}
	mp.FromJSON = jsonInputs(sc, mp.Columns)
	if err := mp.conflict(req, t); err != nil {
		return nil, err
	}
	rp, err := planRead(req, sc, qi)
	if err != nil {
		return nil, err
	}
	mp.Where = &ReadPlan{Table: qi, Alias: rp.Alias, Columns: rp.Columns, FromText: rp.FromText}
	if mp.Kind != MutateInsert || mp.PutKey != nil {
		mp.Where.Filters, mp.Where.Logic = rp.Filters, rp.Logic
		rp.Filters, rp.Logic = nil, nil
	}
	if mp.Kind != MutateInsert && (req.Limit != nil || req.Offset != nil) {
		if err := limitRows(mp.Where, rp.Order, req); err != nil {
			return nil, err
		}
	}
	rp.Limit, rp.Offset = nil, nil
	mp.Read = rp
	return mp, nil
}

// limitRows limits an update or delete to a page of the rows its filters
// select, as PostgREST: the page needs an order (PGRST109) on plain
// columns of the relation, which identify the rows to write.
func limitRows(w *ReadPlan, order []apirequest.OrderTerm, req *apirequest.Request) *pgrsterr.Error {
	if len(order) == 0 {
		return pgrsterr.LimitWithoutOrder()
	}
	for _, o := range order {
		if o.Relation != "" || len(o.JSONPath) > 0 {
			return pgrsterr.NotImplemented("limit on PATCH and DELETE ordered by a related column or a JSON path")
		}
	}
	w.Order, w.Limit, w.Offset = order, req.Limit, req.Offset
	return nil
}

// conflict sets the conflict target of an upsert: the `on_conflict`
// columns or the primary key. A PUT always merges on the primary key.
func (mp *MutatePlan) conflict(req *apirequest.Request, t *schemacache.Table) *pgrsterr.Error {
	if mp.PutKey != nil {
		mp.OnConflict, mp.Resolution = t.PKCols, "merge-duplicates"
		return nil
	}
	if mp.Kind != MutateInsert || req.Preferences.Resolution == "" {
		return nil
	}
	target := req.OnConflict
	if target == nil {
		target = t.PKCols
	}
	if len(target) == 0 {
		return nil
	}
	for _, c := range target {
		if t.Column(c) == nil {
			return pgrsterr.ColumnNotFound(t.Name, c)
		}
	}
	mp.OnConflict, mp.Resolution = target, req.Preferences.Resolution
	return nil
}

// putKey checks that the filters of a PUT are exactly the primary key
// columns with `eq`, and returns their values.
func putKey(req *apirequest.Request, t *schemacache.Table) (map[string]string, bool) {
	if len(t.PKCols) == 0 || len(req.Logic) > 0 || len(req.Filters) != len(t.PKCols) {
		return nil, false
	}
	key := make(map[string]string, len(t.PKCols))
	for _, f := range req.Filters {
		if f.Op != "eq" || f.Negate || f.Quantifier != "" || len(f.EmbedPath) > 0 || len(f.JSONPath) > 0 {
			return nil, false
		}
		key[f.Field] = f.Value
	}
	for _, c := range t.PKCols {
		if _, ok := key[c]; !ok {
			return nil, false
		}
	}
	return key, true
}
