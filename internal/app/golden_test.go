package app

import (
	"bufio"
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/pgrest-lambda/pgrest-lambda/internal/config"
	"github.com/pgrest-lambda/pgrest-lambda/internal/pgrsterr"
	"github.com/pgrest-lambda/pgrest-lambda/internal/plan"
	"github.com/pgrest-lambda/pgrest-lambda/internal/query"
	sc "github.com/pgrest-lambda/pgrest-lambda/internal/schemacache"
)

var update = flag.Bool("update", false, "rewrite the expected output of testdata/golden/*.txt")

// The golden files hold one request each and the statements it becomes:
//
//	optional comment lines
//	-- request --
//	GET /books?select=id&title=eq.zz_title
//	Header: value
//	(blank line, then the body of a POST)
//	-- options --          (optional: max-rows=N, aggregates=off, plan=on, tx-end=...)
//	-- sql --              the main statement
//	-- args --             its bind parameters, `$n = "json string"`
//	-- count-sql --        the EXPLAIN of a planned or estimated count
//	-- count-args --
//	-- flags --            plan, checks, void, count=..., read-write, handler=...
//	-- error --            instead of the above: status, then the error body
//
// Sections after options are generated with -update.

// goldenSchemas is db-schemas of the fixture.
var goldenSchemas = []string{"api", "extra"}

// marker finds the distinctive values requests use; each one must reach
// the statement as a bind parameter, never as SQL text.
var marker = regexp.MustCompile(`zz_[A-Za-z0-9_]*`)

