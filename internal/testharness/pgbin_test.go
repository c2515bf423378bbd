package testharness

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestFindPGBinDirSetting(t *testing.T) {
	dir := t.TempDir()
	t.Setenv(BinDirEnv, dir)
	if _, err := findPGBinDir(); err == nil || !strings.Contains(err.Error(), BinDirEnv+"="+dir) {
		t.Fatalf("empty %s: got error %v, want one naming the setting", BinDirEnv, err)
	}
	for _, name := range []string{"initdb", "postgres"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte("#!/bin/sh\n"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	got, err := findPGBinDir()
	if err != nil || got != dir {
		t.Fatalf("findPGBinDir() = %q, %v; want %q", got, err, dir)
	}
}
