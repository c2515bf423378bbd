package schemacache

import (
	"context"
	"fmt"
	"sort"

	"github.com/jackc/pgx/v5"
)

// foreignKey is one row of foreignKeysQuery.
type foreignKey struct {
	name     string
	table    QI
	ftable   QI
	cols     []string
	fcols    []string
	oneToOne bool
}

func loadForeignKeys(ctx context.Context, tx pgx.Tx, schemas []string, names attnames) ([]foreignKey, error) {
	rows, err := tx.Query(ctx, foreignKeysQuery, schemas)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []foreignKey
	for rows.Next() {
		var fk foreignKey
		var rel, frel uint32
		var key, fkey []int16
		if err := rows.Scan(&fk.name, &rel, &fk.table.Schema, &fk.table.Name, &frel, &fk.ftable.Schema, &fk.ftable.Name,
			&key, &fkey, &fk.oneToOne); err != nil {
			return nil, err
		}
		var ok1, ok2 bool
		fk.cols, ok1 = lookupNames(names[rel], key)
		fk.fcols, ok2 = lookupNames(names[frel], fkey)
		if !ok1 || !ok2 || len(fk.cols) != len(fk.fcols) {
			return nil, fmt.Errorf("foreign key %q references columns missing from the catalog snapshot", fk.name)
		}
		out = append(out, fk)
	}
	return out, rows.Err()
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

// buildRelationships derives every relationship from the foreign keys, as
// PostgREST does in memory: each FK gives an M2O (or O2O) and its inverse
// O2M (or O2O parent); a table holding two different FKs whose columns
// together lie within its primary key is a junction giving M2M
// relationships between the two referenced tables, in both directions. FKs
// are indexed by table so this stays linear in the number of FKs per table
// (PostgREST #4360: a nested loop over all relationships is quadratic).
func buildRelationships(sc *SchemaCache, fks []foreignKey) []Relationship {
	rels := make([]Relationship, 0, 2*len(fks))
	byTable := map[QI][]*foreignKey{}
	for i := range fks {
		fk := &fks[i]
		fwd := Relationship{
			Table: fk.table, ForeignTable: fk.ftable, IsSelf: fk.table == fk.ftable,
			Cardinality: M2O, Constraint: fk.name, Columns: pairs(fk.cols, fk.fcols),
		}
		inv := Relationship{
			Table: fk.ftable, ForeignTable: fk.table, IsSelf: fwd.IsSelf,
			Cardinality: O2M, Constraint: fk.name, Columns: pairs(fk.fcols, fk.cols),
		}
		if fk.oneToOne {
			fwd.Cardinality, inv.Cardinality, inv.IsParent = O2O, O2O, true
		}
		rels = append(rels, fwd, inv)
		byTable[fk.table] = append(byTable[fk.table], fk)
	}
	for jt, jfks := range byTable {
		t := sc.tableByQI(jt)
		if t == nil || len(t.PKCols) == 0 || len(jfks) < 2 {
			continue
		}
		pk := set(t.PKCols)
		for _, a := range jfks {
			for _, b := range jfks {
				if a == b || !subset(a.cols, pk) || !subset(b.cols, pk) {
					continue
				}
				rels = append(rels, Relationship{
					Table: a.ftable, ForeignTable: b.ftable, IsSelf: a.ftable == b.ftable, Cardinality: M2M,
					Junction: &Junction{
						Table: jt, Constraint1: a.name, Constraint2: b.name,
						ColsSource: pairs(a.cols, a.fcols), ColsTarget: pairs(b.cols, b.fcols),
					},
				})
			}
		}
	}
	sortRelationships(rels)
	return rels
}

// sortRelationships orders relationships as PostgREST's derived Ord does
// (origin, target, self, cardinality O2M < M2O < O2O < M2M, then the
// constraint or junction), which fixes the order of PGRST201 details.
func sortRelationships(rels []Relationship) {
	rank := map[Cardinality]int{O2M: 0, M2O: 1, O2O: 2, M2M: 3}
	key := func(r *Relationship) string {
		if r.Junction != nil {
			return r.Junction.Table.String() + "\x00" + r.Junction.Constraint1 + "\x00" + r.Junction.Constraint2
		}
		return r.Constraint
	}
	sort.SliceStable(rels, func(i, j int) bool {
		a, b := &rels[i], &rels[j]
		switch {
		case a.Table != b.Table:
			return less(a.Table, b.Table)
		case a.ForeignTable != b.ForeignTable:
			return less(a.ForeignTable, b.ForeignTable)
		case a.IsSelf != b.IsSelf:
			return !a.IsSelf
		case a.Cardinality != b.Cardinality:
			return rank[a.Cardinality] < rank[b.Cardinality]
		}
		return key(a) < key(b)
	})
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
