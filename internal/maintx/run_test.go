package maintx

import (
	"testing"

	"github.com/pgrest-lambda/pgrest-lambda/internal/query"
)

func TestBeginBatch(t *testing.T) {
	for _, tc := range []struct {
		level    string
		readOnly bool
		want     string
	}{
		{"", true, "BEGIN ISOLATION LEVEL READ COMMITTED READ ONLY"},
		{"read committed", false, "BEGIN ISOLATION LEVEL READ COMMITTED READ WRITE"},
		{"repeatable read", true, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"},
		{"serializable", false, "BEGIN ISOLATION LEVEL SERIALIZABLE READ WRITE"},
		// Anything else cannot reach the SQL text.
		{"serializable; DROP TABLE x", false, "BEGIN ISOLATION LEVEL READ COMMITTED READ WRITE"},
	} {
		b := beginBatch(query.TxSettings{IsolationLevel: tc.level, ReadOnly: tc.readOnly, SearchPath: []string{"api"}})
		if got := b.QueuedQueries[0].SQL; got != tc.want {
			t.Errorf("level %q: %s, want %s", tc.level, got, tc.want)
		}
	}
}

func TestBeginBatchPreRequest(t *testing.T) {
	b := beginBatch(query.TxSettings{PreRequest: `SELECT "auth"."check"()`})
	if n := len(b.QueuedQueries); n != 3 || b.QueuedQueries[2].SQL != `SELECT "auth"."check"()` {
		t.Fatalf("queued %d: %+v", n, b.QueuedQueries)
	}
	if n := len(beginBatch(query.TxSettings{}).QueuedQueries); n != 2 {
		t.Fatalf("without a pre-request: %d statements", n)
	}
}
