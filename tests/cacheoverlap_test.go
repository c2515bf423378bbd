package tests

import (
	"testing"
	"time"
)

// TestCheckOverlapsStatement: with the default revalidation (a check on
// every request), a read's version check and its statement overlap: a
// 500 ms statement behind a 500 ms Redis round trip answers in about
// 500 ms, not 1 s.
func TestCheckOverlapsStatement(t *testing.T) {
	t.Parallel()
	const each = 500 * time.Millisecond
	e := newEnv(t, `CREATE FUNCTION api.slow_one() RETURNS int STABLE LANGUAGE sql
			AS 'SELECT 1 FROM pg_sleep(0.5)';
		GRANT EXECUTE ON FUNCTION api.slow_one() TO web_anon;`, nil)
	if r := e.get("/rpc/slow_one"); r.Status != 200 || r.Body != "1" {
		t.Fatalf("first read: %d %s", r.Status, r.Body)
	}
	reads := &currentReads{key: e.stack.Store.Key("current"), delay: each}
	e.stack.Store.Redis().AddHook(reads)
	start := time.Now()
	r := e.get("/rpc/slow_one")
	took := time.Since(start)
	if r.Status != 200 || r.Body != "1" {
		t.Fatalf("read: %d %s", r.Status, r.Body)
	}
	if reads.n.Load() < 1 {
		t.Fatal("the read did not ask Redis")
	}
	if took < each || took >= 2*each-each/3 {
		t.Fatalf("a %v statement behind a %v check took %v: they did not overlap", each, each, took)
	}
}
