package pgrsterr

import (
	"reflect"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
)

func TestRaisedPGRST(t *testing.T) {
	pe := &pgconn.PgError{Code: "PGRST",
		Message: `{"code":"123","message":"Payment Required","details":"Quota exceeded","hint":"Upgrade your plan","extra":1}`,
		Detail:  `{"status":402,"status_text":"Payment Required","headers":{"X-Powered-By":"Nerd Rage"}}`}
	e := FromPg(pe, false)
	want := &Error{Status: 402, Code: "123", Message: "Payment Required", Details: "Quota exceeded",
		Hint: "Upgrade your plan", Headers: map[string]string{"X-Powered-By": "Nerd Rage"}}
	if !reflect.DeepEqual(e, want) {
		t.Fatalf("got %+v", e)
	}
	if b := string(e.Body()); b != `{"code":"123","details":"Quota exceeded","hint":"Upgrade your plan","message":"Payment Required"}` {
		t.Errorf("body %s", b)
	}
	e = FromPg(&pgconn.PgError{Code: "PGRST", Message: `{"code":"x","message":"m"}`, Detail: `{"status":418,"headers":{}}`}, false)
	if e.Status != 418 || e.Details != nil || e.Hint != nil || e.Headers != nil {
		t.Errorf("optional keys: %+v", e)
	}
	for _, tc := range []struct{ m, d, details string }{
		{`not json`, `{"status":400,"headers":{}}`, "Invalid JSON value for MESSAGE: 'not json'"},
		{`{"message":"no code"}`, `{"status":400,"headers":{}}`, `Invalid JSON value for MESSAGE: '{"message":"no code"}'`},
		{`{"code":"c","message":"m"}`, ``, "DETAIL is missing in the RAISE statement"},
		{`{"code":"c","message":"m"}`, `{"status":400}`, `Invalid JSON value for DETAIL: '{"status":400}'`},
		{`{"code":"c","message":"m"}`, `{"status":"400","headers":{}}`, `Invalid JSON value for DETAIL: '{"status":"400","headers":{}}'`},
		{`{"code":"c","message":"m"}`, `{"status":99,"headers":{}}`, `Invalid JSON value for DETAIL: '{"status":99,"headers":{}}'`},
		{`{"code":"c","message":"m"}`, `{"status":400,"headers":{"X":"a\r\nY: b"}}`, `Invalid JSON value for DETAIL: '{"status":400,"headers":{"X":"a\r\nY: b"}}'`},
	} {
		e := FromPg(&pgconn.PgError{Code: "PGRST", Message: tc.m, Detail: tc.d}, false)
		if e.Status != 500 || e.Code != "PGRST121" || e.Details != tc.details ||
			e.Message != `Could not parse JSON in the "RAISE SQLSTATE 'PGRST'" error` {
			t.Errorf("%q / %q: %+v", tc.m, tc.d, e)
		}
	}
}
