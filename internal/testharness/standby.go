package testharness

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
)

// StartStandby starts a hot standby of pg in a new temporary directory:
// a base backup streamed from pg (pg_basebackup -R), run on its own free
// loopback port with pg's settings. It answers reads, and refuses writes
// and LISTEN ("during recovery") as a read replica does. Stop it with
// [Postgres.Stop], before pg.
func (pg *Postgres) StartStandby() (*Postgres, error) {
	binDir, err := pgBinDir()
	if err != nil {
		return nil, err
	}
	as, err := pgUser()
	if err != nil {
		return nil, err
	}
	dir, err := as.mkdirTemp(os.TempDir(), "pgrest-lambda-pg-standby-*")
	if err != nil {
		return nil, fmt.Errorf("create standby directory: %w", err)
	}
	backup := as.command(dir, filepath.Join(binDir, "pg_basebackup"), "-D", filepath.Join(dir, "data"), "-R",
		"-X", "stream", "-h", "127.0.0.1", "-p", strconv.Itoa(pg.port), "-U", "postgres")
	if out, err := backup.CombinedOutput(); err != nil {
		_ = os.RemoveAll(dir)
		return nil, fmt.Errorf("pg_basebackup: %w: %s", err, out)
	}
	st := &Postgres{dir: dir}
	for attempt := 1; ; attempt++ {
		err := st.start(binDir, as)
		if err == nil {
			return st, nil
		}
		if !errors.Is(err, errPortInUse) || attempt == startAttempts {
			_ = os.RemoveAll(dir)
			return nil, err
		}
	}
}
