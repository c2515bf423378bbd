package query

import (
	"reflect"
	"strings"
	"testing"

	"github.com/pgrest-lambda/pgrest-lambda/internal/plan"
	"github.com/pgrest-lambda/pgrest-lambda/internal/schemacache"
)

func TestPreQueryOrder(t *testing.T) {
	s := plan.TxSettings{
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
	if End(plan.TxSettings{}) != "COMMIT" || End(plan.TxSettings{Rollback: true}) != "ROLLBACK" {
		t.Error("end")
	}
}
