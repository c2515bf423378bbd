package bench

import (
	"context"
	_ "embed"
	"flag"
	"fmt"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"
	"text/tabwriter"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/pgrest-lambda/pgrest-lambda/internal/pgpool"
	"github.com/pgrest-lambda/pgrest-lambda/internal/schemacache"
	"github.com/pgrest-lambda/pgrest-lambda/listenerworker"
)

// postgrestSQL holds PostgREST's seven schema cache queries, copied from
// its source at commit 026a6558ed27de3d5f0f2e8b9c8b7c020e3d0f39 (main
// branch, after the change to pg_basetype() on PostgreSQL 17+; the file's
// header names the files and carries PostgREST's copyright and MIT license
// notice). Sections start with a "-- @@ name" line; everything before the
// first is the header.
//
//go:embed testdata/postgrest/schema_cache.sql
var postgrestSQL string

var (
	versusRounds = flag.Int("versuspostgrest.rounds", 11, "BenchmarkVersusPostgREST: measured runs of each side, alternating")                     //nolint:gochecknoglobals
	versusSizes  = flag.String("versuspostgrest.sizes", "1000,5000", "BenchmarkVersusPostgREST: catalog sizes, comma-separated (20000 is opt-in)") //nolint:gochecknoglobals
)

// PostgREST's defaults for the configuration its queries take as
// parameters: db-extra-search-path (keydeps' $2) and db-hoisted-tx-settings
// (funcs' $2).
var (
	postgrestExtraSearchPath   = []string{"public"}                                                                                 //nolint:gochecknoglobals
	postgrestHoistedTxSettings = []string{"statement_timeout", "plan_filter.statement_cost_limit", "default_transaction_isolation"} //nolint:gochecknoglobals
)

// postgrestQuery is one of PostgREST's schema cache queries, ready to send.
type postgrestQuery struct {
	label string
	sql   string
	args  []any
}

// postgrestQueries returns PostgREST's seven schema cache queries in the
// order querySchemaCache runs them, for a server of version pgVersion
// (server_version_num) and the exposed schemas, with the parameters
// PostgREST passes: the schemas as a text[] of escaped identifiers (cast to
// regnamespace[] in the SQL), the default extra search path and hoisted
// transaction settings. As PostgREST's quasi-quoter does, $baseCte becomes
// the base_types CTE for the version (pg_basetype() from PostgreSQL 17 on,
// a recursive CTE before) and $$ becomes $.
func postgrestQueries(pgVersion int, schemas []string) ([]postgrestQuery, error) {
	sections := map[string]string{}
	var name string
	var body strings.Builder
	flush := func() {
		if name != "" {
			sections[name] = strings.TrimSpace(body.String())
		}
		body.Reset()
	}
	for line := range strings.Lines(postgrestSQL) {
		if rest, ok := strings.CutPrefix(line, "-- @@ "); ok {
			flush()
			name = strings.TrimSpace(rest)
			continue
		}
		body.WriteString(line)
	}
	flush()

	baseCte := sections["base_types_recursive"]
	if pgVersion >= 170000 {
		baseCte = sections["base_types_pg17"]
	}
	escaped := make([]string, len(schemas))
	for i, s := range schemas {
		escaped[i] = escapeIdent(s)
	}
	extra := make([]string, len(postgrestExtraSearchPath))
	for i, s := range postgrestExtraSearchPath {
		extra[i] = escapeIdent(s)
	}
	qs := []postgrestQuery{
		{label: "tables", args: []any{escaped}},
		{label: "keydeps", args: []any{escaped, extra}},
		{label: "rels"},
		{label: "funcs", args: []any{escaped, postgrestHoistedTxSettings}},
		{label: "comprels"},
		{label: "dreps"},
		{label: "mhandlers", args: []any{escaped}},
	}
	for i := range qs {
		text := sections[qs[i].label]
		if text == "" || baseCte == "" {
			return nil, fmt.Errorf("testdata/postgrest/schema_cache.sql: no section %q or base_types", qs[i].label)
		}
		text = strings.ReplaceAll(text, "$baseCte", baseCte)
		text = strings.ReplaceAll(text, "$$", "$")
		qs[i].sql = text
	}
	return qs, nil
}

// escapeIdent quotes an identifier as PostgREST's escapeIdent does.
func escapeIdent(s string) string {
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}

// postgrestRun is the outcome of one run of PostgREST's queries.
type postgrestRun struct {
	whole time.Duration
	each  []time.Duration // by query, in postgrestQueries order
	rows  []int
}

