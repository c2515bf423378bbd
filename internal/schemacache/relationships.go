package schemacache

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/jackc/pgx/v5"
)

// foreignKey is a foreign key constraint, its columns as attnums in key
// order.
type foreignKey struct {
	name      string
	rel, frel uint32
	table     QI
	ftable    QI
	key, fkey []int16
	oneToOne  bool
}

func loadForeignKeys(ctx context.Context, tx pgx.Tx, schemas []string) ([]foreignKey, error) {
	rows, err := tx.Query(ctx, foreignKeysQuery, schemas)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []foreignKey
	for rows.Next() {
		var fk foreignKey
		if err := rows.Scan(&fk.name, &fk.rel, &fk.table.Schema, &fk.table.Name, &fk.frel, &fk.ftable.Schema, &fk.ftable.Name,
			(*attnums)(&fk.key), (*attnums)(&fk.fkey), &fk.oneToOne); err != nil {
			return nil, err
		}
		out = append(out, fk)
	}
	return out, rows.Err()
}

// checkForeignKeys fails unless every column of fks is a column the
// columns query returned: both read one snapshot, so a miss is a bug, not
// a race.
func checkForeignKeys(fks []foreignKey, names attnames) error {
	for _, fk := range fks {
		_, ok1 := lookupNames(names[fk.rel], fk.key)
		_, ok2 := lookupNames(names[fk.frel], fk.fkey)
		if !ok1 || !ok2 || len(fk.key) != len(fk.fkey) {
			return fmt.Errorf("foreign key %q references columns missing from the catalog snapshot", fk.name)
		}
	}
	return nil
}

func lookupNames(byNum map[int16]string, nums []int16) ([]string, bool) {
	out := make([]string, len(nums))
	for i, n := range nums {
		name, ok := byNum[n]
		if !ok {
			return nil, false
		}
		out[i] = name
	}
	return out, true
}

// relInputs is what buildRelationships derives the relationships from.
type relInputs struct {
	// fks are the foreign keys between exposed relations, then those with
	// one side elsewhere (views.fks).
	fks []foreignKey
	// names are the column names of the exposed relations by oid.
	names attnames
	// views are the view key dependencies; nil when there are none.
	views *viewKeys
	// computed are the computed relationships.
	computed []Relationship
}

// buildRelationships derives every relationship between exposed relations
// as PostgREST does in memory, in its order:
//  1. each FK gives an M2O (or O2O) between its tables, and between the
//     views exposing all its columns on either side (addViewM2OAndO2ORels),
//     columns named after the views' columns;
//  2. a relation whose primary key (a view's included) holds the columns of
//     two different M2O relationships is a junction giving M2M
//     relationships between their targets (addM2MRels);
//  3. every M2O gets its O2M inverse, every O2O its parent (addInverseRels);
//  4. a computed relationship whose function is named as a relation
//     replaces the relationships from its origin to that relation.
//
// Relationships are indexed by origin so this stays linear in the number
// of relationships per relation (PostgREST #4360: a nested loop over all of
// them is quadratic).
func buildRelationships(sc *SchemaCache, in relInputs) []Relationship {
	rels := make([]Relationship, 0, 2*len(in.fks)+len(in.computed))
	for i := range in.fks {
		rels = appendFKRels(rels, sc, &in.fks[i], in.names, in.views)
	}
	rels = appendM2M(rels, sc)
	n := len(rels)
	rels = slices.Grow(rels, n) // room for the inverses
	for i := range n {
		r := &rels[i]
		inv := Relationship{
			Table: r.Table, ForeignTable: r.ForeignTable, IsSelf: r.IsSelf,
			Cardinality: O2M, Constraint: r.Constraint, Columns: swapped(r.Columns),
		}
		inv.Table, inv.ForeignTable = r.ForeignTable, r.Table
		switch r.Cardinality {
		case M2O:
			rels = append(rels, inv)
		case O2O:
			inv.Cardinality, inv.IsParent = O2O, !r.IsParent
			rels = append(rels, inv)
		}
	}
	rels = overrideComputed(rels, in.computed)
	sortRelationships(rels, sc.Tables)
	return rels
}

