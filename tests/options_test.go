package tests

import (
	"net/http"
	"testing"
)

// TestOptionsAndCORS: OPTIONS answers from the schema cache with the
// methods PostgREST allows, and CORS preflights are answered up front.
func TestOptionsAndCORS(t *testing.T) {
	t.Parallel()
	e := newEnv(t, sampleSQL(t)+`
		CREATE VIEW api.readonly_counts AS SELECT author_id, count(*) AS n FROM api.books GROUP BY author_id;
		CREATE VIEW api.simple_books AS SELECT id, title FROM api.books;
		CREATE TABLE api.nokey (x int);
		CREATE VIEW api.author_totals AS SELECT author_id, count(*) AS n FROM api.books GROUP BY author_id;
		CREATE FUNCTION api.author_totals_write() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
		CREATE TRIGGER w INSTEAD OF INSERT OR DELETE ON api.author_totals FOR EACH ROW EXECUTE FUNCTION api.author_totals_write();
		CREATE VIEW api.insert_only AS SELECT author_id, count(*) AS n FROM api.books GROUP BY author_id;
		CREATE TRIGGER w INSTEAD OF INSERT ON api.insert_only FOR EACH ROW EXECUTE FUNCTION api.author_totals_write();`, nil)
	for _, c := range []struct{ path, allow string }{
		{"/books", "OPTIONS,GET,HEAD,POST,PUT,PATCH,DELETE"},
		{"/nokey", "OPTIONS,GET,HEAD,POST,PATCH,DELETE"},
		{"/readonly_counts", "OPTIONS,GET,HEAD"},
		// Views that are not auto-updatable: INSTEAD OF triggers decide.
		{"/author_totals", "OPTIONS,GET,HEAD,POST,DELETE"},
		{"/insert_only", "OPTIONS,GET,HEAD,POST"},
		{"/simple_books", "OPTIONS,GET,HEAD,POST,PUT,PATCH,DELETE"},
		{"/rpc/add?a=1&b=2", "OPTIONS,GET,HEAD,POST"},
		{"/rpc/add_tag?name=x", "OPTIONS,POST"},
		{"/", "OPTIONS,GET,HEAD"},
	} {
		r := e.do(http.MethodOptions, c.path, "")
		if r.Status != 200 || r.Body != "" || r.Header.Get("Allow") != c.allow {
			t.Errorf("OPTIONS %s: %d %q Allow %q, want %q", c.path, r.Status, r.Body, r.Header.Get("Allow"), c.allow)
		}
	}
	wantError(t, e.do(http.MethodOptions, "/nope", ""), 404, "PGRST205", "", "", "")
	wantError(t, e.do(http.MethodOptions, "/rpc/add", ""), 404, "PGRST202", "", "", "")

	req, _ := http.NewRequest(http.MethodOptions, e.api.URL+"/books", nil)
	req.Header.Set("Origin", "https://app.example")
	req.Header.Set("Access-Control-Request-Method", "POST")
	req.Header.Set("Access-Control-Request-Headers", "content-type, prefer")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	for k, v := range map[string]string{
		"Access-Control-Allow-Origin":  "*",
		"Access-Control-Allow-Methods": "GET, POST, PATCH, PUT, DELETE, OPTIONS",
		"Access-Control-Allow-Headers": "Authorization, content-type, prefer",
		"Access-Control-Max-Age":       "86400",
	} {
		if got := res.Header.Get(k); got != v {
			t.Errorf("preflight %s = %q, want %q", k, got, v)
		}
	}
	req, _ = http.NewRequest(http.MethodGet, e.api.URL+"/books?select=id&id=eq.1", nil)
	req.Header.Set("Origin", "https://app.example")
	res, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 || res.Header.Get("Access-Control-Allow-Origin") != "*" ||
		res.Header.Get("Access-Control-Expose-Headers") == "" {
		t.Errorf("GET with Origin: %d %v", res.StatusCode, res.Header)
	}
}
