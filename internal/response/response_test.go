package response

import (
	"testing"

	"github.com/pgrest-lambda/pgrest-lambda/internal/apirequest"
	"github.com/pgrest-lambda/pgrest-lambda/internal/maintx"
)

func TestReadRanges(t *testing.T) {
	n := func(v int64) *int64 { return &v }
	body := []byte("[]")
	cases := []struct {
		offset, page int64
		total        *int64
		status       int
		rng          string
	}{
		{0, 2, nil, 200, "0-1/*"},
		{0, 0, nil, 200, "*/*"},
		{0, 2, n(6), 206, "0-1/6"},
		{0, 6, n(6), 200, "0-5/6"},
		{0, 0, n(0), 200, "*/0"},
		{6, 0, n(6), 206, "*/6"},
		{7, 0, n(6), 416, "*/6"},
	}
	for _, c := range cases {
		r := readResponse(outcome{Method: "GET", Media: apirequest.MediaType{Kind: apirequest.MediaJSON}, Offset: c.offset,
			Result: &maintx.Result{Total: c.total, PageTotal: c.page, Body: body}})
		if r.Status != c.status || r.Headers.Get("Content-Range") != c.rng {
			t.Errorf("%+v: %d %q", c, r.Status, r.Headers.Get("Content-Range"))
		}
		if c.status == 416 && string(r.Body) != `{"code":"PGRST103","details":"An offset of 7 was requested, but there are only 6 rows.","hint":null,"message":"Requested range not satisfiable"}` {
			t.Errorf("416 body %s", r.Body)
		}
	}
	r := readResponse(outcome{Method: "POST", Call: true, Void: true, Media: apirequest.MediaType{Kind: apirequest.MediaJSON},
		Prefs: apirequest.Preferences{Count: "exact"}, Result: &maintx.Result{PageTotal: 1}})
	if r.Status != 204 || r.Body != nil || r.Headers.Get("Content-Type") != "" || r.Headers.Get("Preference-Applied") != "count=exact" {
		t.Errorf("void: %d %v", r.Status, r.Headers)
	}
}