func TestGolden(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "golden", "*.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 40 {
		t.Fatalf("found %d golden files, want at least 40", len(files))
	}
	cache := fixtureCache()
	for _, file := range files {
		name := strings.TrimSuffix(filepath.Base(file), ".txt")
		t.Run(name, func(t *testing.T) {
			g, raw := loadGolden(t, file)
			got := golden{comment: g.comment, sections: []section{{"request", g.get("request")}}}
			if o, ok := g.lookup("options"); ok {
				got.sections = append(got.sections, section{"options", o})
			}
			out, q, perr := runGolden(t, g, cache)
			got.sections = append(got.sections, out...)
			if perr == nil {
				checkBound(t, g.get("request"), q)
			}
			text := got.String()
			if *update {
				if err := os.WriteFile(file, []byte(text), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			for _, s := range got.sections {
				want, ok := g.lookup(s.name)
				if !ok {
					t.Errorf("section %q missing from the file; got:\n%s", s.name, s.body)
					continue
				}
				if want != s.body {
					t.Errorf("section %q differs\ngot:\n%s\nwant:\n%s", s.name, s.body, want)
				}
			}
			if !t.Failed() && text != raw {
				t.Errorf("file differs from the generated output (sections added or removed); run with -update and review the diff")
			}
		})
	}
}

// runGolden runs the request through the handler's own stages (prepare:
// parse, plan, query) and renders the outcome as sections.
func runGolden(t *testing.T, g golden, cache *sc.SchemaCache) ([]section, query.Query, *pgrsterr.Error) {
	t.Helper()
	r := buildRequest(t, g.get("request"))
	cfg := parseOptions(t, g.get("options"))
	h := New(cfg, nil, nil, nil)
	a, q, perr := h.prepare(r.Context(), r, readBody(r), cache, plan.Env{Config: cfg, Role: cfg.DBAnonRole}, nil)
	if perr != nil {
		return []section{{"error", strconv.Itoa(perr.Status) + "\n" + string(perr.Body())}}, q, perr
	}
	if q.Scan == query.ScanNone || q.Scan == query.ScanAccess {
		t.Fatalf("%s %s builds no request statement; not a golden case", r.Method, r.URL)
	}
	out := []section{{"sql", q.Main.SQL}, {"args", renderArgs(t, q.Main.Args)}}
	if q.CountPlan != nil {
		out = append(out, section{"count-sql", q.CountPlan.SQL}, section{"count-args", renderArgs(t, q.CountPlan.Args)})
	}
	if f := flags(a, q); f != "" {
		out = append(out, section{"flags", f})
	}
	return out, q, nil
}

// flags renders what the statements alone do not show: EXPLAIN output,
// the checks before the transaction ends, a void result, the count, the
// read-only or read-write transaction of writes and calls, and a custom
// media type handler.
func flags(a *plan.Action, q query.Query) string {
	var f []string
	if q.Scan == query.ScanPlan {
		f = append(f, "plan")
	}
	c := a.Checks
	if c.Singular {
		f = append(f, "singular")
	}
	if c.PutRow {
		f = append(f, "put-row")
	}
	if c.MaxAffected != nil {
		f = append(f, "max-affected="+strconv.FormatInt(*c.MaxAffected, 10))
	}
	if c.Limit != nil {
		f = append(f, "limit="+strconv.FormatInt(*c.Limit, 10))
	}
	if q.Void {
		f = append(f, "void")
	}
	if q.Count != "" {
		f = append(f, "count="+q.Count)
	}
	if q.MaxRows != 0 {
		f = append(f, "max-rows="+strconv.Itoa(q.MaxRows))
	}
	if a.Kind == plan.ActionMutate || (a.Kind == plan.ActionCall && !a.Tx.ReadOnly) {
		f = append(f, "read-write")
	}
	if a.Tx.Rollback {
		f = append(f, "rollback")
	}
	if hd := a.Media.Handler; hd != nil {
		name := hd.Aggregate.Name
		if name == "" {
			name = hd.Target.Name // a function handler
		}
		f = append(f, "handler="+name)
	}
	if q.BinaryBody {
		f = append(f, "binary")
	}
	return strings.Join(f, " ")
}

// checkBound asserts that every marker value of the request is a bind
// parameter of the main statement and appears in no SQL text, and that no
// parameter is also written into the SQL as a quoted literal.
func checkBound(t *testing.T, request string, q query.Query) {
	t.Helper()
	stmts := []query.Statement{q.Main}
	if q.CountPlan != nil {
		stmts = append(stmts, *q.CountPlan)
	}
	for _, m := range marker.FindAllString(request, -1) {
		for _, s := range stmts {
			if strings.Contains(s.SQL, m) {
				t.Errorf("value %q appears in the SQL text: %s", m, s.SQL)
			}
		}
		if !argsContain(q.Main.Args, m) {
			t.Errorf("value %q is in no bind parameter: %v", m, q.Main.Args)
		}
	}
	for _, s := range stmts {
		for _, a := range s.Args {
			v := fmt.Sprint(a)
			if v != "" && strings.Contains(s.SQL, "'"+v+"'") {
				t.Errorf("parameter %q also appears as a literal in the SQL: %s", v, s.SQL)
			}
		}
		if n := maxPlaceholder(s.SQL); n != len(s.Args) {
			t.Errorf("SQL uses $1..$%d but has %d parameters: %s", n, len(s.Args), s.SQL)
		}
	}
}

func argsContain(args []any, v string) bool {
	for _, a := range args {
		if strings.Contains(fmt.Sprint(a), v) {
			return true
		}
	}
	return false
}

var placeholder = regexp.MustCompile(`\$([0-9]+)`)

// maxPlaceholder is the highest $n in sql outside of string literals.
func maxPlaceholder(sql string) int {
	n := 0
	for _, m := range placeholder.FindAllStringSubmatch(stripLiterals(sql), -1) {
		if v, _ := strconv.Atoi(m[1]); v > n {
			n = v
		}
	}
	return n
}

// stripLiterals drops the contents of '...' and "..." from sql.
func stripLiterals(sql string) string {
	var b strings.Builder
	var quote byte
	for i := 0; i < len(sql); i++ {
		c := sql[i]
		switch {
		case quote != 0 && c == quote:
			quote = 0
		case quote != 0:
		case c == '\'' || c == '"':
			quote = c
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

func renderArgs(t *testing.T, args []any) string {
	t.Helper()
	lines := make([]string, len(args))
	for i, a := range args {
		s, ok := a.(string)
		if !ok {
			t.Errorf("parameter $%d is %T, want string", i+1, a)
		}
		b, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		lines[i] = "$" + strconv.Itoa(i+1) + " = " + string(b)
	}
	return strings.Join(lines, "\n")
}

// loadGolden reads and parses the golden file file, and returns its text
// too.
func loadGolden(t *testing.T, file string) (golden, string) {
	t.Helper()
	raw, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	g, err := parseGolden(string(raw))
	if err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	return g, string(raw)
}

// buildRequest reads the request section: the request line, headers, and
// after a blank line the body.
func buildRequest(t *testing.T, text string) *http.Request {
	t.Helper()
	head, body, _ := strings.Cut(text, "\n\n")
	lines := strings.Split(head, "\n")
	method, target, ok := strings.Cut(lines[0], " ")
	if !ok {
		t.Fatalf("bad request line %q", lines[0])
	}
	r := httptest.NewRequest(method, target, strings.NewReader(body))
	for _, l := range lines[1:] {
		k, v, ok := strings.Cut(l, ":")
		if !ok {
			t.Fatalf("bad header line %q", l)
		}
		r.Header.Add(strings.TrimSpace(k), strings.TrimSpace(v))
	}
	return r
}

// parseOptions is the configuration of a case: db-schemas "api,extra",
// aggregates on, and the options of the case (max-rows=N, aggregates=off,
// plan=on, tx-end=...).
func parseOptions(t testing.TB, text string) *config.Config {
	t.Helper()
	env := map[string]string{
		"PGRST_DB_SCHEMAS": strings.Join(goldenSchemas, ","), "PGRST_DB_ANON_ROLE": "web_anon",
		"PGRST_DB_AGGREGATES_ENABLED": "true",
	}
	for _, f := range strings.Fields(text) {
		k, v, _ := strings.Cut(f, "=")
		switch k {
		case "max-rows":
			env["PGRST_DB_MAX_ROWS"] = v
		case "aggregates":
			env["PGRST_DB_AGGREGATES_ENABLED"] = strconv.FormatBool(v == "on")
		case "plan":
			env["PGRST_DB_PLAN_ENABLED"] = strconv.FormatBool(v == "on")
		case "tx-end":
			env["PGRST_DB_TX_END"] = v
		default:
			t.Fatalf("unknown option %q", f)
		}
	}
	cfg, err := config.FromEnv(func(k string) string { return env[k] })
	if err != nil {
		t.Fatalf("options %q: %v", text, err)
	}
	return cfg
}

type section struct{ name, body string }

type golden struct {
	comment  string
	sections []section
}

func (g golden) lookup(name string) (string, bool) {
	for _, s := range g.sections {
		if s.name == name {
			return s.body, true
		}
	}
	return "", false
}

func (g golden) get(name string) string { s, _ := g.lookup(name); return s }

// String renders the file; every section body ends with one newline.
func (g golden) String() string {
	var b strings.Builder
	b.WriteString(g.comment)
	for _, s := range g.sections {
		b.WriteString("-- " + s.name + " --\n")
		if s.body != "" {
			b.WriteString(s.body + "\n")
		}
	}
	return b.String()
}

var sectionLine = regexp.MustCompile(`^-- ([a-z-]+) --$`)

func parseGolden(text string) (golden, error) {
	var g golden
	var cur *section
	var body []string
	flush := func() {
		if cur != nil {
			cur.body = strings.Join(body, "\n")
			g.sections = append(g.sections, *cur)
		}
	}
	seen := map[string]bool{}
	scan := bufio.NewScanner(bytes.NewReader([]byte(text)))
	scan.Buffer(nil, 1<<20)
	for scan.Scan() {
		line := scan.Text()
		if m := sectionLine.FindStringSubmatch(line); m != nil {
			if seen[m[1]] {
				return g, fmt.Errorf("section %q repeated", m[1])
			}
			seen[m[1]] = true
			flush()
			cur, body = &section{name: m[1]}, nil
			continue
		}
		if cur == nil {
			g.comment += line + "\n"
			continue
		}
		body = append(body, line)
	}
	flush()
	if err := scan.Err(); err != nil {
		return g, err
	}
	if !seen["request"] {
		return g, fmt.Errorf("no request section")
	}
	return g, nil
}

// TestGoldenCoverage keeps the table wide: each filter operator and each
// embedding kind must appear in some request.
func TestGoldenCoverage(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "golden", "*.txt"))
	if err != nil {
		t.Fatal(err)
	}
	var all strings.Builder
	for _, f := range files {
		g, _ := loadGolden(t, f)
		all.WriteString(g.get("request") + "\n")
	}
	text := all.String()
	ops := []string{"eq", "neq", "gt", "gte", "lt", "lte", "like", "ilike", "in", "is", "isdistinct",
		"match", "imatch", "cs", "cd", "ov", "sl", "sr", "nxr", "nxl", "adj", "fts", "plfts", "phfts", "wfts"}
	var missing []string
	for _, op := range ops {
		if !regexp.MustCompile(`[=.(,]` + op + `[.(]`).MatchString(text) {
			missing = append(missing, op)
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("operators without a golden case: %v", missing)
	}
	for _, s := range []string{"!inner", "...", "count()", ".sum()", "/rpc/", "Range:", "count=exact", "count=planned"} {
		if !strings.Contains(text, s) {
			t.Errorf("no golden request uses %q", s)
		}
	}
}

// fixtureCache is the schema cache of a bookshop like
// localdev/sample_schema.sql, plus the relations and routines the cases
// need: events (range, array, jsonb and tsvector columns), reviews (two
// foreign keys to authors, for hints), a computed relationship and
// variadic, json-bodied, TABLE-returning and ambiguous routines.
func fixtureCache() *sc.SchemaCache {
	api := func(n string) sc.QI { return sc.QI{Schema: "api", Name: n} }
	pgc := func(n string) sc.QI { return sc.QI{Schema: "pg_catalog", Name: n} }
	col := func(name, typ string, nullable bool) sc.Column {
		return sc.Column{Name: name, Type: typ, NominalType: typ, Nullable: nullable}
	}
	table := func(name string, pk []string, cols ...sc.Column) sc.Table {
		return sc.Table{Schema: "api", Name: name, Insertable: true, Updatable: true, Deletable: true, PKCols: pk, Columns: cols}
	}
	// fk returns both directions of a single-column foreign key from
	// from.col to to.fcol; o2o marks a foreign key that is also unique.
	fk := func(from, to, cons, c, fc string, o2o bool) []sc.Relationship {
		there := sc.Relationship{Table: api(from), ForeignTable: api(to), Cardinality: sc.M2O, Constraint: cons,
			Columns: []sc.ColumnPair{{Col: c, FCol: fc}}}
		back := sc.Relationship{Table: api(to), ForeignTable: api(from), Cardinality: sc.O2M, Constraint: cons,
			Columns: []sc.ColumnPair{{Col: fc, FCol: c}}}
		if o2o {
			there.Cardinality, back.Cardinality, back.IsParent = sc.O2O, sc.O2O, true
		}
		return []sc.Relationship{there, back}
	}
	m2m := func(from, to, junction, cons1, cons2, src, dst string) sc.Relationship {
		return sc.Relationship{Table: api(from), ForeignTable: api(to), Cardinality: sc.M2M,
			Junction: &sc.Junction{Table: api(junction), Constraint1: cons1, Constraint2: cons2,
				ColsSource: []sc.ColumnPair{{Col: src, FCol: "id"}}, ColsTarget: []sc.ColumnPair{{Col: dst, FCol: "id"}}}}
	}
	view := table("book_summaries", nil,
		col("id", "integer", true), col("title", "character varying", true), col("author_id", "integer", true),
		col("author_name", "text", true), col("format", "api.book_format", true),
		col("published_year", "integer", true), col("tag_count", "bigint", true))
	view.IsView, view.Insertable, view.Updatable, view.Deletable = true, false, false, false
	c := &sc.SchemaCache{
		Schemas:   []string{"api", "extra"},
		PgVersion: 170000,
		Tables: []sc.Table{
			table("author_profiles", []string{"author_id"},
				col("author_id", "integer", false), col("bio", "text", true), col("website", "character varying", true)),
			table("authors", []string{"id"},
				col("id", "integer", false), col("name", "text", false), col("birth_year", "integer", true),
				col("created_at", "timestamp with time zone", false)),
			view,
			table("book_tags", []string{"book_id", "tag_id"}, col("book_id", "integer", false), col("tag_id", "integer", false)),
			table("books", []string{"id"},
				col("id", "integer", false), col("title", "character varying", false), col("author_id", "integer", false),
				col("format", "api.book_format", false), col("published_year", "integer", true), col("pages", "integer", true),
				col("in_stock", "boolean", false), col("isbn", "character varying", true)),
			table("events", []string{"id"},
				col("id", "integer", false), col("during", "tstzrange", true), col("labels", "text[]", true),
				col("data", "jsonb", true), col("search", "tsvector", true), col("note", "text", true)),
			table("reviews", []string{"id"},
				col("id", "integer", false), col("book_id", "integer", false), col("reviewer_id", "integer", false),
				col("editor_id", "integer", true), col("stars", "integer", false), col("body", "text", true)),
			table("tags", []string{"id"}, col("id", "integer", false), col("name", "text", false)),
			table("prices", []string{"id"}, col("id", "integer", false),
				sc.Column{Name: "amount", Type: "bigint", NominalType: "api.cents", Nullable: true}),
		},
		Representations: []sc.Representation{
			{Source: "api.cents", Target: "json", Function: api("cents_json")},
			{Source: "json", Target: "api.cents", Function: api("cents_from_json")},
			{Source: "text", Target: "api.cents", Function: api("cents_text")},
		},
		Routines: []sc.Routine{
			{Schema: "api", Name: "add", Volatility: sc.Immutable,
				Params: []sc.RoutineParam{{Name: "a", Type: "integer", Required: true}, {Name: "b", Type: "integer", Required: true}},
				Return: sc.ReturnType{Type: pgc("int4")}},
			{Schema: "api", Name: "add_tag", Volatility: sc.Volatile,
				Params: []sc.RoutineParam{{Name: "name", Type: "text", Required: true}},
				Return: sc.ReturnType{Type: api("tags"), Composite: true}},
			{Schema: "api", Name: "book_stats", Volatility: sc.Stable,
				Params: []sc.RoutineParam{{Name: "lim", Type: "integer", Required: true}},
				Return: sc.ReturnType{SetOf: true, Type: pgc("record"), Composite: true}},
			{Schema: "api", Name: "books_by_author", Volatility: sc.Stable,
				Params: []sc.RoutineParam{{Name: "author_id", Type: "integer", Required: true}},
				Return: sc.ReturnType{SetOf: true, Type: api("books"), Composite: true}},
			{Schema: "api", Name: "echo_json", Volatility: sc.Immutable,
				Params: []sc.RoutineParam{{Name: "", Type: "json", Required: true}},
				Return: sc.ReturnType{Type: pgc("json")}},
			{Schema: "api", Name: "byte_sum", Volatility: sc.Immutable,
				Params: []sc.RoutineParam{{Name: "", Type: "bytea", Required: true}},
				Return: sc.ReturnType{Type: pgc("int4")}},
			{Schema: "api", Name: "keys_of", Volatility: sc.Immutable,
				Params: []sc.RoutineParam{{Name: "payload", Type: "jsonb", Required: true}},
				Return: sc.ReturnType{Type: pgc("text")}},
			{Schema: "api", Name: "shout", Volatility: sc.Immutable,
				Params: []sc.RoutineParam{{Name: "", Type: "text", Required: true}},
				Return: sc.ReturnType{Type: pgc("text")}},
			{Schema: "api", Name: "greet", Volatility: sc.Immutable, Return: sc.ReturnType{Type: pgc("text")}},
			{Schema: "api", Name: "greet", Volatility: sc.Immutable,
				Params: []sc.RoutineParam{{Name: "name", Type: "text", Required: true}},
				Return: sc.ReturnType{Type: pgc("text")}},
			{Schema: "api", Name: "lookup", Volatility: sc.Stable,
				Params: []sc.RoutineParam{{Name: "key", Type: "integer", Required: true}},
				Return: sc.ReturnType{Type: pgc("text")}},
			{Schema: "api", Name: "lookup", Volatility: sc.Stable,
				Params: []sc.RoutineParam{{Name: "key", Type: "text", Required: true}},
				Return: sc.ReturnType{Type: pgc("text")}},
			{Schema: "api", Name: "ping", Volatility: sc.Volatile, Return: sc.ReturnType{Type: pgc("void")}},
			{Schema: "api", Name: "pair", Volatility: sc.Immutable,
				Params: []sc.RoutineParam{{Name: "a", Type: "integer", Required: true}},
				Return: sc.ReturnType{Type: pgc("record")}},
			{Schema: "api", Name: "pairs", Volatility: sc.Immutable,
				Return: sc.ReturnType{SetOf: true, Type: pgc("record")}},
			{Schema: "api", Name: "recent_books", Volatility: sc.Stable,
				Params: []sc.RoutineParam{{Name: "", Type: "api.authors", Required: true}},
				Return: sc.ReturnType{SetOf: true, Type: api("books"), Composite: true}},
			{Schema: "api", Name: "sum_all", Volatility: sc.Immutable, HasVariadic: true,
				Params: []sc.RoutineParam{{Name: "nums", Type: "integer[]", Required: true, Variadic: true}},
				Return: sc.ReturnType{Type: pgc("int8")}},
			{Schema: "api", Name: "tag_names", Volatility: sc.Stable,
				Return: sc.ReturnType{SetOf: true, Type: pgc("text")}},
		},
	}
	var rels []sc.Relationship
	rels = append(rels, fk("author_profiles", "authors", "author_profiles_author_id_fkey", "author_id", "id", true)...)
	rels = append(rels, fk("books", "authors", "books_author_id_fkey", "author_id", "id", false)...)
	rels = append(rels, fk("book_summaries", "authors", "books_author_id_fkey", "author_id", "id", false)...)
	rels = append(rels, fk("book_tags", "books", "book_tags_book_id_fkey", "book_id", "id", false)...)
	rels = append(rels, fk("book_tags", "tags", "book_tags_tag_id_fkey", "tag_id", "id", false)...)
	rels = append(rels, fk("reviews", "books", "reviews_book_id_fkey", "book_id", "id", false)...)
	rels = append(rels, fk("reviews", "authors", "reviews_reviewer_id_fkey", "reviewer_id", "id", false)...)
	rels = append(rels, fk("reviews", "authors", "reviews_editor_id_fkey", "editor_id", "id", false)...)
	rels = append(rels,
		m2m("books", "tags", "book_tags", "book_tags_book_id_fkey", "book_tags_tag_id_fkey", "book_id", "tag_id"),
		m2m("tags", "books", "book_tags", "book_tags_tag_id_fkey", "book_tags_book_id_fkey", "tag_id", "book_id"),
		sc.Relationship{Table: api("authors"), ForeignTable: api("books"), Cardinality: sc.Computed,
			Function: api("recent_books")},
	)
	sort.SliceStable(rels, func(i, j int) bool { return rels[i].Table.Name < rels[j].Table.Name })
	c.Relationships = rels
	c.MediaHandlers = []sc.MediaHandler{
		{Media: "text/csv", Target: api("tags"), Aggregate: api("tags_csv_agg")},
		{Media: "text/plain", Aggregate: api("plain_agg")},
		{Media: "application/vnd.twkb", Target: api("greet"), Binary: true},
	}
	c.Index()
	return c
}
