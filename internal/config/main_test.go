package config

import (
	"context"
	"fmt"
	"net/url"
	"sync/atomic"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/pgrest-lambda/pgrest-lambda/internal/testharness"
)

var pg *testharness.Postgres

func TestMain(m *testing.M) { testharness.Main(m, &pg, nil) }

var nextDB atomic.Int64

// authDB is one test's database and its own LOGIN role, standing in for
// PostgREST's authenticator.
type authDB struct {
	name, role string
	admin      *pgx.Conn // superuser connection to the database
}

// newAuthDB creates a fresh database and a fresh LOGIN role auth_<n>.
// Roles are cluster-wide, so each test gets its own.
func newAuthDB(t *testing.T) *authDB {
	t.Helper()
	n := nextDB.Add(1)
	d := &authDB{name: fmt.Sprintf("cfg_%d", n), role: fmt.Sprintf("auth_%d", n)}
	if err := pg.CreateDatabase(t.Context(), d.name); err != nil {
		t.Fatal(err)
	}
	d.admin = connect(t, pg.URI(d.name))
	d.exec(t, "CREATE ROLE "+d.role+" LOGIN")
	return d
}

// exec runs sql as the superuser in the test's database.
func (d *authDB) exec(t *testing.T, sql string) {
	t.Helper()
	if _, err := d.admin.Exec(t.Context(), sql); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

// connectAs opens a new connection to the test's database as role.
func (d *authDB) connectAs(t *testing.T, role string) *pgx.Conn {
	t.Helper()
	u, err := url.Parse(pg.URI(d.name))
	if err != nil {
		t.Fatal(err)
	}
	u.User = url.User(role)
	return connect(t, u.String())
}

func connect(t *testing.T, uri string) *pgx.Conn {
	t.Helper()
	conn, err := pgx.Connect(t.Context(), uri)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close(context.Background()) })
	return conn
}
