package snapshot_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"reflect"
	"testing"

	"github.com/vmihailenco/msgpack/v5"

	"github.com/pgrest-lambda/pgrest-lambda/internal/config"
	sc "github.com/pgrest-lambda/pgrest-lambda/internal/schemacache"
	"github.com/pgrest-lambda/pgrest-lambda/internal/snapshot"
)

// sampleCache exercises every field of the model.
func sampleCache() *sc.SchemaCache {
	maxLen := int32(50)
	def := "nextval('api.items_id_seq'::regclass)"
	return &sc.SchemaCache{
		Schemas:   []string{"api", "v2"},
		PgVersion: 150018,
		Tables: []sc.Table{
			{Schema: "api", Name: "authors", Description: "People", Insertable: true, Updatable: true, Deletable: true,
				PKCols: []string{"id"},
				Columns: []sc.Column{
					{Name: "id", Type: "integer", NominalType: "integer", Default: &def},
					{Name: "nick", Description: "Nickname", Nullable: true, Type: "character varying",
						NominalType: "character varying(50)", MaxLen: &maxLen},
					{Name: "mood", Nullable: true, Type: "api.mood", NominalType: "api.mood", Enum: []string{"sad", "ok"}},
				}},
			{Schema: "api", Name: "books", Insertable: true, Updatable: true, Deletable: true, PKCols: []string{"id"},
				Columns: []sc.Column{{Name: "id", Type: "integer", NominalType: "integer"},
					{Name: "author_id", Nullable: true, Type: "integer", NominalType: "integer"}}},
			{Schema: "api", Name: "book_counts", IsView: true,
				Columns: []sc.Column{{Name: "n", Nullable: true, Type: "bigint", NominalType: "bigint"}}},
		},
		Relationships: []sc.Relationship{
			{Table: sc.QI{Schema: "api", Name: "authors"}, ForeignTable: sc.QI{Schema: "api", Name: "books"},
				Cardinality: sc.O2M, Constraint: "books_author_id_fkey", Columns: []sc.ColumnPair{{Col: "id", FCol: "author_id"}}},
			{Table: sc.QI{Schema: "api", Name: "authors"}, ForeignTable: sc.QI{Schema: "api", Name: "authors"}, IsSelf: true,
				Cardinality: sc.O2O, Constraint: "c", Columns: []sc.ColumnPair{{Col: "id", FCol: "id"}}, IsParent: true},
			{Table: sc.QI{Schema: "api", Name: "books"}, ForeignTable: sc.QI{Schema: "api", Name: "authors"},
				Cardinality: sc.M2O, Constraint: "books_author_id_fkey", Columns: []sc.ColumnPair{{Col: "author_id", FCol: "id"}}},
			{Table: sc.QI{Schema: "api", Name: "books"}, ForeignTable: sc.QI{Schema: "api", Name: "tags"}, Cardinality: sc.M2M,
				Junction: &sc.Junction{Table: sc.QI{Schema: "api", Name: "book_tags"}, Constraint1: "c1", Constraint2: "c2",
					ColsSource: []sc.ColumnPair{{Col: "book_id", FCol: "id"}}, ColsTarget: []sc.ColumnPair{{Col: "tag_id", FCol: "id"}}}},
			{Table: sc.QI{Schema: "api", Name: "books"}, ForeignTable: sc.QI{Schema: "api", Name: "authors"}, Cardinality: sc.Computed,
				Function: sc.QI{Schema: "api", Name: "writer"}, ToOne: true},
		},
		Routines: []sc.Routine{
			{Schema: "api", Name: "over", Volatility: sc.Volatile, Return: sc.ReturnType{Type: sc.QI{Schema: "pg_catalog", Name: "text"}}},
			{Schema: "api", Name: "over", Description: "one", Volatility: sc.Stable,
				Params:         []sc.RoutineParam{{Name: "a", Type: "integer", Required: true}},
				Return:         sc.ReturnType{SetOf: true, Composite: true, Type: sc.QI{Schema: "api", Name: "books"}},
				IsolationLevel: "repeatable read",
				Settings: []sc.Setting{
					{Name: "statement_timeout", Value: "5s"},
					{Name: "plan_filter.statement_cost_limit", Value: "1e+06"},
				}},
			{Schema: "api", Name: "sum_all", Volatility: sc.Immutable, HasVariadic: true,
				Params: []sc.RoutineParam{{Name: "nums", Type: "integer[]", Variadic: true}},
				Return: sc.ReturnType{Type: sc.QI{Schema: "pg_catalog", Name: "void"}}},
		},
		MediaHandlers: []sc.MediaHandler{
			{Media: "*/*", Aggregate: sc.QI{Schema: "api", Name: "any_agg"}},
			{Media: "application/vnd.twkb", Target: sc.QI{Schema: "api", Name: "get_line"}, Binary: true},
			{Media: "text/csv", Target: sc.QI{Schema: "api", Name: "books"}, Aggregate: sc.QI{Schema: "api", Name: "csv_agg"}},
		},
		Representations: []sc.Representation{
			{Source: "api.color", Target: "json", Function: sc.QI{Schema: "api", Name: "color_json"}},
			{Source: "json", Target: "api.color", Function: sc.QI{Schema: "api", Name: "color_from_json"}},
			{Source: "text", Target: "api.color", Function: sc.QI{Schema: "conv", Name: "color_from_text"}},
		},
		Timings: map[string]float64{"tables": 1.5, "columns": 0.25, "rels": 0, "funcs": 12.125, "dreps": 0.125, "mhandlers": 0.5},
	}
}

