package apirequest

import (
	"encoding/json"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
)

var testSchemas = []string{"public", "v2"}

// do parses a request built from method, target (path and query) and body.
func do(t *testing.T, method, target, body string, hdr map[string]string) (*Request, int, string, string, string) {
	t.Helper()
	path, rawQuery, _ := strings.Cut(target, "?")
	r := httptest.NewRequest(method, "http://h"+path, strings.NewReader(body))
	// Set the query verbatim: it may hold spaces and quotes a client
	// library would have escaped.
	r.URL.RawQuery = rawQuery
	for k, v := range hdr {
		r.Header.Set(k, v)
	}
	req, err := Parse(r, []byte(body), testSchemas)
	if err != nil {
		d, _ := err.Details.(string)
		return nil, err.Status, err.Code, err.Message, d
	}
	return req, 0, "", "", ""
}

func TestPathAndMethod(t *testing.T) {
	tests := []struct {
		method, target string
		kind           TargetKind
		name           string
		status         int
		code           string
	}{
		{"GET", "/", TargetRoot, "", 0, ""},
		{"GET", "/items", TargetRelation, "items", 0, ""},
		{"GET", "/Server%20Today", TargetRelation, "Server Today", 0, ""},
		{"GET", "/%C3%A9t%C3%A9", TargetRelation, "été", 0, ""},
		{"GET", "/a%2Fb", TargetRelation, "a/b", 0, ""},
		{"GET", "/rpc", TargetRelation, "rpc", 0, ""},
		{"GET", "/rpc/add", TargetRoutine, "add", 0, ""},
		{"POST", "/rpc/add", TargetRoutine, "add", 0, ""},
		{"HEAD", "/rpc/add", TargetRoutine, "add", 0, ""},
		{"OPTIONS", "/rpc/add", TargetRoutine, "add", 0, ""},
		{"DELETE", "/items", TargetRelation, "items", 0, ""},
		{"PATCH", "/items", TargetRelation, "items", 0, ""},
		{"PUT", "/items", TargetRelation, "items", 0, ""},
		{"GET", "/a/b", 0, "", 404, "PGRST125"},
		{"GET", "/items/", 0, "", 404, "PGRST125"},
		{"GET", "/rpc/", 0, "", 404, "PGRST125"},
		{"GET", "/rpc/a/b", 0, "", 404, "PGRST125"},
		{"GET", "//", 0, "", 404, "PGRST125"},
		{"PUT", "/rpc/add", 0, "", 405, "PGRST101"},
		{"DELETE", "/rpc/add", 0, "", 405, "PGRST101"},
		{"TRACE", "/rpc/add", 0, "", 405, "PGRST101"},
		{"TRACE", "/items", 0, "", 405, "PGRST117"},
		{"POST", "/", 0, "", 405, "PGRST117"},
	}
	for _, tt := range tests {
		// Writes carry a body: it is parsed with the request.
		req, status, code, msg, _ := do(t, tt.method, tt.target, "{}", nil)
		if status != tt.status || code != tt.code {
			t.Errorf("%s %s: got %d %s (%s), want %d %s", tt.method, tt.target, status, code, msg, tt.status, tt.code)
			continue
		}
		if req != nil && (req.Kind != tt.kind || req.Name != tt.name || req.Method != tt.method) {
			t.Errorf("%s %s: got %v %q %s", tt.method, tt.target, req.Kind, req.Name, req.Method)
		}
		if code == "PGRST101" && !strings.Contains(msg, tt.method) {
			t.Errorf("%s: message %q does not name the method", tt.method, msg)
		}
	}
}

func TestProfile(t *testing.T) {
	tests := []struct {
		method string
		hdr    map[string]string
		schema string
		status int
	}{
		{"GET", nil, "public", 0},
		{"GET", map[string]string{"Accept-Profile": "v2"}, "v2", 0},
		{"GET", map[string]string{"Content-Profile": "v2"}, "public", 0},
		{"HEAD", map[string]string{"Accept-Profile": "v2"}, "v2", 0},
		{"OPTIONS", map[string]string{"Accept-Profile": "v2"}, "v2", 0},
		{"POST", map[string]string{"Content-Profile": "v2"}, "v2", 0},
		{"POST", map[string]string{"Accept-Profile": "v2"}, "public", 0},
		{"PATCH", map[string]string{"Content-Profile": "v2"}, "v2", 0},
		{"DELETE", map[string]string{"Content-Profile": "v2"}, "v2", 0},
		{"GET", map[string]string{"Accept-Profile": "secret"}, "", 406},
		{"PUT", map[string]string{"Content-Profile": "secret"}, "", 406},
	}
	for _, tt := range tests {
		req, status, code, msg, _ := do(t, tt.method, "/items", "{}", tt.hdr)
		if status != tt.status {
			t.Errorf("%s %v: status %d, want %d", tt.method, tt.hdr, status, tt.status)
			continue
		}
		if status == 406 {
			if code != "PGRST106" || !strings.Contains(msg, "public, v2") {
				t.Errorf("%s %v: got %s %q", tt.method, tt.hdr, code, msg)
			}
			continue
		}
		if req.Schema != tt.schema {
			t.Errorf("%s %v: schema %q, want %q", tt.method, tt.hdr, req.Schema, tt.schema)
		}
	}
}

