package openapi

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/pgrest-lambda/pgrest-lambda/internal/config"
	"github.com/pgrest-lambda/pgrest-lambda/internal/schemacache"
)

func TestSwaggerType(t *testing.T) {
	for pg, want := range map[string]string{
		"text": "string", "character varying": "string", "character": "string", "boolean": "boolean",
		"smallint": "integer", "integer": "integer", "bigint": "integer", "numeric": "number",
		"real": "number", "double precision": "number", "json": "", "jsonb": "",
		"integer[]": "array", "jsonb[]": "array", "uuid": "string", "timestamp with time zone": "string",
		"api.book_format": "string",
	} {
		if got := swaggerType(pg); got != want {
			t.Errorf("swaggerType(%q) = %q, want %q", pg, got, want)
		}
	}
	if it := itemsOf("integer[]"); it == nil || it.Type != "integer" {
		t.Errorf("itemsOf(integer[]) = %+v", it)
	}
	if it := itemsOf("jsonb[]"); it == nil || it.Type != "" {
		t.Errorf("itemsOf(jsonb[]) = %+v", it)
	}
	if it := itemsOf("text"); it != nil {
		t.Errorf("itemsOf(text) = %+v", it)
	}
}

func TestDefaultValue(t *testing.T) {
	for _, c := range []struct{ typ, def, want string }{
		{"text", "'abc'::text", `"abc"`},
		{"api.book_format", "'paperback'::api.book_format", `"paperback"`},
		{"timestamp with time zone", "now()", `"now()"`},
		{"integer", "42", `42`},
		{"numeric", "1.5", `1.5`},
		{"boolean", "true", `true`},
		{"integer", "nextval('api.t_id_seq'::regclass)", ""},
		{"integer", "'-1'::integer", ""},
		{"text", `'say "hi"'::text`, ""},
		{"jsonb", `'{}'::jsonb`, ""},
	} {
		got := string(defaultValue(c.typ, &c.def))
		if got != c.want {
			t.Errorf("defaultValue(%q, %q) = %q, want %q", c.typ, c.def, got, c.want)
		}
	}
	if defaultValue("text", nil) != nil {
		t.Error("no default must give none")
	}
}

func TestServerFor(t *testing.T) {
	for _, c := range []struct {
		proxy, host string
		port        int
		want        Server
		hostPort    string
	}{
		{"", "127.0.0.1", 3000, Server{"http", "127.0.0.1", 3000, "/"}, "127.0.0.1:3000"},
		{"", "!4", 3000, Server{"http", "0.0.0.0", 3000, "/"}, "0.0.0.0:3000"},
		{"https://api.example.com", "", 0, Server{"https", "api.example.com", 443, "/"}, "api.example.com:443"},
		{"HTTP://api.example.com/v1/rest", "", 0, Server{"http", "api.example.com", 80, "/v1/rest"}, "api.example.com:80"},
		{"https://api.example.com:8443/base", "", 0, Server{"https", "api.example.com", 8443, "/base"}, "api.example.com:8443"},
		{"http://[::1]:8080", "", 0, Server{"http", "[::1]", 8080, "/"}, "[::1]:8080"},
	} {
		got := ServerFor(&config.Config{OpenAPIServerProxyURI: c.proxy, ServerHost: c.host, ServerPort: c.port})
		if got != c.want || hostPort(got) != c.hostPort {
			t.Errorf("proxy %q: %+v (%s), want %+v (%s)", c.proxy, got, hostPort(got), c.want, c.hostPort)
		}
	}
}

// fixture is a small cache: a table, a view over it exposing the same
// key, a table referencing the view and the table, and overloads.
func fixture() *schemacache.SchemaCache {
	sc := &schemacache.SchemaCache{
		Schemas: []string{"s"},
		Tables: []schemacache.Table{
			{Schema: "s", Name: "a", Insertable: true, PKCols: []string{"id"},
				Columns: []schemacache.Column{{Name: "id", Type: "integer"}}},
			{Schema: "s", Name: "a_view", IsView: true, Columns: []schemacache.Column{{Name: "id", Type: "integer"}}},
			{Schema: "s", Name: "b", Description: "First line\n\n\nMore text", Columns: []schemacache.Column{
				{Name: "a_id", Type: "integer", Nullable: true, Description: "Owner"},
				{Name: "tags", Type: "text[]", Nullable: true},
				{Name: "doc", Type: "jsonb"},
			}},
			{Schema: "other", Name: "hidden"},
		},
		Relationships: []schemacache.Relationship{
			{Table: schemacache.QI{Schema: "s", Name: "b"}, ForeignTable: schemacache.QI{Schema: "s", Name: "a_view"},
				Cardinality: schemacache.M2O, Columns: []schemacache.ColumnPair{{Col: "a_id", FCol: "id"}}},
			{Table: schemacache.QI{Schema: "s", Name: "b"}, ForeignTable: schemacache.QI{Schema: "s", Name: "a"},
				Cardinality: schemacache.M2O, Columns: []schemacache.ColumnPair{{Col: "a_id", FCol: "id"}}},
		},
		Routines: []schemacache.Routine{
			{Schema: "s", Name: "f", Volatility: schemacache.Stable},
			{Schema: "s", Name: "f", Volatility: schemacache.Stable, Params: []schemacache.RoutineParam{
				{Name: "x", Type: "integer", Required: true}}},
			{Schema: "s", Name: "v", Volatility: schemacache.Stable, Params: []schemacache.RoutineParam{
				{Name: "xs", Type: "text[]", Required: true, Variadic: true}}},
		},
	}
	sc.Index()
	return sc
}

