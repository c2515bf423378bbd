package schemacache

import (
	"context"
	"sort"

	"github.com/jackc/pgx/v5"
)

// colRef is a column of a relation by oid and attnum.
type colRef struct {
	rel uint32
	col int16
}

// viewKeys is what relationships through views need: for each view of the
// exposed schemas, the base columns behind its columns, and the keys of
// those base relations (PostgREST's allViewsKeyDependencies, resolved in
// Go).
type viewKeys struct {
	// views are the exposed views by oid.
	views map[uint32]*viewDeps
	// byBase lists the views exposing some column of a relation, by its oid,
	// in view order (schema, name).
	byBase map[uint32][]*viewDeps
	// pks are the primary keys of the base relations: attnums in key order.
	pks map[uint32][]int16
	// fks are the foreign keys from or to base relations with one side
	// outside the exposed relations.
	fks []foreignKey
}

// viewDeps maps the columns of one view to the base columns they expose.
type viewDeps struct {
	qi QI
	// cols are the view's columns (names) exposing each base column, in
	// attnum order; through a chain of exposed views, the base column is
	// the one at the end of the chain.
	cols map[colRef][]string
	// bases are the relations whose columns the view exposes, in the order
	// of the view columns exposing them.
	bases []uint32
}

// loadViewTargets reads the target lists of the views of the exposed
// schemas: which base column each view column exposes, one level down.
func loadViewTargets(ctx context.Context, tx pgx.Tx, schemas []string) (map[uint32][]target, error) {
	rows, err := tx.Query(ctx, viewsQuery, schemas)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	targets := map[uint32][]target{}
	for rows.Next() {
		var oid uint32
		var tree string
		if err := rows.Scan(&oid, &tree); err != nil {
			return nil, err
		}
		targets[oid] = parseTargetList(tree)
	}
	return targets, rows.Err()
}

// loadBaseKeys reads the keys of the relations behind the exposed views
// (targets from loadViewTargets; byOID maps the oids of the exposed
// relations to their QIs), before the column names are known: the bases
// of every view column, a superset of what viewKeysOf keeps. It needs no
// column names, so it runs beside the columns query.
func loadBaseKeys(ctx context.Context, tx pgx.Tx, targets map[uint32][]target, byOID map[uint32]QI) (*viewKeys, error) {
	vk := resolveViews(targets, byOID, nil)
	if len(vk.byBase) == 0 {
		return vk, nil
	}
	bases := make([]uint32, 0, len(vk.byBase))
	for oid := range vk.byBase {
		bases = append(bases, oid)
	}
	exposed := make([]uint32, 0, len(byOID))
	for oid := range byOID {
		exposed = append(exposed, oid)
	}
	if err := vk.loadKeys(ctx, tx, bases, exposed, byOID); err != nil {
		return nil, err
	}
	return vk, nil
}

// viewKeysOf resolves which base columns the views' columns expose
// (through chains of exposed views), with names holding the exposed
// relations' column names, and keeps the keys of raw (loadBaseKeys) that
// concern the resulting bases: exactly what reading the keys of those
// bases alone returns, since keyConstraintsQuery selects each constraint
// by its own relations.
func viewKeysOf(raw *viewKeys, targets map[uint32][]target, byOID map[uint32]QI, names attnames) *viewKeys {
	vk := resolveViews(targets, byOID, names)
	if len(vk.byBase) == 0 {
		return vk
	}
	for oid, pk := range raw.pks {
		if _, ok := vk.byBase[oid]; ok {
			vk.pks[oid] = pk
		}
	}
	for _, fk := range raw.fks {
		_, from := vk.byBase[fk.rel]
		_, to := vk.byBase[fk.frel]
		if from || to {
			vk.fks = append(vk.fks, fk)
		}
	}
	return vk
}

