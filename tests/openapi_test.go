package tests

import (
	"encoding/json"
	"io"
	"net/http"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/go-openapi/spec"

	"github.com/pgrest-lambda/pgrest-lambda/internal/config"
)

// rootGet requests / with the given headers (name, value pairs).
func (e *env) rootGet(method string, headers ...string) response {
	e.t.Helper()
	req, err := http.NewRequest(method, e.api.URL+"/", nil)
	if err != nil {
		e.t.Fatal(err)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return response{Status: res.StatusCode, Header: res.Header, Body: string(b)}
}

// swagger checks r is a 200 OpenAPI response and decodes it.
func swagger(t *testing.T, r response) *spec.Swagger {
	t.Helper()
	if r.Status != http.StatusOK {
		t.Fatalf("status = %d; body %s", r.Status, r.Body)
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/openapi+json; charset=utf-8" {
		t.Fatalf("Content-Type = %q", ct)
	}
	var sw spec.Swagger
	if err := json.Unmarshal([]byte(r.Body), &sw); err != nil {
		t.Fatalf("not a Swagger document: %v", err)
	}
	if sw.Swagger != "2.0" {
		t.Fatalf("swagger = %q", sw.Swagger)
	}
	return &sw
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func TestOpenAPISampleSchema(t *testing.T) {
	e := sampleEnv(t)
	sw := swagger(t, e.get("/"))
	if sw.Info.Title != "Sample bookshop API served by pgrest-lambda" {
		t.Errorf("title = %q", sw.Info.Title)
	}
	// No proxy URI: PostgREST's server-host and server-port.
	if sw.Host != "127.0.0.1:3000" || sw.BasePath != "/" || !reflect.DeepEqual(sw.Schemes, []string{"http"}) {
		t.Errorf("host %q basePath %q schemes %v", sw.Host, sw.BasePath, sw.Schemes)
	}
	want := []string{"author_profiles", "authors", "book_summaries", "book_tags", "books", "tags"}
	if got := sortedKeys(sw.Definitions); !reflect.DeepEqual(got, want) {
		t.Errorf("definitions = %v", got)
	}
	wantPaths := []string{"/", "/author_profiles", "/authors", "/book_summaries", "/book_tags", "/books",
		"/rpc/add", "/rpc/add_tag", "/rpc/books_by_author", "/rpc/greet", "/rpc/ping", "/tags"}
	if got := sortedKeys(sw.Paths.Paths); !reflect.DeepEqual(got, wantPaths) {
		t.Errorf("paths = %v", got)
	}
	if d := sw.Definitions["books"].Properties["author_id"].Description; !strings.Contains(d, "<fk table='authors' column='id'/>") {
		t.Errorf("books.author_id description = %q", d)
	}

	head := e.rootGet(http.MethodHead)
	if head.Status != http.StatusOK || head.Body != "" || head.Header.Get("Content-Type") != "application/openapi+json; charset=utf-8" {
		t.Errorf("HEAD: %d %q %q", head.Status, head.Header.Get("Content-Type"), head.Body)
	}
	for _, accept := range []string{"application/openapi+json", "application/json", "*/*"} {
		swagger(t, e.rootGet(http.MethodGet, "Accept", accept))
	}
	wantError(t, e.rootGet(http.MethodGet, "Accept", "text/csv"), 406, "PGRST107",
		"None of these media types are available: text/csv", "null", "null")
	if r := e.get("/"); r.Header.Get("Content-Profile") != "" {
		t.Errorf("Content-Profile %q with a single schema", r.Header.Get("Content-Profile"))
	}
}

// privilegesSQL has a table and a function web_anon cannot use, a table it
// can only insert into and a column it can only update.
const privilegesSQL = `
COMMENT ON SCHEMA api IS 'Shop
Orders and items';
CREATE TABLE api.items (id int PRIMARY KEY, name text);
CREATE TABLE api.secrets (id int PRIMARY KEY, value text);
CREATE TABLE api.inbox (id int PRIMARY KEY, body text);
CREATE TABLE api.notes (id int PRIMARY KEY, note text);
REVOKE ALL ON api.secrets, api.inbox, api.notes FROM web_anon;
GRANT INSERT ON api.inbox TO web_anon;
GRANT UPDATE (note) ON api.notes TO web_anon;
CREATE FUNCTION api.visible(x int) RETURNS int LANGUAGE sql STABLE AS 'SELECT x';
CREATE FUNCTION api.hidden() RETURNS int LANGUAGE sql STABLE AS 'SELECT 1';
REVOKE EXECUTE ON FUNCTION api.hidden() FROM PUBLIC, web_anon;
CREATE FUNCTION api.half() RETURNS int LANGUAGE sql STABLE AS 'SELECT 1';
CREATE FUNCTION api.half(x int) RETURNS int LANGUAGE sql STABLE AS 'SELECT x';
REVOKE EXECUTE ON FUNCTION api.half(int) FROM PUBLIC, web_anon;
`

func TestOpenAPIFollowPrivileges(t *testing.T) {
	e := newEnv(t, privilegesSQL, nil)
	sw := swagger(t, e.get("/"))
	if sw.Info.Title != "Shop" || sw.Info.Description != "Orders and items" {
		t.Errorf("info = %q / %q", sw.Info.Title, sw.Info.Description)
	}
	if got := sortedKeys(sw.Definitions); !reflect.DeepEqual(got, []string{"inbox", "items", "notes"}) {
		t.Errorf("definitions = %v", got)
	}
	wantPaths := []string{"/", "/inbox", "/items", "/notes", "/rpc/half", "/rpc/visible"}
	if got := sortedKeys(sw.Paths.Paths); !reflect.DeepEqual(got, wantPaths) {
		t.Errorf("paths = %v", got)
	}
	// Only half() is executable, so /rpc/half takes no arguments.
	if ps := sw.Paths.Paths["/rpc/half"].Get.Parameters; len(ps) != 0 {
		t.Errorf("/rpc/half parameters = %+v", ps)
	}

	// The privileges are the request role's, read at request time.
	mustExec(t, e.db, `GRANT SELECT ON api.secrets TO web_anon`)
	if sw := swagger(t, e.get("/")); sw.Definitions["secrets"].Type == nil {
		t.Error("secrets missing after GRANT")
	}
}

func TestOpenAPIIgnorePrivileges(t *testing.T) {
	e := newEnv(t, privilegesSQL, func(c *config.Config) { c.OpenAPIMode = "ignore-privileges" })
	sw := swagger(t, e.get("/"))
	if got := sortedKeys(sw.Definitions); !reflect.DeepEqual(got, []string{"inbox", "items", "notes", "secrets"}) {
		t.Errorf("definitions = %v", got)
	}
	if _, ok := sw.Paths.Paths["/rpc/hidden"]; !ok {
		t.Error("/rpc/hidden missing")
	}
	if ps := sw.Paths.Paths["/rpc/half"].Get.Parameters; len(ps) != 1 || ps[0].Name != "x" {
		t.Errorf("/rpc/half parameters = %+v", ps)
	}
	if sw.Info.Title != "Shop" {
		t.Errorf("title = %q", sw.Info.Title)
	}
}

func TestOpenAPIDisabled(t *testing.T) {
	e := newEnv(t, "", func(c *config.Config) { c.OpenAPIMode = "disabled" })
	wantError(t, e.get("/"), 404, "PGRST126", "Root endpoint metadata is disabled", "null", "null")
	// Negotiation comes first, as in PostgREST.
	wantError(t, e.rootGet(http.MethodGet, "Accept", "text/plain"), 406, "PGRST107", "", "", "")
}

func TestOpenAPIProxyURI(t *testing.T) {
	e := newEnv(t, "", func(c *config.Config) { c.OpenAPIServerProxyURI = "https://api.example.com/rest/v1" })
	sw := swagger(t, e.get("/"))
	if sw.Host != "api.example.com:443" || sw.BasePath != "/rest/v1" || !reflect.DeepEqual(sw.Schemes, []string{"https"}) {
		t.Errorf("host %q basePath %q schemes %v", sw.Host, sw.BasePath, sw.Schemes)
	}
	if sw.Info.Title != "PostgREST API" {
		t.Errorf("title without a schema comment = %q", sw.Info.Title)
	}
}

func TestOpenAPIAcceptProfile(t *testing.T) {
	e := newEnv(t, `CREATE TABLE api.one (id int);
		CREATE SCHEMA api2; GRANT USAGE ON SCHEMA api2 TO web_anon;
		COMMENT ON SCHEMA api2 IS 'Second';
		CREATE TABLE api2.two (id int); GRANT SELECT ON api2.two TO web_anon;`,
		func(c *config.Config) { c.DBSchemas = []string{"api", "api2"} })
	r := e.get("/")
	if sw := swagger(t, r); !reflect.DeepEqual(sortedKeys(sw.Definitions), []string{"one"}) {
		t.Errorf("default profile definitions = %v", sortedKeys(sw.Definitions))
	}
	if cp := r.Header.Get("Content-Profile"); cp != "api" {
		t.Errorf("Content-Profile = %q", cp)
	}
	r = e.rootGet(http.MethodGet, "Accept-Profile", "api2")
	sw := swagger(t, r)
	if !reflect.DeepEqual(sortedKeys(sw.Definitions), []string{"two"}) || sw.Info.Title != "Second" {
		t.Errorf("api2: definitions %v title %q", sortedKeys(sw.Definitions), sw.Info.Title)
	}
	if cp := r.Header.Get("Content-Profile"); cp != "api2" {
		t.Errorf("Content-Profile = %q", cp)
	}
	wantError(t, e.rootGet(http.MethodGet, "Accept-Profile", "nope"), 406, "PGRST106", "", "", "")
}
