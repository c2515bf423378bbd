package schemacache

import (
	"cmp"
	"fmt"
	"slices"
)

// EntriesPerSection is about how many tables and routine names a section
// holds: SectionCount sizes the bucket count from it, so a section stays
// small (tens of kB) whatever the size of the catalog.
const EntriesPerSection = 32

// Section is the part of a cache that is stored, loaded and decoded
// together: the tables and routines whose qualified names fall in one
// bucket (SectionOf), and the relationships whose origin (Relationship.Table)
// does. Each slice keeps the cache's order.
type Section struct {
	Tables        []Table
	Relationships []Relationship
	Routines      []Routine

	tables   map[QI]*Table
	rels     map[QI][]*Relationship
	routines map[QI][]*Routine
}

// Names are the qualified names of a cache's tables, routines (each name
// once, however many overloads) and relationship origins (each once), in
// cache order: what fuzzy hints on errors need without loading every
// section, and the order Merge restores.
type Names struct {
	Tables   []QI
	Routines []QI
	Origins  []QI
}

// SectionCount returns the number of buckets for a cache of tables tables
// and routines distinct routine names: one per EntriesPerSection entries,
// at least one.
func SectionCount(tables, routines int) int {
	return max(1, (tables+routines+EntriesPerSection-1)/EntriesPerSection)
}

// SectionOf returns the bucket, in [0, n), of the qualified name qi: the
// FNV-1a hash of schema, a NUL byte and name, modulo n. It is part of the
// snapshot format: writers and readers must agree on it. n must be positive.
func SectionOf(qi QI, n int) int {
	const offset, prime = 2166136261, 16777619
	h := uint32(offset)
	for i := 0; i < len(qi.Schema); i++ {
		h = (h ^ uint32(qi.Schema[i])) * prime
	}
	h *= prime // the NUL byte: h ^ 0 == h
	for i := 0; i < len(qi.Name); i++ {
		h = (h ^ uint32(qi.Name[i])) * prime
	}
	return int(h % uint32(n))
}

// Split distributes the tables, relationships and routines of sc into n
// sections by SectionOf (a relationship goes with its origin), keeping the
// cache's order in each, and returns them with the names of sc. sc is
// not modified; the sections share its elements' nested slices.
func (sc *SchemaCache) Split(n int) ([]*Section, *Names) {
	secs := make([]*Section, n)
	for i := range secs {
		secs[i] = &Section{}
	}
	names := &Names{Tables: make([]QI, 0, len(sc.Tables))}
	for i := range sc.Tables {
		t := &sc.Tables[i]
		s := secs[SectionOf(t.QI(), n)]
		s.Tables = append(s.Tables, *t)
		names.Tables = append(names.Tables, t.QI())
	}
	for i := range sc.Relationships {
		r := &sc.Relationships[i]
		s := secs[SectionOf(r.Table, n)]
		s.Relationships = append(s.Relationships, *r)
		if i == 0 || sc.Relationships[i-1].Table != r.Table {
			names.Origins = append(names.Origins, r.Table)
		}
	}
	seen := map[QI]bool{}
	for i := range sc.Routines {
		r := &sc.Routines[i]
		s := secs[SectionOf(r.QI(), n)]
		s.Routines = append(s.Routines, *r)
		if !seen[r.QI()] {
			seen[r.QI()] = true
			names.Routines = append(names.Routines, r.QI())
		}
	}
	return secs, names
}

// RoutineNameCount returns the number of distinct routine names of sc.
func (sc *SchemaCache) RoutineNameCount() int {
	seen := make(map[QI]struct{}, len(sc.Routines))
	for i := range sc.Routines {
		seen[sc.Routines[i].QI()] = struct{}{}
	}
	return len(seen)
}

// Check reports the first entry of s that does not belong in bucket i of
// n (SectionOf), or a type or default the query stage could not write as
// SQL text (see SchemaCache.Validate).
func (s *Section) Check(i, n int) error {
	for j := range s.Tables {
		if SectionOf(s.Tables[j].QI(), n) != i {
			return misplaced("table", s.Tables[j].QI(), i)
		}
	}
	for j := range s.Relationships {
		if SectionOf(s.Relationships[j].Table, n) != i {
			return misplaced("relationship from", s.Relationships[j].Table, i)
		}
	}
	for j := range s.Routines {
		if SectionOf(s.Routines[j].QI(), n) != i {
			return misplaced("routine", s.Routines[j].QI(), i)
		}
	}
	if err := validateTables(s.Tables); err != nil {
		return err
	}
	if err := validateRoutines(s.Routines); err != nil {
		return err
	}
	return nil
}

