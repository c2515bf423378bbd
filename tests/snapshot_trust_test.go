package tests

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/pgrest-lambda/pgrest-lambda/cachestore"
	"github.com/pgrest-lambda/pgrest-lambda/internal/snapshot"
	"github.com/pgrest-lambda/pgrest-lambda/internal/testharness"
)

// countIn counts sub in the log lines collected in logs.
func countIn(logs *testharness.SyncBuffer, sub string) int { return strings.Count(logs.String(), sub) }

const trustSigningKey = "e2e signing key: 0123456789abcdef0123456789abcdef"

const trustSQL = `
CREATE TABLE api.items (id int PRIMARY KEY, name text);
INSERT INTO api.items VALUES (1, 'one'), (2, 'two');
GRANT INSERT ON api.items TO web_anon;
CREATE FUNCTION api.add(a integer, b integer) RETURNS integer LANGUAGE sql AS 'SELECT a + b';
`

// newLoggedEnv is newEnv with the stack's log captured in logs and the
// extra environment variables applied.
func newLoggedEnv(t *testing.T, setupSQL string, logs io.Writer, extra ...string) *env {
	t.Helper()
	db, vars := newDatabase(t, setupSQL)
	cfg := configFrom(t, vars, extra...)
	return startEnv(t, db, vars, cfg, slog.New(slog.NewJSONHandler(logs, nil)))
}

// plant stores blob as a new current version the way someone with write
// access to Redis (but not the signing key) can, and returns its version.
func plant(t *testing.T, s *cachestore.Store, blob []byte) int64 {
	t.Helper()
	ctx := context.Background()
	cur, err := s.Current(ctx)
	if err != nil {
		t.Fatal(err)
	}
	v := cur + 1
	rdb := s.Redis()
	if err := rdb.Set(ctx, s.Key(fmt.Sprintf("cache:%d", v)), blob, 0).Err(); err != nil {
		t.Fatal(err)
	}
	if err := rdb.Set(ctx, s.Key("current"), v, 0).Err(); err != nil {
		t.Fatal(err)
	}
	return v
}

// bomb is a well-framed blob whose head claims 2^32-1 schemas in 8 MiB.
func bomb() []byte {
	hdr := []byte{0x80} // empty msgpack map
	b := append([]byte("PGSC"), 0, 0)
	binary.BigEndian.PutUint16(b[4:], snapshot.FormatVersion)
	b = append(b, 0) // unsigned
	b = binary.BigEndian.AppendUint32(b, uint32(len(hdr)))
	b = append(b, hdr...)
	body := append([]byte{0x98, 0xdd, 0xff, 0xff, 0xff, 0xff}, bytes.Repeat([]byte{0xa0}, 8<<20)...) // head, schemas
	b = binary.BigEndian.AppendUint32(b, uint32(len(body)))
	return append(b, body...)
}

// A genuine, signed head whose section was changed in Redis: the head is
// accepted, the section is not (its digest is not the head's), and the
// request that needed it, and every one after, is served from the last
// good version.
func TestTamperedSectionIsRejected(t *testing.T) {
	var logs testharness.SyncBuffer
	e := newLoggedEnv(t, trustSQL, &logs, "PGRST_CACHE_SIGNING_KEY", trustSigningKey)
	store, reader := e.stack.Store, e.stack.Reader
	ctx := context.Background()
	items := e.get("/items?order=id")
	if items.Status != 200 {
		t.Fatalf("GET /items = %d %s", items.Status, items.Body)
	}
	// The worker publishes a genuine new version, whose section differs
	// from the one the reader holds; before any request reads it, its
	// sections are changed in Redis.
	mustExec(t, e.db, "CREATE TABLE api.other (id int); NOTIFY pgrst")
	e.waitBuild("notify")
	v, err := store.Current(ctx)
	if err != nil {
		t.Fatal(err)
	}
	rdb := store.Redis()
	n, err := rdb.HGet(ctx, store.Key(fmt.Sprintf("meta:%d", v)), "sections").Int()
	if err != nil || n < 2 {
		t.Fatalf("v%d has %d sections (%v)", v, n, err)
	}
	for i := range n - 1 {
		key := store.Key(fmt.Sprintf("sec:%d:%d", v, i))
		sec, err := rdb.Get(ctx, key).Bytes()
		if err != nil {
			t.Fatal(err)
		}
		if err := rdb.Set(ctx, key, bytes.ReplaceAll(sec, []byte("name"), []byte("nome")), 0).Err(); err != nil {
			t.Fatal(err)
		}
	}
	for range 3 {
		if r := e.get("/items?order=id"); r.Status != 200 || r.Body != items.Body {
			t.Fatalf("GET /items after tampering with a section = %d %s, want %s", r.Status, r.Body, items.Body)
		}
	}
	if got := reader.Rejected.Load(); got != 1 {
		t.Errorf("Rejected = %d, want 1", got)
	}
	if got := countIn(&logs, fmt.Sprintf(`"msg":"schema cache blob rejected: section not authentic","version":%d`, v)); got != 1 {
		t.Errorf("%d rejection log lines for v%d, want 1", got, v)
	}
}

