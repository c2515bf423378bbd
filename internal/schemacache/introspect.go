package schemacache

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
)

// Beginner starts transactions: *pgx.Conn and *pgxpool.Pool both are.
type Beginner interface {
	BeginTx(ctx context.Context, opts pgx.TxOptions) (pgx.Tx, error)
}

// LoadOptions parameterise a schema cache load.
type LoadOptions struct {
	// Schemas are the exposed schemas (db-schemas).
	Schemas []string
	// HoistedTxSettings are the setting names (db-hoisted-tx-settings) whose
	// function SET clauses go into Routine.Settings. nil means
	// DefaultHoistedTxSettings; an empty, non-nil list hoists none.
	HoistedTxSettings []string
	// SleepMs, when positive, makes the load sleep this long inside its
	// transaction (PostgREST's internal-schema-cache-query-sleep), for tests.
	SleepMs int
	// Logger receives one debug line per query with its duration; nil discards.
	Logger *slog.Logger
	// Extra, when set, runs as one more query of the load, in its
	// snapshot (Timings label "extra"); its error fails the load. The
	// listener worker reads its catalog fingerprint there, so the
	// fingerprint describes exactly the catalog the cache was built from.
	Extra func(ctx context.Context, tx pgx.Tx) error
}

// Load introspects the catalog in one snapshot of it and returns the
// schema cache of the exposed schemas, indexed. When db is a pool with a
// connection to spare, the columns query, the largest, runs on a second
// connection beside the others, both transactions READ ONLY and
// REPEATABLE READ on one exported snapshot (pg_export_snapshot), so the
// load takes about the longer of the two lanes rather than their sum; it
// falls back to one transaction when no second connection comes within
// secondLaneWait or the snapshot cannot be exported (a hot standby before
// PostgreSQL 10, a pooler). Each query's duration is recorded in
// SchemaCache.Timings (ms) under PostgREST-like labels (tables, columns,
// rels, keydeps, funcs, comprels, dreps, mhandlers; "lanes" is 2 when the
// second lane ran) and logged at debug level. Errors are the driver's,
// wrapped with the label of the failing query.
func Load(ctx context.Context, db Beginner, opts LoadOptions) (*SchemaCache, error) {
	begin := func() (pgx.Tx, error) {
		tx, err := db.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
		if err == nil {
			if _, err = tx.Exec(ctx, "SET LOCAL search_path = ''"); err != nil {
				_ = tx.Rollback(ctx)
			}
		}
		if err != nil {
			return nil, fmt.Errorf("begin schema cache transaction: %w", err)
		}
		return tx, nil
	}
	tx, err := begin()
	if err != nil {
		return nil, err
	}
	lane, tx, err := openSecondLane(ctx, db, tx, begin)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback(ctx) //nolint:errcheck // read-only; rollback after commit is a no-op

	sc := &SchemaCache{Schemas: append([]string(nil), opts.Schemas...), Timings: map[string]float64{}}
	var mu sync.Mutex // Timings, written by both lanes
	step := func(label string, f func() error) error {
		start := time.Now()
		if err := f(); err != nil {
			return fmt.Errorf("schema cache query %s: %w", label, err)
		}
		ms := float64(time.Since(start).Microseconds()) / 1000
		mu.Lock()
		sc.Timings[label] += ms
		mu.Unlock()
		if opts.Logger != nil {
			opts.Logger.Debug("schema cache query", "query", label, "ms", ms)
		}
		return nil
	}
	schemas := opts.Schemas
	lanes := []pgx.Tx{tx}
	if lane != nil {
		lanes = append(lanes, lane)
		sc.Timings["lanes"] = 2
	}
	var (
		oids     []uint32
		pks      [][]int16
		fks      []foreignKey
		targets  map[uint32][]target
		byOID    map[uint32]QI
		baseKeys *viewKeys
		views    *viewKeys
		computed []Relationship
		cols     map[uint32]*relColumns
	)
	// The queries need nothing from each other but keydeps, which waits
	// for tables (taken before it, so never a deadlock): each lane runs
	// the next one not taken, the columns query (the largest, about half
	// of the time) first, and each writes its own variables (or its own
	// field of sc). Splitting the columns query between the lanes does not pay: a
	// part costs about as much as the whole (its cost is mostly the joins
	// and hash tables every part builds).
	tablesDone, tablesOK := make(chan struct{}), false
	jobs := []loadJob{
		{"columns", func(tx pgx.Tx) (err error) { cols, err = loadColumns(ctx, tx, schemas); return err }},
		{"rels", func(tx pgx.Tx) (err error) { fks, err = loadForeignKeys(ctx, tx, schemas); return err }},
		{"tables", func(tx pgx.Tx) (err error) {
			defer close(tablesDone)
			oids, pks, err = loadTables(ctx, tx, schemas, sc)
			tablesOK = err == nil
			return err
		}},
		{"funcs", func(tx pgx.Tx) error { return loadRoutines(ctx, tx, schemas, hoistedNames(opts.HoistedTxSettings), sc) }},
		{"keydeps", func(tx pgx.Tx) (err error) {
			if targets, err = loadViewTargets(ctx, tx, schemas); err != nil {
				return err
			}
			select {
			case <-tablesDone:
			case <-ctx.Done():
				return ctx.Err()
			}
			if !tablesOK {
				return errTablesFailed
			}
			byOID = relationOIDs(sc, oids)
			baseKeys, err = loadBaseKeys(ctx, tx, targets, byOID)
			return err
		}},
		{"comprels", func(tx pgx.Tx) (err error) { computed, err = loadComputedRels(ctx, tx, schemas); return err }},
		{"mhandlers", func(tx pgx.Tx) error { return loadMediaHandlers(ctx, tx, schemas, sc) }},
		{"dreps", func(tx pgx.Tx) error { return loadRepresentations(ctx, tx, sc) }},
		{"version", func(tx pgx.Tx) error {
			return tx.QueryRow(ctx, "SELECT current_setting('server_version_num')::int").Scan(&sc.PgVersion)
		}},
	}
	if opts.Extra != nil {
		// Third: with two lanes it runs beside the columns query.
		jobs = slices.Insert(jobs, 2, loadJob{"extra", func(tx pgx.Tx) error { return opts.Extra(ctx, tx) }})
	}
	err = runJobs(ctx, lanes, jobs, step)
	if lane != nil {
		lane.Rollback(context.WithoutCancel(ctx)) //nolint:errcheck // read-only
	}
	if err != nil {
		return nil, err
	}
	computed = cachedComputedRels(sc, computed)
	names := attachColumns(sc, oids, cols)
	addPrimaryKeys(sc, oids, pks, names)
	err = firstErr(
		func() error {
			return step("rels", func() error { return checkForeignKeys(fks, names) })
		},
		func() error {
			return step("keydeps", func() error {
				views = viewKeysOf(baseKeys, targets, byOID, names)
				return nil
			})
		},
		func() error {
			if opts.SleepMs <= 0 {
				return nil
			}
			_, err := tx.Exec(ctx, "SELECT pg_catalog.pg_sleep($1::float8 / 1000)", opts.SleepMs)
			return err
		},
	)
	if err != nil {
		return nil, err
	}
	if err := tx.Commit(ctx); err != nil {
		return nil, fmt.Errorf("commit schema cache transaction: %w", err)
	}
	start := time.Now()
	addViewPrimaryKeys(sc, oids, views)
	sc.Relationships = buildRelationships(sc, relInputs{fks: mergeFKs(fks, views.fks), names: names, views: views, computed: computed})
	sc.Index()
	sc.Timings["relationships"] = float64(time.Since(start).Microseconds()) / 1000
	return sc, nil
}

