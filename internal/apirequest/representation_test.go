package apirequest

import (
	"net/http"
	"net/http/httptest"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

func TestParsePreferences(t *testing.T) {
	h := http.Header{}
	h.Add("Prefer", "count=planned,  return=minimal , handling=strict, foo")
	h.Add("Prefer", "count=exact, max-affected=x, max-affected=5, timezone=UTC, tx=rollback")
	p := ParsePreferences(h)
	if p.Count != CountPlanned || p.Return != "minimal" || p.Handling != "strict" || p.Tx != "rollback" || p.MaxAffected != nil {
		t.Fatalf("%+v", p)
	}
	if !reflect.DeepEqual(p.Invalid, []string{"foo"}) || p.Timezone != "UTC" {
		t.Fatalf("invalid = %q", p.Invalid)
	}
	// tx stays until db-tx-end settles it (app.txSettings).
	if got := p.Applied(false); got != "count=planned, tx=rollback, handling=strict, timezone=UTC" {
		t.Fatalf("applied = %q", got)
	}
	p = ParsePreferences(http.Header{"Prefer": {"handling=strict, max-affected=3"}})
	if p.MaxAffected == nil || *p.MaxAffected != 3 || p.Applied(true) != "handling=strict, max-affected=3" || p.Applied(false) != "handling=strict" {
		t.Fatalf("%+v", p)
	}
}

func TestParseAccept(t *testing.T) {
	cases := []struct {
		accept []string
		mimes  string // the decoded list, in order
	}{
		{nil, "*/*"},
		{[]string{""}, "*/*"},
		{[]string{"text/html,*/*;q=0.8"}, "text/html, */*"},
		{[]string{"text/*;q=0.9", "text/csv;q=0.9"}, "text/csv, text/*"},
		{[]string{"a/b;x=1, a/c"}, "a/b, a/c"},
		{[]string{"application/vnd.pgrst.object+json;nulls=stripped;q=0.1, text/xml"}, "text/xml, application/vnd.pgrst.object+json;nulls=stripped"},
		{[]string{"application/vnd.pgrst.plan"}, `application/vnd.pgrst.plan+text; for="application/json"`},
		{[]string{`application/vnd.pgrst.plan+json; for="text/csv"; options=wal|analyze`}, `application/vnd.pgrst.plan+json; for="text/csv"; options=analyze|wal`},
		{[]string{`application/vnd.pgrst.plan; for="text/html"`}, `application/vnd.pgrst.plan+text; for="text/html"`},
	}
	for _, c := range cases {
		var mimes []string
		for _, m := range ParseAccept(c.accept) {
			mimes = append(mimes, m.Mime())
		}
		if got := strings.Join(mimes, ", "); got != c.mimes {
			t.Errorf("%q: decoded %q, want %q", c.accept, got, c.mimes)
		}
	}
}

func TestApplyRange(t *testing.T) {
	cases := []struct {
		method, query, rangeHeader string
		limit, offset              string // "" = nil
		code, details              string
	}{
		{"GET", "limit=5&offset=2", "", "5", "2", "", ""},
		{"GET", "", "0-9223372036854775807", "", "", "", ""},
		{"GET", "", "0-99999999999999999999", "", "", "", ""},
		{"GET", "", "1-9223372036854775807", "9223372036854775807", "1", "", ""},
		{"GET", "", "2-4", "3", "2", "", ""},
		{"GET", "", "2-", "", "2", "", ""},
		{"HEAD", "", "2-4", "", "", "", ""},
		{"GET", "limit=10", "3-20", "7", "3", "", ""},
		{"GET", "offset=5", "0-6", "2", "5", "", ""},
		{"GET", "limit=0&offset=0", "5-9", "0", "", "", ""},
		{"GET", "limit=0&offset=2", "", "", "", "PGRST103", "Limit should be greater than or equal to zero."},
		{"GET", "", "5-2", "", "", "PGRST103", "The lower boundary must be lower than or equal to the upper boundary in the Range header."},
		{"GET", "limit=2", "5-7", "", "", "PGRST103", "Limit should be greater than or equal to zero."},
		{"GET", "", "bytes=0-1", "", "", "", ""},
	}
	str := func(p *int64) string {
		if p == nil {
			return ""
		}
		return strconv.FormatInt(*p, 10)
	}
	for _, c := range cases {
		r := httptest.NewRequest(c.method, "/books?"+c.query, nil)
		if c.rangeHeader != "" {
			r.Header.Set("Range", c.rangeHeader)
		}
		req, err := Parse(r, nil, []string{"api"})
		switch {
		case c.code != "":
			if err == nil || err.Code != c.code || err.Status != 416 || err.Details != c.details {
				t.Errorf("%s ?%s Range %q: got %v, want %s %s", c.method, c.query, c.rangeHeader, err, c.code, c.details)
			}
		case err != nil:
			t.Errorf("%s ?%s Range %q: %v", c.method, c.query, c.rangeHeader, err)
		case str(req.Limit) != c.limit || str(req.Offset) != c.offset:
			t.Errorf("%s ?%s Range %q: limit %q offset %q, want %q %q", c.method, c.query, c.rangeHeader,
				str(req.Limit), str(req.Offset), c.limit, c.offset)
		}
	}
}