func TestHeaders(t *testing.T) {
	r := httptest.NewRequest("GET", "/items", nil)
	r.Header.Add("X-Custom", "one")
	r.Header.Add("X-Custom", "two")
	r.Header.Set("Prefer", "count=exact")
	// How the API Gateway adapter hands over `X-Forwarded-For: a, b`.
	r.Header.Add("X-Forwarded-For", "1.2.3.4")
	r.Header.Add("X-Forwarded-For", "5.6.7.8")
	r.Header.Set("X-GoLambdaProxy-ApiGw-Context", `{"requestId":"x"}`)
	req, err := Parse(r, nil, testSchemas)
	if err != nil {
		t.Fatal(err)
	}
	if req.Header("x-custom") != "one, two" || req.Header("prefer") != "count=exact" ||
		req.Header("x-forwarded-for") != "1.2.3.4, 5.6.7.8" || len(req.Headers) != 3 {
		t.Errorf("headers %v", req.Headers)
	}
	if req.Header("x-golambdaproxy-apigw-context") != "" {
		t.Errorf("the adapter's context header reached request.headers: %v", req.Headers)
	}
}

func TestErrorOrder(t *testing.T) {
	// Path beats profile, profile beats method, method beats the query.
	tests := []struct {
		method, target string
		hdr            map[string]string
		code           string
	}{
		{"TRACE", "/a/b/c?select=(", map[string]string{"Accept-Profile": "x"}, "PGRST125"},
		{"TRACE", "/items?select=(", map[string]string{"Accept-Profile": "x"}, "PGRST106"},
		{"TRACE", "/items?select=(", nil, "PGRST117"},
		{"PUT", "/rpc/f?select=(", nil, "PGRST101"},
		{"GET", "/items?select=(&limit=-1", nil, "PGRST100"},
	}
	for _, tt := range tests {
		_, _, code, _, _ := do(t, tt.method, tt.target, "", tt.hdr)
		if code != tt.code {
			t.Errorf("%s %s: got %s, want %s", tt.method, tt.target, code, tt.code)
		}
	}
}

func TestRPCArgs(t *testing.T) {
	tests := []struct {
		method, target, body, ctype string
		args                        map[string]string
		filters                     []string
		code                        string
	}{
		{"GET", "/rpc/f?a=1&b=hello+world", "", "", map[string]string{"a": `"1"`, "b": `"hello world"`}, nil, ""},
		{"GET", "/rpc/f?v=1&v=2&v=3", "", "", map[string]string{"v": `["1","2","3"]`}, nil, ""},
		{"GET", "/rpc/f?a=1&id=gt.2&name=not.eq.x", "", "", map[string]string{"a": `"1"`}, []string{"id gt 2", "name not eq x"}, ""},
		{"HEAD", "/rpc/f?a=eqx", "", "", map[string]string{"a": `"eqx"`}, nil, ""},
		{"GET", "/rpc/f?a=not.x", "", "", nil, nil, "PGRST100"},
		{"GET", "/rpc/f?a=in.x", "", "", nil, nil, "PGRST100"},
		{"GET", "/rpc/f", "", "", map[string]string{}, nil, ""},
		{"GET", "/rpc/f?select=a&limit=2", "", "", map[string]string{}, nil, ""},
		{"POST", "/rpc/f", `{"a":1,"b":[1,2],"c":null}`, "application/json", map[string]string{"a": `1`, "b": `[1,2]`, "c": `null`}, nil, ""},
		{"POST", "/rpc/f?id=eq.1", ` {"a":"x"} `, "application/json", map[string]string{"a": `"x"`}, []string{"id eq 1"}, ""},
		{"POST", "/rpc/f", "", "application/json", map[string]string{}, nil, ""},
		{"POST", "/rpc/f", "a=1&b=x+y", "application/x-www-form-urlencoded", map[string]string{"a": `"1"`, "b": `"x y"`}, nil, ""},
		{"POST", "/rpc/f?a=1", `{}`, "application/json", nil, nil, "PGRST100"},
		// As PostgREST: the first object of an array gives the arguments
		// (RpcSpec "only takes the first object"), another JSON value none.
		{"POST", "/rpc/f", `[{"a":1,"b":2},{"a":4,"b":6}]`, "application/json", map[string]string{"a": `1`, "b": `2`}, nil, ""},
		{"POST", "/rpc/f", `[]`, "application/json", map[string]string{}, nil, ""},
		{"POST", "/rpc/f", `"x"`, "application/json", map[string]string{}, nil, ""},
		{"POST", "/rpc/f?columns=name", `{"name":"John","smth":"here"}`, "application/json", map[string]string{"name": `"John"`}, nil, ""},
		{"POST", "/rpc/f?columns=a,b", `[{"a":1},{"c":2}]`, "application/json", map[string]string{"a": `1`, "b": `null`}, nil, ""},
		{"POST", "/rpc/f", "a,b\n1,2\n4,6", "text/csv", map[string]string{"a": `"1"`, "b": `"2"`}, nil, ""},
		{"POST", "/rpc/f", `{"a":`, "application/json", nil, nil, "PGRST102"},
		{"POST", "/rpc/f", `[{"a":1},{"b":2}]`, "application/json", nil, nil, "PGRST102"},
		{"POST", "/rpc/f", `[{"a":1},2]`, "application/json", nil, nil, "PGRST102"},
		{"POST", "/rpc/f", `   `, "application/json", nil, nil, "PGRST102"},
	}
	for _, tt := range tests {
		req, status, code, msg, _ := do(t, tt.method, tt.target, tt.body, map[string]string{"Content-Type": tt.ctype})
		if code != tt.code {
			t.Errorf("%s %s %q: got %d %s %q, want %s", tt.method, tt.target, tt.body, status, code, msg, tt.code)
			continue
		}
		if code == "PGRST102" && (status != 400 || (msg != "Empty or invalid json" && msg != "All object keys must match")) {
			t.Errorf("%q: got %d %q", tt.body, status, msg)
		}
		if req == nil {
			continue
		}
		if req.Args == nil || len(req.Args) != len(tt.args) {
			t.Errorf("%s %s: args %v, want %v", tt.method, tt.target, req.Args, tt.args)
		}
		for k, want := range tt.args {
			if got := string(req.Args[k]); got != want {
				t.Errorf("%s %s: arg %s = %s, want %s", tt.method, tt.target, k, got, want)
			}
			if !json.Valid(req.Args[k]) {
				t.Errorf("arg %s is not JSON", k)
			}
		}
		var fs []string
		for _, f := range req.Filters {
			s := f.Field + " "
			if f.Negate {
				s += "not "
			}
			fs = append(fs, s+f.Op+" "+f.Value)
		}
		if !reflect.DeepEqual(fs, tt.filters) {
			t.Errorf("%s: filters %v, want %v", tt.target, fs, tt.filters)
		}
	}
}