// errTablesFailed ends the keydeps job when the tables query it waits for
// failed; both errors are returned.
var errTablesFailed = errors.New("tables query failed")

// relationOIDs maps the oids of the relations of sc (loaded in oids order)
// to their names.
func relationOIDs(sc *SchemaCache, oids []uint32) map[uint32]QI {
	m := make(map[uint32]QI, len(oids))
	for i, oid := range oids {
		m[oid] = sc.Tables[i].QI()
	}
	return m
}

// mergeFKs appends to fks the ones of more that it lacks: a foreign key to a
// partition in an exposed schema is in both lists.
func mergeFKs(fks, more []foreignKey) []foreignKey {
	if len(more) == 0 {
		return fks
	}
	type key struct {
		rel  uint32
		name string
	}
	seen := make(map[key]bool, len(fks))
	for _, fk := range fks {
		seen[key{fk.rel, fk.name}] = true
	}
	for _, fk := range more {
		if !seen[key{fk.rel, fk.name}] {
			fks = append(fks, fk)
		}
	}
	return fks
}

// addViewPrimaryKeys gives each view the primary key its base relations
// lend it (viewKeys.viewPK).
func addViewPrimaryKeys(sc *SchemaCache, oids []uint32, vk *viewKeys) {
	for i, oid := range oids {
		if t := &sc.Tables[i]; t.IsView {
			t.PKCols = vk.viewPK(oid)
		}
	}
}

