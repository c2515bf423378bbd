package tests

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// goErrorText are fragments of Go and driver error strings that must never
// reach a client.
var goErrorText = []string{"runtime error", "goroutine ", "nil pointer", "invalid memory address",
	"pgx", "pgconn", "dial tcp", "unexpected EOF", "json: cannot", "strconv."}

// FuzzHandler sends arbitrary methods, paths, query strings, headers and
// bodies through the local API Gateway into the request function, against
// the sample schema on a real PostgreSQL. Whatever the request: no panic,
// no 5xx other than PostgreSQL's resource classes (53, 54, 57), every
// error body PostgREST-shaped, and no Go error text in any body.
func FuzzHandler(f *testing.F) {
	e := newEnv(f, sampleSQL(f), nil)
	for _, s := range [][5]string{
		{"GET", "/books", "select=title,author:authors(name)&order=id", "", ""},
		{"GET", "/books", "or=(id.eq.1,title.like.*a*)&limit=2&offset=1", "Prefer: count=exact", ""},
		{"HEAD", "/authors", "select=*,books(*)", "Range: 0-1", ""},
		{"POST", "/tags", "select=id", "Content-Type: application/json\nPrefer: return=representation", `{"name":"x"}`},
		{"POST", "/tags", "", "Content-Type: text/csv", "name\nx\ny"},
		{"PATCH", "/tags", "id=eq.1", "Content-Type: application/json", `{"name":"y"}`},
		{"DELETE", "/tags", "name=eq.x", "", ""},
		{"PUT", "/tags", "id=eq.9", "Content-Type: application/json", `{"id":9,"name":"z"}`},
		{"GET", "/rpc/add", "a=1&b=2", "Accept: application/vnd.pgrst.object+json", ""},
		{"POST", "/rpc/books_by_author", "select=title", "Content-Type: application/json", `{"author_id":1}`},
		{"OPTIONS", "/books", "", "Origin: https://x\nAccess-Control-Request-Method: GET", ""},
		{"GET", "/", "", "Accept: application/openapi+json", ""},
		{"GET", "/book_summaries", "tag_count=gt.0&select=title,tags:tag_count::text", "Accept: text/csv", ""},
		{"GET", "/books", "data->a->>b=eq.1&select=...authors(name)", "Prefer: handling=strict, timezone=UTC", ""},
	} {
		f.Add(s[0], s[1], s[2], s[3], s[4])
	}
	f.Fuzz(func(t *testing.T, method, path, rawQuery, headers, body string) {
		switch method {
		case "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS":
		default:
			return // API Gateway passes no other method on
		}
		if !strings.HasPrefix(path, "/") || !requestTarget(path) || !requestTarget(rawQuery) {
			return // no HTTP client can send it
		}
		r := &http.Request{Method: method, URL: &url.URL{Path: path, RawQuery: rawQuery},
			Header: http.Header{}, Body: io.NopCloser(strings.NewReader(body)), Host: "localhost"}
		for _, line := range strings.Split(headers, "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && k != "" && requestTarget(k) && !strings.ContainsFunc(v, isCtl) {
				r.Header.Add(strings.TrimSpace(k), strings.TrimSpace(v))
			}
		}
		w := httptest.NewRecorder()
		e.stack.HTTP.ServeHTTP(w, r)
		out := w.Body.String()
		for _, frag := range goErrorText {
			if strings.Contains(out, frag) {
				t.Fatalf("%s %s?%s: body shows %q: %s", method, path, rawQuery, frag, out)
			}
		}
		if w.Code < 400 {
			return
		}
		var errBody struct {
			Code    *string `json:"code"`
			Message *string `json:"message"`
		}
		if err := json.Unmarshal(w.Body.Bytes(), &errBody); err != nil || errBody.Code == nil || errBody.Message == nil ||
			!strings.HasPrefix(out, `{"code":`) {
			t.Fatalf("%s %s?%s: %d with a body that is no PostgREST error: %q", method, path, rawQuery, w.Code, out)
		}
		if w.Code >= 500 {
			c := *errBody.Code
			if !strings.HasPrefix(c, "53") && !strings.HasPrefix(c, "54") && !strings.HasPrefix(c, "57") {
				t.Fatalf("%s %s?%s: %d %s", method, path, rawQuery, w.Code, out)
			}
		}
	})
}

// requestTarget reports whether s may stand in an HTTP request line: visible
// ASCII only (RFC 9112 §3.2; anything else travels percent-encoded).
func requestTarget(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x21 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

// isCtl reports a control character, which no header value may hold.
func isCtl(r rune) bool { return r < 0x20 && r != '\t' || r == 0x7f }
