package tests

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/pgrest-lambda/pgrest-lambda/internal/config"
)

// planErrorSQL adds what the planner's ambiguity errors need to the sample
// schema, and a second schema for the several-schemas setting.
const planErrorSQL = `
CREATE TABLE api.amb_parent (id int PRIMARY KEY);
CREATE TABLE api.amb_child (id int PRIMARY KEY,
  a int REFERENCES api.amb_parent, b int REFERENCES api.amb_parent);
CREATE FUNCTION api.amb(a int) RETURNS int LANGUAGE sql IMMUTABLE AS 'SELECT a';
CREATE FUNCTION api.amb(a text) RETURNS int LANGUAGE sql IMMUTABLE AS 'SELECT 1';
CREATE FUNCTION api.amb2() RETURNS int LANGUAGE sql IMMUTABLE AS 'SELECT 0';
CREATE FUNCTION api.amb2(text DEFAULT '') RETURNS int LANGUAGE sql IMMUTABLE AS 'SELECT 1';
CREATE SCHEMA other; GRANT USAGE ON SCHEMA other TO web_anon;
CREATE TABLE other.items (id int PRIMARY KEY); GRANT SELECT ON other.items TO web_anon;`

// planErrorCase is a request the planner rejects, and its error.
type planErrorCase struct {
	method, path, body string
	header             []string
	status             int
	code               string
	// aggregates is the answer with db-aggregates-enabled, when it differs.
	aggregates int
}

var planErrorCases = []planErrorCase{ //nolint:gochecknoglobals // one table for every setting
	{method: "GET", path: "/nope", status: 404, code: "PGRST205"},
	{method: "HEAD", path: "/nope", status: 404},
	{method: "POST", path: "/nope", body: `{"a":1}`, status: 404, code: "PGRST205"},
	{method: "PATCH", path: "/nope?id=eq.1", body: `{"a":1}`, status: 404, code: "PGRST205"},
	{method: "PUT", path: "/nope?id=eq.1", body: `{"id":1}`, status: 404, code: "PGRST205"},
	{method: "DELETE", path: "/nope?id=eq.1", status: 404, code: "PGRST205"},
	{method: "OPTIONS", path: "/nope", status: 404, code: "PGRST205"},
	{method: "GET", path: "/nope", header: []string{"Accept", "text/nope"}, status: 404, code: "PGRST205"},
	{method: "GET", path: "/nope", header: []string{"Prefer", "handling=strict, bogus"}, status: 404, code: "PGRST205"},
	{method: "GET", path: "/rpc/nope", status: 404, code: "PGRST202"},
	{method: "HEAD", path: "/rpc/nope", status: 404},
	{method: "POST", path: "/rpc/nope", body: `{"a":1}`, status: 404, code: "PGRST202"},
	{method: "OPTIONS", path: "/rpc/nope", status: 404, code: "PGRST202"},
	{method: "GET", path: "/rpc/amb?a=1", status: 300, code: "PGRST203"},
	{method: "POST", path: "/rpc/amb", body: `{"a":1}`, status: 300, code: "PGRST203"},
	// An unnamed parameter with a default fits a call without arguments too.
	{method: "GET", path: "/rpc/amb2", status: 300, code: "PGRST203"},
	{method: "GET", path: "/books?select=*,nope(*)", status: 400, code: "PGRST200"},
	{method: "GET", path: "/rpc/books_by_author?author_id=1&select=*,nope(*)", status: 400, code: "PGRST200"},
	{method: "POST", path: "/books?select=*,nope(*)", body: `{"id":99}`,
		header: []string{"Prefer", "return=representation"}, status: 400, code: "PGRST200"},
	{method: "GET", path: "/amb_child?select=*,amb_parent(*)", status: 300, code: "PGRST201"},
	{method: "GET", path: "/authors?select=*,books(*)&order=books(title)", status: 400, code: "PGRST118"},
	{method: "POST", path: "/books?columns=nope", body: `{"nope":1}`, status: 400, code: "PGRST204"},
	{method: "PATCH", path: "/books?limit=1", body: `{"title":"x"}`, status: 400, code: "PGRST109"},
	{method: "GET", path: "/books?select=count()", status: 400, code: "PGRST123", aggregates: 200},
	{method: "GET", path: "/nope?select=count()", status: 400, code: "PGRST123", aggregates: 404},
}

// planSettings are the settings that change planning.
var planSettings = map[string]func(*config.Config){ //nolint:gochecknoglobals // shared by both transports
	"defaults":           nil,
	"max rows":           func(c *config.Config) { c.DBMaxRows = 1000 },
	"aggregates enabled": func(c *config.Config) { c.DBAggregatesEnabled = true },
	"plan enabled":       func(c *config.Config) { c.DBPlanEnabled = true },
	"tx end rollback":    func(c *config.Config) { c.DBTxEnd = "rollback-allow-override" },
	"several schemas":    func(c *config.Config) { c.DBSchemas = []string{"api", "other"} },
}

