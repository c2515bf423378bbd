package main

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

// dumped is the part of a dump the test reads back, declared here so the
// test does not share the command's types.
type dumped struct {
	Version int64 `json:"version"`
	Header  struct {
		ContentHash string   `json:"content_hash"`
		BuiltAt     string   `json:"built_at"`
		Schemas     []string `json:"schemas"`
	} `json:"header"`
	DBSettings map[string]string `json:"db_settings"`
	Cache      struct {
		Tables []struct {
			Schema     string   `json:"schema"`
			Name       string   `json:"name"`
			PrimaryKey []string `json:"primary_key"`
			Columns    []struct {
				Name     string  `json:"name"`
				Type     string  `json:"type"`
				Nullable bool    `json:"nullable"`
				Default  *string `json:"default"`
			} `json:"columns"`
		} `json:"tables"`
		Relationships []struct {
			Table, Cardinality string
			ForeignTable       string `json:"foreign_table"`
		} `json:"relationships"`
		Routines []struct {
			Name, Volatility string
			Returns          struct {
				Type  string `json:"type"`
				SetOf bool   `json:"setof"`
			} `json:"returns"`
		} `json:"routines"`
		MediaHandlers   []map[string]any `json:"media_handlers"`
		Representations []map[string]any `json:"representations"`
	} `json:"cache"`
}

func TestDump(t *testing.T) {
	s := newStore(t)
	base := newSnapshot(baseCache(), map[string]string{"db_max_rows": "10", "jwt_secret": "s3cret-value"})
	v1 := publishSnap(t, s, base, "startup")
	v2 := publishSnap(t, s, newSnapshot(changedCache(), nil), "notify")

	out := mustCall(t, runDump, s, itoa(v1))
	if strings.Contains(out, "s3cret-value") {
		t.Fatal("dump prints the JWT secret")
	}
	if again := mustCall(t, runDump, s, "v"+itoa(v1)); again != out {
		t.Error("two dumps of one version differ")
	}
	var d dumped
	if err := json.Unmarshal([]byte(out), &d); err != nil {
		t.Fatal(err)
	}
	if d.Version != v1 || d.Header.ContentHash != base.Header.ContentHash || d.Header.BuiltAt != "2025-03-01T12:00:00Z" ||
		len(d.Header.Schemas) != 1 || d.DBSettings["db_max_rows"] != "10" || d.DBSettings["jwt_secret"] != "<redacted>" {
		t.Errorf("dump header/settings = %+v %v", d.Header, d.DBSettings)
	}
	want := baseCache()
	if len(d.Cache.Tables) != len(want.Tables) {
		t.Fatalf("dump has %d tables, want %d", len(d.Cache.Tables), len(want.Tables))
	}
	for i, wt := range want.Tables {
		dt := d.Cache.Tables[i]
		if dt.Schema != wt.Schema || dt.Name != wt.Name || strings.Join(dt.PrimaryKey, ",") != strings.Join(wt.PKCols, ",") ||
			len(dt.Columns) != len(wt.Columns) {
			t.Fatalf("dump table %d = %+v, want %+v", i, dt, wt)
		}
		for j, wc := range wt.Columns {
			dc := dt.Columns[j]
			if dc.Name != wc.Name || dc.Type != wc.Type || dc.Nullable != wc.Nullable || deref(dc.Default) != deref(wc.Default) {
				t.Errorf("dump column %s.%s = %+v, want %+v", wt.Name, wc.Name, dc, wc)
			}
		}
	}
	if len(d.Cache.Relationships) != 2 || d.Cache.Relationships[1].Table != "api.books" ||
		d.Cache.Relationships[1].ForeignTable != "api.authors" || d.Cache.Relationships[1].Cardinality != "m2o" {
		t.Errorf("dump relationships = %+v", d.Cache.Relationships)
	}
	if len(d.Cache.Routines) != 1 || d.Cache.Routines[0].Volatility != "stable" ||
		d.Cache.Routines[0].Returns.Type != "api.books" || !d.Cache.Routines[0].Returns.SetOf {
		t.Errorf("dump routines = %+v", d.Cache.Routines)
	}

	// Zero names are left out: an aggregate over anyelement has no target,
	// a function handler no aggregate.
	wantHandlers := []map[string]any{
		{"media": "*/*", "aggregate": "api.any_agg", "binary": false},
		{"media": "image/png", "target": "api.cover", "binary": true},
		{"media": "text/csv", "target": "api.books", "aggregate": "api.csv_agg", "binary": false},
	}
	if !reflect.DeepEqual(d.Cache.MediaHandlers, wantHandlers) {
		t.Errorf("dump media handlers = %v, want %v", d.Cache.MediaHandlers, wantHandlers)
	}
	wantReprs := []map[string]any{
		{"source": "api.isbn", "target": "json", "function": "api.isbn_json"},
		{"source": "text", "target": "api.isbn", "function": "api.isbn_from_text"},
	}
	if !reflect.DeepEqual(d.Cache.Representations, wantReprs) {
		t.Errorf("dump representations = %v, want %v", d.Cache.Representations, wantReprs)
	}

	// Without an argument, dump shows the current version.
	var cur dumped
	if err := json.Unmarshal([]byte(mustCall(t, runDump, s)), &cur); err != nil {
		t.Fatal(err)
	}
	if cur.Version != v2 || len(cur.Cache.Tables) != 3 || cur.Cache.Tables[2].Name != "notes" {
		t.Errorf("dump of the current version: version %d, %d tables", cur.Version, len(cur.Cache.Tables))
	}

	if _, err := call(t, runDump, s, "abc"); !isUsage(err) {
		t.Errorf("dump abc: err = %v, want a usage error", err)
	}
	if _, err := call(t, runDump, s, "1"); err == nil || isUsage(err) || !strings.Contains(err.Error(), "version 1 is not kept") {
		t.Errorf("dump 1: err = %v", err)
	}
}
