package bench

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"flag"
	"fmt"
	"os"
	"slices"
	"testing"
	"text/tabwriter"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/pgrest-lambda/pgrest-lambda/internal/schemacache"
	"github.com/pgrest-lambda/pgrest-lambda/internal/snapshot"
)

var (
	cqRounds = flag.Int("catalogqueries.rounds", 15, "BenchmarkCatalogQueries: measured runs of each query version, alternating") //nolint:gochecknoglobals
)

// The tables and columns queries as they were before the columns query lost
// its per-column subqueries (enum labels, identity sequence) and its ORDER
// BY: the baseline BenchmarkCatalogQueries runs beside the current ones
// (schemacache.CatalogQuery). Copies, kept only here. The earlier tables
// query returned the primary key's column names; the current one returns
// its attnums (Load names them from the columns), so only the columns
// query can be swapped into a whole Load (loadSwaps).
const oldTablesQuery = `
SELECT c.oid, n.nspname, c.relname,
       coalesce(d.description, ''),
       c.relkind IN ('v', 'm') AS is_view,
       CASE WHEN c.relkind IN ('r', 'p') THEN 28
            ELSE pg_catalog.pg_relation_is_updatable(c.oid::regclass, true) END AS updatable_mask,
       coalesce((SELECT array_agg(a.attname ORDER BY a.attname)
                 FROM pg_catalog.pg_constraint k
                 JOIN pg_catalog.pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = ANY (k.conkey)
                 WHERE k.conrelid = c.oid AND k.contype = 'p'), '{}') AS pk_cols
FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_catalog.pg_description d
       ON d.objoid = c.oid AND d.classoid = 'pg_catalog.pg_class'::regclass AND d.objsubid = 0
WHERE c.relkind IN ('r', 'v', 'm', 'f', 'p')
  AND NOT c.relispartition
  AND n.nspname = ANY ($1::text[])
ORDER BY n.nspname, c.relname`

const oldColumnsQuery = `
WITH RECURSIVE domains(oid, base) AS (
  SELECT t.oid, t.typbasetype FROM pg_catalog.pg_type t WHERE t.typtype = 'd'
  UNION ALL
  SELECT d.oid, t.typbasetype FROM domains d JOIN pg_catalog.pg_type t ON t.oid = d.base WHERE t.typtype = 'd'
),
base_types AS (
  SELECT d.oid, d.base FROM domains d
  JOIN pg_catalog.pg_type t ON t.oid = d.base WHERE t.typtype <> 'd'
)
SELECT a.attrelid, a.attnum, a.attname,
       coalesce(d.description, ''),
       NOT (a.attnotnull OR (t.typtype = 'd' AND t.typnotnull)) AS nullable,
       CASE WHEN bt.typnamespace = 'pg_catalog'::regnamespace THEN pg_catalog.format_type(bt.oid, NULL)
            ELSE pg_catalog.format_type(a.atttypid, a.atttypmod) END AS data_type,
       pg_catalog.format_type(a.atttypid, a.atttypmod) AS nominal_type,
       -- information_schema._pg_char_max_length(_pg_truetypid(a.*, t.*), _pg_truetypmod(a.*, t.*)),
       -- inlined: the whole-row arguments made every row carried to the sort ~1 kB wide.
       CASE WHEN coalesce(nullif(t.typtypmod, -1), a.atttypmod) = -1 THEN NULL
            WHEN (CASE WHEN t.typtype = 'd' THEN t.typbasetype ELSE a.atttypid END)
                 IN ('pg_catalog.bpchar'::regtype, 'pg_catalog.varchar'::regtype)
              THEN coalesce(nullif(t.typtypmod, -1), a.atttypmod) - 4
            WHEN (CASE WHEN t.typtype = 'd' THEN t.typbasetype ELSE a.atttypid END)
                 IN ('pg_catalog.bit'::regtype, 'pg_catalog.varbit'::regtype)
              THEN coalesce(nullif(t.typtypmod, -1), a.atttypmod)
       END::int4 AS max_len,
       CASE WHEN a.attgenerated = 's' OR a.attidentity = 'a' THEN NULL
            WHEN a.attidentity = 'd' THEN
              (SELECT 'nextval(' || quote_literal(sn.nspname || '.' || seq.relname) || ')'
               FROM pg_catalog.pg_depend dep
               JOIN pg_catalog.pg_class seq ON seq.oid = dep.objid AND seq.relkind = 'S'
               JOIN pg_catalog.pg_namespace sn ON sn.oid = seq.relnamespace
               -- refclassid lets pg_depend_reference_index serve the lookup
               WHERE dep.classid = 'pg_catalog.pg_class'::regclass
                 AND dep.refclassid = 'pg_catalog.pg_class'::regclass AND dep.refobjid = c.oid
                 AND dep.refobjsubid = a.attnum AND dep.deptype = 'i')
            ELSE coalesce(pg_catalog.pg_get_expr(ad.adbin, ad.adrelid), t.typdefault) END AS col_default,
       (SELECT array_agg(e.enumlabel ORDER BY e.enumsortorder)
        FROM pg_catalog.pg_enum e WHERE e.enumtypid = bt.oid) AS enum_labels
FROM pg_catalog.pg_attribute a
JOIN pg_catalog.pg_class c ON c.oid = a.attrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
JOIN pg_catalog.pg_type t ON t.oid = a.atttypid
LEFT JOIN base_types b ON b.oid = a.atttypid
JOIN pg_catalog.pg_type bt ON bt.oid = coalesce(b.base, a.atttypid)
LEFT JOIN pg_catalog.pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
LEFT JOIN pg_catalog.pg_description d
       ON d.objoid = a.attrelid AND d.classoid = 'pg_catalog.pg_class'::regclass AND d.objsubid = a.attnum
WHERE a.attnum > 0 AND NOT a.attisdropped
  AND c.relkind IN ('r', 'v', 'm', 'f', 'p')
  AND NOT c.relispartition
  AND n.nspname = ANY ($1::text[])
ORDER BY a.attrelid, a.attnum`

