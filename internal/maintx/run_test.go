package query

import (
	"reflect"
	"strings"
	"testing"

	"github.com/pgrest-lambda/pgrest-lambda/internal/schemacache"
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
		b := beginBatch(TxSettings{IsolationLevel: tc.level, ReadOnly: tc.readOnly, SearchPath: []string{"api"}})
		if got := b.QueuedQueries[0].SQL; got != tc.want {
			t.Errorf("level %q: %s, want %s", tc.level, got, tc.want)
		}
	}
}

func TestPreQueryOrder(t *testing.T) {
	s := TxSettings{
		Role: "web", RoleSettings: map[string]string{"statement_timeout": "1s"},
		Method: "GET", Path: "/rpc/f", Claims: `{"role":"web"}`, Headers: `{"accept":"*/*"}`,
		FuncSettings: []schemacache.Setting{{Name: "statement_timeout", Value: "5s"}, {Name: "work_mem", Value: "1MB"}},
		AppSettings:  map[string]string{"app.settings.b": "2", "app.settings.a": "1"},
	}
	sql, args := preQuery(s, `"api"`)
	want := []any{`"api"`, "statement_timeout", "1s", "web", `{"role":"web"}`, "GET", "/rpc/f", `{"accept":"*/*"}`, "{}",
		"statement_timeout", "5s", "work_mem", "1MB", "app.settings.a", "1", "app.settings.b", "2"}
	if !reflect.DeepEqual(args, want) {
		t.Fatalf("args = %q, want %q", args, want)
	}
	// The routine's settings come after the role's, so they win.
	if !strings.HasSuffix(sql, "pg_catalog.set_config('request.cookies', $9, true), pg_catalog.set_config($10, $11, true), "+
		"pg_catalog.set_config($12, $13, true), pg_catalog.set_config($14, $15, true), pg_catalog.set_config($16, $17, true)") {
		t.Errorf("sql = %s", sql)
	}
	if TxSettings.end(TxSettings{}) != "COMMIT" || TxSettings.end(TxSettings{Rollback: true}) != "ROLLBACK" {
		t.Error("end")
	}
}

func TestBeginBatchPreRequest(t *testing.T) {
	b := beginBatch(TxSettings{PreRequest: `SELECT "auth"."check"()`})
	if n := len(b.QueuedQueries); n != 3 || b.QueuedQueries[2].SQL != `SELECT "auth"."check"()` {
		t.Fatalf("queued %d: %+v", n, b.QueuedQueries)
	}
	if n := len(beginBatch(TxSettings{}).QueuedQueries); n != 2 {
		t.Fatalf("without a pre-request: %d statements", n)
	}
}
