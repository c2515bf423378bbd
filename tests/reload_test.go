package tests

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/pgrest-lambda/pgrest-lambda/internal/config"
)

// pollUntil polls GET path until it answers status or the deadline passes;
// it returns the last response and the time it took.
func (e *env) pollUntil(path string, status int, within time.Duration) (response, time.Duration) {
	e.t.Helper()
	start := time.Now()
	for {
		r := e.get(path)
		if r.Status == status || time.Since(start) > within {
			return r, time.Since(start)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestStaleTableReloadedByNotify(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "", nil)
	wantError(t, e.get("/widgets"), 404, "PGRST205",
		"Could not find the table 'api.widgets' in the schema cache", "null", "null")

	mustExec(t, e.db, `CREATE TABLE api.widgets (id int PRIMARY KEY, name text); INSERT INTO api.widgets VALUES (1, 'gear');`)
	// Without a NOTIFY the cache is stale and says so.
	wantError(t, e.get("/widgets"), 404, "PGRST205", "", "", "")

	mustExec(t, e.db, `NOTIFY pgrst, 'reload schema'`)
	r, took := e.pollUntil("/widgets", 200, time.Second)
	if r.Status != 200 {
		t.Fatalf("after NOTIFY: %d %s", r.Status, r.Body)
	}
	t.Logf("NOTIFY → 200 in %v", took)
	if r.Body != `[{"id":1,"name":"gear"}]` {
		t.Fatalf("body = %s", r.Body)
	}
}

func TestStaleRelationshipReloadedByNotify(t *testing.T) {
	t.Parallel()
	e := newEnv(t, `
		CREATE TABLE api.countries (id int PRIMARY KEY, name text);
		CREATE TABLE api.cities (id int PRIMARY KEY, name text, country_id int);
		INSERT INTO api.countries VALUES (1, 'France');
		INSERT INTO api.cities VALUES (10, 'Lyon', 1);`, nil)
	const path = "/cities?select=name,country:countries(id,name)"
	wantError(t, e.get(path), 400, "PGRST200",
		"Could not find a relationship between 'cities' and 'countries' in the schema cache",
		"Searched for a foreign key relationship between 'cities' and 'countries' in the schema 'api', but no matches were found.",
		"If a new foreign key between these entities was created in the database, try reloading the schema cache.")

	mustExec(t, e.db, `ALTER TABLE api.cities ADD FOREIGN KEY (country_id) REFERENCES api.countries(id)`)
	mustExec(t, e.db, `NOTIFY pgrst`) // the empty payload reloads too
	e.waitBuild("notify")
	r := e.get(path)
	if r.Status != 200 || r.Body != `[{"name":"Lyon","country":{"id":1,"name":"France"}}]` {
		t.Fatalf("after NOTIFY: %d %s", r.Status, r.Body)
	}
}

func TestStaleFunctionReloadedByNotify(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "", nil)
	wantError(t, e.get("/rpc/plus_one?num=1"), 404, "PGRST202",
		"Could not find the function api.plus_one(num) in the schema cache", "",
		"If a new function was created in the database with this name and arguments, try reloading the schema cache.")

	mustExec(t, e.db, `CREATE FUNCTION api.plus_one(num integer) RETURNS integer LANGUAGE sql IMMUTABLE AS $$ SELECT num + 1 $$`)
	mustExec(t, e.db, `NOTIFY pgrst, 'reload schema'`)
	e.waitBuild("notify")
	if r := e.get("/rpc/plus_one?num=1"); r.Status != 200 || r.Body != "2" {
		t.Fatalf("GET after NOTIFY: %d %s", r.Status, r.Body)
	}
	if r := e.do("POST", "/rpc/plus_one", `{"num": 41}`); r.Status != 200 || r.Body != "42" {
		t.Fatalf("POST after NOTIFY: %d %s", r.Status, r.Body)
	}
}

// TestNotifyBurstIsDebounced sends 50 NOTIFYs from separate transactions,
// each after a DDL change, and checks PostgREST's debounce: at most two
// rebuilds start in any 100 ms window, and the last change is in the final
// cache.
func TestNotifyBurstIsDebounced(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "", nil)
	before := len(e.rebuilds())
	for i := 1; i <= 50; i++ {
		mustExec(t, e.db, fmt.Sprintf(`CREATE TABLE api.burst_%d (id int); NOTIFY pgrst, 'reload schema'`, i))
	}
	r, _ := e.pollUntil("/burst_50", 200, 3*time.Second)
	if r.Status != 200 {
		t.Fatalf("last change not visible: %d %s", r.Status, r.Body)
	}
	// Let a trailing rebuild, if one is due, finish.
	time.Sleep(400 * time.Millisecond)
	builds := e.rebuilds()[before:]
	if len(builds) == 0 || len(builds) >= 50 {
		t.Fatalf("%d rebuilds for 50 NOTIFYs", len(builds))
	}
	for i := range builds {
		n := 0
		for j := i; j < len(builds) && builds[j].Started.Sub(builds[i].Started) < 100*time.Millisecond; j++ {
			n++
		}
		if n > 2 {
			t.Fatalf("%d rebuilds started within 100 ms of %v", n, builds[i].Started)
		}
	}
	t.Logf("50 NOTIFYs → %d rebuilds", len(builds))
}