// oldQueries maps a load step's label to its earlier SQL.
var oldQueries = map[string]string{"tables": oldTablesQuery, "columns": oldColumnsQuery} //nolint:gochecknoglobals

// loadSwaps are the queries whose earlier text a whole Load can run: same
// columns as the current text.
var loadSwaps = []string{"columns"} //nolint:gochecknoglobals

// relationFields are the fields of a tables row both versions share: all
// but the primary key.
const relationFields = 6

// BenchmarkCatalogQueries runs the earlier and the current text of the
// tables and columns queries, and a whole schemacache.Load with either, on
// the same catalog in the same run, alternating (the order flips every
// round), on a connection in production's mode (pgx exec mode, as pgpool).
// Each query runs as Load runs it: in a READ ONLY transaction with an empty
// search_path, every row read. Before timing, it checks that both versions
// return the same rows (as a multiset: the current columns query has no
// ORDER BY, loadColumns sorts) and that Load encodes byte-identical
// snapshots with either. Prints old/new medians and ratios per query.
func BenchmarkCatalogQueries(b *testing.B) {
	for _, n := range []int{1000, 5000} {
		b.Run(fmt.Sprintf("N=%d", n), func(b *testing.B) {
			conn := connectExec(b, catalog(b, n))
			ctx := context.Background()
			labels := []string{"tables", "columns"}
			rowsOf := map[string]int{}
			for _, label := range labels {
				fields := 0
				if label == "tables" {
					fields = relationFields
				}
				oldRows := queryRows(b, conn, oldQueries[label], fields)
				newRows := queryRows(b, conn, schemacache.CatalogQuery(label), fields)
				if !sameRows(oldRows, newRows) {
					b.Fatalf("N=%d %s: the current query returns other rows than the earlier one (%d vs %d rows)",
						n, label, len(newRows), len(oldRows))
				}
				rowsOf[label] = len(newRows)
			}
			checkPrimaryKeys(b, conn)
			oldBlob := encodedLoad(b, &rewriting{conn: conn, old: true})
			newBlob := encodedLoad(b, &rewriting{conn: conn})
			if !bytes.Equal(oldBlob, newBlob) {
				b.Fatalf("N=%d: the snapshot differs between the earlier and the current queries", n)
			}
			sum := sha256.Sum256(newBlob)

			timed := map[string]func(old bool) time.Duration{"load": func(old bool) time.Duration {
				start := time.Now()
				if _, err := schemacache.Load(ctx, &rewriting{conn: conn, old: old}, loadOpts); err != nil {
					b.Fatal(err)
				}
				return time.Since(start)
			}}
			for _, label := range labels {
				oldQ, newQ := oldQueries[label], schemacache.CatalogQuery(label)
				timed[label] = func(old bool) time.Duration {
					q := newQ
					if old {
						q = oldQ
					}
					start := time.Now()
					queryRows(b, conn, q, 0)
					return time.Since(start)
				}
			}
			order := slices.Concat(labels, []string{"load"})
			samples := map[string]*[2]dist{}
			for _, label := range order {
				samples[label] = &[2]dist{}
				timed[label](true) // warm: relcache, catcache
				timed[label](false)
			}
			for b.Loop() {
				for r := 0; r < *cqRounds; r++ {
					for _, label := range order {
						for _, old := range []bool{r%2 == 0, r%2 != 0} {
							i := 1
							if old {
								i = 0
							}
							samples[label][i] = append(samples[label][i], timed[label](old))
						}
					}
				}
			}
			tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
			fmt.Fprintf(tw, "catalog queries N=%d (%d tables/views, %d columns; snapshot sha256 %x, identical with both)\n",
				n, rowsOf["tables"], rowsOf["columns"], sum[:8])
			fmt.Fprintln(tw, "query\told median ms\tnew median ms\told min ms\tnew min ms\tratio old/new (median)\tratio (min)\tnew µs/row\t")
			for _, label := range order {
				o, w := samples[label][0], samples[label][1]
				ratio, ratioMin := o.ms(0.5)/w.ms(0.5), o.ms(0)/w.ms(0)
				perRow := ""
				if rows := rowsOf[label]; rows > 0 {
					perRow = fmt.Sprintf("%.2f", w.ms(0.5)*1000/float64(rows))
				}
				fmt.Fprintf(tw, "%s\t%.1f\t%.1f\t%.1f\t%.1f\t%.2f\t%.2f\t%s\t\n",
					label, o.ms(0.5), w.ms(0.5), o.ms(0), w.ms(0), ratio, ratioMin, perRow)
				b.ReportMetric(w.ms(0.5), label+"-new-ms")
				b.ReportMetric(ratio, label+"-ratio")
			}
			_ = tw.Flush()
		})
	}
}

