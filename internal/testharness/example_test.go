package testharness_test

import (
	"testing"

	"github.com/pgrest-lambda/pgrest-lambda/internal/testharness"
)

// servers is what the example's TestMain starts once for the whole package.
type servers struct {
	pg    *testharness.Postgres
	redis *testharness.Redis
}

// srv would be read by the package's tests.
var srv servers

// ExampleRunMain shows a TestMain that starts both servers once, fails the
// run if either cannot start, and stops whatever it started before exiting.
func ExampleRunMain() {
	testMain := func(m *testing.M) {
		testharness.RunMain(m, func() (func(), error) {
			var err error
			if srv.pg, err = testharness.StartPostgres(); err != nil {
				return nil, err
			}
			teardown := func() {
				_ = srv.pg.Stop()
				if srv.redis != nil {
					_ = srv.redis.Stop()
				}
			}
			srv.redis, err = testharness.StartRedis()
			return teardown, err
		})
	}
	_ = testMain // in a real package: func TestMain(m *testing.M) { ... }
}