// appendFKRels adds the M2O or O2O relationships of one foreign key: table
// to table, view to table, table to view and view to view, each when both
// ends are exposed.
func appendFKRels(rels []Relationship, sc *SchemaCache, fk *foreignKey, names attnames, vk *viewKeys) []Relationship {
	card := M2O
	if fk.oneToOne {
		card = O2O
	}
	add := func(from, to QI, self bool, cols, fcols []string) {
		rels = append(rels, Relationship{
			Table: from, ForeignTable: to, IsSelf: self, Cardinality: card,
			Constraint: fk.name, Columns: pairs(cols, fcols),
		})
	}
	// A side is usable when exposed and its columns are known.
	cols, tExposed := lookupNames(names[fk.rel], fk.key)
	fcols, ftExposed := lookupNames(names[fk.frel], fk.fkey)
	tExposed = tExposed && sc.tableByQI(fk.table) != nil
	ftExposed = ftExposed && sc.tableByQI(fk.ftable) != nil
	if tExposed && ftExposed {
		add(fk.table, fk.ftable, fk.table == fk.ftable, cols, fcols)
	}
	if vk == nil {
		return rels
	}
	from := vk.exposing(fk.rel, fk.key)
	to := vk.exposing(fk.frel, fk.fkey)
	if ftExposed {
		for _, v := range from {
			for _, vcols := range v.combos {
				add(v.view, fk.ftable, false, vcols, fcols)
			}
		}
	}
	if tExposed {
		for _, w := range to {
			for _, wcols := range w.combos {
				add(fk.table, w.view, false, cols, wcols)
			}
		}
	}
	for _, v := range from {
		for _, vcols := range v.combos {
			for _, w := range to {
				for _, wcols := range w.combos {
					add(v.view, w.view, v.view == w.view, vcols, wcols)
				}
			}
		}
	}
	return rels
}

// appendM2M adds the M2M relationships: for every relation jt with two M2O
// relationships of different constraints whose columns all lie within its
// primary key, jt is a junction between their targets (both directions
// arise, as every ordered pair is visited).
func appendM2M(rels []Relationship, sc *SchemaCache) []Relationship {
	byTable := map[QI][]int{}
	for i := range rels {
		if rels[i].Cardinality == M2O {
			byTable[rels[i].Table] = append(byTable[rels[i].Table], i)
		}
	}
	n := len(rels)
	for i := range n {
		a := rels[i]
		if a.Cardinality != M2O || len(byTable[a.Table]) < 2 {
			continue
		}
		t := sc.tableByQI(a.Table)
		if t == nil || len(t.PKCols) == 0 {
			continue
		}
		pk := set(t.PKCols)
		if !subset(origins(a.Columns), pk) {
			continue
		}
		for _, j := range byTable[a.Table] {
			b := rels[j]
			if b.Constraint == a.Constraint || !subset(origins(b.Columns), pk) {
				continue
			}
			rels = append(rels, Relationship{
				Table: a.ForeignTable, ForeignTable: b.ForeignTable, IsSelf: a.ForeignTable == b.ForeignTable, Cardinality: M2M,
				Junction: &Junction{
					Table: a.Table, Constraint1: a.Constraint, Constraint2: b.Constraint,
					ColsSource: a.Columns, ColsTarget: b.Columns,
				},
			})
		}
	}
	return rels
}

// overrideComputed adds the computed relationships, dropping the
// relationships from a computed relationship's origin to the relation its
// function is named as (PostgREST's getOverrideRelationshipsMap).
func overrideComputed(rels, computed []Relationship) []Relationship {
	if len(computed) == 0 {
		return rels
	}
	type key struct{ from, to QI }
	over := make(map[key]bool, len(computed))
	for _, c := range computed {
		over[key{c.Table, c.Function}] = true
	}
	out := rels[:0]
	for _, r := range rels {
		if !over[key{r.Table, r.ForeignTable}] {
			out = append(out, r)
		}
	}
	return append(out, computed...)
}

func origins(ps []ColumnPair) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.Col
	}
	return out
}

func swapped(ps []ColumnPair) []ColumnPair {
	out := make([]ColumnPair, len(ps))
	for i, p := range ps {
		out[i] = ColumnPair{Col: p.FCol, FCol: p.Col}
	}
	return out
}

// sortRelationships orders relationships as PostgREST's derived Ord does,
// which fixes the order of PGRST201 details: by origin, then relationships
// before computed ones; relationships by target, self, cardinality (O2M <
// M2O < O2O < M2M), then constraint, columns and parent flag, or for M2M
// the junction's table, constraints and columns; computed ones by
// function, target, to-one and self.
//
// tables are the relations in cache order (by schema, then name, as
// compareQI orders them): a relationship's origin is compared by its
// position there, an integer, rather than by its names.
func sortRelationships(rels []Relationship, tables []Table) {
	rank := make(map[QI]int32, len(tables))
	for i := range tables {
		rank[tables[i].QI()] = int32(i)
	}
	// Sorting indexes, then permuting once, moves each (large) element once.
	idx := make([]int32, len(rels))
	origin := make([]int32, len(rels))
	for i := range idx {
		idx[i] = int32(i)
		if r, ok := rank[rels[i].Table]; ok {
			origin[i] = r
		} else {
			origin[i] = -1
		}
	}
	slices.SortFunc(idx, func(i, j int32) int {
		if oi, oj := origin[i], origin[j]; oi >= 0 && oj >= 0 && oi != oj {
			return cmp.Compare(oi, oj)
		}
		return compareRels(&rels[i], &rels[j])
	})
	sorted := make([]Relationship, len(rels))
	for i, j := range idx {
		sorted[i] = rels[j]
	}
	copy(rels, sorted)
}