// connectExec connects as the listener worker's pool does: exec mode, no
// prepared statements.
func connectExec(b *testing.B, db string) *pgx.Conn {
	b.Helper()
	cfg, err := pgx.ParseConfig(pg.URI(db))
	if err != nil {
		b.Fatal(err)
	}
	cfg.DefaultQueryExecMode = pgx.QueryExecModeExec
	conn, err := pgx.ConnectConfig(context.Background(), cfg)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

// queryRows runs q ($1 the exposed schemas) as Load does and returns every
// row, its first fields (all with 0) encoded as returned (length-prefixed,
// -1 for NULL).
func queryRows(b *testing.B, conn *pgx.Conn, q string, fields int) [][]byte {
	b.Helper()
	ctx := context.Background()
	tx, err := conn.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.ReadCommitted, AccessMode: pgx.ReadOnly})
	if err != nil {
		b.Fatal(err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck // read-only
	if _, err := tx.Exec(ctx, "SET LOCAL search_path = ''"); err != nil {
		b.Fatal(err)
	}
	rows, err := tx.Query(ctx, q, loadOpts.Schemas)
	if err != nil {
		b.Fatal(err)
	}
	var out [][]byte
	for rows.Next() {
		var row []byte
		vals := rows.RawValues()
		if fields > 0 {
			vals = vals[:fields]
		}
		for _, v := range vals {
			if v == nil {
				row = binary.AppendVarint(row, -1)
				continue
			}
			row = binary.AppendVarint(row, int64(len(v)))
			row = append(row, v...)
		}
		out = append(out, row)
	}
	if err := rows.Err(); err != nil {
		b.Fatal(err)
	}
	return out
}

// sameRows tells whether a and b hold the same rows, in any order.
func sameRows(a, b [][]byte) bool {
	if len(a) != len(b) {
		return false
	}
	a, b = slices.Clone(a), slices.Clone(b)
	slices.SortFunc(a, bytes.Compare)
	slices.SortFunc(b, bytes.Compare)
	return slices.EqualFunc(a, b, bytes.Equal)
}

func encodedLoad(b *testing.B, db schemacache.Beginner) []byte {
	b.Helper()
	sc, err := schemacache.Load(context.Background(), db, loadOpts)
	if err != nil {
		b.Fatal(err)
	}
	sc.Timings = nil // the query durations, which the snapshot carries
	blob, err := snapshot.EncodeCache(sc)
	if err != nil {
		b.Fatal(err)
	}
	return blob
}

// rewriting is a schemacache.Beginner whose transactions run the earlier
// text of a query in place of the current one when old is set.
type rewriting struct {
	conn *pgx.Conn
	old  bool
}

func (r *rewriting) BeginTx(ctx context.Context, opts pgx.TxOptions) (pgx.Tx, error) {
	tx, err := r.conn.BeginTx(ctx, opts)
	if err != nil || !r.old {
		return tx, err
	}
	return oldTx{tx}, nil
}

type oldTx struct{ pgx.Tx }

func (t oldTx) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	for _, label := range loadSwaps {
		if sql == schemacache.CatalogQuery(label) {
			sql = oldQueries[label]
		}
	}
	return t.Tx.Query(ctx, sql, args...)
}

// checkPrimaryKeys fails unless Load names every relation's primary key
// columns as the earlier tables query did (array_agg(attname ORDER BY
// attname)).
func checkPrimaryKeys(b *testing.B, conn *pgx.Conn) {
	b.Helper()
	ctx := context.Background()
	sc, err := schemacache.Load(ctx, conn, loadOpts)
	if err != nil {
		b.Fatal(err)
	}
	rows, err := conn.Query(ctx, "SELECT n, r, p FROM ("+oldTablesQuery+") AS t(o, n, r, d, v, u, p)", loadOpts.Schemas)
	if err != nil {
		b.Fatal(err)
	}
	defer rows.Close()
	checked := 0
	for rows.Next() {
		var schema, name string
		var pk []string
		if err := rows.Scan(&schema, &name, &pk); err != nil {
			b.Fatal(err)
		}
		t := sc.Table(schemacache.QI{Schema: schema, Name: name})
		if t == nil || !slices.Equal(t.PKCols, pk) && !(t.IsView && len(pk) == 0) {
			b.Fatalf("%s.%s: primary key %v, the earlier query gives %v", schema, name, t.PKCols, pk)
		}
		checked++
	}
	if err := rows.Err(); err != nil || checked != len(sc.Tables) {
		b.Fatalf("checked %d of %d relations: %v", checked, len(sc.Tables), err)
	}
}
