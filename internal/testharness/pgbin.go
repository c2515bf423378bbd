package testharness

import (
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
)

// pgBinGlob matches the Debian and Ubuntu PostgreSQL bin directories.
const pgBinGlob = "/usr/lib/postgresql/*/bin"

// errMissingHint ends every "binary not found" error.
const errMissingHint = "run `make test`, which installs them"

// BinDirEnv names the one setting that picks the PostgreSQL server
// binaries: when set, initdb and postgres are taken from that directory and
// nowhere else. `make test` and `make test-pg-all` set it to run the tests
// on other major versions (scripts/pg-major.sh MAJOR installs them and
// prints the directory).
const BinDirEnv = "PGRST_TEST_PG_BINDIR"

// pgBinDir returns the directory holding initdb and postgres: $BinDirEnv
// when set, else the newest /usr/lib/postgresql/<version>/bin, else
// `pg_config --bindir`, else the directory of initdb on PATH. The first call
// that finds one logs the server version.
func pgBinDir() (string, error) {
	dir, err := findPGBinDir()
	if err == nil {
		logVersion(dir)
	}
	return dir, err
}

func findPGBinDir() (string, error) {
	if dir := os.Getenv(BinDirEnv); dir != "" {
		if !isExecutable(filepath.Join(dir, "initdb")) || !isExecutable(filepath.Join(dir, "postgres")) {
			return "", fmt.Errorf("%s=%s does not hold initdb and postgres; scripts/pg-major.sh MAJOR prints such a directory",
				BinDirEnv, dir)
		}
		return dir, nil
	}
	var candidates []string
	if dirs, err := filepath.Glob(pgBinGlob); err == nil {
		candidates = append(candidates, sortNewestFirst(dirs)...)
	}
	if pgConfig, err := exec.LookPath("pg_config"); err == nil {
		if out, err := exec.Command(pgConfig, "--bindir").Output(); err == nil {
			candidates = append(candidates, strings.TrimSpace(string(out)))
		}
	}
	if initdb, err := exec.LookPath("initdb"); err == nil {
		candidates = append(candidates, filepath.Dir(initdb))
	}
	return firstPGBinDir(candidates)
}

// firstPGBinDir returns the first directory holding both initdb and postgres.
func firstPGBinDir(candidates []string) (string, error) {
	for _, dir := range candidates {
		if isExecutable(filepath.Join(dir, "initdb")) && isExecutable(filepath.Join(dir, "postgres")) {
			return dir, nil
		}
	}
	return "", fmt.Errorf("PostgreSQL server binaries (initdb, postgres) not found in %s, `pg_config --bindir` or PATH; %s",
		pgBinGlob, errMissingHint)
}

// sortNewestFirst orders /usr/lib/postgresql/<version>/bin paths by
// descending version, comparing version parts numerically (16 > 9.6).
func sortNewestFirst(dirs []string) []string {
	version := func(dir string) []int {
		var v []int
		for part := range strings.SplitSeq(filepath.Base(filepath.Dir(dir)), ".") {
			n, _ := strconv.Atoi(part)
			v = append(v, n)
		}
		return v
	}
	out := slices.Clone(dirs)
	slices.SortStableFunc(out, func(a, b string) int { return slices.Compare(version(b), version(a)) })
	return out
}

func isExecutable(path string) bool {
	st, err := os.Stat(path)
	return err == nil && st.Mode().IsRegular() && st.Mode().Perm()&0o111 != 0
}

// pgVersion returns the server version reported by `postgres -V`, such as
// "15.18". postgres answers -V even when run as root.
func pgVersion(binDir string) (string, error) {
	out, err := exec.Command(filepath.Join(binDir, "postgres"), "-V").Output()
	if err != nil {
		return "", fmt.Errorf("postgres -V: %w", err)
	}
	fields := strings.Fields(string(out)) // "postgres (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)"
	if len(fields) < 3 {
		return "", fmt.Errorf("postgres -V: unexpected output %q", out)
	}
	return fields[2], nil
}

// logVersionOnce prints the server version and binary directory to stderr
// the first time a test binary starts a server, so every test log says
// which PostgreSQL it ran against.
var logVersionOnce sync.Once //nolint:gochecknoglobals // once per test binary

func logVersion(binDir string) {
	logVersionOnce.Do(func() {
		version, err := pgVersion(binDir)
		if err != nil {
			version = "(unknown version: " + err.Error() + ")"
		}
		fmt.Fprintf(os.Stderr, "testharness: PostgreSQL %s from %s\n", version, binDir)
	})
}

// runAs describes the OS user the PostgreSQL programs run as: the postgres
// user when the test binary is root (initdb and postgres refuse root), the
// current user otherwise.
type runAs struct {
	cred *syscall.Credential // nil when no switch is needed
}

// pgUser returns the runAs for PostgreSQL programs.
func pgUser() (runAs, error) {
	if os.Geteuid() != 0 {
		return runAs{}, nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return runAs{}, fmt.Errorf("running as root needs the postgres OS user to run PostgreSQL as: %w; %s", err, errMissingHint)
	}
	uid, err := strconv.ParseUint(u.Uid, 10, 32)
	if err != nil {
		return runAs{}, fmt.Errorf("postgres uid %q: %w", u.Uid, err)
	}
	gid, err := strconv.ParseUint(u.Gid, 10, 32)
	if err != nil {
		return runAs{}, fmt.Errorf("postgres gid %q: %w", u.Gid, err)
	}
	return runAs{cred: &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}}, nil
}

// uid returns the uid the programs run as.
func (r runAs) uid() int {
	if r.cred == nil {
		return os.Geteuid()
	}
	return int(r.cred.Uid)
}

// command returns an exec.Cmd that runs as r in dir.
func (r runAs) command(dir, name string, args ...string) *exec.Cmd {
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	if r.cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: r.cred}
	}
	return cmd
}

// mkdirTemp creates a private temporary directory owned by r. When r is
// another user, every parent must be searchable by others, or postgres
// could not reach its own data directory.
func (r runAs) mkdirTemp(parent, pattern string) (string, error) {
	if r.cred != nil {
		if err := checkSearchable(parent); err != nil {
			return "", err
		}
	}
	dir, err := os.MkdirTemp(parent, pattern)
	if err != nil {
		return "", err
	}
	if r.cred != nil {
		if err := os.Chown(dir, int(r.cred.Uid), int(r.cred.Gid)); err != nil {
			_ = os.RemoveAll(dir)
			return "", err
		}
	}
	return dir, nil
}

// checkSearchable returns an error naming the first directory on the way to
// dir (dir included) that other users cannot enter.
func checkSearchable(dir string) error {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return err
	}
	for d := abs; ; d = filepath.Dir(d) {
		st, err := os.Stat(d)
		if err != nil {
			return err
		}
		if st.Mode().Perm()&0o001 == 0 {
			return fmt.Errorf("the postgres OS user cannot enter %s (not searchable by others); set TMPDIR to a directory such as /tmp", d)
		}
		if d == "/" {
			return nil
		}
	}
}
