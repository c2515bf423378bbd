package snapshot_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/pgrest-lambda/pgrest-lambda/internal/snapshot"
)

func mustKeys(t testing.TB, current, previous string) *snapshot.Keys {
	t.Helper()
	var prev []byte
	if previous != "" {
		prev = []byte(previous)
	}
	k, err := snapshot.NewKeys([]byte(current), prev)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

const (
	keyA   = "key A: 0123456789abcdef0123456789abcdef"
	keyB   = "key B: 0123456789abcdef0123456789abcdef"
	secret = "reallyreallyreallyreallyreallysafe-jwt-secret"
)

// secretSnapshot is sampleSnapshot with an in-database jwt_secret.
func secretSnapshot() *snapshot.Snapshot {
	s := sampleSnapshot()
	s.DBSettings["jwt_secret"] = secret
	return s
}

func TestNewKeysRejectsShortKeys(t *testing.T) {
	if _, err := snapshot.NewKeys([]byte("short"), nil); err == nil {
		t.Error("a 5-byte current key was accepted")
	}
	if _, err := snapshot.NewKeys([]byte(keyA), []byte("short")); err == nil {
		t.Error("a 5-byte previous key was accepted")
	}
	if id := mustKeys(t, keyA, "").ID(); len(id) != 8 || strings.Contains(keyA, id) {
		t.Errorf("ID() = %q, want 8 hex characters not from the key", id)
	}
	if mustKeys(t, keyA, "").ID() == mustKeys(t, keyB, "").ID() {
		t.Error("two keys share an id")
	}
}

func TestSignedRoundTrip(t *testing.T) {
	keys := mustKeys(t, keyA, "")
	blob, err := secretSnapshot().EncodeWith(keys)
	if err != nil {
		t.Fatal(err)
	}
	got, err := snapshot.DecodeWith(blob, keys)
	if err != nil {
		t.Fatal(err)
	}
	if got.DBSettings["jwt_secret"] != secret || got.DBSettings["db_max_rows"] != "10" {
		t.Errorf("DBSettings = %v", got.DBSettings)
	}
	if got.Header.KeyID != keys.ID() {
		t.Errorf("KeyID = %q, want %q", got.Header.KeyID, keys.ID())
	}
	// Deterministic: equal content, equal bytes and hash.
	again, _ := secretSnapshot().EncodeWith(keys)
	if !bytes.Equal(bodyOf(again), bodyOf(blob)) {
		t.Error("encoding the same snapshot twice gives different bodies")
	}
	// Another key gives another content hash, so a rotation republishes.
	other := secretSnapshot()
	if _, err := other.EncodeWith(mustKeys(t, keyB, "")); err != nil || other.Header.ContentHash == got.Header.ContentHash {
		t.Errorf("content hash under key B = %q, under key A %q (err %v)", other.Header.ContentHash, got.Header.ContentHash, err)
	}
}

// The secret is never in the blob in clear, signed or not.
func TestSecretNeverInClear(t *testing.T) {
	for name, keys := range map[string]*snapshot.Keys{"signed": mustKeys(t, keyA, ""), "unsigned": nil} {
		s := secretSnapshot()
		blob, err := s.EncodeWith(keys)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(blob, []byte(secret)) || bytes.Contains(blob, []byte(secret[:16])) {
			t.Errorf("%s blob contains the jwt_secret", name)
		}
		if s.DBSettings["jwt_secret"] != secret {
			t.Errorf("%s: encoding modified the snapshot's settings", name)
		}
		got, err := snapshot.DecodeWith(blob, keys)
		if err != nil {
			t.Fatal(err)
		}
		want := ""
		if keys != nil {
			want = secret
		}
		if got.DBSettings["jwt_secret"] != want {
			t.Errorf("%s: decoded jwt_secret = %q, want %q", name, got.DBSettings["jwt_secret"], want)
		}
		if d := s.DroppedSecrets(keys); (keys == nil) != (len(d) == 1) {
			t.Errorf("%s: DroppedSecrets = %v", name, d)
		}
	}
	// A reader without keys drops what it cannot open.
	blob, _ := secretSnapshot().EncodeWith(mustKeys(t, keyA, ""))
	if got, err := snapshot.Decode(blob); err != nil || got.DBSettings["jwt_secret"] != "" {
		t.Errorf("Decode without keys: jwt_secret %q, err %v", got.DBSettings["jwt_secret"], err)
	}
}

func TestVerification(t *testing.T) {
	keys := mustKeys(t, keyA, "")
	signed, err := secretSnapshot().EncodeWith(keys)
	if err != nil {
		t.Fatal(err)
	}
	unsigned, _ := secretSnapshot().Encode()
	otherKey, _ := secretSnapshot().EncodeWith(mustKeys(t, keyB, ""))
	for name, blob := range map[string][]byte{"unsigned": unsigned, "other key": otherKey} {
		if _, err := snapshot.DecodeWith(blob, keys); !errors.Is(err, snapshot.ErrNotAuthentic) {
			t.Errorf("%s: err = %v, want ErrNotAuthentic", name, err)
		}
	}
	// Any changed byte after the format version fails verification (or,
	// for the MAC length, the framing).
	for i := 6; i < len(signed); i++ {
		b := bytes.Clone(signed)
		b[i] ^= 0x01
		if _, err := snapshot.DecodeWith(b, keys); err == nil {
			t.Fatalf("flipping byte %d of %d: blob accepted", i, len(signed))
		}
	}
	// Rotation: the previous key still verifies and opens secrets.
	rotated := mustKeys(t, keyB, keyA)
	got, err := snapshot.DecodeWith(signed, rotated)
	if err != nil || got.DBSettings["jwt_secret"] != secret {
		t.Errorf("previous key: err %v, settings %v", err, got)
	}
	if _, err := snapshot.DecodeWith(otherKey, rotated); err != nil {
		t.Errorf("current key after rotation: %v", err)
	}
	// The previous key is only accepted, never used to sign.
	s := sampleSnapshot()
	if _, err := s.EncodeWith(rotated); err != nil || s.Header.KeyID != mustKeys(t, keyB, "").ID() {
		t.Errorf("signed with %q, want key B's id", s.Header.KeyID)
	}
}

// A blob of the previous format is rejected as unsupported, not misread.
func TestOldFormatRejected(t *testing.T) {
	blob, _ := sampleSnapshot().Encode()
	blob[5]-- // format 7
	for _, keys := range []*snapshot.Keys{nil, mustKeys(t, keyA, "")} {
		if _, err := snapshot.DecodeWith(blob, keys); !errors.Is(err, snapshot.ErrUnsupportedFormat) {
			t.Errorf("format 7 blob: err = %v, want ErrUnsupportedFormat", err)
		}
	}
}