func mustEncode(t testing.TB, cache *sc.SchemaCache) []byte {
	t.Helper()
	blob, err := snapshot.EncodeCache(cache)
	if err != nil {
		t.Fatal(err)
	}
	return blob
}

func TestEncodeDecodeRoundTrip(t *testing.T) {
	for name, cache := range map[string]*sc.SchemaCache{"sample": sampleCache(), "empty": {}} {
		t.Run(name, func(t *testing.T) {
			blob := mustEncode(t, cache)
			if !bytes.HasPrefix(blob, []byte("PGSC")) {
				t.Errorf("blob starts with %q, want the PGSC magic", blob[:min(4, len(blob))])
			}
			if v := binary.BigEndian.Uint16(blob[4:6]); v != snapshot.FormatVersion {
				t.Errorf("blob format version = %d, want %d", v, snapshot.FormatVersion)
			}
			got, err := snapshot.DecodeCache(blob)
			if err != nil {
				t.Fatal(err)
			}
			cache.Index() // both sides indexed, so the unexported indexes compare too
			if !reflect.DeepEqual(got, cache) {
				t.Errorf("round trip differs:\n got %+v\nwant %+v", got, cache)
			}
			again, err := snapshot.DecodeCache(mustEncode(t, got))
			if err != nil || !reflect.DeepEqual(again, cache) {
				t.Errorf("second round trip differs (err %v)", err)
			}
		})
	}
}

func TestDecodeIndexes(t *testing.T) {
	got, err := snapshot.DecodeCache(mustEncode(t, sampleCache()))
	if err != nil {
		t.Fatal(err)
	}
	authors := got.Table(sc.QI{Schema: "api", Name: "authors"})
	if authors == nil || authors != &got.Tables[0] {
		t.Fatalf("Table(api.authors) = %p, want &Tables[0] = %p", authors, &got.Tables[0])
	}
	if c := authors.Column("nick"); c == nil || c.MaxLen == nil || *c.MaxLen != 50 {
		t.Errorf("authors.nick = %+v", c)
	}
	if got.Table(sc.QI{Schema: "v2", Name: "authors"}) != nil {
		t.Error("Table(v2.authors) found")
	}
	tests := []struct {
		origin string
		want   []int // indexes into Relationships
	}{
		{"authors", []int{0, 1}},
		{"books", []int{2, 3, 4}},
		{"book_counts", nil},
	}
	for _, tt := range tests {
		rels := got.RelationshipsFrom(sc.QI{Schema: "api", Name: tt.origin})
		if len(rels) != len(tt.want) {
			t.Errorf("RelationshipsFrom(api.%s) = %d, want %d", tt.origin, len(rels), len(tt.want))
			continue
		}
		for i, r := range rels {
			if r != &got.Relationships[tt.want[i]] {
				t.Errorf("RelationshipsFrom(api.%s)[%d] is not Relationships[%d]", tt.origin, i, tt.want[i])
			}
		}
	}
	ov := got.Overloads(sc.QI{Schema: "api", Name: "over"})
	if len(ov) != 2 || len(ov[0].Params) != 0 || len(ov[1].Params) != 1 || ov[1].Description != "one" {
		t.Fatalf("Overloads(api.over) = %+v", ov)
	}
	// Function settings survive in order; none decode as nil.
	wantSettings := []sc.Setting{{Name: "statement_timeout", Value: "5s"}, {Name: "plan_filter.statement_cost_limit", Value: "1e+06"}}
	if ov[1].IsolationLevel != "repeatable read" || !reflect.DeepEqual(ov[1].Settings, wantSettings) {
		t.Errorf("api.over(a) isolation %q, settings %+v", ov[1].IsolationLevel, ov[1].Settings)
	}
	if ov[0].IsolationLevel != "" || ov[0].Settings != nil {
		t.Errorf("api.over() isolation %q, settings %#v; want none", ov[0].IsolationLevel, ov[0].Settings)
	}
	if ov := got.Overloads(sc.QI{Schema: "api", Name: "sum_all"}); len(ov) != 1 || !ov[0].Return.IsVoid() {
		t.Errorf("Overloads(api.sum_all) = %+v", ov)
	}
	// Media handlers: zero targets and aggregates survive as zero, and the
	// index points into the decoded slice.
	for i, key := range []struct {
		target sc.QI
		media  string
	}{
		{sc.QI{}, "*/*"},
		{sc.QI{Schema: "api", Name: "get_line"}, "Application/Vnd.TWKB"},
		{sc.QI{Schema: "api", Name: "books"}, "text/csv"},
	} {
		if h := got.MediaHandlerFor(key.target, key.media); h != &got.MediaHandlers[i] {
			t.Errorf("MediaHandlerFor(%s, %s) = %+v, want MediaHandlers[%d]", key.target, key.media, h, i)
		}
	}
	if h := got.MediaHandlerFor(sc.QI{Schema: "api", Name: "authors"}, "text/csv"); h != nil {
		t.Errorf("MediaHandlerFor(api.authors, text/csv) = %+v, want nil", h)
	}
	// Representations: the index points into the decoded slice and is
	// directed (api.color -> text is not text -> api.color).
	for i, r := range sampleCache().Representations {
		if rp := got.RepresentationOf(r.Source, r.Target); rp != &got.Representations[i] {
			t.Errorf("RepresentationOf(%s, %s) = %+v, want Representations[%d]", r.Source, r.Target, rp, i)
		}
	}
	if r := got.RepresentationOf("api.color", "text"); r != nil {
		t.Errorf("RepresentationOf(api.color, text) = %+v, want nil", r)
	}
}

