package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/pgrest-lambda/pgrest-lambda/cachestore"
	"github.com/pgrest-lambda/pgrest-lambda/internal/schemacache"
	"github.com/pgrest-lambda/pgrest-lambda/internal/snapshot"
)

// change is one difference between two snapshots, printed as
// "OP KIND NAME[: DETAIL]", e.g. "~ column api.books.title: type text -> varchar".
type change struct {
	// Op is "+" (added), "-" (removed) or "~" (changed).
	Op string `json:"op"`
	// Kind is header, setting, table, column, relationship, routine,
	// handler (a custom media type handler) or representation (a domain
	// representation).
	Kind   string `json:"kind"`
	Name   string `json:"name"`
	Detail string `json:"detail,omitempty"`
}

func (c change) String() string {
	s := c.Op + " " + c.Kind + " " + c.Name
	if c.Detail != "" {
		s += ": " + c.Detail
	}
	return s
}

// diffReport is the output of diff -json.
type diffReport struct {
	From    int64    `json:"from"`
	To      int64    `json:"to"`
	Changes []change `json:"changes"`
}

// runDiff prints what changed from one kept version to another: diff
// [-json] V1 V2. It prints nothing (and succeeds) when they are equal.
func runDiff(ctx context.Context, s *cachestore.Store, args []string, w io.Writer) error {
	fs := flag.NewFlagSet("diff", flag.ContinueOnError)
	asJSON := fs.Bool("json", false, "print JSON")
	pos, err := parseFlags(fs, args, 2, 2)
	if err != nil {
		return err
	}
	r := diffReport{}
	if r.From, err = parseVersion(pos[0]); err != nil {
		return err
	}
	if r.To, err = parseVersion(pos[1]); err != nil {
		return err
	}
	a, err := loadSnapshot(ctx, s, r.From)
	if err != nil {
		return err
	}
	b, err := loadSnapshot(ctx, s, r.To)
	if err != nil {
		return err
	}
	r.Changes = diffSnapshots(a, b)
	if *asJSON {
		return writeJSON(w, r)
	}
	for _, c := range r.Changes {
		if _, err := fmt.Fprintln(w, c); err != nil {
			return err
		}
	}
	return nil
}

// diffSnapshots lists the changes from a to b: header, settings, tables
// with their columns, relationships, routines, media handlers, domain
// representations, each group sorted by name.
func diffSnapshots(a, b *snapshot.Snapshot) []change {
	out := []change{}
	ha, hb := a.Header, b.Header
	if x, y := strings.Join(ha.Schemas, ","), strings.Join(hb.Schemas, ","); x != y {
		out = append(out, change{"~", "header", "schemas", x + " -> " + y})
	}
	if ha.PgVersion != hb.PgVersion {
		out = append(out, change{"~", "header", "pg_version", strconv.Itoa(ha.PgVersion) + " -> " + strconv.Itoa(hb.PgVersion)})
	}
	if ha.ConfigFingerprint != hb.ConfigFingerprint {
		out = append(out, change{"~", "header", "config_fingerprint", or(ha.ConfigFingerprint, "none") + " -> " + or(hb.ConfigFingerprint, "none")})
	}
	out = append(out, diffSettings(a.DBSettings, b.DBSettings)...)
	out = append(out, diffTables(a.Cache, b.Cache)...)
	out = append(out, diffRelationships(a.Cache, b.Cache)...)
	out = append(out, diffRoutines(a.Cache, b.Cache)...)
	out = append(out, diffMediaHandlers(a.Cache, b.Cache)...)
	return append(out, diffRepresentations(a.Cache, b.Cache)...)
}

// diffSettings compares in-database settings, redacting secrets.
func diffSettings(a, b map[string]string) []change {
	var out []change
	for _, k := range unionKeys(a, b) {
		x, inA := a[k]
		y, inB := b[k]
		switch {
		case !inA:
			out = append(out, change{"+", "setting", k, redact(k, y)})
		case !inB:
			out = append(out, change{"-", "setting", k, ""})
		case x != y && redact(k, x) != x:
			out = append(out, change{"~", "setting", k, "value changed"})
		case x != y:
			out = append(out, change{"~", "setting", k, x + " -> " + y})
		}
	}
	return out
}

// diffTables lists added and removed tables and the changes inside the
// tables present in both.
func diffTables(a, b *schemacache.SchemaCache) []change {
	ta, tb := tablesByName(a), tablesByName(b)
	var out []change
	for _, name := range unionKeys(ta, tb) {
		x, y := ta[name], tb[name]
		switch {
		case x == nil:
			out = append(out, change{"+", "table", name, ""})
		case y == nil:
			out = append(out, change{"-", "table", name, ""})
		default:
			out = append(out, diffTable(name, x, y)...)
		}
	}
	return out
}

func tablesByName(sc *schemacache.SchemaCache) map[string]*schemacache.Table {
	m := make(map[string]*schemacache.Table, len(sc.Tables))
	for i := range sc.Tables {
		m[sc.Tables[i].QI().String()] = &sc.Tables[i]
	}
	return m
}

// diffTable compares one table: its kind and primary key, then columns in
// the new table's order, then the columns it lost.
func diffTable(name string, x, y *schemacache.Table) []change {
	var out []change
	if x.IsView != y.IsView {
		out = append(out, change{"~", "table", name, "kind " + kind(x) + " -> " + kind(y)})
	}
	if !slices.Equal(x.PKCols, y.PKCols) {
		out = append(out, change{"~", "table", name, "primary key " + list(x.PKCols) + " -> " + list(y.PKCols)})
	}
	for i := range y.Columns {
		c := &y.Columns[i]
		old := x.Column(c.Name)
		if old == nil {
			out = append(out, change{"+", "column", name + "." + c.Name, ""})
		} else if d := diffColumn(old, c); d != "" {
			out = append(out, change{"~", "column", name + "." + c.Name, d})
		}
	}
	for i := range x.Columns {
		if y.Column(x.Columns[i].Name) == nil {
			out = append(out, change{"-", "column", name + "." + x.Columns[i].Name, ""})
		}
	}
	return out
}

// diffColumn describes how a column changed, "" when it did not. A type
// modifier change (varchar(10) -> varchar(20)) shows as a nominal type change.
func diffColumn(x, y *schemacache.Column) string {
	var parts []string
	switch {
	case x.Type != y.Type:
		parts = append(parts, "type "+x.Type+" -> "+y.Type)
	case x.NominalType != y.NominalType:
		parts = append(parts, "type "+x.NominalType+" -> "+y.NominalType)
	}
	if x.Nullable != y.Nullable {
		parts = append(parts, fmt.Sprintf("nullable %t -> %t", x.Nullable, y.Nullable))
	}
	if dx, dy := deref(x.Default), deref(y.Default); dx != dy {
		parts = append(parts, "default "+dx+" -> "+dy)
	}
	if !slices.Equal(x.Enum, y.Enum) {
		parts = append(parts, "enum "+list(x.Enum)+" -> "+list(y.Enum))
	}
	return strings.Join(parts, "; ")
}

func kind(t *schemacache.Table) string {
	if t.IsView {
		return "view"
	}
	return "table"
}

// list renders names as "(a, b)".
func list(s []string) string { return "(" + strings.Join(s, ", ") + ")" }

// deref renders an optional default expression, "none" when absent.
func deref(p *string) string {
	if p == nil {
		return "none"
	}
	return *p
}

// unionKeys returns the keys of both maps, sorted.
func unionKeys[V any](a, b map[string]V) []string {
	keys := make([]string, 0, len(a)+len(b))
	for k := range a {
		keys = append(keys, k)
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	return keys
}
