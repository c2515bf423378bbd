package tests

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/pgrest-lambda/pgrest-lambda/internal/config"
)

// notesSQL adds a writable table next to the sample schema.
const notesSQL = `
CREATE TABLE api.notes (
  id      serial PRIMARY KEY,
  body    text NOT NULL,
  author_id int REFERENCES api.authors (id),
  status  text NOT NULL DEFAULT 'draft'
);
CREATE TABLE api.labels (name text PRIMARY KEY, uses int NOT NULL DEFAULT 0);
GRANT SELECT, INSERT, UPDATE, DELETE ON api.notes, api.labels TO web_anon;
GRANT USAGE ON SEQUENCE api.notes_id_seq TO web_anon;
`

// notesEnv serves the sample schema plus api.notes and api.labels.
func notesEnv(t *testing.T) *env {
	t.Helper()
	return newEnv(t, sampleSQL(t)+notesSQL, nil)
}

// rowCount counts rows of a table through the superuser connection.
func rowCount(t *testing.T, e *env, sql string) int {
	t.Helper()
	var n int
	if err := e.db.QueryRow(context.Background(), sql).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestInsert(t *testing.T) {
	t.Parallel()
	e := notesEnv(t)
	rep := []string{"Prefer", "return=representation"}

	t.Run("minimal by default", func(t *testing.T) {
		r := e.send("POST", "/notes", `{"body":"first"}`)
		want(t, r, 201, "", "*/*", "")
		if n := rowCount(t, e, `SELECT count(*) FROM api.notes WHERE body = 'first'`); n != 1 {
			t.Fatalf("rows = %d", n)
		}
	})
	t.Run("representation with embedding", func(t *testing.T) {
		r := e.send("POST", "/notes?select=body,status,authors(name)", `{"body":"x","author_id":2}`, rep...)
		want(t, r, 201, `[{"body":"x","status":"draft","authors":{"name":"Terry Pratchett"}}]`, "*/*", "return=representation")
		if ct := r.Header.Get("Content-Type"); ct != jsonCT {
			t.Errorf("Content-Type = %q", ct)
		}
	})
	t.Run("array with exact count", func(t *testing.T) {
		r := e.send("POST", "/notes?select=body", `[{"body":"a"},{"body":"b"}]`,
			"Prefer", "return=representation, count=exact")
		want(t, r, 201, `[{"body":"a"},{"body":"b"}]`, "*/2", "return=representation, count=exact")
	})
	t.Run("headers-only gives Location", func(t *testing.T) {
		r := e.send("POST", "/notes", `{"id":100,"body":"located"}`, "Prefer", "return=headers-only")
		want(t, r, 201, "", "*/*", "return=headers-only")
		if loc := r.Header.Get("Location"); loc != "/notes?id=eq.100" {
			t.Errorf("Location = %q", loc)
		}
	})
	t.Run("headers-only on a view gives its inferred key", func(t *testing.T) {
		mustExec(t, e.db, `CREATE VIEW api.note_view AS SELECT id, body FROM api.notes;
			GRANT SELECT, INSERT ON api.note_view TO web_anon; NOTIFY pgrst, 'reload schema'`)
		e.waitBuild("notify")
		r := e.send("POST", "/note_view", `{"id":101,"body":"viewed"}`, "Prefer", "return=headers-only")
		want(t, r, 201, "", "*/*", "return=headers-only")
		if loc := r.Header.Get("Location"); loc != "/note_view?id=eq.101" {
			t.Errorf("Location = %q", loc)
		}
	})
	t.Run("columns picks keys", func(t *testing.T) {
		r := e.send("POST", "/notes?columns=body&select=body,status", `{"body":"c","status":"ignored"}`, rep...)
		want(t, r, 201, `[{"body":"c","status":"draft"}]`, "*/*", "return=representation")
	})
	t.Run("missing null overrides defaults", func(t *testing.T) {
		r := e.send("POST", "/labels?columns=name,uses", `[{"name":"n1"}]`)
		if r.Status != 400 {
			t.Fatalf("status = %d, body %s (a null for a NOT NULL column must fail)", r.Status, r.Body)
		}
	})
	t.Run("missing default", func(t *testing.T) {
		r := e.send("POST", "/labels?columns=name,uses", `[{"name":"n2"},{"name":"n3","uses":5}]`,
			"Prefer", "missing=default, return=representation")
		want(t, r, 201, `[{"name":"n2","uses":0},{"name":"n3","uses":5}]`, "*/*", "missing=default, return=representation")
	})
	t.Run("invalid json", func(t *testing.T) {
		wantError(t, e.send("POST", "/notes", `{"body":`), 400, "PGRST102", "Empty or invalid json", "null", "null")
		wantError(t, e.send("POST", "/notes", `42x`), 400, "PGRST102", "Empty or invalid json", "", "")
	})
	t.Run("keys must match", func(t *testing.T) {
		wantError(t, e.send("POST", "/notes", `[{"body":"a"},{"status":"b"}]`), 400, "PGRST102", "All object keys must match", "", "")
		// InsertSpec: an array not made of objects only.
		wantError(t, e.send("POST", "/notes", `[{"body":"a"},123,"xxxx",{"body":"b"}]`), 400, "PGRST102", "All object keys must match", "null", "null")
	})
	t.Run("other JSON values are no rows", func(t *testing.T) {
		// PostgREST's payloadAttributes truncates them to an empty array.
		want(t, e.send("POST", "/notes", `42`, "Prefer", "count=exact"), 201, "", "*/0", "count=exact")
	})
	t.Run("unknown column", func(t *testing.T) {
		wantError(t, e.send("POST", "/notes", `{"nope":1}`), 400, "PGRST204",
			"Could not find the 'nope' column of 'notes' in the schema cache", "null", "null")
		wantError(t, e.send("POST", "/notes?columns=body,zzz", `{"body":"a"}`), 400, "PGRST204",
			"Could not find the 'zzz' column of 'notes' in the schema cache", "", "")
	})
	t.Run("empty array inserts nothing", func(t *testing.T) {
		want(t, e.send("POST", "/notes", `[]`, "Prefer", "count=exact"), 201, "", "*/0", "count=exact")
	})
	t.Run("empty object uses defaults", func(t *testing.T) {
		// body has no default: the NOT NULL violation shows the row was attempted.
		wantError(t, e.send("POST", "/notes", `{}`), 400, "23502", "", "", "")
	})
	t.Run("values are parameters", func(t *testing.T) {
		r := e.send("POST", "/notes?select=body", `{"body":"'); DROP TABLE api.notes; --"}`, rep...)
		want(t, r, 201, `[{"body":"'); DROP TABLE api.notes; --"}]`, "*/*", "return=representation")
	})
}

// sendCSV posts a text/csv body.
func sendCSV(t *testing.T, e *env, path, body string, headers ...string) response {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, e.api.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "text/csv; charset=utf-8")
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Add(headers[i], headers[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return response{Status: res.StatusCode, Header: res.Header, Body: string(b)}
}

func TestInsertCSV(t *testing.T) {
	t.Parallel()
	e := notesEnv(t)

	t.Run("rows with quoting and NULL", func(t *testing.T) {
		body := "id,body,author_id\r\n" +
			"201,\"commas, \"\"quotes\"\"\nand a newline\",2\r\n" +
			"202,,NULL\r\n"
		r := sendCSV(t, e, "/notes?select=id,body,author_id,status", body,
			"Prefer", "return=representation, count=exact")
		want(t, r, 201, `[{"id":201,"body":"commas, \"quotes\"\nand a newline","author_id":2,"status":"draft"},`+
			`{"id":202,"body":"","author_id":null,"status":"draft"}]`, "*/2", "return=representation, count=exact")
		if n := rowCount(t, e, `SELECT count(*) FROM api.notes WHERE id IN (201, 202)`); n != 2 {
			t.Fatalf("rows = %d", n)
		}
	})
	t.Run("csv representation", func(t *testing.T) {
		r := sendCSV(t, e, "/notes?select=id", "id,body\n203,x\n204,y", "Accept", "text/csv", "Prefer", "return=representation")
		want(t, r, 201, "id\n203\n204", "*/*", "return=representation")
		if ct := r.Header.Get("Content-Type"); ct != "text/csv; charset=utf-8" {
			t.Errorf("Content-Type = %q", ct)
		}
	})
	t.Run("NULL for a NOT NULL column fails", func(t *testing.T) {
		wantError(t, sendCSV(t, e, "/notes", "id,body\n205,NULL\n"), 400, "23502", "", "", "")
	})
	t.Run("too few fields", func(t *testing.T) {
		wantError(t, sendCSV(t, e, "/notes", "id,body\n206,a\n207"), 400, "PGRST102",
			"All lines must have same number of fields", "", "")
		if n := rowCount(t, e, `SELECT count(*) FROM api.notes WHERE id IN (206, 207)`); n != 0 {
			t.Fatalf("rows = %d", n)
		}
	})
	t.Run("unknown column", func(t *testing.T) {
		wantError(t, sendCSV(t, e, "/notes", "body,nope\na,b\n"), 400, "PGRST204",
			"Could not find the 'nope' column of 'notes' in the schema cache", "", "")
	})
}

func TestUpdateDelete(t *testing.T) {
	t.Parallel()
	e := notesEnv(t)
	mustExec(t, e.db, `INSERT INTO api.notes (id, body) VALUES (1, 'a'), (2, 'b'), (3, 'c')`)

	t.Run("patch minimal", func(t *testing.T) {
		r := e.send("PATCH", "/notes?id=in.(1,2)", `{"status":"done"}`)
		want(t, r, 204, "", "0-1/*", "")
		if n := rowCount(t, e, `SELECT count(*) FROM api.notes WHERE status = 'done'`); n != 2 {
			t.Fatalf("updated rows = %d", n)
		}
	})
	t.Run("patch representation with logic", func(t *testing.T) {
		r := e.send("PATCH", "/notes?select=id,body&or=(id.eq.3,body.eq.zzz)", `{"body":"C"}`,
			"Prefer", "return=representation, count=exact")
		want(t, r, 200, `[{"id":3,"body":"C"}]`, "0-0/1", "return=representation, count=exact")
	})
	t.Run("patch no match", func(t *testing.T) {
		want(t, e.send("PATCH", "/notes?id=eq.99", `{"body":"x"}`), 204, "", "*/*", "")
	})
	t.Run("patch empty object", func(t *testing.T) {
		want(t, e.send("PATCH", "/notes?id=eq.1", `{}`), 204, "", "*/*", "")
	})
	t.Run("patch unknown column", func(t *testing.T) {
		wantError(t, e.send("PATCH", "/notes?id=eq.1", `{"bogus":1}`), 400, "PGRST204",
			"Could not find the 'bogus' column of 'notes' in the schema cache", "", "")
	})
	t.Run("max-affected strict rolls back", func(t *testing.T) {
		r := e.send("PATCH", "/notes?id=gt.0", `{"body":"all"}`, "Prefer", "handling=strict, max-affected=1")
		wantError(t, r, 400, "PGRST124", "Query result exceeds max-affected preference constraint", "The query affects 3 rows", "")
		if n := rowCount(t, e, `SELECT count(*) FROM api.notes WHERE body = 'all'`); n != 0 {
			t.Fatalf("rows changed despite the rollback: %d", n)
		}
	})
	t.Run("delete representation", func(t *testing.T) {
		r := e.send("DELETE", "/notes?id=eq.2&select=id", "", "Prefer", "return=representation")
		want(t, r, 200, `[{"id":2}]`, "*/*", "return=representation")
	})
	t.Run("delete minimal", func(t *testing.T) {
		// DeleteSpec: a DELETE's Content-Range has no range.
		want(t, e.send("DELETE", "/notes?id=eq.1", ""), 204, "", "*/*", "")
		if n := rowCount(t, e, `SELECT count(*) FROM api.notes`); n != 1 {
			t.Fatalf("rows left = %d", n)
		}
	})
}

func TestUpsert(t *testing.T) {
	t.Parallel()
	e := notesEnv(t)
	mustExec(t, e.db, `INSERT INTO api.labels VALUES ('go', 1)`)

	t.Run("merge duplicates", func(t *testing.T) {
		r := e.send("POST", "/labels?order=name", `[{"name":"go","uses":7},{"name":"pg","uses":2}]`,
			"Prefer", "resolution=merge-duplicates, return=representation")
		want(t, r, 201, `[{"name":"go","uses":7},{"name":"pg","uses":2}]`, "*/*",
			"resolution=merge-duplicates, return=representation")
	})
	t.Run("merge that only updates is 200", func(t *testing.T) {
		r := e.send("POST", "/labels", `[{"name":"go","uses":8},{"name":"pg","uses":3}]`,
			"Prefer", "resolution=merge-duplicates, return=representation")
		want(t, r, 200, `[{"name":"go","uses":8},{"name":"pg","uses":3}]`, "*/*",
			"resolution=merge-duplicates, return=representation")
		r = e.send("POST", "/labels", `{"name":"go","uses":7}`, "Prefer", "resolution=merge-duplicates")
		want(t, r, 200, "", "*/*", "resolution=merge-duplicates")
		// One new row among updated ones makes it 201 again.
		r = e.send("POST", "/labels", `[{"name":"pg","uses":2},{"name":"zz","uses":1}]`, "Prefer", "resolution=merge-duplicates")
		want(t, r, 201, "", "*/*", "resolution=merge-duplicates")
		mustExec(t, e.db, `DELETE FROM api.labels WHERE name = 'zz'`)
	})
	t.Run("ignore duplicates", func(t *testing.T) {
		r := e.send("POST", "/labels?on_conflict=name", `[{"name":"go","uses":99},{"name":"rs","uses":3}]`,
			"Prefer", "resolution=ignore-duplicates, return=representation")
		want(t, r, 201, `[{"name":"rs","uses":3}]`, "*/*", "resolution=ignore-duplicates, return=representation")
		if n := rowCount(t, e, `SELECT uses FROM api.labels WHERE name = 'go'`); n != 7 {
			t.Fatalf("uses = %d", n)
		}
	})
	t.Run("duplicate without resolution", func(t *testing.T) {
		r := e.send("POST", "/labels", `{"name":"go"}`)
		wantError(t, r, 409, "23505", "", "", "")
	})
}

func TestPut(t *testing.T) {
	t.Parallel()
	e := notesEnv(t)
	rep := []string{"Prefer", "return=representation"}

	t.Run("insert then replace", func(t *testing.T) {
		want(t, e.send("PUT", "/labels?name=eq.new", `{"name":"new","uses":1}`), 204, "", "", "")
		want(t, e.send("PUT", "/labels?name=eq.new", `{"name":"new","uses":2}`, rep...), 200,
			`[{"name":"new","uses":2}]`, "", "return=representation")
		want(t, e.send("PUT", "/labels?name=eq.newer", `{"name":"newer","uses":1}`, rep...), 201,
			`[{"name":"newer","uses":1}]`, "", "return=representation")
	})
	t.Run("filters must be the primary key", func(t *testing.T) {
		msg := "Filters must include all and only primary key columns with 'eq' operators"
		wantError(t, e.send("PUT", "/labels?uses=eq.1", `{"name":"x"}`), 405, "PGRST105", msg, "", "")
		wantError(t, e.send("PUT", "/labels?name=gt.a", `{"name":"x"}`), 405, "PGRST105", msg, "", "")
		wantError(t, e.send("PUT", "/labels", `{"name":"x"}`), 405, "PGRST105", msg, "", "")
	})
	t.Run("no paging", func(t *testing.T) {
		wantError(t, e.send("PUT", "/labels?name=eq.x&limit=1", `{"name":"x"}`), 400, "PGRST114",
			"limit/offset querystring parameters are not allowed for PUT", "", "")
	})
	t.Run("body key must match the URL", func(t *testing.T) {
		wantError(t, e.send("PUT", "/labels?name=eq.x", `{"name":"y","uses":1}`), 400, "PGRST115",
			"Payload values do not match URL in primary key column(s)", "", "")
		if n := rowCount(t, e, `SELECT count(*) FROM api.labels WHERE name IN ('x', 'y')`); n != 0 {
			t.Fatalf("rows written = %d", n)
		}
	})
}

func TestWriteOnView(t *testing.T) {
	t.Parallel()
	e := notesEnv(t)
	// web_anon has no write privileges on the sample tables.
	r := e.send(http.MethodDelete, "/books?id=eq.1", "")
	wantError(t, r, 401, "42501", "", "", "")
}

// TestTxEnd: db-tx-end decides how each transaction ends, and
// `Prefer: tx=` overrides it only under -allow-override, as PostgREST.
func TestTxEnd(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		txEnd, prefer string
		kept          bool
		applied       string
	}{
		{"commit", "tx=rollback", true, "return=representation"},
		{"rollback", "tx=commit", false, "return=representation"},
		{"commit-allow-override", "tx=rollback", false, "return=representation, tx=rollback"},
		{"commit-allow-override", "", true, "return=representation"},
		{"rollback-allow-override", "tx=commit", true, "return=representation, tx=commit"},
		{"rollback-allow-override", "", false, "return=representation"},
	} {
		t.Run(tc.txEnd+" "+tc.prefer, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, sampleSQL(t)+notesSQL, func(c *config.Config) { c.DBTxEnd = tc.txEnd })
			prefer := "return=representation"
			if tc.prefer != "" {
				prefer += ", " + tc.prefer
			}
			r := e.send("POST", "/labels?select=name", `{"name":"kept?"}`, "Prefer", prefer)
			want(t, r, 201, `[{"name":"kept?"}]`, "*/*", tc.applied)
			if n := rowCount(t, e, `SELECT count(*) FROM api.labels`); (n == 1) != tc.kept {
				t.Fatalf("rows after the insert = %d, want kept %v", n, tc.kept)
			}
			// Reads end the same way; a volatile call's writes follow suit.
			r = e.send("POST", "/rpc/add_tag", `{"name":"t"}`, "Prefer", tc.prefer)
			if r.Status != 200 {
				t.Fatalf("add_tag: %d %s", r.Status, r.Body)
			}
			if n := rowCount(t, e, `SELECT count(*) FROM api.tags WHERE name = 't'`); (n == 1) != tc.kept {
				t.Fatalf("tags after the call = %d, want kept %v", n, tc.kept)
			}
		})
	}
}