// contentHash encodes cache and returns its header's content hash.
func contentHash(t *testing.T, cache *sc.SchemaCache) string {
	t.Helper()
	h, err := snapshot.DecodeHeader(mustEncode(t, cache))
	if err != nil {
		t.Fatal(err)
	}
	return h.ContentHash
}

// The content hash covers the media handlers: a cache differing only in
// them is different content.
func TestContentHashCoversMediaHandlers(t *testing.T) {
	base := contentHash(t, sampleCache())
	if again := contentHash(t, sampleCache()); again != base {
		t.Fatalf("equal caches hash %s and %s", base, again)
	}
	for name, change := range map[string]func(*sc.SchemaCache){
		"none":      func(c *sc.SchemaCache) { c.MediaHandlers = nil },
		"media":     func(c *sc.SchemaCache) { c.MediaHandlers[0].Media = "text/plain" },
		"target":    func(c *sc.SchemaCache) { c.MediaHandlers[2].Target.Name = "authors" },
		"aggregate": func(c *sc.SchemaCache) { c.MediaHandlers[0].Aggregate = sc.QI{} },
		"binary":    func(c *sc.SchemaCache) { c.MediaHandlers[1].Binary = false },
	} {
		c := sampleCache()
		change(c)
		if contentHash(t, c) == base {
			t.Errorf("changing the media handlers (%s) keeps the content hash", name)
		}
	}
}

// The content hash covers the domain representations too.
func TestContentHashCoversRepresentations(t *testing.T) {
	base := contentHash(t, sampleCache())
	for name, change := range map[string]func(*sc.SchemaCache){
		"none":     func(c *sc.SchemaCache) { c.Representations = nil },
		"source":   func(c *sc.SchemaCache) { c.Representations[0].Source = "api.shade" },
		"target":   func(c *sc.SchemaCache) { c.Representations[0].Target = "text" },
		"function": func(c *sc.SchemaCache) { c.Representations[2].Function.Schema = "api" },
		"order": func(c *sc.SchemaCache) {
			c.Representations[1], c.Representations[2] = c.Representations[2], c.Representations[1]
		},
	} {
		c := sampleCache()
		change(c)
		if contentHash(t, c) == base {
			t.Errorf("changing the representations (%s) keeps the content hash", name)
		}
	}
}

// header returns the 6-byte blob header for format version v.
func header(v uint16) []byte {
	return binary.BigEndian.AppendUint16([]byte("PGSC"), v)
}

