package snapshot_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"testing"

	sc "github.com/pgrest-lambda/pgrest-lambda/internal/schemacache"
	"github.com/pgrest-lambda/pgrest-lambda/internal/snapshot"
)

// bigCache is a cache of n tables api.t0..t(n-1), each related to the next.
func bigCache(n int) *sc.SchemaCache {
	c := &sc.SchemaCache{Schemas: []string{"api"}}
	for i := range n {
		c.Tables = append(c.Tables, sc.Table{Schema: "api", Name: fmt.Sprintf("t%05d", i), PKCols: []string{"id"},
			Columns: []sc.Column{{Name: "id", Type: "integer", NominalType: "integer"}}})
	}
	for i := range n - 1 {
		c.Relationships = append(c.Relationships, sc.Relationship{Table: c.Tables[i].QI(), ForeignTable: c.Tables[i+1].QI(),
			Cardinality: sc.M2O, Constraint: "fk", Columns: []sc.ColumnPair{{Col: "id", FCol: "id"}}})
	}
	return c
}

// headAndSections splits a whole blob the way cachestore stores it.
func headAndSections(t *testing.T, blob []byte) ([]byte, [][]byte) {
	t.Helper()
	head, secs, err := snapshot.SplitBlob(blob)
	if err != nil {
		t.Fatal(err)
	}
	return head, secs
}

// countingFetcher serves sections and counts what it was asked for.
type countingFetcher struct {
	secs   [][]byte
	asked  []int
	failOn int // section whose fetch fails, -1 none
}

func (f *countingFetcher) fetch(_ context.Context, idx []int) ([][]byte, error) {
	out := make([][]byte, len(idx))
	for j, i := range idx {
		if i == f.failOn {
			return nil, errors.New("redis down")
		}
		f.asked = append(f.asked, i)
		out[j] = f.secs[i]
	}
	return out, nil
}