// Crafted snapshots planted in a real Redis leave the API serving the
// previous version, each counted once in Reader.Rejected and logged once.
func TestCraftedSnapshotsAreRejected(t *testing.T) {
	var logs testharness.SyncBuffer
	e := newLoggedEnv(t, trustSQL, &logs, "PGRST_CACHE_SIGNING_KEY", trustSigningKey)
	store, reader := e.stack.Store, e.stack.Reader
	ctx := context.Background()

	items := e.get("/items?order=id")
	if items.Status != 200 || !strings.Contains(items.Body, `"one"`) {
		t.Fatalf("GET /items = %d %s", items.Status, items.Body)
	}
	if r := e.get("/rpc/add?a=1&b=2"); r.Status != 200 || r.Body != "3" {
		t.Fatalf("GET /rpc/add = %d %s", r.Status, r.Body)
	}
	good, err := store.Current(ctx)
	if err != nil {
		t.Fatal(err)
	}
	genuine, err := store.Blob(ctx, good)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := snapshot.DecodeWith(genuine, store.Keys); err != nil {
		t.Fatalf("the published blob does not verify: %v", err)
	}
	// edited decodes the genuine blob (no key needed to read it), changes
	// it and re-encodes it as an attacker can: unsigned.
	edited := func(change func(*snapshot.Snapshot)) []byte {
		s, err := snapshot.Decode(genuine)
		if err != nil {
			t.Fatal(err)
		}
		change(s)
		b, err := s.Encode()
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	guessedKey, _ := snapshot.NewKeys([]byte(strings.Repeat("guessed-", 8)), nil)
	// A changed byte in the signed head (the schema name); a changed
	// section is TestTamperedSectionIsRejected's.
	tamperedHead := bytes.Clone(genuine)
	if head, _, err := snapshot.SplitBlob(genuine); err != nil {
		t.Fatal(err)
	} else if i := bytes.LastIndex(tamperedHead[:len(head)], []byte("api")); i < 0 {
		t.Fatal("no schema name in the head")
	} else {
		copy(tamperedHead[i:], "apj")
	}
	attacks := []struct {
		name  string
		blob  []byte
		check func(t *testing.T)
	}{
		{"re-signed without the key", edited(func(s *snapshot.Snapshot) {
			s.Cache.Tables = nil
		}), nil},
		{"signed with a guessed key", func() []byte {
			s, _ := snapshot.Decode(genuine)
			s.Cache.Tables = nil
			b, _ := s.EncodeWith(guessedKey)
			return b
		}(), nil},
		{"tampered head", tamperedHead, nil},
		{"planted config overlay", edited(func(s *snapshot.Snapshot) {
			if s.DBSettings == nil {
				s.DBSettings = map[string]string{}
			}
			s.DBSettings["db_tx_end"] = "rollback"
		}), func(t *testing.T) {
			if r := e.do("POST", "/items", `{"id": 3, "name": "three"}`); r.Status != 201 {
				t.Fatalf("POST /items = %d %s", r.Status, r.Body)
			}
			var n int
			if err := e.db.QueryRow(ctx, "SELECT count(*) FROM api.items WHERE id = 3").Scan(&n); err != nil || n != 1 {
				t.Errorf("the inserted row is not stored (count %d, err %v): the overlay was applied", n, err)
			}
		}},
		{"allocation bomb", bomb(), nil},
	}
	for i, a := range attacks {
		t.Run(a.name, func(t *testing.T) {
			v := plant(t, store, a.blob)
			for range 5 {
				if r := e.get("/items?order=id&id=lte.2"); r.Status != 200 || r.Body != items.Body {
					t.Fatalf("GET /items after planting = %d %s, want the previous version's %s", r.Status, r.Body, items.Body)
				}
				if r := e.get("/rpc/add?a=1&b=2"); r.Status != 200 || r.Body != "3" {
					t.Fatalf("GET /rpc/add after planting = %d %s", r.Status, r.Body)
				}
			}
			if a.check != nil {
				a.check(t)
			}
			if got := reader.Rejected.Load(); got != int64(i+1) {
				t.Errorf("Rejected = %d, want %d", got, i+1)
			}
			if got := countIn(&logs, fmt.Sprintf(`"msg":"schema cache blob rejected: not authentic","version":%d`, v)); got != 1 {
				t.Errorf("%d rejection log lines for v%d, want 1", got, v)
			}
		})
	}
	// The worker's next publish is served again.
	mustExec(t, e.db, "CREATE TABLE api.later (id int); NOTIFY pgrst")
	e.waitBuild("notify")
	deadline := time.Now().Add(5 * time.Second)
	for e.get("/later").Status != 200 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if r := e.get("/later"); r.Status != 200 {
		t.Errorf("GET /later after a genuine publish = %d %s", r.Status, r.Body)
	}
}

// An in-database jwt_secret reaches the request function but never sits in
// Redis in clear.
func TestJWTSecretNotInRedisInClear(t *testing.T) {
	const secret = "in-database-jwt-secret-0123456789abcdef"
	for _, signed := range []bool{true, false} {
		t.Run(fmt.Sprintf("signed=%v", signed), func(t *testing.T) {
			var extra []string
			if signed {
				extra = []string{"PGRST_CACHE_SIGNING_KEY", trustSigningKey}
			}
			var logs testharness.SyncBuffer
			sql := trustSQL + fmt.Sprintf("DO $$ BEGIN EXECUTE format('ALTER ROLE authenticator IN DATABASE %%I SET pgrst.jwt_secret = %%L', current_database(), '%s'); END $$;", secret)
			e := newLoggedEnv(t, sql, &logs, extra...)
			ctx := context.Background()
			v, err := e.stack.Store.Current(ctx)
			if err != nil {
				t.Fatal(err)
			}
			blob, err := e.stack.Store.Blob(ctx, v)
			if err != nil {
				t.Fatal(err)
			}
			if bytes.Contains(blob, []byte(secret)) || bytes.Contains(blob, []byte(secret[:12])) {
				t.Fatal("the blob in Redis contains the jwt_secret")
			}
			snap, _, err := e.stack.Reader.Current(ctx)
			if err != nil {
				t.Fatal(err)
			}
			want := ""
			if signed {
				want = secret
			}
			if got := snap.DBSettings["jwt_secret"]; got != want {
				t.Errorf("request function's jwt_secret = %q, want %q", got, want)
			}
			if !signed && countIn(&logs, "secret in-database settings are not published") == 0 {
				t.Error("no warning that the secret was left out")
			}
			if !signed && countIn(&logs, "PGRST_CACHE_SIGNING_KEY is not set") != 1 {
				t.Errorf("%d warnings about the missing key, want 1", countIn(&logs, "PGRST_CACHE_SIGNING_KEY is not set"))
			}
		})
	}
}
