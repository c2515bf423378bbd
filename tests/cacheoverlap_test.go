package tests

import (
	"context"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// slowCurrentReads holds every GET of the current-version key for delay
// before sending it: a slow Redis round trip.
type slowCurrentReads struct {
	key   string
	delay time.Duration
}

func (s *slowCurrentReads) DialHook(next redis.DialHook) redis.DialHook { return next }

func (s *slowCurrentReads) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		if args := cmd.Args(); len(args) == 2 && cmd.Name() == "get" && args[1] == s.key {
			time.Sleep(s.delay)
		}
		return next(ctx, cmd)
	}
}

func (s *slowCurrentReads) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return next
}

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
	e.stack.Store.Redis().AddHook(&slowCurrentReads{key: e.stack.Store.Key("current"), delay: each})
	start := time.Now()
	r := e.get("/rpc/slow_one")
	took := time.Since(start)
	if r.Status != 200 || r.Body != "1" {
		t.Fatalf("read: %d %s", r.Status, r.Body)
	}
	if took < each || took >= 2*each-each/3 {
		t.Fatalf("a %v statement behind a %v check took %v: they did not overlap", each, each, took)
	}
}