// TestUnknownPayloadIsIgnored relies on notifications arriving in order:
// once the rebuild for the valid NOTIFY sent after the unknown one is done,
// the unknown one was handled, and it must not have caused a rebuild.
func TestUnknownPayloadIsIgnored(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "", nil)
	before := len(e.rebuilds())
	mustExec(t, e.db, `NOTIFY pgrst, 'reload everything please'`)
	mustExec(t, e.db, `NOTIFY pgrst, 'RELOAD SCHEMA'`) // payloads are case-sensitive
	mustExec(t, e.db, `NOTIFY other_channel, 'reload schema'`)
	mustExec(t, e.db, `NOTIFY pgrst, 'reload schema'`)
	e.waitBuild("notify")
	time.Sleep(200 * time.Millisecond) // past the debounce cooldown: no trailing rebuild may follow
	if got := len(e.rebuilds()) - before; got != 1 {
		t.Fatalf("%d rebuilds, want exactly 1 (for the valid payload only)", got)
	}
}

// TestNotifyDuringRebuildIsNotLost is PostgREST's
// test_schema_cache_concurrent_notifications (#2791): a NOTIFY arriving
// while a slow rebuild runs causes one more rebuild that sees the change.
func TestNotifyDuringRebuildIsNotLost(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "", func(c *config.Config) { c.SchemaCacheQuerySleepMs = 500 })
	mustExec(t, e.db, `NOTIFY pgrst`)
	// Wait until the rebuild is inside its 500 ms sleep.
	for deadline := time.Now().Add(5 * time.Second); ; {
		var n int
		if err := e.db.QueryRow(context.Background(), `SELECT count(*) FROM pg_stat_activity
			WHERE datname = current_database() AND state = 'active' AND query LIKE '%pg_sleep%'
			AND pid <> pg_backend_pid()`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the rebuild never started")
		}
		time.Sleep(5 * time.Millisecond)
	}
	mustExec(t, e.db, `CREATE TABLE api.late (id int); NOTIFY pgrst`)
	first := e.waitBuild("notify")
	second := e.waitBuild("notify")
	if !second.Started.After(first.Finished) {
		t.Fatalf("trailing rebuild started %v before the first finished %v", second.Started, first.Finished)
	}
	if r := e.get("/late"); r.Status != 200 {
		t.Fatalf("change made during the rebuild is missing: %d %s", r.Status, r.Body)
	}
}

func TestListenerReconnectsAndRebuilds(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "", nil)
	mustExec(t, e.db, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
		WHERE datname = current_database() AND query LIKE 'LISTEN %'`)
	e.waitBuild("reconnect")
	mustExec(t, e.db, `CREATE TABLE api.after_reconnect (id int); NOTIFY pgrst`)
	e.waitBuild("notify")
	if r := e.get("/after_reconnect"); r.Status != 200 {
		t.Fatalf("after reconnect: %d %s", r.Status, r.Body)
	}
}

// TestEventTriggersReloadOnDDL installs infra/event_triggers.sql (the
// seed's finer-grained triggers): DDL alone reloads the cache, and a
// temporary table does not.
func TestEventTriggersReloadOnDDL(t *testing.T) {
	t.Parallel()
	sql, err := os.ReadFile("../infra/event_triggers.sql")
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, string(sql), nil)
	before := len(e.rebuilds())
	mustExec(t, e.db, `CREATE TEMP TABLE scratch (id int)`)
	mustExec(t, e.db, `CREATE TABLE api.by_trigger (id int)`)
	e.waitBuild("notify")
	if r := e.get("/by_trigger"); r.Status != 200 {
		t.Fatalf("table created by DDL alone: %d %s", r.Status, r.Body)
	}
	time.Sleep(200 * time.Millisecond) // past the cooldown: a rebuild for the temp table would have started
	if got := len(e.rebuilds()) - before; got != 1 {
		t.Fatalf("%d rebuilds, want 1 (the temporary table must not notify)", got)
	}
	mustExec(t, e.db, `DROP TABLE api.by_trigger`)
	e.waitBuild("notify")
	wantError(t, e.get("/by_trigger"), 404, "PGRST205", "", "", "")
}
