package plan

import (
	"net/http"
	"strings"
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
	read := func(table string) *target { return &target{Read: &ReadPlan{Table: api(table)}} }
	call := &target{Call: &CallPlan{Routine: &sc.Routines[0]}}
	star := []apirequest.SelectItem{{Column: "*"}}
	cols := []apirequest.SelectItem{{Column: "id"}}
	for _, tc := range []struct {
		name    string
		p       *target
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
		got, err := negotiateMedia(req, tc.p, sc, false)
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

// TestNegotiateBuiltins: with no custom handler, reads choose among the
// built-in representations, plans only with db-plan-enabled, and writes
// never plans; PGRST107 lists every entry in negotiation order.
func TestNegotiateBuiltins(t *testing.T) {
	sc := &schemacache.SchemaCache{Tables: []schemacache.Table{{Schema: "api", Name: "t"}}}
	sc.Index()
	read := &target{Read: &ReadPlan{Table: schemacache.QI{Schema: "api", Name: "t"}}}
	for _, c := range []struct {
		accept []string
		chosen string // "" = PGRST107
		plan   bool
	}{
		{nil, "application/json", false},
		{[]string{""}, "application/json", false},
		{[]string{"text/html,*/*;q=0.8"}, "application/json", false},
		{[]string{"text/*;q=0.9", "text/csv;q=0.9"}, "text/csv", false},
		{[]string{"a/b;x=1, a/c"}, "", false},
		{[]string{"application/vnd.pgrst.object+json;nulls=stripped;q=0.1, text/xml"}, "application/vnd.pgrst.object+json;nulls=stripped", false},
		{[]string{"application/vnd.pgrst.plan"}, "", false},
		{[]string{`application/vnd.pgrst.plan+json; for="text/csv"; options=wal|analyze`}, `application/vnd.pgrst.plan+json; for="text/csv"; options=analyze|wal`, true},
		{[]string{`application/vnd.pgrst.plan; for="text/html"`}, "", true},
	} {
		accepts := apirequest.ParseAccept(c.accept)
		var mimes []string
		for _, m := range accepts {
			mimes = append(mimes, m.Mime())
		}
		m, err := negotiateMedia(&apirequest.Request{Accept: accepts}, read, sc, c.plan)
		switch {
		case c.chosen == "" && (err == nil || err.Code != "PGRST107" ||
			err.Message != "None of these media types are available: "+strings.Join(mimes, ", ")):
			t.Errorf("%q: want PGRST107, got %v %v", c.accept, m, err)
		case c.chosen != "" && (err != nil || m.Type.Mime() != c.chosen):
			t.Errorf("%q: chose %q (%v), want %q", c.accept, m.Type.Mime(), err, c.chosen)
		}
		// Writes take the same built-in types, and a plan of one only when
		// plans are enabled.
		w, werr := negotiateMutation(accepts, c.plan)
		if strings.Contains(strings.Join(mimes, ","), "plan") {
			if !c.plan && werr == nil && w.Type.Kind == apirequest.MediaPlan {
				t.Errorf("%q: a write chose a plan with plans disabled", c.accept)
			}
			if c.plan && err == nil && m.Handler == nil && m.Type.Kind == apirequest.MediaPlan &&
				(werr != nil || w.Type.Mime() != m.Type.Mime()) {
				t.Errorf("%q: write chose %v (%v), read %v", c.accept, w, werr, m)
			}
			continue
		}
		if c.plan {
			continue
		}
		if (werr == nil) != (err == nil) || (err == nil && w.Type.Mime() != m.Type.Mime()) {
			t.Errorf("%q: write chose %v (%v), read %v (%v)", c.accept, w, werr, m, err)
		}
	}
}

func TestNegotiateOpenAPI(t *testing.T) {
	for accept, ok := range map[string]bool{
		"": true, "*/*": true, "application/json": true, "application/openapi+json": true,
		"text/csv, application/json;q=0.5": true, "text/csv": false, "application/vnd.pgrst.object+json": false,
	} {
		var headers []string
		if accept != "" {
			headers = []string{accept}
		}
		m, err := negotiateOpenAPI(apirequest.ParseAccept(headers))
		if (err == nil) != ok {
			t.Errorf("Accept %q: error %v", accept, err)
		}
		if err != nil && (err.Code != "PGRST107" || err.Status != 406) {
			t.Errorf("Accept %q: %s %d", accept, err.Code, err.Status)
		}
		if err == nil && m.Type.Kind != apirequest.MediaOpenAPI {
			t.Errorf("Accept %q: %s", accept, m.Type.Mime())
		}
	}
}