func TestDecodeErrors(t *testing.T) {
	valid := mustEncode(t, sampleCache())
	payload := valid[6:]
	arrayPayload, _ := msgpack.Marshal([]int{1, 2, 3})
	stringPayload, _ := msgpack.Marshal("tables")
	wrongField, _ := msgpack.Marshal(map[string]any{"tables": "not a list"})

	tests := []struct {
		name        string
		blob        []byte
		unsupported bool
	}{
		{"nil", nil, false},
		{"empty", []byte{}, false},
		{"short magic", []byte("PGS"), false},
		{"magic only", []byte("PGSC"), false},
		{"magic and one version byte", []byte("PGSC\x00"), false},
		{"wrong magic", append([]byte("PGSX\x00\x01"), payload...), false},
		{"plain msgpack", payload, false},
		{"garbage", []byte("\x00\xff\x13 not a schema cache at all"), false},
		{"header then reserved byte", append(header(snapshot.FormatVersion), 0xc1), false},
		{"header then array", append(header(snapshot.FormatVersion), arrayPayload...), false},
		{"header then string", append(header(snapshot.FormatVersion), stringPayload...), false},
		{"field of the wrong type", append(header(snapshot.FormatVersion), wrongField...), false},
		{"truncated", valid[:len(valid)/2], false},
		{"truncated by one byte", valid[:len(valid)-1], false},
		{"newer format", append(header(snapshot.FormatVersion+1), payload...), true},
		{"newer format, header only", header(snapshot.FormatVersion + 1), true},
		{"format 0", append(header(0), payload...), true},
		{"format 65535", append(header(0xffff), payload...), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := snapshot.DecodeCache(tt.blob)
			if err == nil {
				t.Fatalf("Decode succeeded: %+v", got)
			}
			if got != nil {
				t.Errorf("Decode returned a cache with error %v", err)
			}
			if errors.Is(err, snapshot.ErrUnsupportedFormat) != tt.unsupported {
				t.Errorf("errors.Is(%v, ErrUnsupportedFormat) = %v, want %v", err, !tt.unsupported, tt.unsupported)
			}
		})
	}

	t.Run("every truncation", func(t *testing.T) {
		for n := 0; n < len(valid); n++ {
			if _, err := snapshot.DecodeCache(valid[:n]); err == nil {
				t.Errorf("Decode of the first %d of %d bytes succeeded", n, len(valid))
			}
		}
	})
}

func FuzzDecode(f *testing.F) {
	valid, err := snapshot.EncodeCache(sampleCache())
	if err != nil {
		f.Fatal(err)
	}
	empty, err := snapshot.EncodeCache(&sc.SchemaCache{})
	if err != nil {
		f.Fatal(err)
	}
	// A string header claiming 2^32-1 bytes, with nothing behind it.
	hugeString := append(header(snapshot.FormatVersion), 0x81, 0xa7)
	hugeString = append(hugeString, "schemas"...)
	hugeString = append(hugeString, 0x91, 0xdb, 0xff, 0xff, 0xff, 0xff)
	// A map header claiming 2^32-1 timings.
	hugeMap := append(header(snapshot.FormatVersion), 0x81, 0xa7)
	hugeMap = append(hugeMap, "timings"...)
	hugeMap = append(hugeMap, 0xdf, 0xff, 0xff, 0xff, 0xff)
	// A slice header claiming 2^32-1 tables (msgpack's allocation limit does not apply).
	hugeSlice := append(header(snapshot.FormatVersion), 0x81, 0xa6)
	hugeSlice = append(hugeSlice, "tables"...)
	hugeSlice = append(hugeSlice, 0xdd, 0xff, 0xff, 0xff, 0xff)
	// A header whose build time is nil, which once made msgpack panic;
	// rebuilt here so it keeps the current format version.
	nilTime := append(header(snapshot.FormatVersion), "\x00\x00\x00\x000\x86\xa500000\xce0000\xa700000000\xa3000\xa200\xa30000\xa5built\xc0"...)
	nilTime = append(nilTime, bytes.Repeat([]byte("0"), 64)...)
	for _, seed := range [][]byte{
		nilTime,
		nil, {}, []byte("PGSC"), hugeSlice, header(snapshot.FormatVersion), header(snapshot.FormatVersion + 1),
		valid, valid[:len(valid)/3], empty, hugeString, hugeMap,
		append(header(snapshot.FormatVersion), 0xc0), // msgpack nil
		append(header(snapshot.FormatVersion), 0xc1),
	} {
		f.Add(seed)
	}
	for _, blob := range bombs(4 << 10) {
		f.Add(blob)
	}
	f.Fuzz(func(t *testing.T, blob []byte) {
		// Memory: whatever the bytes claim, decoding allocates at most
		// MaxDecodeAlloc(len(blob)) (runtime.MemStats.TotalAlloc).
		checkAllocBound(t, blob)
		got, err := snapshot.DecodeCache(blob)
		if err != nil {
			if got != nil {
				t.Fatalf("Decode returned a cache and %v", err)
			}
			return
		}
		// A decoded cache is indexed and can be served and re-published.
		for i := range got.Tables {
			if got.Table(got.Tables[i].QI()) == nil {
				t.Fatalf("Table(%s) = nil after Decode", got.Tables[i].QI())
			}
			got.RelationshipsFrom(got.Tables[i].QI())
		}
		for i := range got.Routines {
			if len(got.Overloads(got.Routines[i].QI())) == 0 {
				t.Fatalf("Overloads(%s) empty after Decode", got.Routines[i].QI())
			}
		}
		again, err := snapshot.EncodeCache(got)
		if err != nil {
			t.Fatalf("re-encoding a decoded cache: %v", err)
		}
		if _, err := snapshot.DecodeCache(again); err != nil {
			t.Fatalf("decoding a re-encoded cache: %v", err)
		}
	})
}

