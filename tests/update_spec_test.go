package tests

import "testing"

// TestUpdateSpec holds UpdateSpec's cases beyond TestUpdateDelete: the
// statuses and Content-Range of PATCH without rows, with one or several,
// with an empty body (no update), `columns` ignoring other keys and
// missing=default, and embeddings after the update.
func TestUpdateSpec(t *testing.T) {
	t.Parallel()
	e := newEnv(t, `
CREATE TABLE api.empty_table (k text, extra int);
CREATE TABLE api.items (id int PRIMARY KEY);
INSERT INTO api.items SELECT generate_series(1, 5);
CREATE TABLE api.no_pk (a text, b text);
INSERT INTO api.no_pk VALUES ('1', '0'), ('2', '0');
CREATE TABLE api.articles (id int PRIMARY KEY, body text, owner text DEFAULT 'me');
INSERT INTO api.articles VALUES (1, 'x', 'o');
CREATE TABLE api.web_content (id int PRIMARY KEY, name text, p_web_id int REFERENCES api.web_content);
INSERT INTO api.web_content VALUES (0, 'tardis', NULL), (1, 'fezz', 0), (2, 'foo', 0), (3, 'bar', 0), (4, 'wut', 1);
GRANT ALL ON ALL TABLES IN SCHEMA api TO web_anon;`, nil)
	rep := []string{"Prefer", "return=representation"}
	cases := []struct {
		name, path, body string
		headers          []string
		status           int
		want, cr, pa     string
	}{
		{"empty table", "/empty_table", `{"extra":20}`, nil, 204, "", "*/*", ""},
		{"whitespace around the body", "/items?id=eq.1", "\t \n \r { \"id\": 99 } \t \n \r ", rep, 200, `[{"id":99}]`, "0-0/*", "return=representation"},
		{"one row", "/items?id=eq.2", `{"id":42}`, nil, 204, "", "0-0/*", ""},
		{"no row, representation", "/items?id=eq.999999", `{"id":999999}`, rep, 200, `[]`, "*/*", "return=representation"},
		{"several rows", "/no_pk?b=eq.0", `{"b":"1"}`, nil, 204, "", "0-1/*", ""},
		{"empty object", "/items", `{}`, nil, 204, "", "*/*", ""},
		{"empty array", "/items", `[]`, nil, 204, "", "*/*", ""},
		{"array of an empty object", "/items", `[{}]`, nil, 204, "", "*/*", ""},
		{"empty object, representation", "/items?select=id", `{}`, rep, 200, `[]`, "*/*", "return=representation"},
		{"columns ignore other keys", "/articles?id=eq.1&columns=body", `{"body":"Some real content","smth":"here"}`, rep, 200,
			`[{"id":1,"body":"Some real content","owner":"o"}]`, "0-0/*", "return=representation"},
		{"columns without a row", "/articles?id=eq.2001&columns=body", `{"body":"Some real content","smth":"here"}`, rep, 200, `[]`, "*/*", "return=representation"},
		{"missing=default", "/articles?id=eq.1&columns=body,owner", `{"body":"b"}`, append([]string{"Prefer", "missing=default"}, rep...), 200,
			`[{"id":1,"body":"b","owner":"me"}]`, "0-0/*", "missing=default, return=representation"},
		{"children embedded after the update", "/web_content?id=eq.0&select=id,name,web_content(name)&web_content.order=id", `{"name":"tardis-patched"}`, rep, 200,
			`[{"id":0,"name":"tardis-patched","web_content":[{"name":"fezz"},{"name":"foo"},{"name":"bar"}]}]`, "0-0/*", "return=representation"},
		{"parent, children and grandchildren filtered", "/web_content?id=eq.0&select=id,name,web_content(name,web_content(name)),parent_content:p_web_id(name)" +
			"&web_content.name=like.f*&web_content.order=id", `{"name":"tardis-patched-2"}`, rep, 200,
			`[{"id":0,"name":"tardis-patched-2","web_content":[{"name":"fezz","web_content":[{"name":"wut"}]},{"name":"foo","web_content":[]}],"parent_content":null}]`,
			"0-0/*", "return=representation"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			want(t, e.send("PATCH", c.path, c.body, c.headers...), c.status, c.want, c.cr, c.pa)
		})
	}
	t.Run("no body", func(t *testing.T) {
		wantError(t, e.send("PATCH", "/items", ""), 400, "PGRST102", "Empty or invalid json", "null", "null")
	})
}
