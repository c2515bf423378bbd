package tests

import "testing"

// upsertSQL holds the tables of PostgREST's UpsertSpec: single, composite
// and camel-case primary keys, a partitioned table, unique keys for
// on_conflict, surrogate keys with defaults, a key-only table and a table
// without a primary key.
const upsertSQL = `
CREATE TABLE api.tiobe_pls (name text PRIMARY KEY, rank int);
INSERT INTO api.tiobe_pls VALUES ('Java', 1), ('C', 2), ('Python', 3);
CREATE TABLE api.employees (first_name text, last_name text, salary money, company text, occupation text,
  PRIMARY KEY (first_name, last_name));
INSERT INTO api.employees VALUES ('Frances M.', 'Roe', '24000', 'One-Up Realty', 'Author'),
  ('Daniel B.', 'Lyon', '72000', NULL, NULL);
CREATE TABLE api.car_models (name text, year int, car_brand_name text, PRIMARY KEY (name, year)) PARTITION BY LIST (year);
CREATE TABLE api.car_models_default PARTITION OF api.car_models DEFAULT;
INSERT INTO api.car_models VALUES ('Murcielago', 2001, 'Lamborghini'), ('DeLorean', 1981, 'DMC');
CREATE TABLE api.single_unique (unique_key int UNIQUE NOT NULL, value text);
INSERT INTO api.single_unique VALUES (1, 'A');
CREATE TABLE api.compound_unique (key1 int NOT NULL, key2 int NOT NULL, value text, UNIQUE (key1, key2));
INSERT INTO api.compound_unique VALUES (1, 1, 'A');
CREATE TABLE api.surr_serial_upsert (id serial PRIMARY KEY, name text, extra text);
INSERT INTO api.surr_serial_upsert (name, extra) VALUES ('value', 'existing value');
CREATE TABLE api.only_pk (id int PRIMARY KEY);
INSERT INTO api.only_pk VALUES (1), (2);
CREATE TABLE api.no_pk (a text, b text);
CREATE TABLE api."UnitTest" ("idUnitTest" int PRIMARY KEY, "nameUnitTest" text);
INSERT INTO api."UnitTest" VALUES (1, 'name of unittest 1');
GRANT ALL ON ALL TABLES IN SCHEMA api TO web_anon;
GRANT USAGE ON ALL SEQUENCES IN SCHEMA api TO web_anon;
`