func firstErr(fs ...func() error) error {
	for _, f := range fs {
		if err := f(); err != nil {
			return err
		}
	}
	return nil
}

func loadTables(ctx context.Context, tx pgx.Tx, schemas []string, sc *SchemaCache) ([]uint32, [][]int16, error) {
	rows, err := tx.Query(ctx, tablesQuery, schemas)
	if err != nil {
		return nil, nil, err
	}
	var oids []uint32
	var pks [][]int16
	for rows.Next() {
		var t Table
		var oid uint32
		var mask int32
		var pk []int16
		if err := rows.Scan(&oid, &t.Schema, &t.Name, &t.Description, &t.IsView, &mask, (*attnums)(&pk)); err != nil {
			rows.Close()
			return nil, nil, err
		}
		// pg_relation_is_updatable bits: 8 insert, 4 update, 16 delete.
		t.Insertable, t.Updatable, t.Deletable = mask&8 != 0, mask&4 != 0, mask&16 != 0
		sc.Tables = append(sc.Tables, t)
		oids = append(oids, oid)
		pks = append(pks, pk)
	}
	return oids, pks, rows.Err()
}

// addPrimaryKeys names the primary key columns of each relation (pks[i]
// are the attnums of the key of oids[i], nil without one), sorted by name
// as PostgREST sorts them.
func addPrimaryKeys(sc *SchemaCache, oids []uint32, pks [][]int16, names attnames) {
	for i, pk := range pks {
		if len(pk) == 0 {
			continue
		}
		cols := make([]string, 0, len(pk))
		for _, n := range pk {
			if name, ok := names[oids[i]][n]; ok {
				cols = append(cols, name)
			}
		}
		slices.Sort(cols)
		sc.Tables[i].PKCols = cols
	}
}

// attnames maps a relation's oid to its column names by attnum, so the
// foreign-key query can return attnums and leave name lookups to Go.
type attnames map[uint32]map[int16]string

// relColumns are the columns of one relation as the columns query
// returned them, and their attnums (parallel).
type relColumns struct {
	cols []Column
	nums []int16
}

// loadColumns reads the columns of the exposed relations, by relation oid.
// It needs nothing from the other queries, so it may run on a connection
// of its own (Load's second lane).
func loadColumns(ctx context.Context, tx pgx.Tx, schemas []string) (map[uint32]*relColumns, error) {
	rows, err := tx.Query(ctx, columnsQuery, schemas)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[uint32]*relColumns{}
	var last uint32
	var rc *relColumns
	for rows.Next() {
		var oid uint32
		var attnum int16
		var c Column
		if err := rows.Scan(&oid, &attnum, &c.Name, &c.Description, &c.Nullable, &c.Type, &c.NominalType, &c.MaxLen, &c.Default, &c.Enum); err != nil {
			return nil, err
		}
		if rc == nil || oid != last {
			if rc = out[oid]; rc == nil {
				rc = &relColumns{}
				out[oid] = rc
			}
			last = oid
		}
		rc.cols = append(rc.cols, c)
		rc.nums = append(rc.nums, attnum)
	}
	return out, rows.Err()
}

// attachColumns gives each relation of sc (loaded in oids order) its
// columns in attnum order (the query returns rows in no particular order)
// and returns the column names of every relation by oid and attnum, so
// the foreign-key and view queries can return attnums and leave name
// lookups to Go.
func attachColumns(sc *SchemaCache, oids []uint32, cols map[uint32]*relColumns) attnames {
	names := make(attnames, len(cols))
	for oid, rc := range cols {
		sortByAttnum(rc.cols, rc.nums)
		slices.Sort(rc.nums)
		m := make(map[int16]string, len(rc.nums))
		for i, n := range rc.nums {
			m[n] = rc.cols[i].Name
		}
		names[oid] = m
	}
	for i, oid := range oids {
		if rc := cols[oid]; rc != nil {
			sc.Tables[i].Columns = rc.cols
		}
	}
	return names
}

