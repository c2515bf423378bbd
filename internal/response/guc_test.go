package response

import (
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/pgrest-lambda/pgrest-lambda/internal/maintx"
)

func TestWithGUCs(t *testing.T) {
	str := func(s string) *string { return &s }
	base := func() *Response {
		h := http.Header{}
		h.Set("Content-Type", "application/json; charset=utf-8")
		h.Set("Content-Range", "0-0/*")
		return &Response{Status: 200, Headers: h, Body: []byte("1")}
	}
	r := withGUCs(base(), &maintx.Result{GucStatus: str("202"),
		GucHeaders: str(`[{"content-type": "text/plain"}, {"Set-Cookie": "a=1"}, {"Set-Cookie": "b=2"}]`)})
	if r.Status != 202 || r.Headers.Get("Content-Type") != "text/plain" || r.Headers.Get("Content-Range") != "0-0/*" ||
		!reflect.DeepEqual(r.Headers.Values("Set-Cookie"), []string{"a=1", "b=2"}) || string(r.Body) != "1" {
		t.Fatalf("got %d %v %s", r.Status, r.Headers, r.Body)
	}
	if r := withGUCs(base(), &maintx.Result{}); r.Status != 200 || len(r.Headers) != 2 {
		t.Fatalf("no settings changed the response: %d %v", r.Status, r.Headers)
	}
	for _, bad := range []string{"abc", "99", "600", ""} {
		r := withGUCs(base(), &maintx.Result{GucStatus: str(bad)})
		if r.Status != 500 || !strings.Contains(string(r.Body), "PGRST112") {
			t.Errorf("status %q: %d %s", bad, r.Status, r.Body)
		}
	}
	for _, bad := range []string{`{"a":"b"}`, `[{"a":"b","c":"d"}]`, `[{"a":1}]`, `["a"]`, `[{"":"x"}]`,
		`[{"X-A":"v\r\nX-Injected: 1"}]`, `[{"Bad Name":"v"}]`, `not json`} {
		r := withGUCs(base(), &maintx.Result{GucHeaders: str(bad)})
		if r.Status != 500 || !strings.Contains(string(r.Body), "PGRST111") {
			t.Errorf("headers %q: %d %s", bad, r.Status, r.Body)
		}
	}
}