func decode(t *testing.T, sc *schemacache.SchemaCache, opts Options) map[string]any {
	t.Helper()
	body, err := Document(sc, opts)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(body, &doc); err != nil {
		t.Fatal(err)
	}
	return doc
}

func get(v any, path ...string) any {
	for _, k := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

func TestDocumentFixture(t *testing.T) {
	doc := decode(t, fixture(), Options{Schema: "s", Server: Server{"http", "h", 1, "/"}})
	if got := get(doc, "info", "title"); got != "PostgREST API" {
		t.Errorf("default title = %v", got)
	}
	if got := get(doc, "definitions", "hidden"); got != nil {
		t.Error("a relation of another schema is described")
	}
	// Tables are preferred to views for the foreign key note.
	if got := get(doc, "definitions", "b", "properties", "a_id", "description"); got !=
		"Owner\n\nNote:\nThis is a Foreign Key to `a.id`.<fk table='a' column='id'/>" {
		t.Errorf("b.a_id description = %q", got)
	}
	if got := get(doc, "definitions", "b", "properties", "tags", "items", "type"); got != "string" {
		t.Errorf("b.tags items type = %v", got)
	}
	if got := get(doc, "definitions", "b", "properties", "doc"); get(got, "type") != nil || get(got, "format") != "jsonb" {
		t.Errorf("b.doc = %v", got)
	}
	if got := get(doc, "definitions", "b", "required"); len(got.([]any)) != 1 {
		t.Errorf("b.required = %v", got)
	}
	// b is neither insertable, updatable nor deletable: read only.
	if p := get(doc, "paths", "/b").(map[string]any); len(p) != 1 || p["get"] == nil {
		t.Errorf("/b = %v", p)
	}
	if got := get(doc, "paths", "/b", "get", "summary"); got != "First line" {
		t.Errorf("/b summary = %v", got)
	}
	if got := get(doc, "paths", "/b", "get", "description"); got != "More text" {
		t.Errorf("/b description = %v", got)
	}
	if p := get(doc, "paths", "/a").(map[string]any); len(p) != 4 {
		t.Errorf("/a = %v", p)
	}
	v := get(doc, "paths", "/rpc/v", "get", "parameters").([]any)[0]
	if get(v, "type") != "array" || get(v, "collectionFormat") != "multi" || get(v, "items", "format") != "text" {
		t.Errorf("variadic parameter = %v", v)
	}
	if got := get(doc, "paths", "/rpc/f", "get", "parameters"); got == nil || len(got.([]any)) != 1 {
		t.Errorf("/rpc/f GET parameters = %v", got)
	}
}

func TestDocumentFollowsPrivileges(t *testing.T) {
	sc := fixture()
	access := &Access{
		SchemaDescription: ptr("My API\nWhat it does"),
		Privileges:        true,
		Tables:            []string{"b"},
		Routines:          []string{RoutineSignature("f", nil), RoutineSignature("v", []string{"text[]"})},
	}
	doc := decode(t, sc, Options{Schema: "s", Server: Server{"http", "h", 1, "/"}, Access: access})
	if get(doc, "info", "title") != "My API" || get(doc, "info", "description") != "What it does" {
		t.Errorf("info = %v", doc["info"])
	}
	var paths []string
	for p := range doc["paths"].(map[string]any) {
		paths = append(paths, p)
	}
	if got := strings.Join(slices.Sorted(slices.Values(paths)), " "); got != "/ /b /rpc/f /rpc/v" {
		t.Errorf("paths = %s", got)
	}
	// Only f() is executable, so it describes /rpc/f, not f(x).
	if got := get(doc, "paths", "/rpc/f", "get", "parameters"); got != nil {
		t.Errorf("/rpc/f parameters = %v", got)
	}
	if get(doc, "parameters", "body.a") != nil || get(doc, "parameters", "rowFilter.b.a_id", "description") != "Owner" {
		t.Errorf("parameters = %v", doc["parameters"])
	}
	// Without privileges checked, everything in the schema shows.
	access.Privileges = false
	doc = decode(t, sc, Options{Schema: "s", Server: Server{"http", "h", 1, "/"}, Access: access})
	if get(doc, "definitions", "a") == nil || get(doc, "paths", "/rpc/f", "get", "parameters") == nil {
		t.Error("ignore-privileges hides objects")
	}
}

func ptr[T any](v T) *T { return &v }

// TestSecurityActive: openapi-security-active adds PostgREST's JWT scheme
// and a document-level requirement of it; without it neither key exists.
func TestSecurityActive(t *testing.T) {
	off := decode(t, fixture(), Options{Schema: "s", Server: Server{"http", "h", 1, "/"}})
	if _, ok := off["securityDefinitions"]; ok {
		t.Error("securityDefinitions without the setting")
	}
	if _, ok := off["security"]; ok {
		t.Error("security without the setting")
	}
	on := decode(t, fixture(), Options{Schema: "s", Server: Server{"http", "h", 1, "/"}, SecurityActive: true})
	got, _ := json.Marshal(map[string]any{"security": on["security"], "securityDefinitions": on["securityDefinitions"]})
	want := `{"security":[{"JWT":[]}],"securityDefinitions":{"JWT":{"description":"Add the token prepending \"Bearer \" (without quotes) to it","in":"header","name":"Authorization","type":"apiKey"}}}`
	if string(got) != want {
		t.Errorf("got %s\nwant %s", got, want)
	}
}