// sampleSnapshot has every part of a body: cache, settings and role settings.
func sampleSnapshot() *snapshot.Snapshot {
	return &snapshot.Snapshot{
		Cache:      sampleCache(),
		DBSettings: map[string]string{"db_schemas": "api,v2", "db_max_rows": "10"},
		RoleSettings: map[string]config.RoleSettings{
			"web_anon": {Settings: map[string]string{"statement_timeout": "5s"}, IsolationLevel: "serializable"},
			"admin":    {},
		},
	}
}

// The layout's field counts match the fields it codes: the body is exactly
// one well-formed msgpack value, which a generic decoder walks to its end.
func TestBodyIsOneMsgpackValue(t *testing.T) {
	for name, s := range map[string]*snapshot.Snapshot{"sample": sampleSnapshot(), "empty": {Cache: &sc.SchemaCache{}}} {
		t.Run(name, func(t *testing.T) {
			blob, err := s.Encode()
			if err != nil {
				t.Fatal(err)
			}
			body := bodyOf(blob)
			n := int(binary.BigEndian.Uint32(body))
			rd := bytes.NewReader(body[4 : 4+n])
			if err := msgpack.NewDecoder(rd).Skip(); err != nil {
				t.Fatalf("head is not msgpack: %v", err)
			}
			if rd.Len() != 0 {
				t.Errorf("%d of %d head bytes left after one msgpack value", rd.Len(), n)
			}
			// The sections follow: a sequence of msgpack values, at least
			// one bucket and the names.
			rd = bytes.NewReader(body[4+n:])
			sections := 0
			for ; rd.Len() > 0; sections++ {
				if err := msgpack.NewDecoder(rd).Skip(); err != nil {
					t.Fatalf("section %d is not msgpack: %v", sections, err)
				}
			}
			if sections < 2 {
				t.Errorf("%d sections, want at least 2", sections)
			}
		})
	}
}

func TestSnapshotRoundTrip(t *testing.T) {
	want := sampleSnapshot()
	blob, err := want.Encode()
	if err != nil {
		t.Fatal(err)
	}
	got, err := snapshot.Decode(blob)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got.DBSettings, want.DBSettings) {
		t.Errorf("DBSettings = %v, want %v", got.DBSettings, want.DBSettings)
	}
	// A role without settings keeps its nil map.
	if !reflect.DeepEqual(got.RoleSettings, want.RoleSettings) {
		t.Errorf("RoleSettings = %#v, want %#v", got.RoleSettings, want.RoleSettings)
	}
	if got.Header.ContentHash != want.Header.ContentHash || got.Header.ContentHash == "" {
		t.Errorf("ContentHash = %q, want %q", got.Header.ContentHash, want.Header.ContentHash)
	}
	if again, err := got.Encode(); err != nil || !bytes.Equal(bodyOf(again), bodyOf(blob)) {
		t.Errorf("re-encoding the decoded snapshot changes the body (err %v)", err)
	}
}

// bodyOf returns what follows the header of a blob (the head's length, the
// head and the sections): after the magic, version, MAC length, MAC,
// header length and header.
func bodyOf(blob []byte) []byte {
	at := 7 + int(blob[6])
	return blob[at+4+int(binary.BigEndian.Uint32(blob[at:])):]
}
