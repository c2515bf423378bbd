package snapshot_test

import (
	"strings"
	"testing"

	"github.com/pgrest-lambda/pgrest-lambda/internal/snapshot"
)

// TestDecodeRejectsTamperedSQLText: a snapshot whose routine parameter
// type was rewritten into SQL does not decode, so a reader keeps its last
// good snapshot.
func TestDecodeRejectsTamperedSQLText(t *testing.T) {
	s := sampleSnapshot()
	if _, err := snapshot.Decode(mustEncodeSnapshot(t, s)); err != nil {
		t.Fatalf("untampered: %v", err)
	}
	tampered := false
	for i := range s.Cache.Routines {
		if len(s.Cache.Routines[i].Params) > 0 {
			s.Cache.Routines[i].Params[0].Type = "integer), LATERAL (SELECT set_config('role', 'postgres', true)) AS x(y"
			tampered = true
			break
		}
	}
	if !tampered {
		t.Fatal("the sample snapshot has no routine parameter")
	}
	if _, err := snapshot.Decode(mustEncodeSnapshot(t, s)); err == nil || !strings.Contains(err.Error(), "invalid type") {
		t.Fatalf("tampered blob decoded: %v", err)
	}
}

func mustEncodeSnapshot(t *testing.T, s *snapshot.Snapshot) []byte {
	t.Helper()
	b, err := s.Encode()
	if err != nil {
		t.Fatal(err)
	}
	return b
}