// Index builds the lookup indexes of s; a lazy cache's accessors need them
// (SectionSource.Sections returns indexed sections).
func (s *Section) Index() {
	s.tables, s.rels, s.routines = index(s.Tables, s.Relationships, s.Routines)
}

// Merge returns a whole cache with head's schemas, PostgreSQL version,
// media handlers, representations and timings and the entries of secs,
// in the order of names: tables as names.Tables lists them, relationships
// grouped by origin as names.Origins lists them, routines grouped by name
// as names.Routines does, each group in its section's order; entries
// names does not list come last, by qualified name. It is the inverse of
// Split for any cache whose relationships and overloads are grouped (as
// Load builds them).
func Merge(head *SchemaCache, secs []*Section, names *Names) *SchemaCache {
	out := &SchemaCache{Schemas: head.Schemas, PgVersion: head.PgVersion, MediaHandlers: head.MediaHandlers,
		Representations: head.Representations, Timings: head.Timings}
	var nt, nr, nro int
	for _, s := range secs {
		nt, nr, nro = nt+len(s.Tables), nr+len(s.Relationships), nro+len(s.Routines)
	}
	// Empty lists stay nil, as decoded.
	if nt > 0 {
		out.Tables = make([]Table, 0, nt)
	}
	if nr > 0 {
		out.Relationships = make([]Relationship, 0, nr)
	}
	if nro > 0 {
		out.Routines = make([]Routine, 0, nro)
	}
	for _, s := range secs {
		out.Tables = append(out.Tables, s.Tables...)
		out.Relationships = append(out.Relationships, s.Relationships...)
		out.Routines = append(out.Routines, s.Routines...)
	}
	if names == nil {
		names = &Names{}
	}
	tpos, opos, rpos := positions(names.Tables), positions(names.Origins), positions(names.Routines)
	out.Tables = inOrder(out.Tables, tpos, (*Table).QI)
	out.Relationships = inOrder(out.Relationships, opos, func(r *Relationship) QI { return r.Table })
	out.Routines = inOrder(out.Routines, rpos, (*Routine).QI)
	out.Index()
	return out
}

// positions maps each name to its first index in qis.
func positions(qis []QI) map[QI]int {
	m := make(map[QI]int, len(qis))
	for i, q := range qis {
		if _, ok := m[q]; !ok {
			m[q] = i
		}
	}
	return m
}

// inOrder returns xs stably ordered by the position of their name in pos,
// unlisted names last by qualified name. Each name is looked up once and
// the sort moves indexes, not the (large) values: a whole cache of
// thousands of relations is put back in order in linear-logarithmic time
// over integers.
func inOrder[T any](xs []T, pos map[QI]int, name func(*T) QI) []T {
	if len(xs) < 2 {
		return xs
	}
	keys := make([]int, len(xs))
	idx := make([]int, len(xs))
	for i := range xs {
		p, ok := pos[name(&xs[i])]
		if !ok {
			p = len(pos)
		}
		keys[i], idx[i] = p, i
	}
	slices.SortStableFunc(idx, func(a, b int) int {
		if c := cmp.Compare(keys[a], keys[b]); c != 0 || keys[a] < len(pos) {
			return c
		}
		return compareQI(name(&xs[a]), name(&xs[b]))
	})
	out := make([]T, len(xs))
	for i, j := range idx {
		out[i] = xs[j]
	}
	return out
}

// sortedNames returns the names of a schema, sorted, without duplicates.
func sortedNames(qis []QI, schema string) []string {
	var out []string
	for _, q := range qis {
		if q.Schema == schema {
			out = append(out, q.Name)
		}
	}
	slices.SortFunc(out, cmp.Compare[string])
	return slices.Compact(out)
}

func misplaced(what string, qi QI, i int) error {
	return fmt.Errorf("%s %s: not in section %d", what, qi, i)
}