func TestRelationArgsAreNil(t *testing.T) {
	req, _, _, _, _ := do(t, "GET", "/items?id=eq.1", "", nil)
	if req == nil || req.Args != nil {
		t.Fatalf("relation request has args: %+v", req)
	}
}

func TestRPCRawBody(t *testing.T) {
	tests := []struct {
		body, ctype, prefer string
		raw                 *RawBody // nil: no raw body
		args                int
		code                string
	}{
		{"hello {x}", "text/plain; charset=utf-8", "", &RawBody{Type: "text", Data: []byte("hello {x}")}, 0, ""},
		{"<a/>", "text/xml", "", &RawBody{Type: "xml", Data: []byte("<a/>")}, 0, ""},
		{"\x00\xff", "application/octet-stream", "", &RawBody{Type: "bytea", Data: []byte("\x00\xff")}, 0, ""},
		{`{"a":1}`, "application/json", "", &RawBody{Type: "json", Data: []byte(`{"a":1}`)}, 1, ""},
		{`{"a":1}`, "", "", &RawBody{Type: "json", Data: []byte(`{"a":1}`)}, 1, ""},
		{"", "application/json", "", &RawBody{Type: "json"}, 0, ""},
		{`[1,"x"]`, "application/json", "params=single-object", &RawBody{Type: "json", Data: []byte(`[1,"x"]`)}, 0, ""},
		{`{"a":1}`, "application/json", "params=single-object", &RawBody{Type: "json", Data: []byte(`{"a":1}`)}, 0, ""},
		{`[1,`, "application/json", "params=single-object", nil, 0, "PGRST102"},
		{"a=1", "application/x-www-form-urlencoded", "", nil, 1, ""},
		{"x", "image/png", "", nil, 0, "PGRST102"},
		{"x", "text/", "", nil, 0, "PGRST102"},
	}
	for _, tt := range tests {
		hdr := map[string]string{"Content-Type": tt.ctype, "Prefer": tt.prefer}
		req, _, code, msg, _ := do(t, "POST", "/rpc/f", tt.body, hdr)
		if code != tt.code {
			t.Errorf("%q as %q: code %s %q, want %s", tt.body, tt.ctype, code, msg, tt.code)
			continue
		}
		if req == nil {
			continue
		}
		if !reflect.DeepEqual(req.RawBody, tt.raw) || len(req.Args) != tt.args {
			t.Errorf("%q as %q: raw %+v args %v", tt.body, tt.ctype, req.RawBody, req.Args)
		}
	}
}
