package main

import (
	"context"
	"encoding/json"
	"regexp"
	"strings"
	"testing"
)

func TestVersions(t *testing.T) {
	s := newStore(t)
	if out := mustCall(t, runVersions, s); out != "no versions kept in "+namespace(s)+"\n" {
		t.Errorf("versions of an empty namespace = %q", out)
	}
	v1 := publishSnap(t, s, newSnapshot(baseCache(), nil), "startup")
	v2 := publishSnap(t, s, newSnapshot(changedCache(), nil), "notify")
	v3 := publishSnap(t, s, newSnapshot(baseCache(), map[string]string{"db_max_rows": "5"}), "config")
	if err := s.Pin(context.Background(), v2); err != nil {
		t.Fatal(err)
	}

	lines := strings.Split(strings.TrimSuffix(mustCall(t, runVersions, s), "\n"), "\n")
	if len(lines) != 4 || !strings.HasPrefix(lines[0], "VERSION ") {
		t.Fatalf("versions:\n%s", strings.Join(lines, "\n"))
	}
	for i, want := range []string{
		`^%d +2025-03-01T12:00:00Z +startup +w-1 +12\.5 +\d+ +2 +2 +1$`,
		`^%d +2025-03-01T12:00:00Z +notify +w-1 +12\.5 +\d+ +3 +4 +1 +current,pinned$`,
		`^%d +2025-03-01T12:00:00Z +config +w-1 +12\.5 +\d+ +2 +2 +1$`,
	} {
		v := []int64{v1, v2, v3}[i]
		if !regexp.MustCompile(strings.Replace(want, "%d", itoa(v), 1)).MatchString(strings.TrimRight(lines[i+1], " ")) {
			t.Errorf("versions row %d = %q, want %s", i, lines[i+1], want)
		}
	}

	var r versionsReport
	if err := json.Unmarshal([]byte(mustCall(t, runVersions, s, "-json")), &r); err != nil {
		t.Fatal(err)
	}
	if r.Current != v2 || r.Pinned != v2 || len(r.Versions) != 3 {
		t.Fatalf("versions -json = %+v", r)
	}
	for i, row := range r.Versions {
		wantCur := row.Version == v2
		if row.Version != []int64{v1, v2, v3}[i] || row.Current != wantCur || row.Pinned != wantCur || row.Bytes == 0 {
			t.Errorf("versions -json row %d = %+v", i, row)
		}
	}
}