// runPostgREST runs the queries as querySchemaCache does: all in one READ
// ONLY transaction after `set local schema ”`, every row read (raw, as
// the server sent it; PostgREST's decoding has no counterpart here).
func runPostgREST(ctx context.Context, conn *pgx.Conn, qs []postgrestQuery) (postgrestRun, error) {
	run := postgrestRun{each: make([]time.Duration, len(qs)), rows: make([]int, len(qs))}
	start := time.Now()
	tx, err := conn.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.ReadCommitted, AccessMode: pgx.ReadOnly})
	if err != nil {
		return run, err
	}
	defer tx.Rollback(ctx) //nolint:errcheck // read-only; after commit a no-op
	if _, err := tx.Exec(ctx, "set local schema ''"); err != nil {
		return run, err
	}
	for i, q := range qs {
		qStart := time.Now()
		rows, err := tx.Query(ctx, q.sql, q.args...)
		if err != nil {
			return run, fmt.Errorf("%s: %w", q.label, err)
		}
		n := 0
		for rows.Next() {
			_ = rows.RawValues()
			n++
		}
		if err := rows.Err(); err != nil {
			return run, fmt.Errorf("%s: %w", q.label, err)
		}
		run.each[i], run.rows[i] = time.Since(qStart), n
	}
	if err := tx.Commit(ctx); err != nil {
		return run, err
	}
	run.whole = time.Since(start)
	return run, nil
}

// oursFor maps PostgREST's query labels to the Timings labels of
// schemacache.Load doing the same work: PostgREST's tables query also
// returns the columns, which Load reads with a query of its own.
var oursFor = map[string][]string{ //nolint:gochecknoglobals
	"tables": {"tables", "columns"},
}

// BenchmarkVersusPostgREST runs PostgREST's own schema cache queries
// (postgrestQueries: its SQL, parameters and transaction) and
// schemacache.Load on the same catalog in the same run, alternating (the
// order flips every round), on a connection in production's mode (pgx exec
// mode, as pgpool). It prints, per query and for the whole load, the
// median and minimum of each side and the ratio PostgREST / ours.
// PostgREST's side is its SQL only: the Haskell decoding and building of
// the cache are not included, so its figures are a lower bound for
// PostgREST, while ours include building the relationships in memory.
// Ours runs twice per round: on the one connection (per-query figures,
// sequential) and on the listener worker's pool of two connections, where
// Load runs its columns query on the second one (the production mode),
// under the GC target the worker builds with (listenerworker.BuildGCPercent).
// Before timing, it checks that the queries return plausible rows.
func BenchmarkVersusPostgREST(b *testing.B) {
	var sizes []int
	for _, f := range strings.Split(*versusSizes, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n <= 0 {
			b.Fatalf("-versuspostgrest.sizes: bad size %q", f)
		}
		sizes = append(sizes, n)
	}
	ctx := context.Background()
	for _, n := range sizes {
		b.Run(fmt.Sprintf("N=%d", n), func(b *testing.B) {
			db := catalog(b, n)
			conn := connectExec(b, db)
			// The listener worker's own pool (listenerworker.Open): two
			// connections, so Load runs its columns query on the second.
			pool, err := pgpool.Connect(ctx, pg.URI(db), 2)
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(pool.Close)
			if sc, err := schemacache.Load(ctx, pool, loadOpts); err != nil || sc.Timings["lanes"] != 2 {
				b.Fatalf("Load on the worker's pool: lanes %v, %v", sc.Timings["lanes"], err)
			}
			sc, err := schemacache.Load(ctx, conn, loadOpts) // also warms the backend's caches
			if err != nil {
				b.Fatal(err)
			}
			qs, err := postgrestQueries(sc.PgVersion, loadOpts.Schemas)
			if err != nil {
				b.Fatal(err)
			}
			check, err := runPostgREST(ctx, conn, qs) // also warms the backend's caches
			if err != nil {
				b.Fatal(err)
			}
			rows := map[string]int{}
			for i, q := range qs {
				rows[q.label] = check.rows[i]
			}
			checkPostgRESTRows(b, n, rows, sc)

			var pgWhole, ourWhole, ourSQL, poolWhole, poolSQL dist
			pgEach := make([]dist, len(qs))
			ours := map[string]dist{}
			runPG := func() {
				r, err := runPostgREST(ctx, conn, qs)
				if err != nil {
					b.Fatal(err)
				}
				pgWhole = append(pgWhole, r.whole)
				for i, d := range r.each {
					pgEach[i] = append(pgEach[i], d)
				}
			}
			runOurs := func() {
				start := time.Now()
				sc, err := schemacache.Load(ctx, conn, loadOpts)
				if err != nil {
					b.Fatal(err)
				}
				d := time.Since(start)
				ourWhole = append(ourWhole, d)
				ourSQL = append(ourSQL, d-msDuration(sc.Timings["relationships"]))
				for label, ms := range sc.Timings {
					ours[label] = append(ours[label], msDuration(ms))
				}
				for label, parts := range oursFor {
					var sum float64
					for _, p := range parts {
						sum += sc.Timings[p]
					}
					ours["="+label] = append(ours["="+label], msDuration(sum))
				}
			}
			runPool := func() {
				// The worker builds with this GC target (Worker.buildOnce).
				defer debug.SetGCPercent(debug.SetGCPercent(listenerworker.BuildGCPercent))
				start := time.Now()
				sc, err := schemacache.Load(ctx, pool, loadOpts)
				if err != nil {
					b.Fatal(err)
				}
				d := time.Since(start)
				poolWhole = append(poolWhole, d)
				poolSQL = append(poolSQL, d-msDuration(sc.Timings["relationships"]))
			}
			for b.Loop() {
				for r := 0; r < *versusRounds; r++ {
					if r%2 == 0 {
						runPG()
						runOurs()
						runPool()
					} else {
						runPool()
						runOurs()
						runPG()
					}
				}
			}

			base := "recursive base_types CTE"
			if sc.PgVersion >= 170000 {
				base = "pg_basetype()"
			}
			tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
			fmt.Fprintf(tw, "PostgREST's schema cache queries vs schemacache.Load, N=%d, PostgreSQL %d (%s), %d rounds each, alternating, same run.\n",
				n, sc.PgVersion, base, len(pgWhole))
			fmt.Fprintln(tw, "PostgREST's figures are its SQL alone (rows read, not decoded): its Haskell decoding and cache building are not included, a lower bound for PostgREST.")
			fmt.Fprintln(tw, "query\tPostgREST rows\tPostgREST median ms\tPostgREST min ms\tours median ms\tours min ms\tratio PostgREST/ours (median)\tratio (min)\t")
			row := func(label, key, rowsText string, pg, our dist) {
				pgMed, pgMin, ratio, ratioMin := "–", "–", "–", "–"
				if len(pg) > 0 {
					pgMed, pgMin = fmt.Sprintf("%.1f", pg.ms(0.5)), fmt.Sprintf("%.1f", pg.ms(0))
					ratio = fmt.Sprintf("%.2f", pg.ms(0.5)/our.ms(0.5))
					ratioMin = fmt.Sprintf("%.2f", pg.ms(0)/our.ms(0))
					b.ReportMetric(pg.ms(0.5), key+"-pgrst-ms")
					b.ReportMetric(pg.ms(0.5)/our.ms(0.5), key+"-ratio")
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%.1f\t%.1f\t%s\t%s\t\n",
					label, rowsText, pgMed, pgMin, our.ms(0.5), our.ms(0), ratio, ratioMin)
			}
			for i, q := range qs {
				our := ours[q.label]
				label := q.label
				if parts, ok := oursFor[q.label]; ok {
					our = ours["="+q.label]
					label += " (ours: " + strings.Join(parts, " + ") + ")"
				}
				row(label, q.label, strconv.Itoa(rows[q.label]), pgEach[i], our)
			}
			row("version (ours only)", "", "", nil, ours["version"])
			row("relationships in memory (ours only)", "", "", nil, ours["relationships"])
			row("whole, SQL only, one connection", "sql", "", pgWhole, ourSQL)
			row("whole load, one connection", "load", "", pgWhole, ourWhole)
			row("whole, SQL only, worker's pool (2 lanes, its GOGC)", "sql-pool", "", pgWhole, poolSQL)
			row("whole load, worker's pool (2 lanes, its GOGC)", "load-pool", "", pgWhole, poolWhole)
			_ = tw.Flush()
			b.ReportMetric(ourWhole.ms(0.5), "ours-ms-median")
		})
	}
}

