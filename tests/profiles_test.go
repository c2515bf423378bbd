package tests

import (
	"net/http"
	"testing"

	"github.com/pgrest-lambda/pgrest-lambda/internal/config"
)

// TestSchemaProfiles: Accept-Profile (reads) and Content-Profile (POST)
// pick one of db-schemas, the first is the default, the response names the
// schema used, relationships resolve within it, and another schema is
// PGRST106 with the seed's message.
func TestSchemaProfiles(t *testing.T) {
	t.Parallel()
	e := newEnv(t, `
		CREATE TABLE api.items (id int PRIMARY KEY, name text);
		INSERT INTO api.items VALUES (1, 'from api');
		CREATE SCHEMA tenant2; GRANT USAGE ON SCHEMA tenant2 TO web_anon;
		CREATE TABLE tenant2.owners (id int PRIMARY KEY, name text);
		CREATE TABLE tenant2.items (id int PRIMARY KEY, name text, owner_id int REFERENCES tenant2.owners(id));
		INSERT INTO tenant2.owners VALUES (7, 'olga');
		INSERT INTO tenant2.items VALUES (1, 'from tenant2', 7);
		GRANT SELECT ON ALL TABLES IN SCHEMA tenant2 TO web_anon;
		CREATE FUNCTION tenant2.whoami() RETURNS text LANGUAGE sql STABLE AS $$ SELECT 'tenant2' $$;
		GRANT EXECUTE ON FUNCTION tenant2.whoami() TO web_anon;`,
		func(c *config.Config) { c.DBSchemas = []string{"api", "tenant2"} })
	get := func(path, header, profile string) response {
		req, _ := http.NewRequest(http.MethodGet, e.api.URL+path, nil)
		if profile != "" {
			req.Header.Set(header, profile)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var b [4096]byte
		n, _ := res.Body.Read(b[:])
		return response{Status: res.StatusCode, Header: res.Header, Body: string(b[:n])}
	}
	r := get("/items?select=name", "", "")
	if r.Status != 200 || r.Body != `[{"name":"from api"}]` || r.Header.Get("Content-Profile") != "api" {
		t.Fatalf("default profile: %d %s %v", r.Status, r.Body, r.Header)
	}
	if v := r.Header.Get("Vary"); v != "Accept, Prefer, Range, Accept-Profile" {
		t.Errorf("Vary = %q", v)
	}
	r = get("/items?select=name,owners(name)", "Accept-Profile", "tenant2")
	if r.Status != 200 || r.Body != `[{"name":"from tenant2","owners":{"name":"olga"}}]` || r.Header.Get("Content-Profile") != "tenant2" {
		t.Fatalf("tenant2 profile: %d %s %v", r.Status, r.Body, r.Header)
	}
	// Relationships resolve within the selected schema only.
	wantError(t, get("/items?select=name,owners(name)", "", ""), 400, "PGRST200", "", "", "")
	wantError(t, get("/items", "Accept-Profile", "private"), 406, "PGRST106",
		"The schema must be one of the following: api, tenant2", "null", "null")
	if r := e.do(http.MethodPost, "/rpc/whoami", ""); r.Status != 404 {
		t.Fatalf("whoami in the default schema: %d %s", r.Status, r.Body)
	}
	req, _ := http.NewRequest(http.MethodPost, e.api.URL+"/rpc/whoami", nil)
	req.Header.Set("Content-Profile", "tenant2")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 || res.Header.Get("Content-Profile") != "tenant2" ||
		res.Header.Get("Vary") != "Accept, Prefer, Range, Content-Profile" {
		t.Fatalf("POST with Content-Profile: %d %v", res.StatusCode, res.Header)
	}
}