// sortByAttnum sorts cols, whose attnums are nums (parallel, distinct), by
// attnum; rows usually arrive in order already, which costs one pass.
func sortByAttnum(cols []Column, nums []int16) {
	if slices.IsSorted(nums) {
		return
	}
	idx := make([]int, len(nums))
	for i := range idx {
		idx[i] = i
	}
	slices.SortFunc(idx, func(a, b int) int { return int(nums[a]) - int(nums[b]) })
	sorted := make([]Column, len(cols))
	for i, j := range idx {
		sorted[i] = cols[j]
	}
	copy(cols, sorted)
}

// DefaultHoistedTxSettings returns PostgREST's default
// db-hoisted-tx-settings: the function SET clauses a call applies to its
// transaction unless configured otherwise. It is a new slice on each call,
// so callers may keep or change it.
func DefaultHoistedTxSettings() []string {
	return []string{"statement_timeout", "plan_filter.statement_cost_limit", "default_transaction_isolation"}
}

// hoistedNames is the $2 of routinesQuery: the db-hoisted-tx-settings
// names, or the default ones for nil, lower-cased to compare with the
// lower-cased names of proconfig.
func hoistedNames(names []string) []string {
	if names == nil {
		names = DefaultHoistedTxSettings()
	}
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = strings.ToLower(strings.TrimSpace(n))
	}
	return out
}

func loadRoutines(ctx context.Context, tx pgx.Tx, schemas, hoisted []string, sc *SchemaCache) error {
	rows, err := tx.Query(ctx, routinesQuery, schemas, hoisted)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var r Routine
		var names, modes, types, settings []string
		var nargs, ndefaults int16
		var vol string
		if err := rows.Scan(&r.Schema, &r.Name, &r.Description, &names, &modes, &types, &nargs, &ndefaults,
			&r.Return.SetOf, &r.Return.Type.Schema, &r.Return.Type.Name, &r.Return.Composite, &vol, &r.HasVariadic,
			&r.IsolationLevel, &settings); err != nil {
			return err
		}
		r.Volatility = Volatility(vol)
		r.Settings = parseSettings(settings)
		params, ok := inputParams(names, modes, types, int(nargs), int(ndefaults))
		if !ok {
			continue
		}
		r.Params = params
		sc.Routines = append(sc.Routines, r)
	}
	return rows.Err()
}

// parseSettings splits proconfig entries ("name=value") into Settings; nil
// for none, as a decoded cache has it.
func parseSettings(entries []string) []Setting {
	if len(entries) == 0 {
		return nil
	}
	out := make([]Setting, len(entries))
	for i, e := range entries {
		name, value, _ := strings.Cut(e, "=")
		out[i] = Setting{Name: name, Value: value}
	}
	return out
}

// inputParams picks the input parameters out of all arguments (modes i, b, v;
// all of them when proargmodes is null) and marks the last ndefaults as
// optional. ok is false when the function cannot be called by name: an
// unnamed parameter, unless it is the only one and of a type PostgREST can
// pass a whole request body to (PostgREST #2152).
func inputParams(names, modes, types []string, nargs, ndefaults int) ([]RoutineParam, bool) {
	var params []RoutineParam
	for i, typ := range types {
		mode := "i"
		if len(modes) > i {
			mode = modes[i]
		}
		if mode != "i" && mode != "b" && mode != "v" {
			continue
		}
		name := ""
		if len(names) > i {
			name = names[i]
		}
		params = append(params, RoutineParam{Name: name, Type: typ, Variadic: mode == "v"})
	}
	for i := range params {
		params[i].Required = i < nargs-ndefaults
	}
	for _, p := range params {
		if p.Name == "" {
			if len(params) != 1 {
				return nil, false
			}
			switch p.Type {
			case "bytea", "json", "jsonb", "text", "xml":
			default:
				return nil, false
			}
		}
	}
	return params, true
}