// checkPostgRESTRows fails unless PostgREST's queries returned plausible
// rows for the catalog of size n (n tables, n/5 views, n/5 functions; see
// catalogSQL) and agree with what Load found: one row per relation, at
// least one foreign key per table, and as many representations and media
// handlers (none on this catalog).
func checkPostgRESTRows(b *testing.B, n int, rows map[string]int, sc *schemacache.SchemaCache) {
	b.Helper()
	fail := func(format string, args ...any) {
		b.Fatalf("N=%d: PostgREST's "+format+" (rows by query: %v)", append([]any{n}, append(args, rows)...)...)
	}
	if got, want := rows["tables"], len(sc.Tables); got != want || got < n+n/5 {
		fail("tables query returned %d rows, want %d (Load's relations), at least %d", got, want, n+n/5)
	}
	if rows["rels"] < n {
		fail("rels query returned %d foreign keys, want at least %d", rows["rels"], n)
	}
	for _, label := range []string{"keydeps", "funcs", "comprels"} {
		if rows[label] == 0 {
			fail("%s query returned no rows", label)
		}
	}
	// The generator may create one function more than n/5 (an overloaded pair last).
	if got, want := rows["funcs"], max(1, n/5)+1; got > want {
		fail("funcs query returned %d rows, more than the catalog's %d functions at most", got, want)
	}
	if rows["dreps"] != len(sc.Representations) || rows["mhandlers"] != len(sc.MediaHandlers) {
		fail("dreps/mhandlers queries returned %d/%d rows, Load %d/%d",
			rows["dreps"], rows["mhandlers"], len(sc.Representations), len(sc.MediaHandlers))
	}
}

// msDuration converts a duration in ms (SchemaCache.Timings) to a Duration.
func msDuration(ms float64) time.Duration { return time.Duration(ms * float64(time.Millisecond)) }
