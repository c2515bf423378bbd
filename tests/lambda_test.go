package tests

import (
	"context"
	"encoding/json"
	"maps"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// lambdaCase is a captured API Gateway payload and what the function must answer.
type lambdaCase struct {
	file   string
	status int
	body   string
}

var lambdaCases = []lambdaCase{ //nolint:gochecknoglobals // shared by the in-process and bootstrap tests
	{"apigw-v1-get-books.json", 200, `[{"title":"Guards! Guards!","author":{"name":"Terry Pratchett"}}]`},
	{"apigw-v2-get-books.json", 200, `[{"title":"Guards! Guards!","author":{"name":"Terry Pratchett"}}]`},
	{"apigw-v2-post-rpc.json", 200, `42`},
}

// checkLambdaResponse decodes a handler's JSON response (REST API and HTTP
// API responses share these fields) and checks status, body and content type.
func checkLambdaResponse(t *testing.T, c lambdaCase, out []byte) {
	t.Helper()
	var r struct {
		StatusCode        int                 `json:"statusCode"`
		Headers           map[string]string   `json:"headers"`
		MultiValueHeaders map[string][]string `json:"multiValueHeaders"`
		Body              string              `json:"body"`
	}
	if err := json.Unmarshal(out, &r); err != nil {
		t.Fatalf("%s: response %s: %v", c.file, out, err)
	}
	ct := r.Headers["Content-Type"]
	if ct == "" && len(r.MultiValueHeaders["Content-Type"]) > 0 {
		ct = r.MultiValueHeaders["Content-Type"][0]
	}
	if r.StatusCode != c.status || compact(t, r.Body) != c.body {
		t.Fatalf("%s: got %d %s, want %d %s", c.file, r.StatusCode, r.Body, c.status, c.body)
	}
	if ct != "application/json; charset=utf-8" {
		t.Fatalf("%s: Content-Type = %q (response %s)", c.file, ct, out)
	}
}

func TestLambdaHandlerAnswersAPIGatewayPayloads(t *testing.T) {
	t.Parallel()
	e := sampleEnv(t)
	for _, c := range lambdaCases {
		t.Run(c.file, func(t *testing.T) { invokeCase(t, e, c) })
	}
	t.Run("not an API Gateway event", func(t *testing.T) {
		if _, err := e.stack.Invoker.Invoke(context.Background(), json.RawMessage(`{"Records":[]}`)); err == nil {
			t.Fatal("an S3-style event was accepted")
		}
	})
}

// TestBootstrapUnderRuntimeAPI builds functions/api as SAM does and runs the
// real binary under localdev.RuntimeAPI, the Lambda Runtime API of
// `make dev-lambda`, feeding it the captured payloads.
func TestBootstrapUnderRuntimeAPI(t *testing.T) {
	t.Parallel()
	e := sampleEnv(t)
	bin := filepath.Join(t.TempDir(), "bootstrap")
	// SAM also sets CGO_ENABLED=0 and -trimpath (see `make build`); the test
	// keeps the default flags so it reuses the test run's build cache.
	build := exec.Command("go", "build", "-tags", "lambda.norpc", "-o", bin, "../functions/api")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build bootstrap: %v\n%s", err, out)
	}
	var payloads [][]byte
	for _, c := range lambdaCases {
		raw, err := os.ReadFile(filepath.Join("testdata", c.file))
		if err != nil {
			t.Fatal(err)
		}
		payloads = append(payloads, raw)
	}
	// Once as deployed by default, once with the connections listening for
	// version notices (PGRST_CACHE_LISTEN, the template's CacheListen).
	for _, listen := range []string{"false", "true"} {
		t.Run("PGRST_CACHE_LISTEN="+listen, func(t *testing.T) {
			vars := maps.Clone(e.vars)
			vars["PGRST_CACHE_LISTEN"] = listen
			results := runBootstrap(t, bin, vars, payloads)
			for i, c := range lambdaCases {
				checkLambdaResponse(t, c, results[i])
			}
		})
	}
}

// TestLambdaRequestContext: an HTTP API event's cookies array and headers
// reach request.cookies and request.headers like an HTTP request's.
func TestLambdaRequestContext(t *testing.T) {
	t.Parallel()
	e := sampleEnvWith(t, `
CREATE FUNCTION api.request_context() RETURNS json LANGUAGE sql STABLE AS $$
  SELECT json_build_object('cookies', current_setting('request.cookies')::json,
    'forwarded_for', current_setting('request.headers')::json->>'x-forwarded-for',
    'method', current_setting('request.method'), 'path', current_setting('request.path')) $$;
GRANT EXECUTE ON FUNCTION api.request_context() TO web_anon;`, nil)
	invokeCase(t, e, lambdaCase{"apigw-v2-get-rpc-cookies.json", 200,
		`{"cookies":{"session":"abc123","theme":"dark"},"forwarded_for":"1.2.3.4, 5.6.7.8","method":"GET","path":"/rpc/request_context"}`})
}

// invokeCase feeds the payload of c to e's Invoker and checks the answer.
func invokeCase(t *testing.T, e *env, c lambdaCase) {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", c.file))
	if err != nil {
		t.Fatal(err)
	}
	out, err := e.stack.Invoker.Invoke(context.Background(), raw)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(out)
	checkLambdaResponse(t, c, b)
}

// TestV1QueryStrings: REST API events carry the query string decoded, as
// a map; values with spaces, '+', '%', quotes and non-ASCII letters and
// repeated names still reach the filters as sent.
func TestV1QueryStrings(t *testing.T) {
	t.Parallel()
	e := sampleEnvWith(t, `INSERT INTO api.tags (name) VALUES ('a+b %c "d" é');`, nil)
	for _, c := range []struct {
		path string
		q    url.Values
		want string
	}{
		{"/books", url.Values{"select": {"id"}, "title": {"eq.Guards! Guards!"}}, `[{"id":4}]`},
		{"/tags", url.Values{"select": {"name"}, "name": {`eq.a+b %c "d" é`}}, `[{"name":"a+b %c \"d\" é"}]`},
		{"/books", url.Values{"select": {"id"}, "id": {"gte.2", "lte.3"}, "order": {"id"}}, `[{"id":2},{"id":3}]`},
	} {
		r := invokeV1Query(t, e, "GET", c.path, c.q, "")
		if r.Status != 200 || compact(t, r.Body) != c.want {
			t.Errorf("%s: %d %s, want %s", c.path, r.Status, r.Body, c.want)
		}
	}
}