// TestPlanErrorsUnderEverySetting runs each error the planner returns under
// each setting that changes planning, through the local HTTP server and
// through the Lambda handler with REST API (v1) events: every one must be
// the PostgREST error, never a crash or a reset connection.
func TestPlanErrorsUnderEverySetting(t *testing.T) {
	t.Parallel()
	for name, tweak := range planSettings {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			e := sampleEnvWith(t, planErrorSQL, tweak)
			aggregates := name == "aggregates enabled"
			for _, c := range planErrorCases {
				want := planErrorCase{status: c.status, code: c.code}
				if aggregates && c.aggregates != 0 {
					want = planErrorCase{status: c.aggregates, code: ""}
					if c.aggregates == 404 {
						want.code = "PGRST205"
					}
				}
				t.Run(c.method+" "+c.path+" http", func(t *testing.T) {
					checkPlanError(t, want, e.send(c.method, c.path, c.body, withJSON(c)...))
				})
				t.Run(c.method+" "+c.path+" lambda v1", func(t *testing.T) {
					checkPlanError(t, want, invokeV1(t, e, c.method, c.path, c.body, withJSON(c)...))
				})
			}
		})
	}
}

// withJSON is c's headers plus a JSON Content-Type when it has a body.
func withJSON(c planErrorCase) []string {
	h := append([]string(nil), c.header...)
	if c.body != "" {
		h = append(h, "Content-Type", "application/json")
	}
	return h
}

func checkPlanError(t *testing.T, want planErrorCase, r response) {
	t.Helper()
	if want.code == "" || r.Status == http.StatusOK {
		if r.Status != want.status {
			t.Fatalf("status = %d, want %d; body %s", r.Status, want.status, r.Body)
		}
		return
	}
	wantError(t, r, want.status, want.code, "", "", "")
}

// invokeV1 sends a request to e's Lambda handler as an API Gateway REST
// API (v1) proxy event, with headers given as name, value pairs.
func invokeV1(t *testing.T, e *env, method, path, body string, header ...string) response {
	t.Helper()
	u, err := url.Parse(path)
	if err != nil {
		t.Fatal(err)
	}
	return invokeV1Query(t, e, method, u.Path, u.Query(), body, header...)
}

// invokeV1Query is invokeV1 with the query string given as API Gateway
// passes it: decoded values by name.
func invokeV1Query(t *testing.T, e *env, method, path string, q url.Values, body string, header ...string) response {
	t.Helper()
	u := &url.URL{Path: path}
	ev := events.APIGatewayProxyRequest{
		Resource: "/{proxy+}", Path: u.Path, HTTPMethod: method, Body: body,
		Headers: map[string]string{}, MultiValueHeaders: map[string][]string{},
		RequestContext: events.APIGatewayProxyRequestContext{Stage: "prod", HTTPMethod: method, Path: "/prod" + u.Path},
	}
	for i := 0; i+1 < len(header); i += 2 {
		ev.Headers[header[i]] = header[i+1]
		ev.MultiValueHeaders[header[i]] = append(ev.MultiValueHeaders[header[i]], header[i+1])
	}
	if len(q) > 0 {
		ev.QueryStringParameters, ev.MultiValueQueryStringParameters = map[string]string{}, map[string][]string(q)
		for k, v := range q {
			ev.QueryStringParameters[k] = v[len(v)-1]
		}
	}
	raw, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	out, err := e.stack.Invoker.Invoke(context.Background(), raw)
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(out)
	if err != nil {
		t.Fatal(err)
	}
	var res events.APIGatewayProxyResponse
	if err := json.Unmarshal(b, &res); err != nil {
		t.Fatalf("response %s: %v", b, err)
	}
	h := http.Header{}
	for k, v := range res.Headers {
		h.Set(k, v)
	}
	for k, vs := range res.MultiValueHeaders {
		h[http.CanonicalHeaderKey(k)] = vs
	}
	return response{Status: res.StatusCode, Header: h, Body: strings.TrimSpace(res.Body)}
}

// TestEmptyBodiesHaveNoContentType: a response without a body carries no
// Content-Type, on the local server and in Lambda responses alike, as
// PostgREST sends none (201 return=minimal, 204, HEAD's headers stay).
func TestEmptyBodiesHaveNoContentType(t *testing.T) {
	t.Parallel()
	e := sampleEnvWith(t, `CREATE TABLE api.ct (id int PRIMARY KEY); GRANT ALL ON api.ct TO web_anon;`, nil)
	send := map[string]func(method, path, body string, h ...string) response{
		"http":      e.send,
		"lambda v1": func(method, path, body string, h ...string) response { return invokeV1(t, e, method, path, body, h...) },
	}
	for name, do := range send {
		mustExec(t, e.db, "DELETE FROM api.ct")
		for _, c := range []struct {
			method, path, body string
			status             int
		}{
			{"POST", "/ct", `{"id":1}`, 201},
			{"PATCH", "/ct?id=eq.1", `{"id":2}`, 204},
			{"DELETE", "/ct?id=eq.2", "", 204},
			{"POST", "/rpc/ping", "", 204},
		} {
			h := []string{}
			if c.body != "" {
				h = append(h, "Content-Type", "application/json")
			}
			r := do(c.method, c.path, c.body, h...)
			if r.Status != c.status || r.Body != "" || r.Header.Get("Content-Type") != "" {
				t.Errorf("%s %s (%s): %d %q Content-Type %q", c.method, c.path, name, r.Status, r.Body, r.Header.Get("Content-Type"))
			}
		}
	}
}
