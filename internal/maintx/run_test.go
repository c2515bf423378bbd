package maintx

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/pgrest-lambda/pgrest-lambda/internal/plan"
)

func TestBeginBatch(t *testing.T) {
	for _, tc := range []struct {
		level    string
		readOnly bool
		want     string
	}{
		{"", true, "BEGIN ISOLATION LEVEL READ COMMITTED READ ONLY"},
		{"read committed", false, "BEGIN ISOLATION LEVEL READ COMMITTED READ WRITE"},
		{"repeatable read", true, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"},
		{"serializable", false, "BEGIN ISOLATION LEVEL SERIALIZABLE READ WRITE"},
		// Anything else cannot reach the SQL text.
		{"serializable; DROP TABLE x", false, "BEGIN ISOLATION LEVEL READ COMMITTED READ WRITE"},
	} {
		b := (&batches{}).begin(&plan.TxSettings{IsolationLevel: tc.level, ReadOnly: tc.readOnly, Schema: "api"})
		if got := b.QueuedQueries[0].SQL; got != tc.want {
			t.Errorf("level %q: %s, want %s", tc.level, got, tc.want)
		}
	}
}

func TestBeginBatchPreRequest(t *testing.T) {
	b := (&batches{}).begin(&plan.TxSettings{PreRequest: `SELECT "auth"."check"()`})
	if n := len(b.QueuedQueries); n != 3 || b.QueuedQueries[2].SQL != `SELECT "auth"."check"()` {
		t.Fatalf("queued %d: %+v", n, b.QueuedQueries)
	}
	if n := len((&batches{}).begin(&plan.TxSettings{}).QueuedQueries); n != 2 {
		t.Fatalf("without a pre-request: %d statements", n)
	}
}

// TestCheckOrder: a result is checked in Checks' order, and passes when
// no condition is set.
func TestCheckOrder(t *testing.T) {
	one, two := int64(1), int64(2)
	for _, c := range []struct {
		checks plan.Checks
		rows   int64
		code   string
	}{
		{plan.Checks{}, 5, ""},
		{plan.Checks{Singular: true}, 1, ""},
		{plan.Checks{Singular: true}, 2, "PGRST116"},
		{plan.Checks{PutRow: true}, 1, ""},
		{plan.Checks{PutRow: true}, 0, "PGRST115"},
		{plan.Checks{PutRow: true}, 2, "PGRST115"},
		{plan.Checks{Singular: true, PutRow: true}, 0, "PGRST116"},
		{plan.Checks{MaxAffected: &one, Limit: &one}, 2, "PGRST124"},
		{plan.Checks{MaxAffected: &two, Limit: &one}, 2, "PGRST110"},
		{plan.Checks{MaxAffected: &two, Limit: &two}, 2, ""},
	} {
		err := check(c.checks, &Result{PageTotal: c.rows})
		switch {
		case c.code == "" && err != nil:
			t.Errorf("%+v with %d rows: %v", c.checks, c.rows, err)
		case c.code != "" && (err == nil || err.Code != c.code):
			t.Errorf("%+v with %d rows: %v, want %s", c.checks, c.rows, err, c.code)
		}
	}
}

// TestDBErrorLeaksNothing: failing to connect is PGRST000 and any other
// driver failure PGRST001, both 503 with a non-zero Retry-After, and the
// body names no user, database, host or port; the driver's error stays
// the cause, for the log.
func TestDBErrorLeaksNothing(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err := pgconn.Connect(ctx, "postgres://secretuser:pw@127.0.0.1:1/secretdb?connect_timeout=2")
	if err == nil {
		t.Fatal("connected to port 1")
	}
	for _, c := range []struct {
		err  error
		code string
	}{
		{err, "PGRST000"},
		{fmt.Errorf("read tcp 10.1.2.3:5432: connection reset by secretuser"), "PGRST001"},
	} {
		e := dbError(c.err, false)
		body := string(e.Body())
		if e.Code != c.code || e.Status != 503 || e.Headers["Retry-After"] == "" || e.Headers["Retry-After"] == "0" {
			t.Errorf("%v: %d %s %v", c.err, e.Status, body, e.Headers)
		}
		for _, secret := range []string{"secretuser", "secretdb", "127.0.0.1", "10.1.2.3", "5432", ":1"} {
			if strings.Contains(body, secret) {
				t.Errorf("body %s names %q", body, secret)
			}
		}
		if e.Cause != c.err {
			t.Errorf("cause %v", e.Cause)
		}
	}
}
