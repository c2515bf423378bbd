package query

import (
	"reflect"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgtype"

	"github.com/pgrest-lambda/pgrest-lambda/internal/plan"
	"github.com/pgrest-lambda/pgrest-lambda/internal/schemacache"
)

func TestPreQueryOrder(t *testing.T) {
	s := plan.TxSettings{
		Schema: "api", ExtraSearchPath: []string{"public", `x"y`},
		Role: "web", RoleSettings: map[string]string{"statement_timeout": "1s"},
		Method: "GET", Path: "/rpc/f", Claims: `{"role":"web"}`, Headers: `{"accept":"*/*"}`,
		FuncSettings: []schemacache.Setting{{Name: "statement_timeout", Value: "5s"}, {Name: "work_mem", Value: "1MB"}},
		AppSettings:  map[string]string{"app.settings.b": "2", "app.settings.a": "1"},
	}
	sql, args := PreQuery(s)
	want := []string{`"api", "public", "x""y"`, "statement_timeout", "1s", "web", `{"role":"web"}`, "GET", "/rpc/f",
		`{"accept":"*/*"}`, "{}", "statement_timeout", "5s", "work_mem", "1MB", "app.settings.a", "1", "app.settings.b", "2"}
	if got := encodeText(t, args); !reflect.DeepEqual(got, want) {
		t.Fatalf("args = %q, want %q", got, want)
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

// encodeText is what pgx sends for args as text parameters of unknown
// type, as the pool's exec mode does.
func encodeText(t *testing.T, args []any) []string {
	t.Helper()
	m := pgtype.NewMap()
	out := make([]string, len(args))
	for i, a := range args {
		b, err := m.Encode(0, pgtype.TextFormatCode, a, nil)
		if err != nil {
			t.Fatalf("args[%d]: %v", i, err)
		}
		out[i] = string(b)
	}
	return out
}

// TestPreQueryArgsAllocs: the arguments of a request's settings are
// stored without an allocation each, and pgx encodes them without one.
func TestPreQueryArgsAllocs(t *testing.T) {
	s := &plan.TxSettings{Schema: "api", ExtraSearchPath: []string{"public"}, Role: "web", Method: "GET",
		Path: "/books", Claims: `{"role":"web"}`, Headers: `{"accept":"*/*"}`}
	var dst [16]any
	AppendPreQuery(dst[:0], s) // memoises the search path
	if n := testing.AllocsPerRun(100, func() { AppendPreQuery(dst[:0], s) }); n != 0 {
		t.Errorf("AppendPreQuery: %v allocations", n)
	}
	_, args := AppendPreQuery(dst[:0], s)
	m := pgtype.NewMap()
	buf := make([]byte, 0, 256)
	encode := func() {
		for _, a := range args {
			if _, err := m.Encode(0, pgtype.TextFormatCode, a, buf[:0]); err != nil {
				t.Fatal(err)
			}
		}
	}
	encode() // plans the encoding of each type
	if n := testing.AllocsPerRun(100, encode); n != 0 {
		t.Errorf("encoding: %v allocations", n)
	}
}