func cardRank(c Cardinality) int {
	switch c {
	case O2M:
		return 0
	case M2O:
		return 1
	case O2O:
		return 2
	case M2M:
		return 3
	}
	return 4
}

func compareRels(a, b *Relationship) int {
	// Each step returns as soon as it decides: a sort calls this about
	// n·log n times, and most pairs differ by origin or target.
	if c := compareQI(a.Table, b.Table); c != 0 {
		return c
	}
	if ac, bc := a.Cardinality == Computed, b.Cardinality == Computed; ac != bc {
		return boolCmp(ac, bc)
	} else if ac {
		if c := compareQI(a.Function, b.Function); c != 0 {
			return c
		}
		if c := compareQI(a.ForeignTable, b.ForeignTable); c != 0 {
			return c
		}
		if c := boolCmp(a.ToOne, b.ToOne); c != 0 {
			return c
		}
		return boolCmp(a.IsSelf, b.IsSelf)
	}
	if c := compareQI(a.ForeignTable, b.ForeignTable); c != 0 {
		return c
	}
	if c := boolCmp(a.IsSelf, b.IsSelf); c != 0 {
		return c
	}
	if c := cmp.Compare(cardRank(a.Cardinality), cardRank(b.Cardinality)); c != 0 {
		return c
	}
	if ja, jb := a.Junction, b.Junction; ja != nil && jb != nil {
		if c := compareQI(ja.Table, jb.Table); c != 0 {
			return c
		}
		if c := strings.Compare(ja.Constraint1, jb.Constraint1); c != 0 {
			return c
		}
		if c := strings.Compare(ja.Constraint2, jb.Constraint2); c != 0 {
			return c
		}
		// PostgREST keeps junction columns as (origin/target column, junction column).
		if c := comparePairs(ja.ColsSource, jb.ColsSource, true); c != 0 {
			return c
		}
		return comparePairs(ja.ColsTarget, jb.ColsTarget, true)
	}
	if c := strings.Compare(a.Constraint, b.Constraint); c != 0 {
		return c
	}
	if c := comparePairs(a.Columns, b.Columns, false); c != 0 {
		return c
	}
	return boolCmp(a.IsParent, b.IsParent)
}

func compareQI(a, b QI) int {
	if c := strings.Compare(a.Schema, b.Schema); c != 0 {
		return c
	}
	return strings.Compare(a.Name, b.Name)
}

// comparePairs orders column pairs by column, then foreign column, pair
// by pair; swapped compares them as swapped(a) and swapped(b), without
// building them.
func comparePairs(a, b []ColumnPair, swapped bool) int {
	for i := range min(len(a), len(b)) {
		x, y, fx, fy := a[i].Col, b[i].Col, a[i].FCol, b[i].FCol
		if swapped {
			x, y, fx, fy = fx, fy, x, y
		}
		if c := strings.Compare(x, y); c != 0 {
			return c
		}
		if c := strings.Compare(fx, fy); c != 0 {
			return c
		}
	}
	return cmp.Compare(len(a), len(b))
}

// boolCmp orders false before true.
func boolCmp(a, b bool) int {
	switch {
	case a == b:
		return 0
	case !a:
		return -1
	}
	return 1
}

func (sc *SchemaCache) tableByQI(qi QI) *Table {
	i := sort.Search(len(sc.Tables), func(i int) bool { return !less(sc.Tables[i].QI(), qi) })
	if i < len(sc.Tables) && sc.Tables[i].QI() == qi {
		return &sc.Tables[i]
	}
	return nil
}

func less(a, b QI) bool {
	if a.Schema != b.Schema {
		return a.Schema < b.Schema
	}
	return a.Name < b.Name
}

func pairs(cols, fcols []string) []ColumnPair {
	out := make([]ColumnPair, len(cols))
	for i := range cols {
		out[i] = ColumnPair{Col: cols[i], FCol: fcols[i]}
	}
	return out
}

func set(ss []string) map[string]bool {
	m := make(map[string]bool, len(ss))
	for _, s := range ss {
		m[s] = true
	}
	return m
}

func subset(ss []string, m map[string]bool) bool {
	for _, s := range ss {
		if !m[s] {
			return false
		}
	}
	return true
}
