package tests

import (
	"net/http"
	"testing"
)

// mediaSQL adds PostgREST's media type handler examples to the sample
// schema: a function handler over bytea, a table's aggregate overriding
// text/csv, a view's "*/*" handler, and an anyelement text/plain handler.
const mediaSQL = `
CREATE DOMAIN api."application/vnd.twkb" AS bytea;
CREATE DOMAIN api."text/csv" AS text;
CREATE DOMAIN api."*/*" AS xml;
CREATE DOMAIN api."text/plain" AS text;
CREATE TABLE api.lines (id int PRIMARY KEY, name text, data bytea);
INSERT INTO api.lines VALUES (1, 'line-1', '\x0102ff'), (2, 'line-2', '\x00');
GRANT SELECT ON api.lines TO web_anon;

CREATE FUNCTION api.get_line(id int) RETURNS api."application/vnd.twkb" LANGUAGE sql STABLE
  AS $$ SELECT data FROM api.lines WHERE lines.id = get_line.id $$;

CREATE FUNCTION api.bom_csv_trans(state text, next api.lines) RETURNS api."text/csv" LANGUAGE sql
  AS $$ SELECT state || next.id::text || ',' || next.name || E'\n' $$;
CREATE FUNCTION api.bom_csv_final(data api."text/csv") RETURNS api."text/csv" LANGUAGE sql AS $$
  SELECT set_config('response.headers', '[{"Content-Disposition": "attachment; filename=\"lines.csv\""}]', true);
  SELECT convert_from(decode('EFBBBF', 'hex'), 'UTF8') || E'id,name\n' || data $$;
CREATE AGGREGATE api.bom_csv_agg(api.lines) (initcond = '', stype = api."text/csv",
  sfunc = api.bom_csv_trans, finalfunc = api.bom_csv_final);

CREATE VIEW api."lines.xml" AS SELECT id, name FROM api.lines;
GRANT SELECT ON api."lines.xml" TO web_anon;
CREATE FUNCTION api.lines_xml_trans(state api."*/*", next api."lines.xml") RETURNS api."*/*" LANGUAGE sql
  AS $$ SELECT xmlconcat(state, xmlelement(name line, xmlattributes(next.id AS id, next.name AS name))) $$;
CREATE AGGREGATE api.lines_xml_agg(api."lines.xml") (stype = api."*/*", sfunc = api.lines_xml_trans);

CREATE FUNCTION api.plain_trans(state api."text/plain", next anyelement) RETURNS api."text/plain" LANGUAGE sql
  AS $$ SELECT state || next::text || E'\n' $$;
CREATE AGGREGATE api.plain_agg(anyelement) (initcond = '', stype = api."text/plain", sfunc = api.plain_trans);
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA api TO web_anon;
`

// TestMediaTypeHandlers: custom media type handlers from the schema cache
// answer their media types, override built-ins, and leave the rest alone,
// as PostgREST's media type handlers.
func TestMediaTypeHandlers(t *testing.T) {
	t.Parallel()
	e := sampleEnvWith(t, mediaSQL, nil)
	check := func(t *testing.T, r response, status int, ctype, body string) {
		t.Helper()
		if r.Status != status || r.Header.Get("Content-Type") != ctype || r.Body != body {
			t.Fatalf("got %d %q %q, want %d %q %q", r.Status, r.Header.Get("Content-Type"), r.Body, status, ctype, body)
		}
	}

	t.Run("function handler returns bytes", func(t *testing.T) {
		check(t, e.send("GET", "/rpc/get_line?id=1", "", "Accept", "application/vnd.twkb"), 200,
			"application/vnd.twkb", "\x01\x02\xff")
		// Without the media type the same function answers JSON.
		check(t, e.get("/rpc/get_line?id=2"), 200, "application/json; charset=utf-8", `"\\x00"`)
	})
	t.Run("table aggregate overrides text/csv", func(t *testing.T) {
		r := e.send("GET", "/lines?order=id", "", "Accept", "text/csv")
		check(t, r, 200, "text/csv; charset=utf-8", "\ufeffid,name\n1,line-1\n2,line-2\n")
		if d := r.Header.Get("Content-Disposition"); d != `attachment; filename="lines.csv"` {
			t.Errorf("Content-Disposition = %q", d)
		}
		// Other relations keep the built-in CSV.
		check(t, e.send("GET", "/authors?select=id&id=lt.3&order=id", "", "Accept", "text/csv"), 200,
			"text/csv; charset=utf-8", "id\n1\n2")
	})
	t.Run("the any handler answers everything with the default select", func(t *testing.T) {
		xml := `<line id="1" name="line-1"/><line id="2" name="line-2"/>`
		check(t, e.get("/lines.xml?order=id"), 200, "application/octet-stream", xml)
		check(t, e.send("GET", "/lines.xml?order=id", "", "Accept", "application/json"), 200, "application/octet-stream", xml)
		// A select list is not the whole row: the built-in JSON answers.
		check(t, e.get("/lines.xml?select=id&order=id"), 200, "application/json; charset=utf-8", "[{\"id\":1}, \n {\"id\":2}]")
	})
	t.Run("anyelement aggregate serves every relation", func(t *testing.T) {
		check(t, e.send("GET", "/authors?select=id,name&id=lt.3&order=id", "", "Accept", "text/plain"), 200,
			"text/plain; charset=utf-8", "(1,\"Ursula K. Le Guin\")\n(2,\"Terry Pratchett\")\n")
	})
	t.Run("HEAD and unknown types", func(t *testing.T) {
		r := e.send(http.MethodHead, "/rpc/get_line?id=1", "", "Accept", "application/vnd.twkb")
		check(t, r, 200, "application/vnd.twkb", "")
		wantError(t, e.send("GET", "/lines", "", "Accept", "application/vnd.unknown"), 406, "PGRST107",
			"None of these media types are available: application/vnd.unknown", "null", "null")
	})
}
