package tests

import (
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/pgrest-lambda/pgrest-lambda/localdev"
)

// transportSQL adds a function that sets two cookies through response.headers.
const transportSQL = binarySQL + `
CREATE FUNCTION api.set_cookies() RETURNS int LANGUAGE sql VOLATILE AS $$
  SELECT set_config('response.headers', '[{"Set-Cookie":"a=1; Path=/"},{"Set-Cookie":"b=2"}]', true);
  SELECT 1 $$;
GRANT EXECUTE ON FUNCTION api.set_cookies() TO web_anon;`

// transportCase is one request and what every transport must answer.
type transportCase struct {
	name, method, path, body string
	headers                  []string // name, value pairs
	status                   int
	bodyHas                  string   // substring of the body
	contentType              string   // exact, "-" for none
	cookies                  []string // Set-Cookie values, in order
}

var transportCases = []transportCase{ //nolint:gochecknoglobals // one table for three transports
	{name: "read", method: "GET", path: "/books?select=title&id=eq.4", status: 200,
		bodyHas: `"Guards! Guards!"`, contentType: "application/json; charset=utf-8"},
	{name: "embed", method: "GET", path: "/books?select=title,author:authors(name)&id=eq.4", status: 200, bodyHas: `"Terry Pratchett"`},
	{name: "filters repeated", method: "GET", path: "/books?select=id&id=gte.2&id=lte.3&order=id", status: 200, bodyHas: `{"id":3}`},
	{name: "rpc get", method: "GET", path: "/rpc/add?a=1&b=2", status: 200, bodyHas: "3"},
	{name: "rpc post", method: "POST", path: "/rpc/add", body: `{"a":40,"b":2}`, headers: []string{"Content-Type", "application/json"}, status: 200, bodyHas: "42"},
	{name: "write minimal", method: "POST", path: "/rpc/add_tag", body: `{"name":"tag from $T"}`,
		headers: []string{"Content-Type", "application/json"}, status: 200},
	{name: "error", method: "GET", path: "/nope", status: 404, bodyHas: `"PGRST205"`},
	{name: "csv", method: "GET", path: "/books?select=id&id=eq.4", headers: []string{"Accept", "text/csv"}, status: 200,
		bodyHas: "id\n4", contentType: "text/csv; charset=utf-8"},
	{name: "binary", method: "POST", path: "/rpc/echo_bytes", body: "\x00\xff\x80abc",
		headers: []string{"Content-Type", "application/octet-stream", "Accept", "application/octet-stream"},
		status:  200, bodyHas: "\x00\xff\x80abc", contentType: "application/octet-stream"},
	{name: "cookies", method: "POST", path: "/rpc/set_cookies", status: 200, cookies: []string{"a=1; Path=/", "b=2"}},
}

// TestTransports runs one table of requests against the in-process server,
// and against the compiled bootstrap under localdev.RuntimeAPI behind an
// HTTP API and a REST API gateway (what `make dev-lambda` serves).
func TestTransports(t *testing.T) {
	t.Parallel()
	e := sampleEnvWith(t, transportSQL, nil)
	bin := filepath.Join(t.TempDir(), "bootstrap")
	build := exec.Command("go", "build", "-tags", "lambda.norpc", "-o", bin, "../functions/api")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build bootstrap: %v\n%s", err, out)
	}
	env := os.Environ()
	for k, v := range e.vars {
		env = append(env, k+"="+v)
	}
	rt := &localdev.RuntimeAPI{Bootstrap: bin, Env: env, Concurrency: 2, Timeout: 20 * time.Second, Output: io.Discard}
	t.Cleanup(rt.Close)
	servers := map[string]string{"in-process": e.api.URL}
	for _, kind := range []string{localdev.HTTPAPI, localdev.RESTAPI} {
		srv := httptest.NewServer(&localdev.Gateway{Kind: kind, Invoke: rt.Invoke})
		t.Cleanup(srv.Close)
		servers["dev-lambda "+kind] = srv.URL
	}
	for _, name := range []string{"in-process", "dev-lambda http", "dev-lambda rest"} {
		for _, c := range transportCases {
			t.Run(name+"/"+c.name, func(t *testing.T) {
				// $T keeps writes of the three transports apart.
				body := strings.ReplaceAll(c.body, "$T", name)
				req, err := http.NewRequest(c.method, servers[name]+c.path, strings.NewReader(body))
				if err != nil {
					t.Fatal(err)
				}
				for i := 0; i+1 < len(c.headers); i += 2 {
					req.Header.Set(c.headers[i], c.headers[i+1])
				}
				res, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				defer res.Body.Close()
				b, _ := io.ReadAll(res.Body)
				if res.StatusCode != c.status || !strings.Contains(string(b), c.bodyHas) {
					t.Fatalf("%d %q, want %d containing %q", res.StatusCode, b, c.status, c.bodyHas)
				}
				if ct := res.Header.Get("Content-Type"); c.contentType != "" && ct != c.contentType {
					t.Fatalf("Content-Type %q, want %q", ct, c.contentType)
				}
				if c.cookies != nil && !reflect.DeepEqual(res.Header.Values("Set-Cookie"), c.cookies) {
					t.Fatalf("Set-Cookie %q, want %q", res.Header.Values("Set-Cookie"), c.cookies)
				}
			})
		}
	}
}
