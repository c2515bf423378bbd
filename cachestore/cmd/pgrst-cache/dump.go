package main

import (
	"context"
	"flag"
	"io"
	"strings"
	"time"

	"github.com/pgrest-lambda/pgrest-lambda/cachestore"
	"github.com/pgrest-lambda/pgrest-lambda/internal/schemacache"
	"github.com/pgrest-lambda/pgrest-lambda/internal/snapshot"
)

// The dump types give the snapshot a stable snake_case JSON shape that does
// not change when the msgpack encoding does. Slices keep the cache's order
// and maps are printed with sorted keys, so equal snapshots dump equal bytes.
type (
	dumpDoc struct {
		Version      int64               `json:"version"`
		Header       dumpHeader          `json:"header"`
		DBSettings   map[string]string   `json:"db_settings"`
		RoleSettings map[string]dumpRole `json:"role_settings"`
		Cache        dumpCache           `json:"cache"`
	}
	dumpHeader struct {
		PgVersion         int                `json:"pg_version"`
		Schemas           []string           `json:"schemas"`
		ConfigFingerprint string             `json:"config_fingerprint"`
		BuiltAt           string             `json:"built_at"`
		ContentHash       string             `json:"content_hash"`
		QueryMs           map[string]float64 `json:"query_ms"`
	}
	dumpRole struct {
		Settings       map[string]string `json:"settings"`
		IsolationLevel string            `json:"isolation_level,omitempty"`
	}
	dumpCache struct {
		Schemas       []string           `json:"schemas"`
		PgVersion     int                `json:"pg_version"`
		Tables        []dumpTable        `json:"tables"`
		Relationships []dumpRelationship `json:"relationships"`
		Routines      []dumpRoutine      `json:"routines"`
		MediaHandlers []dumpMediaHandler `json:"media_handlers"`
		// Representations are the domain representations.
		Representations []dumpRepresentation `json:"representations"`
	}
	dumpTable struct {
		Schema      string       `json:"schema"`
		Name        string       `json:"name"`
		Description string       `json:"description,omitempty"`
		IsView      bool         `json:"is_view"`
		Insertable  bool         `json:"insertable"`
		Updatable   bool         `json:"updatable"`
		Deletable   bool         `json:"deletable"`
		PrimaryKey  []string     `json:"primary_key"`
		Columns     []dumpColumn `json:"columns"`
	}
	dumpColumn struct {
		Name        string   `json:"name"`
		Type        string   `json:"type"`
		NominalType string   `json:"nominal_type"`
		Nullable    bool     `json:"nullable"`
		Default     *string  `json:"default"`
		MaxLength   *int32   `json:"max_length"`
		Enum        []string `json:"enum,omitempty"`
		Description string   `json:"description,omitempty"`
	}
	dumpRelationship struct {
		Table        string        `json:"table"`
		ForeignTable string        `json:"foreign_table"`
		Cardinality  string        `json:"cardinality"`
		Constraint   string        `json:"constraint,omitempty"`
		Columns      [][2]string   `json:"columns,omitempty"`
		IsSelf       bool          `json:"is_self,omitempty"`
		IsParent     bool          `json:"is_parent,omitempty"`
		Junction     *dumpJunction `json:"junction,omitempty"`
		// Function and ToOne describe a computed relationship.
		Function string `json:"function,omitempty"`
		ToOne    bool   `json:"to_one,omitempty"`
	}
	dumpJunction struct {
		Table         string      `json:"table"`
		Constraint1   string      `json:"constraint1"`
		Constraint2   string      `json:"constraint2"`
		SourceColumns [][2]string `json:"source_columns"`
		TargetColumns [][2]string `json:"target_columns"`
	}
	dumpRoutine struct {
		Schema      string      `json:"schema"`
		Name        string      `json:"name"`
		Description string      `json:"description,omitempty"`
		Params      []dumpParam `json:"params"`
		Returns     dumpReturn  `json:"returns"`
		Volatility  string      `json:"volatility"`
		Variadic    bool        `json:"variadic,omitempty"`
		// IsolationLevel and Settings are the hoisted SET clauses.
		IsolationLevel string            `json:"isolation_level,omitempty"`
		Settings       map[string]string `json:"settings,omitempty"`
	}
	dumpParam struct {
		Name     string `json:"name"`
		Type     string `json:"type"`
		Required bool   `json:"required"`
		Variadic bool   `json:"variadic,omitempty"`
	}
	dumpReturn struct {
		Type      string `json:"type"`
		SetOf     bool   `json:"setof"`
		Composite bool   `json:"composite"`
	}
	// dumpMediaHandler is a custom media type handler: Target is the
	// relation an aggregate takes (absent for one over anyelement) or the
	// function of a function handler, which has no Aggregate.
	dumpMediaHandler struct {
		Media     string `json:"media"`
		Target    string `json:"target,omitempty"`
		Aggregate string `json:"aggregate,omitempty"`
		Binary    bool   `json:"binary"`
	}
	// dumpRepresentation is an implicit cast between a domain and json or
	// text, its types as regtype text and its function qualified.
	dumpRepresentation struct {
		Source   string `json:"source"`
		Target   string `json:"target"`
		Function string `json:"function"`
	}
)