// resolveViews follows each view's target list down to base relations.
// Without names (nil) every view column counts, unnamed.
func resolveViews(targets map[uint32][]target, byOID map[uint32]QI, names attnames) *viewKeys {
	vk := &viewKeys{views: map[uint32]*viewDeps{}, byBase: map[uint32][]*viewDeps{}, pks: map[uint32][]int16{}}
	memo := map[uint32]map[int16][]colRef{}
	var refs func(view uint32) map[int16][]colRef
	refs = func(view uint32) map[int16][]colRef {
		if m, ok := memo[view]; ok {
			return m // nil while being resolved: a cycle ends there
		}
		memo[view] = nil
		m := map[int16][]colRef{}
		for _, t := range targets[view] {
			if t.rel == 0 {
				continue
			}
			m[t.resno] = append(m[t.resno], colRef{t.rel, t.col})
			if _, isView := targets[t.rel]; isView {
				m[t.resno] = append(m[t.resno], refs(t.rel)[t.col]...)
			}
		}
		memo[view] = m
		return m
	}
	oids := make([]uint32, 0, len(targets))
	for oid := range targets {
		if _, ok := byOID[oid]; ok {
			oids = append(oids, oid)
		}
	}
	sort.Slice(oids, func(i, j int) bool { return less(byOID[oids[i]], byOID[oids[j]]) })
	for _, oid := range oids {
		m := refs(oid)
		resnos := make([]int16, 0, len(m))
		for resno := range m {
			resnos = append(resnos, resno)
		}
		sort.Slice(resnos, func(i, j int) bool { return resnos[i] < resnos[j] })
		d := &viewDeps{qi: byOID[oid], cols: map[colRef][]string{}}
		for _, resno := range resnos {
			name, ok := names[oid][resno]
			if !ok && names != nil {
				continue
			}
			for _, ref := range m[resno] {
				if _, isView := targets[ref.rel]; isView {
					continue // views have no keys
				}
				if d.cols[ref] == nil && !containsOID(d.bases, ref.rel) {
					d.bases = append(d.bases, ref.rel)
				}
				d.cols[ref] = append(d.cols[ref], name)
			}
		}
		vk.views[oid] = d
		for _, b := range d.bases {
			vk.byBase[b] = append(vk.byBase[b], d)
		}
	}
	return vk
}

func containsOID(s []uint32, oid uint32) bool {
	for _, o := range s {
		if o == oid {
			return true
		}
	}
	return false
}

// loadKeys reads the primary keys of the base relations and the foreign
// keys from or to them with a side outside the exposed relations (exposed;
// byOID names them). A foreign key from and to a base relation is returned
// once.
func (vk *viewKeys) loadKeys(ctx context.Context, tx pgx.Tx, bases, exposed []uint32, byOID map[uint32]QI) error {
	rows, err := tx.Query(ctx, keyConstraintsQuery, bases, exposed)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var isPK bool
		var fk foreignKey
		if err := rows.Scan(&isPK, &fk.name, &fk.rel, &fk.frel, (*attnums)(&fk.key), (*attnums)(&fk.fkey), &fk.oneToOne); err != nil {
			return err
		}
		if isPK {
			vk.pks[fk.rel] = fk.key
			continue
		}
		// Relations outside the exposed schemas keep a zero name: they are
		// never named in a relationship.
		fk.table, fk.ftable = byOID[fk.rel], byOID[fk.frel]
		if len(fk.key) == len(fk.fkey) {
			vk.fks = append(vk.fks, fk)
		}
	}
	return rows.Err()
}

// viewPK returns the primary key of a view: for every base relation whose
// primary key columns the view all exposes, the view columns exposing them,
// in key order (the first one when a column is exposed several times), as
// PostgREST's addViewPrimaryKeys.
func (vk *viewKeys) viewPK(oid uint32) []string {
	d := vk.views[oid]
	if d == nil {
		return nil
	}
	var out []string
	for _, b := range d.bases {
		pk, ok := vk.pks[b]
		if !ok {
			continue
		}
		if cols := d.keyCols(b, pk); cols != nil {
			for _, c := range cols {
				if !contains(out, c[0]) {
					out = append(out, c[0])
				}
			}
		}
	}
	return out
}

// keyCols returns, for each column of a key of relation rel, the view's
// columns exposing it; nil unless the view exposes them all.
func (d *viewDeps) keyCols(rel uint32, key []int16) [][]string {
	out := make([][]string, len(key))
	for i, c := range key {
		out[i] = d.cols[colRef{rel, c}]
		if out[i] == nil {
			return nil
		}
	}
	return out
}

// exposing returns the views exposing every column of a key of relation
// rel, with the column combinations they expose it by.
func (vk *viewKeys) exposing(rel uint32, key []int16) []viewKey {
	var out []viewKey
	for _, d := range vk.byBase[rel] {
		if cols := d.keyCols(rel, key); cols != nil {
			out = append(out, viewKey{view: d.qi, combos: combinations(cols)})
		}
	}
	return out
}

// viewKey is a view exposing a key: one column list per way the view
// exposes it (several when a key column appears several times).
type viewKey struct {
	view   QI
	combos [][]string
}

// combinations expands per-column alternatives into every combination,
// the first column varying slowest.
func combinations(alts [][]string) [][]string {
	out := [][]string{nil}
	for _, a := range alts {
		next := make([][]string, 0, len(out)*len(a))
		for _, prefix := range out {
			for _, c := range a {
				next = append(next, append(append([]string(nil), prefix...), c))
			}
		}
		out = next
	}
	return out
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}