// Opening a head decodes no section; a request for one table loads only
// its section; the whole cache equals DecodeWith's.
func TestOpenLoadsOnlyWhatIsAsked(t *testing.T) {
	keys := mustKeys(t, keyA, "")
	blob, err := snapshot.EncodeWithKeys(bigCache(500), keys)
	if err != nil {
		t.Fatal(err)
	}
	head, secs := headAndSections(t, blob)
	f := &countingFetcher{secs: secs, failOn: -1}
	s, err := snapshot.Open(head, keys, f.fetch, nil)
	if err != nil {
		t.Fatal(err)
	}
	if loaded, n := s.Cache.SectionsLoaded(); loaded != 0 || n < 10 {
		t.Fatalf("after Open: %d of %d sections loaded, want 0 of at least 10", loaded, n)
	}
	qi := sc.QI{Schema: "api", Name: "t00042"}
	v := s.Cache.View()
	if v.Table(qi) != nil || !v.Missed() {
		t.Fatal("Table of a section not loaded: want nil and a recorded miss")
	}
	if err := v.Prefetch(context.Background()); err != nil {
		t.Fatal(err)
	}
	if tb := v.Table(qi); tb == nil || tb.Name != "t00042" || v.Missed() {
		t.Fatalf("after Prefetch: Table = %v, missed %v", tb, v.Missed())
	}
	if len(f.asked) != 1 {
		t.Errorf("fetched sections %v, want one", f.asked)
	}
	if rels := v.RelationshipsFrom(qi); len(rels) != 1 || rels[0].ForeignTable.Name != "t00043" {
		t.Errorf("RelationshipsFrom = %v", rels)
	}
	// Names for fuzzy hints are their own section.
	if v.TableNames("api") != nil || !v.Missed() {
		t.Fatal("TableNames before the names are loaded: want nil and a miss")
	}
	if err := v.Prefetch(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := v.TableNames("api"); len(got) != 500 {
		t.Errorf("TableNames: %d names", len(got))
	}
	whole, err := s.Cache.Complete(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want, err := snapshot.DecodeWith(blob, keys)
	if err != nil {
		t.Fatal(err)
	}
	if len(whole.Tables) != 500 || len(whole.Relationships) != 499 || whole.Tables[42].Name != "t00042" ||
		whole.Relationships[498].Table.Name != want.Cache.Relationships[498].Table.Name {
		t.Errorf("Complete: %d tables, %d relationships", len(whole.Tables), len(whole.Relationships))
	}
}

// A section whose bytes are not those the signed head lists is rejected
// (not authentic), and so is a whole blob carrying one; the snapshot
// stays usable for the other sections.
func TestTamperedSectionRejected(t *testing.T) {
	keys := mustKeys(t, keyA, "")
	blob, err := snapshot.EncodeWithKeys(bigCache(200), keys)
	if err != nil {
		t.Fatal(err)
	}
	head, secs := headAndSections(t, blob)
	qi := sc.QI{Schema: "api", Name: "t00007"}
	i := sc.SectionOf(qi, len(secs)-1)
	tampered := bytes.Clone(secs[i])
	tampered[len(tampered)-1] ^= 1
	forged := append([][]byte(nil), secs...)
	forged[i] = tampered
	f := &countingFetcher{secs: forged, failOn: -1}
	s, err := snapshot.Open(head, keys, f.fetch, nil)
	if err != nil {
		t.Fatal(err)
	}
	v := s.Cache.View()
	v.Table(qi)
	if err := v.Prefetch(context.Background()); !errors.Is(err, snapshot.ErrNotAuthentic) {
		t.Fatalf("Prefetch of a tampered section: %v, want ErrNotAuthentic", err)
	}
	if v.Table(qi) != nil {
		t.Error("a tampered section was loaded")
	}
	// Another section still loads (in a view that did not miss the bad one).
	v = s.Cache.View()
	for j := range 200 {
		other := sc.QI{Schema: "api", Name: fmt.Sprintf("t%05d", j)}
		if sc.SectionOf(other, len(secs)-1) != i {
			if err := v.Prefetch(context.Background(), other); err != nil || v.Table(other) == nil {
				t.Fatalf("untampered section: %v", err)
			}
			break
		}
	}
	whole := append(bytes.Clone(head), bytes.Join(forged, nil)...)
	if _, err := snapshot.DecodeWith(whole, keys); !errors.Is(err, snapshot.ErrNotAuthentic) {
		t.Errorf("DecodeWith of a blob with a tampered section: %v, want ErrNotAuthentic", err)
	}
	// A fetch failure is an error, not a missing table.
	f2 := &countingFetcher{secs: secs, failOn: i}
	s2, _ := snapshot.Open(head, keys, f2.fetch, nil)
	if err := s2.Cache.View().Prefetch(context.Background(), qi); err == nil {
		t.Error("Prefetch with a failing fetch: no error")
	}
}

// A new version reuses the decoded sections whose digests did not change:
// only the changed section is fetched.
func TestOpenReusesUnchangedSections(t *testing.T) {
	c := bigCache(300)
	blob1, _ := snapshot.EncodeWithKeys(c, nil)
	head1, secs1 := headAndSections(t, blob1)
	f1 := &countingFetcher{secs: secs1, failOn: -1}
	s1, err := snapshot.Open(head1, nil, f1.fetch, nil)
	if err != nil {
		t.Fatal(err)
	}
	all, err := s1.Cache.Complete(context.Background())
	if err != nil || len(all.Tables) != 300 {
		t.Fatal(err)
	}
	c.Tables[5].Description = "changed"
	blob2, _ := snapshot.EncodeWithKeys(c, nil)
	head2, secs2 := headAndSections(t, blob2)
	f2 := &countingFetcher{secs: secs2, failOn: -1}
	s2, err := snapshot.Open(head2, nil, f2.fetch, s1)
	if err != nil {
		t.Fatal(err)
	}
	loaded, n := s2.Cache.SectionsLoaded()
	if loaded != n-1 {
		t.Errorf("reused %d of %d sections, want all but the changed one", loaded, n)
	}
	v := s2.Cache.View()
	if err := v.Prefetch(context.Background(), c.Tables[5].QI()); err != nil {
		t.Fatal(err)
	}
	if tb := v.Table(c.Tables[5].QI()); tb == nil || tb.Description != "changed" {
		t.Errorf("changed table = %v", tb)
	}
	if len(f2.asked) != 1 {
		t.Errorf("fetched %v, want only the changed section", f2.asked)
	}
}
