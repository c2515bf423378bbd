// Package testharness starts throwaway PostgreSQL and Redis servers for
// tests. Each server runs as a child of the test binary on its own free
// loopback port with its own temporary directory, so tests never touch a
// server that was started by hand, and several test binaries can run at once.
//
// # Servers
//
// [StartPostgres] runs initdb (trust auth, fsync off) and starts postgres
// listening on 127.0.0.1 only; when the test binary runs as root, both run
// as the postgres OS user, because PostgreSQL refuses to run as root.
// [StartRedis] starts redis-server with persistence off. Both return an
// error that says to run `make test` when the server binaries are missing,
// so tests fail rather than skip.
//
// # Lifetime
//
// Start servers once per test binary, in TestMain, and stop them before the
// process exits; [RunMain] does exactly that, so servers are stopped even
// when tests fail:
//
//	var pg *testharness.Postgres
//
//	func TestMain(m *testing.M) {
//		testharness.RunMain(m, func() (func(), error) {
//			var err error
//			if pg, err = testharness.StartPostgres(); err != nil {
//				return nil, err
//			}
//			return func() { _ = pg.Stop() }, nil
//		})
//	}
//
// Give each test its own database ([Postgres.CreateDatabase]) so that tests
// which depend on committed NOTIFYs can run in parallel.
//
// If the test binary dies without running its teardown (a panic, a -timeout
// or a signal), the kernel sends the servers a parent-death signal, so no
// server outlives the test binary; only its temporary directory is left
// behind.
package testharness