// TestUpsertSpec holds UpsertSpec's cases beyond TestUpsert and TestPut:
// composite, partitioned, unique-key, surrogate, key-only and camel-case
// conflicts with both resolutions, a table without a primary key (the
// resolution is neither used nor reported), and PUT's restrictions and
// replacements on those keys.
func TestUpsertSpec(t *testing.T) {
	t.Parallel()
	e := newEnv(t, upsertSQL, nil)
	merge := []string{"Prefer", "return=representation", "Prefer", "resolution=merge-duplicates"}
	ignore := []string{"Prefer", "return=representation", "Prefer", "resolution=ignore-duplicates"}
	const mergeApplied = "resolution=merge-duplicates, return=representation"
	const ignoreApplied = "resolution=ignore-duplicates, return=representation"
	post := func(t *testing.T, path, body string, prefer []string, status int, want, applied string) {
		t.Helper()
		r := e.send("POST", path, body, prefer...)
		if r.Status != status || compact(t, r.Body) != want || r.Header.Get("Preference-Applied") != applied {
			t.Fatalf("POST %s\n got %d %s (%q)\nwant %d %s (%q)", path, r.Status, r.Body, r.Header.Get("Preference-Applied"), status, want, applied)
		}
	}
	put := func(t *testing.T, path, body string, status int, want string, headers ...string) {
		t.Helper()
		r := e.send("PUT", path, body, append([]string{"Prefer", "return=representation"}, headers...)...)
		got := r.Body
		if got != "" {
			got = compact(t, got)
		}
		if r.Status != status || got != want {
			t.Fatalf("PUT %s\n got %d %s\nwant %d %s", path, r.Status, r.Body, status, want)
		}
	}
	const pk105 = "Filters must include all and only primary key columns with 'eq' operators"

	t.Run("merge on a composite key", func(t *testing.T) {
		post(t, "/employees", `[{"first_name":"Frances M.","last_name":"Roe","salary":"30000"},{"first_name":"Peter S.","last_name":"Yang","salary":42000}]`,
			merge, 201, `[{"first_name":"Frances M.","last_name":"Roe","salary":"$30,000.00","company":"One-Up Realty","occupation":"Author"},`+
				`{"first_name":"Peter S.","last_name":"Yang","salary":"$42,000.00","company":null,"occupation":null}]`, mergeApplied)
	})
	t.Run("merge on a partitioned table", func(t *testing.T) {
		post(t, "/car_models", `[{"name":"Murcielago","year":2001,"car_brand_name":null},{"name":"Roma","year":2021,"car_brand_name":"Ferrari"}]`,
			merge, 201, `[{"name":"Murcielago","year":2001,"car_brand_name":null},{"name":"Roma","year":2021,"car_brand_name":"Ferrari"}]`, mergeApplied)
	})
	t.Run("merge on unique keys", func(t *testing.T) {
		post(t, "/single_unique?on_conflict=unique_key", `[{"unique_key":1,"value":"B"},{"unique_key":2,"value":"C"}]`,
			merge, 201, `[{"unique_key":1,"value":"B"},{"unique_key":2,"value":"C"}]`, mergeApplied)
		post(t, "/compound_unique?on_conflict=key1,key2", `[{"key1":1,"key2":1,"value":"B"},{"key1":1,"key2":2,"value":"C"}]`,
			merge, 201, `[{"key1":1,"key2":1,"value":"B"},{"key1":1,"key2":2,"value":"C"}]`, mergeApplied)
	})
	t.Run("ignore on unique keys", func(t *testing.T) {
		post(t, "/compound_unique?on_conflict=key1,key2", `[{"key1":1,"key2":1,"value":"X"},{"key1":1,"key2":3,"value":"D"}]`,
			ignore, 201, `[{"key1":1,"key2":3,"value":"D"}]`, ignoreApplied)
	})
	t.Run("merge with a serial key and missing=default", func(t *testing.T) {
		post(t, "/surr_serial_upsert?columns=id,name&select=name,extra", `[{"id":1,"name":"updated value"},{"name":"new value"}]`,
			append([]string{"Prefer", "missing=default"}, merge...), 201,
			`[{"name":"updated value","extra":"existing value"},{"name":"new value","extra":null}]`,
			"resolution=merge-duplicates, missing=default, return=representation")
	})
	t.Run("key-only table", func(t *testing.T) {
		post(t, "/only_pk", `[{"id":1},{"id":2},{"id":4}]`, merge, 201, `[{"id":1},{"id":2},{"id":4}]`, mergeApplied)
		post(t, "/only_pk", `[{"id":1},{"id":2},{"id":3}]`, ignore, 201, `[{"id":3}]`, ignoreApplied)
	})
	t.Run("no primary key ignores the resolution", func(t *testing.T) {
		post(t, "/no_pk", `[{"a":"1","b":"0"}]`, merge, 201, `[{"a":"1","b":"0"}]`, "return=representation")
	})
	t.Run("ignore with nothing created", func(t *testing.T) {
		post(t, "/tiobe_pls", `[{"name":"Java","rank":1},{"name":"C","rank":2}]`, ignore, 201, `[]`, ignoreApplied)
	})
	t.Run("camel-case key", func(t *testing.T) {
		post(t, "/UnitTest", `[{"idUnitTest":1,"nameUnitTest":"name of unittest 1"},{"idUnitTest":2,"nameUnitTest":"name of unittest 2"}]`,
			ignore, 201, `[{"idUnitTest":2,"nameUnitTest":"name of unittest 2"}]`, ignoreApplied)
		r := e.send("PUT", "/UnitTest?idUnitTest=eq.1", `[{"idUnitTest":1,"nameUnitTest":"unit test 1"}]`, "Prefer", "return=minimal")
		want(t, r, 204, "", "", "return=minimal")
	})
	t.Run("put restrictions", func(t *testing.T) {
		wantError(t, e.send("PUT", "/tiobe_pls?name=eq.Javascript&offset=1", `[{"name":"Javascript","rank":1}]`), 400, "PGRST114",
			"limit/offset querystring parameters are not allowed for PUT", "null", "null")
		for _, p := range []string{"/tiobe_pls?name=in.(Go)", "/tiobe_pls?and=(name.eq.Go)", "/employees?first_name=eq.Susan", "/no_pk?a=eq.one&b=eq.two"} {
			wantError(t, e.send("PUT", p, `[{"name":"Go","rank":19}]`), 405, "PGRST105", pk105, "null", "null")
		}
		wantError(t, e.send("PUT", "/employees?first_name=eq.Wendy&last_name=eq.Anderson",
			`[{"first_name":"Susan","last_name":"Heidt","salary":"48000"}]`), 400, "PGRST115",
			"Payload values do not match URL in primary key column(s)", "null", "null")
	})
	t.Run("put on composite keys", func(t *testing.T) {
		put(t, "/employees?first_name=eq.Susan&last_name=eq.Heidt", `[{"first_name":"Susan","last_name":"Heidt","salary":"48000","company":"GEX","occupation":"Railroad engineer"}]`,
			201, `[{"first_name":"Susan","last_name":"Heidt","salary":"$48,000.00","company":"GEX","occupation":"Railroad engineer"}]`)
		put(t, "/car_models?name=eq.DeLorean&year=eq.1981", `[{"name":"DeLorean","year":1981,"car_brand_name":null}]`,
			200, `[{"name":"DeLorean","year":1981,"car_brand_name":null}]`)
		put(t, "/only_pk?id=eq.10", `[{"id":10}]`, 201, `[{"id":10}]`)
	})
	t.Run("put takes the first row and ignores Range", func(t *testing.T) {
		put(t, "/tiobe_pls?name=eq.Java", `[{"name":"Java","rank":19},{"name":"Swift","rank":12}]`, 200, `{"name":"Java","rank":19}`,
			"Accept", "application/vnd.pgrst.object+json")
		put(t, "/tiobe_pls?name=eq.Java", `[{"name":"Java","rank":5}]`, 200, `[{"name":"Java","rank":5}]`, "Range", "1-1")
		put(t, "/tiobe_pls?name=eq.Ruby", `[{"name":"Ruby","rank":11}]`, 201, `{"name":"Ruby","rank":11}`,
			"Accept", "application/vnd.pgrst.object+json")
	})
}
