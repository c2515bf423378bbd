package testharness

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
)

// templateFormat changes whenever the initdb options below change, so that a
// cached template made with other options is never reused.
const templateFormat = "1"

// initdb creates a cluster in dataDir with a superuser named postgres and
// trust authentication, skipping fsync since the cluster is disposable.
// Only options that PostgreSQL 13 knows are used (--no-instructions came in
// 14; the output is discarded unless initdb fails).
func initdb(binDir string, as runAs, dataDir string) error {
	cmd := as.command(filepath.Dir(dataDir), filepath.Join(binDir, "initdb"),
		"-D", dataDir, "-U", "postgres", "--auth=trust", "--no-sync",
		"-E", "UTF8", "--locale=C.UTF-8")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("initdb: %w\n%s", err, out)
	}
	return nil
}

// prepareDataDir fills dataDir with a fresh cluster. initdb takes about a
// second, so it runs once per machine into a cached template that is then
// copied (about a fifth of that); plain initdb is the fallback when the
// cache cannot be used.
func prepareDataDir(binDir string, as runAs, dataDir string) error {
	tmpl, err := templateDataDir(binDir, as)
	if err != nil {
		return err
	}
	if tmpl == "" {
		return initdb(binDir, as, dataDir)
	}
	// As root, -a keeps the postgres user's ownership of every file.
	if out, err := exec.Command("cp", "-a", tmpl, dataDir).CombinedOutput(); err != nil {
		return fmt.Errorf("copy template cluster %s: %w\n%s", tmpl, err, out)
	}
	return nil
}

// templateDataDir returns the data directory of the cached template cluster
// for this server version and user, creating it first if needed. The
// template is initdb'd in a private directory and renamed into place, so a
// template at the final path is always complete, even when several test
// binaries race to create it. It returns "" when a directory of that name
// exists but is not a template this user can trust.
func templateDataDir(binDir string, as runAs) (string, error) {
	version, err := pgVersion(binDir)
	if err != nil {
		return "", err
	}
	name := fmt.Sprintf("pgrest-lambda-pgtemplate-%s-f%s-uid%d", version, templateFormat, as.uid())
	final := filepath.Join(os.TempDir(), name)
	if _, err := os.Lstat(final); err == nil {
		return trustedTemplate(final, as), nil
	}

	tmp, err := as.mkdirTemp(os.TempDir(), name+".tmp-*")
	if err != nil {
		return "", err
	}
	if err := initdb(binDir, as, filepath.Join(tmp, "data")); err != nil {
		_ = os.RemoveAll(tmp)
		return "", err
	}
	if err := os.Rename(tmp, final); err != nil {
		// Another process won the race; its template is as good as ours.
		_ = os.RemoveAll(tmp)
		if _, statErr := os.Lstat(final); statErr != nil {
			return "", fmt.Errorf("install template cluster: %w", err)
		}
	}
	return trustedTemplate(final, as), nil
}

// trustedTemplate returns the data directory inside dir if dir is a real
// directory owned by the user the server runs as and holds a cluster, and ""
// otherwise.
func trustedTemplate(dir string, as runAs) string {
	st, err := os.Lstat(dir)
	if err != nil || !st.IsDir() || !ownedBy(st, as.uid()) {
		return ""
	}
	data := filepath.Join(dir, "data")
	if _, err := os.Stat(filepath.Join(data, "PG_VERSION")); err != nil {
		return ""
	}
	return data
}

// ownedBy reports whether the file described by st belongs to uid.
func ownedBy(st os.FileInfo, uid int) bool {
	s, ok := st.Sys().(*syscall.Stat_t)
	return ok && int(s.Uid) == uid
}