// TestLimitedUpdateDelete: limit and offset on PATCH and DELETE write a
// page of the filtered rows in the given order, as PostgREST.
func TestLimitedUpdateDelete(t *testing.T) {
	t.Parallel()
	e := notesEnv(t)
	mustExec(t, e.db, `INSERT INTO api.labels VALUES ('a', 1), ('b', 1), ('c', 2), ('d', 2), ('e', 3)`)
	labels := func() string {
		t.Helper()
		return compact(t, e.get("/labels?select=name,uses&order=name").Body)
	}

	r := e.send("PATCH", "/labels?uses=lt.3&order=name.desc&limit=2&offset=1", `{"uses": 9}`,
		"Prefer", "return=representation")
	want(t, r, 200, `[{"name":"c","uses":9},{"name":"b","uses":9}]`, "0-1/*", "return=representation")
	if got := labels(); got != `[{"name":"a","uses":1},{"name":"b","uses":9},{"name":"c","uses":9},{"name":"d","uses":2},{"name":"e","uses":3}]` {
		t.Fatalf("after the limited update: %s", got)
	}
	want(t, e.send("DELETE", "/labels?order=uses,name&limit=1", ""), 204, "", "*/*", "")
	if got := labels(); got != `[{"name":"b","uses":9},{"name":"c","uses":9},{"name":"d","uses":2},{"name":"e","uses":3}]` {
		t.Fatalf("after the limited delete: %s", got)
	}
	wantError(t, e.send("DELETE", "/labels?limit=1", ""), 400, "PGRST109",
		"A 'limit' was applied without an explicit 'order'", "null", "Apply an 'order' using unique column(s)")
	// Ordering by a column that is not unique could touch more rows than
	// the limit: the write is rolled back.
	wantError(t, e.send("DELETE", "/labels?order=uses&limit=1&uses=eq.9", ""), 400, "PGRST110",
		"The maximum number of rows allowed to change was surpassed",
		"Results contain 2 rows changed but the maximum number allowed is 1", "null")
	if got := labels(); !strings.Contains(got, `"b"`) || !strings.Contains(got, `"c"`) {
		t.Fatalf("the failed delete was not rolled back: %s", got)
	}
}

