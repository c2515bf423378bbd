package main

import (
	"context"
	"encoding/json"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pgrest-lambda/pgrest-lambda/cachestore"
)

func TestStatus(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	if _, err := call(t, runStatus, s); err == nil || !strings.Contains(err.Error(), "no schema cache published in "+namespace(s)) {
		t.Fatalf("status of an empty namespace: err = %v", err)
	}
	publishSnap(t, s, newSnapshot(baseCache(), nil), "startup")
	v := publishSnap(t, s, newSnapshot(changedCache(), nil), "notify")
	blob, err := s.Blob(ctx, v)
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := s.Acquire(ctx, cachestore.LeaderLease, "worker-a", time.Minute); err != nil || !ok {
		t.Fatalf("acquire leader lease: %v %v", ok, err)
	}
	now = func() time.Time { return builtAt.Add(90 * time.Second) }
	t.Cleanup(func() { now = time.Now })

	out := mustCall(t, runStatus, s)
	for field, want := range map[string]string{
		"namespace": regexp.QuoteMeta(namespace(s)), "current": strconv.FormatInt(v, 10), "pinned": "-",
		"built at": "2025-03-01T12:00:00Z", "age": "1m30s", "size": strconv.Itoa(len(blob)) + " bytes",
		"tables": "3", "relationships": "4", "routines": "1", "trigger": "notify", "worker": "w-1",
		"build ms": `12\.5`, "config fingerprint": "cfg-1", "schemas": "api", "pg version": "170004",
		"leader": "worker-a", "content hash": "[0-9a-f]{32}", "catalog check": "-",
	} {
		if !regexp.MustCompile(`(?m)^` + field + ` +` + want + `$`).MatchString(out) {
			t.Errorf("status: no line %q = %q in\n%s", field, want, out)
		}
	}

	var r statusReport
	if err := json.Unmarshal([]byte(mustCall(t, runStatus, s, "-json")), &r); err != nil {
		t.Fatal(err)
	}
	if r.Current != v || r.Pinned != 0 || r.Bytes != len(blob) || r.Tables != 3 || r.Relationships != 4 ||
		r.Routines != 1 || r.Trigger != "notify" || r.Leader != "worker-a" || r.AgeSeconds != 90 ||
		r.PgVersion != 170004 || len(r.ContentHash) != 32 || r.HeaderError != "" {
		t.Errorf("status -json = %+v", r)
	}

	checked := time.Date(2025, 3, 1, 12, 1, 0, 0, time.UTC)
	if err := s.PutCatalogCheck(ctx, cachestore.CatalogCheck{At: checked, Result: "changed", QueueUsage: 0.25,
		WorkerID: "worker-a", Missed: 2}); err != nil {
		t.Fatal(err)
	}
	want := `(?m)^catalog check +2025-03-01T12:01:00Z changed \(queue 25%, 2 lost notifications caught, by worker-a\)$`
	if out := mustCall(t, runStatus, s); !regexp.MustCompile(want).MatchString(out) {
		t.Errorf("status: no catalog check line in\n%s", out)
	}

	vs, _ := s.Versions(ctx)
	if err := s.Pin(ctx, vs[0].Version); err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`(?m)^pinned +` + strconv.FormatInt(vs[0].Version, 10) + `$`).MatchString(mustCall(t, runStatus, s)) {
		t.Error("status does not show the pinned version")
	}
	if _, err := call(t, runStatus, s, "extra"); !isUsage(err) {
		t.Errorf("status extra: err = %v, want a usage error", err)
	}
}

func isUsage(err error) bool {
	_, ok := err.(usageError)
	return ok
}

func TestFormatAge(t *testing.T) {
	for d, want := range map[time.Duration]string{
		1500 * time.Millisecond:                        "2s",
		90 * time.Second:                               "1m30s",
		49*time.Hour + 5*time.Minute:                   "2d1h5m0s",
		24 * time.Hour:                                 "1d0s",
		-3 * time.Second:                               "-3s",
		23*time.Hour + 59*time.Minute + 59*time.Second: "23h59m59s",
	} {
		if got := formatAge(d); got != want {
			t.Errorf("formatAge(%v) = %q, want %q", d, got, want)
		}
	}
}
