package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/pgrest-lambda/pgrest-lambda/cachestore"
	"github.com/pgrest-lambda/pgrest-lambda/internal/snapshot"
)

// now is the clock behind the age of a version.
var now = time.Now

// statusReport is the output of status.
type statusReport struct {
	Namespace         string   `json:"namespace"`
	Current           int64    `json:"current"`
	Pinned            int64    `json:"pinned,omitempty"`
	BuiltAt           string   `json:"built_at"`
	AgeSeconds        float64  `json:"age_seconds"`
	Bytes             int      `json:"bytes"`
	Tables            int      `json:"tables"`
	Relationships     int      `json:"relationships"`
	Routines          int      `json:"routines"`
	Trigger           string   `json:"trigger"`
	WorkerID          string   `json:"worker_id"`
	BuildMs           float64  `json:"build_ms"`
	ContentHash       string   `json:"content_hash"`
	ConfigFingerprint string   `json:"config_fingerprint"`
	Schemas           []string `json:"schemas"`
	PgVersion         int      `json:"pg_version"`
	Leader            string   `json:"leader"`
	// CatalogCheck is the leader's last catalog fingerprint check; nil
	// when none is recorded (the check is off, or no worker ran one yet).
	CatalogCheck *cachestore.CatalogCheck `json:"catalog_check,omitempty"`
	// HeaderError is set when the blob's header is unreadable (another
	// format version); the header fields then come from the metadata hash.
	HeaderError string `json:"header_error,omitempty"`
}

// runStatus prints the current version and its metadata: status [-json].
func runStatus(ctx context.Context, s *cachestore.Store, args []string, w io.Writer) error {
	fs := flag.NewFlagSet("status", flag.ContinueOnError)
	asJSON := fs.Bool("json", false, "print JSON")
	if _, err := parseFlags(fs, args, 0, 0); err != nil {
		return err
	}
	r, err := status(ctx, s)
	if err != nil {
		return err
	}
	if *asJSON {
		return writeJSON(w, r)
	}
	return writeStatus(w, r)
}

// status gathers the report: counts, trigger and worker from the metadata
// hash, header fields from the blob itself.
func status(ctx context.Context, s *cachestore.Store) (*statusReport, error) {
	cur, err := current(ctx, s)
	if err != nil {
		return nil, err
	}
	r := &statusReport{Namespace: namespace(s), Current: cur}
	if r.Pinned, err = s.Pinned(ctx); err != nil {
		return nil, err
	}
	if r.Leader, err = s.Holder(ctx, cachestore.LeaderLease); err != nil {
		return nil, err
	}
	if c, ok, err := s.CatalogCheck(ctx); err != nil {
		return nil, err
	} else if ok {
		r.CatalogCheck = &c
	}
	vs, err := s.Versions(ctx)
	if err != nil {
		return nil, err
	}
	meta := map[string]string{}
	for _, v := range vs {
		if v.Version == cur {
			meta = v.Meta
		}
	}
	b, err := blob(ctx, s, cur)
	if err != nil {
		return nil, err
	}
	r.Bytes = len(b)
	r.Tables, r.Relationships, r.Routines = metaInt(meta, "tables"), metaInt(meta, "relationships"), metaInt(meta, "routines")
	r.Trigger, r.WorkerID, r.BuildMs = meta["trigger"], meta["worker_id"], metaFloat(meta, "build_ms")
	builtAt, _ := time.Parse(time.RFC3339Nano, meta["built_at"])
	if h, err := snapshot.DecodeHeader(b); err == nil {
		builtAt, r.ContentHash, r.ConfigFingerprint = h.BuiltAt, h.ContentHash, h.ConfigFingerprint
		r.Schemas, r.PgVersion = h.Schemas, h.PgVersion
	} else {
		r.HeaderError = err.Error()
		r.ContentHash, r.ConfigFingerprint = meta["content_hash"], meta["config_fingerprint"]
		r.PgVersion = metaInt(meta, "pg_version")
		if meta["schemas"] != "" {
			r.Schemas = strings.Split(meta["schemas"], ",")
		}
	}
	if !builtAt.IsZero() {
		r.BuiltAt = builtAt.UTC().Format(time.RFC3339Nano)
		r.AgeSeconds = now().Sub(builtAt).Seconds()
	}
	return r, nil
}

// writeStatus prints the report as aligned "field  value" lines.
func writeStatus(w io.Writer, r *statusReport) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	row := func(k, v string) { fmt.Fprintf(tw, "%s\t%s\n", k, or(v, "-")) }
	row("namespace", r.Namespace)
	row("current", strconv.FormatInt(r.Current, 10))
	pinned := ""
	if r.Pinned != 0 {
		pinned = strconv.FormatInt(r.Pinned, 10)
	}
	row("pinned", pinned)
	row("built at", r.BuiltAt)
	age := ""
	if r.BuiltAt != "" {
		age = formatAge(time.Duration(r.AgeSeconds * float64(time.Second)))
	}
	row("age", age)
	row("size", fmt.Sprintf("%d bytes", r.Bytes))
	row("tables", strconv.Itoa(r.Tables))
	row("relationships", strconv.Itoa(r.Relationships))
	row("routines", strconv.Itoa(r.Routines))
	row("trigger", r.Trigger)
	row("worker", r.WorkerID)
	row("build ms", strconv.FormatFloat(r.BuildMs, 'f', -1, 64))
	row("content hash", r.ContentHash)
	row("config fingerprint", r.ConfigFingerprint)
	row("schemas", strings.Join(r.Schemas, ","))
	row("pg version", strconv.Itoa(r.PgVersion))
	row("leader", r.Leader)
	check := ""
	if c := r.CatalogCheck; c != nil {
		check = fmt.Sprintf("%s %s (queue %.0f%%, %d lost notifications caught, by %s)",
			c.At.UTC().Format(time.RFC3339), c.Result, 100*c.QueueUsage, c.Missed, c.WorkerID)
	}
	row("catalog check", check)
	if r.HeaderError != "" {
		row("header error", r.HeaderError)
	}
	return tw.Flush()
}

// formatAge renders an age to the second, with days past 24 hours
// ("3d4h5m0s") since hour counts in the hundreds are hard to read.
func formatAge(d time.Duration) string {
	d = d.Round(time.Second)
	if d < 24*time.Hour {
		return d.String()
	}
	days := d / (24 * time.Hour)
	return fmt.Sprintf("%dd%s", days, d-days*24*time.Hour)
}

// or returns s, or def when s is empty.
func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
