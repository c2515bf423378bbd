package apirequest_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/pgrest-lambda/pgrest-lambda/internal/apirequest"
)

// fuzzStatus is the status each error code Parse may return must carry.
var fuzzStatus = map[string]int{
	"PGRST100": 400, // query string
	"PGRST102": 400, // RPC body
	"PGRST103": 416, // range
	"22003":    400, // a limit or offset beyond bigint
	"PGRST125": 404, // path
	"PGRST101": 405, // RPC method
	"PGRST117": 405, // method
	"PGRST106": 406, // profile schema
}

// FuzzParse feeds arbitrary query strings, RPC bodies and Range headers to
// Parse. The target byte picks the request: bit 0 POST instead of GET,
// bit 1 /rpc/f instead of /items, bit 2 a form-urlencoded body instead of
// JSON (bit 3: an octet-stream body), bit 4 `Prefer: params=single-object`. Parse must not panic and must fail only with a PostgREST error of a
// client status whose body is PostgREST's error object.
func FuzzParse(f *testing.F) {
	deep := strings.Repeat("a(", 200) + "id" + strings.Repeat(")", 200)
	deepLogic := "or=" + strings.Repeat("and(", 150) + "id.eq.1" + strings.Repeat(")", 150)
	seeds := []struct {
		query, body, rng string
		target           uint8
	}{
		{"select=id,title", "", "", 0},
		{"select=id,author:authors(name,books(title,tags(*)))", "", "", 0},
		{"select=alias:col::text,data->a->>b,data->0,total:pages.sum()::int,count()", "", "", 0},
		{"select=*,authors!inner(*),tags!book_tags(name),...author_profiles(bio)", "", "", 0},
		{"select=id,", "", "", 0},
		{"select=" + deep, "", "", 0},
		{"select=%22quoted%20%5C%22col%22,%E2%9C%93", "", "", 0},
		{"id=eq.1&title=like.*Earth*&pages=not.gt.100&isbn=is.null", "", "", 0},
		{"id=in.(1,2,%223,4%22)&tags=cs.{a,b}&during=ov.[2020-01-01,2021-01-01)", "", "", 0},
		{"title=fts(english).wizard&title=not.phfts.a%20b&name=eq(any).{x,y}&n=like(all).{a*,b*}", "", "", 0},
		{"or=(id.eq.1,and(pages.gt.10,not.or(title.is.null,title.eq.%22a,b%22)))", "", "", 0},
		{"not.and=(a.eq.1,b.in.(1,2))&authors.or=(name.eq.x)", "", "", 0},
		{deepLogic, "", "", 0},
		{"order=id.desc.nullslast,title,authors(name).asc&authors.order=name.nullsfirst", "", "", 0},
		{"order=data->>k.desc,,", "", "", 0},
		{"limit=10&offset=5&authors.limit=1&authors.offset=0", "", "0-9", 0},
		{"limit=-1", "", "", 0},
		{"limit=0&offset=99999999999999999999", "", "5-2", 0},
		{"limit=9223372036854775807&offset=9223372036854775807", "", "", 0},
		{"columns=a,b&on_conflict=id", "", "", 1},
		{"a=1&a=2&b=%7B%7D", "", "", 2},
		{"select=x&x=gt.1&arg=zz", "", "", 2},
		{"", `{"a":1,"b":[1,2],"c":{"d":null}}`, "", 3},
		{"select=*", `[{"a":1}]`, "", 3},
		{"", `{"a":`, "", 3},
		{"", "\x00raw\xff bytes", "", 11},
		{"", `[1, {"a": null}]`, "", 19},
		{"", `{"a":`, "", 19},
		{"", "a=1&b=2&a=%ZZ", "", 7},
		{"%zz=%&&;;==&=&+%2B+", "", "", 0},
		{"select=\x00\xff\xfe&id=eq.\xc3\x28", "\xff", "", 3},
		{"select=id::%27;drop%20table%20x;--", "", "", 0},
		{"title=not.not.eq.x&title=is.unknown&title=isdistinct.null&x=match.^a$", "", "", 0},
		{"data->>%22k%22->0=eq.1&a.b.c.d=eq.1&a..b=eq.1", "", "", 0},
		{"or=(a.eq.%22)&and=()&or=(", "", "", 0},
	}
	for _, s := range seeds {
		f.Add(s.query, s.body, s.rng, s.target)
	}
	f.Fuzz(func(t *testing.T, rawQuery, body, rng string, target uint8) {
		method, path := http.MethodGet, "/items"
		if target&1 != 0 {
			method = http.MethodPost
		}
		if target&2 != 0 {
			path = "/rpc/f"
		}
		r := &http.Request{
			Method: method,
			URL:    &url.URL{Path: path, RawQuery: rawQuery},
			Header: http.Header{},
		}
		switch {
		case target&4 != 0:
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		case target&8 != 0:
			r.Header.Set("Content-Type", "application/octet-stream")
		default:
			r.Header.Set("Content-Type", "application/json")
		}
		if target&16 != 0 {
			r.Header.Set("Prefer", "params=single-object")
		}
		if rng != "" {
			r.Header.Set("Range", rng)
		}
		req, err := apirequest.Parse(r, []byte(body), []string{"api"})
		if err == nil {
			if req == nil {
				t.Fatal("Parse returned neither a request nor an error")
			}
			return
		}
		if want, ok := fuzzStatus[err.Code]; !ok || err.Status != want {
			t.Fatalf("unexpected error status %d code %q: %s", err.Status, err.Code, err.Body())
		}
		switch err.Status {
		case 400, 404, 405, 406, 416:
		default:
			t.Fatalf("status %d is not a client error Parse may return", err.Status)
		}
		if !strings.HasPrefix(err.Code, "PGRST") && err.Code != "22003" {
			t.Fatalf("code %q is not a PostgREST code", err.Code)
		}
		raw := err.Body()
		if !json.Valid(raw) {
			t.Fatalf("error body is not valid JSON: %q", raw)
		}
		var obj map[string]json.RawMessage
		if e := json.Unmarshal(raw, &obj); e != nil {
			t.Fatalf("error body is not a JSON object: %v: %q", e, raw)
		}
		if len(obj) != 4 {
			t.Fatalf("error body has keys other than code, details, hint, message: %s", raw)
		}
		for _, k := range []string{"code", "details", "hint", "message"} {
			if _, ok := obj[k]; !ok {
				t.Fatalf("error body lacks %q: %s", k, raw)
			}
		}
		var msg string
		if e := json.Unmarshal(obj["message"], &msg); e != nil || msg == "" {
			t.Fatalf("error message is not a non-empty string: %s", raw)
		}
		if !bytes.HasPrefix(raw, []byte(`{"code":`)) {
			t.Fatalf("error body does not start with the code: %s", raw)
		}
	})
}
