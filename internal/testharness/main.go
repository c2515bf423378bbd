package testharness

import (
	"fmt"
	"os"
	"testing"
)

// RunMain is the body of a TestMain. It calls setup, which starts the
// servers the package needs and returns a teardown that stops them; then it
// runs the tests, calls teardown and exits with the tests' exit code. If
// setup fails, RunMain prints the error and exits with status 1 without
// running any test, so a missing server fails the run instead of skipping it.
// Setup may return a teardown together with an error, to stop the servers
// it started before the failure; a nil teardown is allowed. RunMain does not
// return.
func RunMain(m *testing.M, setup func() (teardown func(), err error)) {
	os.Exit(runMain(m, setup))
}

// runMain is RunMain without os.Exit, so that deferred teardown runs.
func runMain(m *testing.M, setup func() (teardown func(), err error)) int {
	teardown, err := setup()
	if teardown != nil {
		defer teardown()
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "testharness: setup failed: %v\n", err)
		return 1
	}
	return m.Run()
}

// Main is the TestMain of a package that needs a PostgreSQL server, a Redis
// server or both: it starts those whose pointer is non-nil, stores them
// there, runs the tests and stops them. It does not return.
//
//	var pg *testharness.Postgres
//
//	func TestMain(m *testing.M) { testharness.Main(m, &pg, nil) }
func Main(m *testing.M, pg **Postgres, rds **Redis) {
	RunMain(m, func() (func(), error) {
		var stops []func()
		teardown := func() {
			for i := len(stops) - 1; i >= 0; i-- {
				stops[i]()
			}
		}
		if pg != nil {
			p, err := StartPostgres()
			if err != nil {
				return teardown, err
			}
			*pg = p
			stops = append(stops, func() { _ = p.Stop() })
		}
		if rds != nil {
			r, err := StartRedis()
			if err != nil {
				return teardown, err
			}
			*rds = r
			stops = append(stops, func() { _ = r.Stop() })
		}
		return teardown, nil
	})
}