// TestUpsertStatuses: a merging upsert answers 201 when it inserted a row,
// 200 when it only updated and 200 for an empty array; a plain insert of
// an empty array is 201.
func TestUpsertStatuses(t *testing.T) {
	t.Parallel()
	e := newEnv(t, `CREATE TABLE api.u (id int PRIMARY KEY, v text); GRANT ALL ON api.u TO web_anon; INSERT INTO api.u VALUES (1, 'a');`, nil)
	for _, c := range []struct {
		body, prefer string
		status       int
	}{
		{`[]`, "", 201},
		{`[]`, "resolution=merge-duplicates", 200},
		{`[{"id":1,"v":"b"}]`, "resolution=merge-duplicates", 200},
		{`[{"id":1,"v":"c"},{"id":2,"v":"d"}]`, "resolution=merge-duplicates", 201},
		{`[{"id":3,"v":"e"}]`, "resolution=ignore-duplicates", 201},
	} {
		h := []string{"Content-Type", "application/json"}
		if c.prefer != "" {
			h = append(h, "Prefer", c.prefer)
		}
		if r := e.send("POST", "/u", c.body, h...); r.Status != c.status {
			t.Errorf("%s [%s]: %d %s, want %d", c.body, c.prefer, r.Status, r.Body, c.status)
		}
	}
}

// TestInsertForm: an application/x-www-form-urlencoded body inserts one
// row of its fields, as PostgREST.
func TestInsertForm(t *testing.T) {
	t.Parallel()
	e := newEnv(t, `CREATE TABLE api.f (id int PRIMARY KEY, name text); GRANT ALL ON api.f TO web_anon;`, nil)
	r := e.send("POST", "/f?select=id,name", "id=7&name=Xenix+OS%21", "Content-Type", "application/x-www-form-urlencoded",
		"Prefer", "return=representation")
	if r.Status != 201 || compact(t, r.Body) != `[{"id":7,"name":"Xenix OS!"}]` {
		t.Errorf("form insert: %d %s", r.Status, r.Body)
	}
}
