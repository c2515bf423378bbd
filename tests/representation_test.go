package tests

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/pgrest-lambda/pgrest-lambda/internal/config"
)

// sampleEnvWith serves the sample schema plus extra SQL with a tweaked configuration.
func sampleEnvWith(t *testing.T, extra string, tweak func(*config.Config)) *env {
	t.Helper()
	sql, err := os.ReadFile("../localdev/sample_schema.sql")
	if err != nil {
		t.Fatal(err)
	}
	return newEnv(t, string(sql)+extra, tweak)
}

// send makes a request with headers given as name, value pairs.
func (e *env) send(method, path, body string, headers ...string) response {
	e.t.Helper()
	req, err := http.NewRequest(method, e.api.URL+path, strings.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		if http.CanonicalHeaderKey(headers[i]) == "Content-Type" {
			req.Header.Set(headers[i], headers[i+1])
			continue
		}
		req.Header.Add(headers[i], headers[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return response{Status: res.StatusCode, Header: res.Header, Body: string(b)}
}

// want checks status, body (compacted when JSON), Content-Range and
// Preference-Applied ("" = absent).
func want(t *testing.T, r response, status int, body, contentRange, applied string) {
	t.Helper()
	got := r.Body
	if json.Valid([]byte(got)) && got != "" {
		got = compact(t, got)
	}
	if r.Status != status || got != body {
		t.Fatalf("got %d %s\nwant %d %s", r.Status, r.Body, status, body)
	}
	if cr := r.Header.Get("Content-Range"); cr != contentRange {
		t.Errorf("Content-Range = %q, want %q", cr, contentRange)
	}
	if pa := r.Header.Get("Preference-Applied"); pa != applied {
		t.Errorf("Preference-Applied = %q, want %q", pa, applied)
	}
}

const (
	ids12   = `[{"id":1},{"id":2}]`
	jsonCT  = "application/json; charset=utf-8"
	rangeGT = `{"code":"PGRST103","details":"The lower boundary must be lower than or equal to the upper boundary in the Range header.","hint":null,"message":"Requested range not satisfiable"}`
)

func TestCountsAndRanges(t *testing.T) {
	t.Parallel()
	e := sampleEnv(t)
	const books = "/books?select=id&order=id"
	exact := []string{"Prefer", "count=exact"}

	t.Run("exact count with limit is partial", func(t *testing.T) {
		want(t, e.send("GET", books+"&limit=2", "", exact...), 206, ids12, "0-1/6", "count=exact")
	})
	t.Run("no count", func(t *testing.T) {
		want(t, e.get(books+"&limit=2"), 200, ids12, "0-1/*", "")
	})
	t.Run("exact count covering every row", func(t *testing.T) {
		r := e.send("GET", books+"&id=lte.2", "", exact...)
		want(t, r, 200, ids12, "0-1/2", "count=exact")
	})
	t.Run("exact count ignores offset", func(t *testing.T) {
		want(t, e.send("GET", books+"&limit=2&offset=4", "", exact...), 206, `[{"id":5},{"id":6}]`, "4-5/6", "count=exact")
	})
	t.Run("exact count of nothing", func(t *testing.T) {
		want(t, e.send("GET", books+"&id=gt.10", "", exact...), 200, `[]`, "*/0", "count=exact")
	})
	t.Run("exact count on rpc", func(t *testing.T) {
		r := e.send("GET", "/rpc/books_by_author?author_id=1&select=id&limit=1", "", exact...)
		want(t, r, 206, `[{"id":1}]`, "0-0/3", "count=exact")
	})
	t.Run("offset at the total", func(t *testing.T) {
		want(t, e.send("GET", books+"&offset=6", "", exact...), 206, `[]`, "*/6", "count=exact")
	})
	t.Run("offset past the total is 416", func(t *testing.T) {
		r := e.send("GET", books+"&offset=10", "", exact...)
		want(t, r, 416, `{"code":"PGRST103","details":"An offset of 10 was requested, but there are only 6 rows.","hint":null,"message":"Requested range not satisfiable"}`,
			"*/6", "count=exact")
		if ct := r.Header.Get("Content-Type"); ct != jsonCT {
			t.Errorf("Content-Type = %q", ct)
		}
	})
	t.Run("offset past the rows without a count", func(t *testing.T) {
		want(t, e.get(books+"&offset=10"), 200, `[]`, "*/*", "")
	})
	t.Run("limit zero", func(t *testing.T) {
		want(t, e.send("GET", books+"&limit=0", "", exact...), 206, `[]`, "*/6", "count=exact")
	})
	t.Run("limit zero with an offset is 416", func(t *testing.T) {
		wantError(t, e.get(books+"&limit=0&offset=3"), 416, "PGRST103", "Requested range not satisfiable",
			"Limit should be greater than or equal to zero.", "null")
	})
	t.Run("Range header", func(t *testing.T) {
		want(t, e.send("GET", books, "", "Range-Unit", "items", "Range", "2-3"), 200, `[{"id":3},{"id":4}]`, "2-3/*", "")
		want(t, e.send("GET", books, "", "Range", "4-", "Prefer", "count=exact"), 206, `[{"id":5},{"id":6}]`, "4-5/6", "count=exact")
	})
	t.Run("Range header intersects limit and offset", func(t *testing.T) {
		want(t, e.send("GET", books+"&limit=2", "", "Range", "1-4"), 200, `[{"id":2}]`, "1-1/*", "")
		want(t, e.send("GET", books+"&offset=3", "", "Range", "0-3"), 200, `[{"id":4}]`, "3-3/*", "")
	})
	t.Run("Range header not in items form is ignored", func(t *testing.T) {
		want(t, e.send("GET", books+"&limit=1", "", "Range", "items=3-4"), 200, `[{"id":1}]`, "0-0/*", "")
	})
	t.Run("Range header with lower above upper is 416", func(t *testing.T) {
		r := e.send("GET", books, "", "Range", "4-2")
		if r.Status != 416 || r.Body != rangeGT {
			t.Fatalf("%d %s", r.Status, r.Body)
		}
		if ps := r.Header.Get("Proxy-Status"); ps != "PostgREST; error=PGRST103" {
			t.Errorf("Proxy-Status = %q", ps)
		}
	})
	t.Run("Range header disjoint from the limit", func(t *testing.T) {
		wantError(t, e.send("GET", books+"&limit=2", "", "Range", "3-4"), 416, "PGRST103", "",
			"Limit should be greater than or equal to zero.", "null")
	})
	t.Run("HEAD ignores the Range header", func(t *testing.T) {
		want(t, e.send("HEAD", books, "", "Range", "0-1"), 200, "", "0-5/*", "")
	})
	t.Run("HEAD with a count", func(t *testing.T) {
		want(t, e.send("HEAD", books+"&limit=2", "", exact...), 206, "", "0-1/6", "count=exact")
	})
	t.Run("planned count is the planner's estimate", func(t *testing.T) {
		r := e.send("GET", books+"&limit=2", "", "Prefer", "count=planned")
		if r.Status != 200 && r.Status != 206 || !regexp.MustCompile(`^0-1/[0-9]+$`).MatchString(r.Header.Get("Content-Range")) {
			t.Fatalf("%d %v %s", r.Status, r.Header, r.Body)
		}
		if r.Header.Get("Preference-Applied") != "count=planned" {
			t.Errorf("Preference-Applied = %q", r.Header.Get("Preference-Applied"))
		}
	})
	t.Run("estimated count without max-rows is at least exact", func(t *testing.T) {
		r := e.send("GET", books+"&limit=2", "", "Prefer", "count=estimated")
		total, err := strconv.Atoi(strings.TrimPrefix(r.Header.Get("Content-Range"), "0-1/"))
		if r.Status != 206 || err != nil || total < 6 {
			t.Fatalf("%d %v", r.Status, r.Header)
		}
	})
	t.Run("preferences", func(t *testing.T) {
		r := e.send("GET", books+"&limit=2", "", "Prefer", "handling=lenient, foo", "Prefer", "count=exact, count=planned")
		want(t, r, 206, ids12, "0-1/6", "count=exact, handling=lenient")
		wantError(t, e.send("GET", books, "", "Prefer", "handling=strict, foo, bar,count=exact"), 400, "PGRST122",
			"Invalid preferences given with handling=strict", "Invalid preferences: foo, bar", "null")
		r = e.send("GET", books+"&limit=2", "", "Prefer", "handling=strict, count=exact, tx=commit")
		want(t, r, 206, ids12, "0-1/6", "count=exact, handling=strict")
	})
}

// TestPlanOptions holds PlanSpec's media types: options and the `for`
// type echoed in the Content-Type (the plans of writes: TestWritePlans).
func TestPlanOptions(t *testing.T) {
	t.Parallel()
	e := sampleEnvWith(t, notesSQL, func(c *config.Config) { c.DBPlanEnabled = true })
	const pj = "application/vnd.pgrst.plan+json"
	for _, c := range []struct{ accept, ct, has string }{
		{pj + "; options=buffers", pj + `; for="application/json"; options=buffers; charset=utf-8`, `"Shared Hit Blocks"`},
		{pj + "; options=analyze|wal", pj + `; for="application/json"; options=analyze|wal; charset=utf-8`, `"WAL Records"`},
		{pj + "; options=verbose", pj + `; for="application/json"; options=verbose; charset=utf-8`, `"Output"`},
		{pj + `; for="application/vnd.pgrst.object"; options=verbose`, pj + `; for="application/vnd.pgrst.object+json"; options=verbose; charset=utf-8`, `"Output"`},
	} {
		r := e.send("GET", "/books?id=in.(1,2,3)", "", "Accept", c.accept)
		if r.Status != 200 || r.Header.Get("Content-Type") != c.ct || !strings.Contains(r.Body, c.has) {
			t.Errorf("Accept %s: %d %q %.200s", c.accept, r.Status, r.Header.Get("Content-Type"), r.Body)
		}
	}
}

func TestEstimatedCountBelowMaxRows(t *testing.T) {
	t.Parallel()
	e := sampleEnvWith(t, "", func(c *config.Config) { c.DBMaxRows = 100 })
	r := e.send("GET", "/books?select=id&order=id&limit=2", "", "Prefer", "count=estimated")
	want(t, r, 206, ids12, "0-1/6", "count=estimated")
}

func TestRepresentations(t *testing.T) {
	t.Parallel()
	e := sampleEnvWith(t, `
		CREATE FUNCTION api.add_tags(n int) RETURNS SETOF api.tags LANGUAGE sql VOLATILE AS $$
		  INSERT INTO api.tags (name) SELECT 'tag ' || i FROM generate_series(1, n) AS i RETURNING *
		$$;
		GRANT EXECUTE ON FUNCTION api.add_tags(int) TO web_anon;`, nil)
	object := []string{"Accept", "application/vnd.pgrst.object+json"}
	const objectCT = "application/vnd.pgrst.object+json; charset=utf-8"
	const csvCT = "text/csv; charset=utf-8"

	t.Run("singular one row", func(t *testing.T) {
		r := e.send("GET", "/books?select=id,title&id=eq.1", "", object...)
		want(t, r, 200, `{"id":1,"title":"A Wizard of Earthsea"}`, "0-0/*", "")
		if ct := r.Header.Get("Content-Type"); ct != objectCT {
			t.Errorf("Content-Type = %q", ct)
		}
	})
	t.Run("singular zero rows", func(t *testing.T) {
		r := e.send("GET", "/books?id=eq.99", "", object...)
		if r.Status != 406 || r.Body != `{"code":"PGRST116","details":"The result contains 0 rows","hint":null,"message":"Cannot coerce the result to a single JSON object"}` {
			t.Fatalf("%d %s", r.Status, r.Body)
		}
	})
	t.Run("singular two rows", func(t *testing.T) {
		wantError(t, e.send("GET", "/books?id=lte.2", "", object...), 406, "PGRST116",
			"Cannot coerce the result to a single JSON object", "The result contains 2 rows", "null")
	})
	t.Run("singular stripped nulls", func(t *testing.T) {
		r := e.send("GET", "/books?select=id,isbn&id=eq.3", "", "Accept", "application/vnd.pgrst.object+json;nulls=stripped")
		want(t, r, 200, `{"id":3}`, "0-0/*", "")
	})
	t.Run("singular rpc", func(t *testing.T) {
		want(t, e.send("GET", "/rpc/add?a=1&b=2", "", object...), 200, `3`, "0-0/*", "")
		want(t, e.send("GET", "/rpc/books_by_author?author_id=3&select=title", "", object...), 200,
			`{"title":"The Fifth Season"}`, "0-0/*", "")
	})
	t.Run("singular failure rolls back", func(t *testing.T) {
		wantError(t, e.send("POST", "/rpc/add_tags", `{"n": 2}`, object...), 406, "PGRST116", "",
			"The result contains 2 rows", "")
		want(t, e.send("GET", "/tags?select=id", "", "Prefer", "count=exact", "Range", "0-0"), 206, `[{"id":1}]`, "0-0/5", "count=exact")
		want(t, e.send("POST", "/rpc/add_tags", `{"n": 1}`, object...), 200, `{"id":8,"name":"tag 1"}`, "0-0/*", "")
	})
	t.Run("csv", func(t *testing.T) {
		r := e.send("GET", "/books?select=id,title,pages&order=id&limit=2&id=neq.2", "", "Accept", "text/csv")
		if r.Status != 200 || r.Body != "id,title,pages\n1,\"A Wizard of Earthsea\",183\n3,\"The Dispossessed\",387" {
			t.Fatalf("%d %q", r.Status, r.Body)
		}
		if ct := r.Header.Get("Content-Type"); ct != csvCT {
			t.Errorf("Content-Type = %q", ct)
		}
		if cr := r.Header.Get("Content-Range"); cr != "0-1/*" {
			t.Errorf("Content-Range = %q", cr)
		}
	})
	t.Run("csv of nothing", func(t *testing.T) {
		if r := e.send("GET", "/books?id=eq.99", "", "Accept", "text/csv"); r.Status != 200 || r.Body != "\n" {
			t.Fatalf("%d %q", r.Status, r.Body)
		}
	})
	t.Run("csv rpc", func(t *testing.T) {
		r := e.send("GET", "/rpc/books_by_author?author_id=3&select=id,pages", "", "Accept", "text/csv")
		if r.Status != 200 || r.Body != "id,pages\n6,512" {
			t.Fatalf("%d %q", r.Status, r.Body)
		}
		if r = e.send("GET", "/rpc/add?a=1&b=2", "", "Accept", "text/csv"); r.Status != 200 || r.Body != "pgrst_scalar\n3" {
			t.Fatalf("scalar: %d %q", r.Status, r.Body)
		}
	})
	t.Run("negotiation", func(t *testing.T) {
		for _, accept := range []string{"*/*", "application/json", "text/html, */*;q=0.1", "", "application/vnd.pgrst.array+json"} {
			r := e.send("GET", "/books?select=id&id=eq.1", "", "Accept", accept)
			if r.Status != 200 || r.Body != `[{"id":1}]` || r.Header.Get("Content-Type") != jsonCT {
				t.Errorf("Accept %q: %d %s %v", accept, r.Status, r.Body, r.Header)
			}
		}
		r := e.send("GET", "/books?select=id&id=eq.1", "", "Accept", "text/plain;q=0.2, text/csv;q=0.5")
		if r.Status != 200 || r.Body != "id\n1" {
			t.Errorf("quality order: %d %q", r.Status, r.Body)
		}
		r = e.send("GET", "/books?select=id,isbn&id=in.(3,4)&order=id", "", "Accept", "application/vnd.pgrst.array+json;nulls=stripped")
		if r.Status != 200 || compact(t, r.Body) != `[{"id":3},{"id":4,"isbn":"9780062225757"}]` {
			t.Errorf("stripped array: %d %s", r.Status, r.Body)
		}
	})
	t.Run("unavailable media type", func(t *testing.T) {
		r := e.send("GET", "/books", "", "Accept", "text/html;q=0.5, application/xml")
		if r.Status != 406 || r.Body != `{"code":"PGRST107","details":null,"hint":null,"message":"None of these media types are available: application/xml, text/html"}` {
			t.Fatalf("%d %s", r.Status, r.Body)
		}
	})
	t.Run("plan disabled", func(t *testing.T) {
		wantError(t, e.send("GET", "/books", "", "Accept", "application/vnd.pgrst.plan"), 406, "PGRST107",
			`None of these media types are available: application/vnd.pgrst.plan+text; for="application/json"`, "null", "null")
	})
}

func TestPlanMediaType(t *testing.T) {
	t.Parallel()
	e := sampleEnvWith(t, "", func(c *config.Config) { c.DBPlanEnabled = true })
	r := e.send("GET", "/books?select=id&id=eq.1", "", "Accept", "application/vnd.pgrst.plan")
	if r.Status != 200 || !strings.Contains(r.Body, "Aggregate") || !strings.Contains(r.Body, "books") {
		t.Fatalf("%d %q", r.Status, r.Body)
	}
	if ct := r.Header.Get("Content-Type"); ct != `application/vnd.pgrst.plan+text; for="application/json"; charset=utf-8` {
		t.Errorf("Content-Type = %q", ct)
	}
	r = e.send("GET", "/rpc/books_by_author?author_id=1", "", "Accept", `application/vnd.pgrst.plan+json; for="text/csv"; options=analyze`)
	var plan []struct {
		Plan struct {
			NodeType   string  `json:"Node Type"`
			ActualRows float64 `json:"Actual Rows"`
		}
	}
	if r.Status != 200 || json.Unmarshal([]byte(r.Body), &plan) != nil || len(plan) != 1 || plan[0].Plan.NodeType != "Aggregate" || plan[0].Plan.ActualRows != 1 {
		t.Fatalf("%d %q", r.Status, r.Body)
	}
	if ct := r.Header.Get("Content-Type"); ct != `application/vnd.pgrst.plan+json; for="text/csv"; options=analyze; charset=utf-8` {
		t.Errorf("Content-Type = %q", ct)
	}
}
