package testharness

import (
	"fmt"
	"path/filepath"
	"strconv"
)

// StartStandby starts a hot standby of pg in a new temporary directory:
// a base backup streamed from pg (pg_basebackup -R), run on its own free
// loopback port with pg's settings. It answers reads, and refuses writes
// and LISTEN ("during recovery") as a read replica does. Stop it with
// [Postgres.Stop], before pg.
func (pg *Postgres) StartStandby() (*Postgres, error) {
	return startServer("pgrest-lambda-pg-standby-*", func(binDir string, as runAs, dataDir string) error {
		backup := as.command(filepath.Dir(dataDir), filepath.Join(binDir, "pg_basebackup"), "-D", dataDir, "-R",
			"-X", "stream", "-h", "127.0.0.1", "-p", strconv.Itoa(pg.port), "-U", "postgres")
		if out, err := backup.CombinedOutput(); err != nil {
			return fmt.Errorf("pg_basebackup: %w: %s", err, out)
		}
		return nil
	})
}
