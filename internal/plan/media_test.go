package plan

import (
	"net/http"
	"testing"

	"github.com/pgrest-lambda/pgrest-lambda/internal/apirequest"
	"github.com/pgrest-lambda/pgrest-lambda/internal/schemacache"
)

func TestNegotiateMedia(t *testing.T) {
	api := func(n string) schemacache.QI { return schemacache.QI{Schema: "api", Name: n} }
	sc := &schemacache.SchemaCache{
		Tables: []schemacache.Table{{Schema: "api", Name: "lines"}, {Schema: "api", Name: "other"}},
		Routines: []schemacache.Routine{{Schema: "api", Name: "get_line",
			Return: schemacache.ReturnType{Type: api("application/vnd.twkb")}}},
		MediaHandlers: []schemacache.MediaHandler{
			{Media: "text/csv", Target: api("lines"), Aggregate: api("csv_agg")},
			{Media: "*/*", Target: api("other"), Aggregate: api("xml_agg")},
			{Media: "text/plain", Aggregate: api("plain_agg")},
			{Media: "application/vnd.twkb", Target: api("get_line"), Binary: true},
		},
	}
	sc.Index()
	read := func(table string) *Plan { return &Plan{Read: &ReadPlan{Table: api(table)}} }
	call := &Plan{Call: &CallPlan{Routine: &sc.Routines[0]}}
	star := []apirequest.SelectItem{{Column: "*"}}
	cols := []apirequest.SelectItem{{Column: "id"}}
	for _, tc := range []struct {
		name    string
		p       *Plan
		sel     []apirequest.SelectItem
		accept  string
		mime    string
		handler string // aggregate or target of the handler, "" for built-in
		code    string
	}{
		{"table aggregate overrides csv", read("lines"), star, "text/csv", "text/csv", "csv_agg", ""},
		{"not with a select list", read("lines"), cols, "text/csv", "text/csv", "", ""},
		{"other tables keep csv", read("other"), cols, "text/csv", "text/csv", "", ""},
		{"any handler takes json", read("other"), star, "application/json", "application/octet-stream", "xml_agg", ""},
		{"any handler takes no accept", read("other"), star, "", "application/octet-stream", "xml_agg", ""},
		{"any handler not with a select list", read("other"), cols, "", "application/json", "", ""},
		{"anyelement handler", read("lines"), cols, "text/plain", "text/plain", "plain_agg", ""},
		{"function handler", call, star, "application/vnd.twkb", "application/vnd.twkb", "get_line", ""},
		{"function handler not with a select list", call, cols, "application/vnd.twkb", "", "", "PGRST107"},
		{"first acceptable entry wins", read("lines"), cols, "image/png, text/plain;q=0.5, application/json;q=0.1", "text/plain", "plain_agg", ""},
		{"vendored types are built in", read("other"), star, "application/vnd.pgrst.object+json", "application/vnd.pgrst.object+json", "", ""},
		{"nothing acceptable", read("lines"), star, "image/png", "", "", "PGRST107"},
	} {
		h := http.Header{}
		if tc.accept != "" {
			h.Set("Accept", tc.accept)
		}
		req := &apirequest.Request{Select: tc.sel, Accept: apirequest.ParseAccept(h.Values("Accept"))}
		got, err := NegotiateMedia(req, tc.p, sc, false)
		if tc.code != "" {
			if err == nil || err.Code != tc.code {
				t.Errorf("%s: %+v %v, want %s", tc.name, got, err, tc.code)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		name := ""
		if got.Handler != nil {
			name = got.Handler.Aggregate.Name
			if name == "" {
				name = got.Handler.Target.Name
			}
		}
		if got.Type.Mime() != tc.mime || name != tc.handler {
			t.Errorf("%s: %s by %q, want %s by %q", tc.name, got.Type.Mime(), name, tc.mime, tc.handler)
		}
	}
}
