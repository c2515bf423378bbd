package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/pgrest-lambda/pgrest-lambda/cachestore"
)

// versionRow is one kept version in the output of versions.
type versionRow struct {
	Version       int64   `json:"version"`
	BuiltAt       string  `json:"built_at"`
	Trigger       string  `json:"trigger"`
	WorkerID      string  `json:"worker_id"`
	BuildMs       float64 `json:"build_ms"`
	Bytes         int     `json:"bytes"`
	Tables        int     `json:"tables"`
	Relationships int     `json:"relationships"`
	Routines      int     `json:"routines"`
	Current       bool    `json:"current"`
	Pinned        bool    `json:"pinned"`
}

// versionsReport is the output of versions -json.
type versionsReport struct {
	Namespace string       `json:"namespace"`
	Current   int64        `json:"current"`
	Pinned    int64        `json:"pinned,omitempty"`
	Versions  []versionRow `json:"versions"`
}

// runVersions lists the kept versions, oldest first: versions [-json].
func runVersions(ctx context.Context, s *cachestore.Store, args []string, w io.Writer) error {
	fs := flag.NewFlagSet("versions", flag.ContinueOnError)
	asJSON := fs.Bool("json", false, "print JSON")
	if _, err := parseFlags(fs, args, 0, 0); err != nil {
		return err
	}
	r := versionsReport{Namespace: namespace(s), Versions: []versionRow{}}
	var err error
	if r.Current, err = s.Current(ctx); err != nil {
		return err
	}
	if r.Pinned, err = s.Pinned(ctx); err != nil {
		return err
	}
	vs, err := s.Versions(ctx)
	if err != nil {
		return err
	}
	for _, v := range vs {
		m := v.Meta
		r.Versions = append(r.Versions, versionRow{
			Version: v.Version, BuiltAt: m["built_at"], Trigger: m["trigger"], WorkerID: m["worker_id"],
			BuildMs: metaFloat(m, "build_ms"), Bytes: metaInt(m, "bytes"),
			Tables: metaInt(m, "tables"), Relationships: metaInt(m, "relationships"), Routines: metaInt(m, "routines"),
			Current: v.Version == r.Current, Pinned: v.Version == r.Pinned,
		})
	}
	if *asJSON {
		return writeJSON(w, r)
	}
	if len(r.Versions) == 0 {
		_, err := fmt.Fprintf(w, "no versions kept in %s\n", r.Namespace)
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "VERSION\tBUILT_AT\tTRIGGER\tWORKER\tBUILD_MS\tBYTES\tTABLES\tRELS\tROUTINES\tSTATE")
	for _, v := range r.Versions {
		var state []string
		if v.Current {
			state = append(state, "current")
		}
		if v.Pinned {
			state = append(state, "pinned")
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%d\t%d\t%d\t%d\t%s\n", v.Version, or(v.BuiltAt, "-"), or(v.Trigger, "-"),
			or(v.WorkerID, "-"), strconv.FormatFloat(v.BuildMs, 'f', -1, 64), v.Bytes, v.Tables, v.Relationships,
			v.Routines, strings.Join(state, ","))
	}
	return tw.Flush()
}