// runDump prints a snapshot as JSON: dump [VERSION], default the current one.
func runDump(ctx context.Context, s *cachestore.Store, args []string, w io.Writer) error {
	fs := flag.NewFlagSet("dump", flag.ContinueOnError)
	pos, err := parseFlags(fs, args, 0, 1)
	if err != nil {
		return err
	}
	var v int64
	if len(pos) == 1 {
		if v, err = parseVersion(pos[0]); err != nil {
			return err
		}
	} else if v, err = current(ctx, s); err != nil {
		return err
	}
	snap, err := loadSnapshot(ctx, s, v)
	if err != nil {
		return err
	}
	return writeJSON(w, toDump(v, snap))
}

// loadSnapshot reads and decodes a kept version, verified with the store's
// keys when it has some (snapshot.DecodeWith).
func loadSnapshot(ctx context.Context, s *cachestore.Store, v int64) (*snapshot.Snapshot, error) {
	b, err := blob(ctx, s, v)
	if err != nil {
		return nil, err
	}
	return snapshot.DecodeWith(b, s.Keys)
}

// toDump converts a snapshot; secret settings are redacted.
func toDump(v int64, snap *snapshot.Snapshot) dumpDoc {
	h, sc := snap.Header, snap.Cache
	d := dumpDoc{
		Version: v,
		Header: dumpHeader{
			PgVersion: h.PgVersion, Schemas: strs(h.Schemas), ConfigFingerprint: h.ConfigFingerprint,
			BuiltAt: h.BuiltAt.UTC().Format(time.RFC3339Nano), ContentHash: h.ContentHash, QueryMs: h.QueryMs,
		},
		DBSettings:   map[string]string{},
		RoleSettings: map[string]dumpRole{},
		Cache: dumpCache{
			Schemas: strs(sc.Schemas), PgVersion: sc.PgVersion, Tables: []dumpTable{},
			Relationships: []dumpRelationship{}, Routines: []dumpRoutine{}, MediaHandlers: []dumpMediaHandler{},
			Representations: []dumpRepresentation{},
		},
	}
	if d.Header.QueryMs == nil {
		d.Header.QueryMs = map[string]float64{}
	}
	for k, val := range snap.DBSettings {
		d.DBSettings[k] = redact(k, val)
	}
	for role, rs := range snap.RoleSettings {
		settings := map[string]string{}
		for k, val := range rs.Settings {
			settings[k] = redact(k, val)
		}
		d.RoleSettings[role] = dumpRole{Settings: settings, IsolationLevel: rs.IsolationLevel}
	}
	for _, t := range sc.Tables {
		dt := dumpTable{
			Schema: t.Schema, Name: t.Name, Description: t.Description, IsView: t.IsView,
			Insertable: t.Insertable, Updatable: t.Updatable, Deletable: t.Deletable,
			PrimaryKey: strs(t.PKCols), Columns: []dumpColumn{},
		}
		for _, c := range t.Columns {
			dt.Columns = append(dt.Columns, dumpColumn{
				Name: c.Name, Type: c.Type, NominalType: c.NominalType, Nullable: c.Nullable,
				Default: c.Default, MaxLength: c.MaxLen, Enum: c.Enum, Description: c.Description,
			})
		}
		d.Cache.Tables = append(d.Cache.Tables, dt)
	}
	for _, r := range sc.Relationships {
		dr := dumpRelationship{
			Table: r.Table.String(), ForeignTable: r.ForeignTable.String(), Cardinality: string(r.Cardinality),
			Constraint: r.Constraint, Columns: pairs(r.Columns), IsSelf: r.IsSelf, IsParent: r.IsParent,
		}
		if r.Cardinality == schemacache.Computed {
			dr.Function, dr.ToOne = r.Function.String(), r.ToOne
		}
		if j := r.Junction; j != nil {
			dr.Junction = &dumpJunction{
				Table: j.Table.String(), Constraint1: j.Constraint1, Constraint2: j.Constraint2,
				SourceColumns: pairs(j.ColsSource), TargetColumns: pairs(j.ColsTarget),
			}
		}
		d.Cache.Relationships = append(d.Cache.Relationships, dr)
	}
	for _, r := range sc.Routines {
		dr := dumpRoutine{
			Schema: r.Schema, Name: r.Name, Description: r.Description, Params: []dumpParam{},
			Returns:    dumpReturn{Type: r.Return.Type.String(), SetOf: r.Return.SetOf, Composite: r.Return.Composite},
			Volatility: volatility(r.Volatility), Variadic: r.HasVariadic, IsolationLevel: r.IsolationLevel,
		}
		for _, st := range r.Settings {
			if dr.Settings == nil {
				dr.Settings = map[string]string{}
			}
			dr.Settings[st.Name] = st.Value
		}
		for _, p := range r.Params {
			dr.Params = append(dr.Params, dumpParam{Name: p.Name, Type: p.Type, Required: p.Required, Variadic: p.Variadic})
		}
		d.Cache.Routines = append(d.Cache.Routines, dr)
	}
	for _, h := range sc.MediaHandlers {
		d.Cache.MediaHandlers = append(d.Cache.MediaHandlers, dumpMediaHandler{
			Media: h.Media, Target: qiName(h.Target), Aggregate: qiName(h.Aggregate), Binary: h.Binary,
		})
	}
	for _, r := range sc.Representations {
		d.Cache.Representations = append(d.Cache.Representations, dumpRepresentation{
			Source: r.Source, Target: r.Target, Function: r.Function.String(),
		})
	}
	return d
}

// qiName renders a qualified name, "" for the zero one.
func qiName(q schemacache.QI) string {
	if q == (schemacache.QI{}) {
		return ""
	}
	return q.String()
}

// strs returns s, or an empty slice for nil, so JSON shows [] not null.
func strs(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func pairs(ps []schemacache.ColumnPair) [][2]string {
	out := make([][2]string, 0, len(ps))
	for _, p := range ps {
		out = append(out, [2]string{p.Col, p.FCol})
	}
	return out
}

// volatility spells out provolatile.
func volatility(v schemacache.Volatility) string {
	switch v {
	case schemacache.Volatile:
		return "volatile"
	case schemacache.Stable:
		return "stable"
	case schemacache.Immutable:
		return "immutable"
	}
	return string(v)
}

// redact hides the value of a secret setting (jwt_secret and the like):
// dumps and diffs end up in tickets and terminals.
func redact(key, val string) string {
	k := strings.ToLower(key)
	if strings.HasSuffix(k, "secret") || strings.Contains(k, "password") {
		return "<redacted>"
	}
	return val
}
