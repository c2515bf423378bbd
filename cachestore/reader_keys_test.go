package cachestore_test

import (
	"context"
	"log/slog"
	"strings"
	"testing"

	"github.com/pgrest-lambda/pgrest-lambda/cachestore"
	"github.com/pgrest-lambda/pgrest-lambda/internal/schemacache"
	"github.com/pgrest-lambda/pgrest-lambda/internal/snapshot"
	"github.com/pgrest-lambda/pgrest-lambda/internal/testharness"
)

// countLines returns how many times sub appears in the logs.
func countLines(logs *testharness.SyncBuffer, sub string) int {
	return strings.Count(logs.String(), sub)
}

func keysFor(t *testing.T, current, previous string) *snapshot.Keys {
	t.Helper()
	var prev []byte
	if previous != "" {
		prev = []byte(previous)
	}
	k, err := snapshot.NewKeys([]byte(current), prev)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// signedBlob encodes a cache holding tables api.<name>, signed with keys.
func signedBlob(t *testing.T, keys *snapshot.Keys, names ...string) []byte {
	t.Helper()
	sc := &schemacache.SchemaCache{Schemas: []string{"api"}}
	for _, n := range names {
		sc.Tables = append(sc.Tables, schemacache.Table{Schema: "api", Name: n})
	}
	blob, err := (&snapshot.Snapshot{Cache: sc}).EncodeWith(keys)
	if err != nil {
		t.Fatal(err)
	}
	return blob
}

const (
	readerKeyA = "reader key A 0123456789abcdef0123456789"
	readerKeyB = "reader key B 0123456789abcdef0123456789"
)

// A reader with keys serves only authentic blobs: an unsigned one, or one
// signed by an unknown key, is rejected once (counted, logged once) and the
// last good snapshot stays; the previous key is accepted during a rotation.
func TestReaderRejectsUnauthenticBlobs(t *testing.T) {
	s, _ := newStore(t)
	s.Keys = keysFor(t, readerKeyA, "")
	var logs testharness.SyncBuffer
	r := cachestore.NewReader(s, slog.New(slog.NewJSONHandler(&logs, nil)))
	good := publishBlob(t, s, signedBlob(t, s.Keys, "good"))
	if sc, v := current(t, r); v != good || tableNames(sc) != "[good]" {
		t.Fatalf("Current = %s v%d", tableNames(sc), v)
	}
	for i, bad := range [][]byte{
		cacheBlob(t, "unsigned"),
		signedBlob(t, keysFor(t, readerKeyB, ""), "otherkey"),
	} {
		publishBlob(t, s, bad)
		for range 20 {
			if sc, v := current(t, r); v != good || tableNames(sc) != "[good]" {
				t.Fatalf("bad blob %d: Current = %s v%d, want [good] v%d", i, tableNames(sc), v, good)
			}
		}
		if got := r.Rejected.Load(); got != int64(i+1) {
			t.Errorf("after bad blob %d: Rejected = %d, want %d", i, got, i+1)
		}
		if got := countLines(&logs, "schema cache blob rejected: not authentic"); got != i+1 {
			t.Errorf("after bad blob %d: %d rejection log lines, want %d:\n%s", i, got, i+1, logs.String())
		}
	}
	if got := countLines(&logs, "serving the last good schema cache"); got != 0 {
		t.Errorf("%d per-call fallback log lines, want none", got)
	}
	// Rotation: readers holding B and A accept blobs of either.
	s.Keys = keysFor(t, readerKeyB, readerKeyA)
	v := publishBlob(t, s, signedBlob(t, keysFor(t, readerKeyA, ""), "signed-by-previous"))
	if sc, got := current(t, r); got != v || tableNames(sc) != "[signed-by-previous]" {
		t.Errorf("previous key: Current = %s v%d, want v%d", tableNames(sc), got, v)
	}
}

// Without keys on either side, blobs are accepted as before.
func TestReaderWithoutKeysAcceptsUnsigned(t *testing.T) {
	s, _ := newStore(t)
	r := cachestore.NewReader(s, nil)
	v := publishBlob(t, s, cacheBlob(t, "a"))
	if sc, got := current(t, r); got != v || tableNames(sc) != "[a]" || r.Rejected.Load() != 0 {
		t.Errorf("Current = %s v%d (rejected %d)", tableNames(sc), got, r.Rejected.Load())
	}
}

// A cold reader (nothing memoised) with an unauthentic current blob
// returns the error rather than serving it.
func TestColdReaderRejectsUnauthentic(t *testing.T) {
	s, _ := newStore(t)
	s.Keys = keysFor(t, readerKeyA, "")
	publishBlob(t, s, cacheBlob(t, "planted"))
	snap, _, err := cachestore.NewReader(s, nil).Current(context.Background())
	if err == nil || snap != nil {
		t.Errorf("Current = %v, %v; want an error", snap, err)
	}
}
