package snapshot

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"maps"
	"slices"

	"github.com/vmihailenco/msgpack/v5"

	"github.com/pgrest-lambda/pgrest-lambda/internal/config"
	"github.com/pgrest-lambda/pgrest-lambda/internal/schemacache"
)

// Snapshot is what the listener worker publishes: the schema cache with the
// in-database configuration it was built with, so request functions learn
// both from one blob.
type Snapshot struct {
	Header Header
	Cache  *schemacache.SchemaCache
	// DBSettings are the in-database pgrst.* settings without the prefix
	// ("db_schemas" → "api"), as read by config.QueryDBSettings.
	DBSettings map[string]string
	// RoleSettings are per-role settings by role name.
	RoleSettings map[string]config.RoleSettings
}

// body is the hashed part of a blob, laid out in layout.go. DBSettings
// never holds a secret setting (config.SecretDBSetting): those travel
// encrypted in Sealed, or not at all.
type body struct {
	Cache        *schemacache.SchemaCache
	DBSettings   map[string]string
	RoleSettings map[string]config.RoleSettings
	// Sealed maps a secret setting's name to its value sealed with the
	// signing key (derivedKey.seal).
	Sealed map[string]string
}

// Encode serialises s as an unsigned blob: EncodeWith(nil).
func (s *Snapshot) Encode() ([]byte, error) { return s.EncodeWith(nil) }

// EncodeWith serialises s as a blob (see the package doc) signed with
// keys' current key: map keys are sorted so equal content gives equal
// bytes, and the header's ContentHash and KeyID are filled in. Secret
// in-database settings (jwt_secret) are encrypted with a key derived from
// the signing key; with nil keys they are left out of the blob, never
// written in clear (DroppedSecrets names them). It fails only if msgpack
// does.
func (s *Snapshot) EncodeWith(keys *Keys) ([]byte, error) {
	var signer *derivedKey
	if keys != nil && len(keys.keys) > 0 {
		signer = &keys.keys[0]
	}
	b := &body{Cache: s.Cache, DBSettings: s.DBSettings, RoleSettings: s.RoleSettings}
	cloned := false
	for name, v := range s.DBSettings {
		if !config.SecretDBSetting(name) {
			continue
		}
		if !cloned {
			b.DBSettings, cloned = maps.Clone(s.DBSettings), true
		}
		delete(b.DBSettings, name)
		if signer != nil {
			if b.Sealed == nil {
				b.Sealed = map[string]string{}
			}
			b.Sealed[name] = signer.seal(name, v)
		}
	}
	var bb bytes.Buffer
	enc := msgpack.NewEncoder(&bb)
	enc.UseCompactInts(true)
	w := &writer{enc: enc}
	encodeBody(w, b)
	if w.err != nil {
		return nil, fmt.Errorf("encode schema cache: %w", w.err)
	}
	s.Header.KeyID = keys.ID()
	s.Header.ContentHash = contentHash(s.Header.KeyID, bb.Bytes())
	var hb bytes.Buffer
	henc := msgpack.NewEncoder(&hb)
	henc.SetSortMapKeys(true)
	if err := henc.Encode(&s.Header); err != nil {
		return nil, fmt.Errorf("encode schema cache header: %w", err)
	}
	macLen := 0
	if signer != nil {
		macLen = macBytes
	}
	out := make([]byte, 0, len(magic)+7+macLen+hb.Len()+bb.Len())
	out = append(out, magic...)
	out = binary.BigEndian.AppendUint16(out, FormatVersion)
	out = append(out, byte(macLen))
	macAt := len(out)
	out = append(out, make([]byte, macLen)...)
	out = binary.BigEndian.AppendUint32(out, uint32(hb.Len()))
	out = append(out, hb.Bytes()...)
	out = append(out, bb.Bytes()...)
	if signer != nil {
		copy(out[macAt:], signer.sum(out, macAt, macLen))
	}
	return out, nil
}

// DroppedSecrets returns the names of the secret settings of s that
// EncodeWith(keys) leaves out of the blob: all of them when keys is nil,
// none otherwise.
func (s *Snapshot) DroppedSecrets(keys *Keys) []string {
	if keys != nil && len(keys.keys) > 0 {
		return nil
	}
	var out []string
	for name := range s.DBSettings {
		if config.SecretDBSetting(name) {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out
}

// contentHash is the hex SHA-256 prefix of the format version, the key id
// and the body.
func contentHash(keyID string, bdy []byte) string {
	h := sha256.New()
	h.Write(binary.BigEndian.AppendUint16(nil, FormatVersion))
	h.Write([]byte(keyID))
	h.Write([]byte{0})
	h.Write(bdy)
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// EncodeCache serialises a bare schema cache as a snapshot whose header
// carries only its schemas, PostgreSQL version and query timings.
func EncodeCache(sc *schemacache.SchemaCache) ([]byte, error) {
	return (&Snapshot{Cache: sc, Header: Header{Schemas: sc.Schemas, PgVersion: sc.PgVersion, QueryMs: sc.Timings}}).Encode()
}

// Decode parses a blob without verifying it: DecodeWith(blob, nil). It is
// for inspection tools; request functions decode with their keys.
func Decode(blob []byte) (*Snapshot, error) { return DecodeWith(blob, nil) }

// DecodeWith parses a blob written by EncodeWith and indexes the cache.
// With keys, the MAC is checked before anything is decoded, and an
// unsigned blob or one signed by another key returns ErrNotAuthentic
// (wrapped); sealed secret settings are then decrypted into DBSettings.
// With nil keys nothing is verified and sealed settings are dropped. It
// returns ErrUnsupportedFormat (wrapped) for another format version and an
// error for corrupt bytes; it never panics on bad input. Memory: see
// MaxAllocPerByte.
func DecodeWith(blob []byte, keys *Keys) (*Snapshot, error) {
	p, err := split(blob)
	if err != nil {
		return nil, err
	}
	var signer *derivedKey
	if keys != nil && len(keys.keys) > 0 {
		if signer, err = keys.verify(blob, p.mac, p.macAt); err != nil {
			return nil, err
		}
	}
	s := &Snapshot{}
	if err := unmarshal(p.hdr, &s.Header); err != nil {
		return nil, fmt.Errorf("decode schema cache header: %w", err)
	}
	b, err := decodeBody(p.bdy)
	if err != nil {
		return nil, fmt.Errorf("decode schema cache: %w", err)
	}
	if signer != nil {
		for _, name := range slices.Sorted(maps.Keys(b.Sealed)) {
			v, err := signer.open(name, b.Sealed[name])
			if err != nil {
				return nil, fmt.Errorf("decode schema cache: %w", err)
			}
			if b.DBSettings == nil {
				b.DBSettings = map[string]string{}
			}
			b.DBSettings[name] = v
		}
	}
	s.Cache, s.DBSettings, s.RoleSettings = b.Cache, b.DBSettings, b.RoleSettings
	// The types and defaults the query stage writes as SQL text are checked
	// again here, behind the signature: a tampered one fails the decode.
	if err := s.Cache.Validate(); err != nil {
		return nil, fmt.Errorf("decode schema cache: %w", err)
	}
	s.Cache.Timings = s.Header.QueryMs
	s.Cache.Index()
	return s, nil
}

// DecodeCache parses a blob and returns its schema cache. Errors as Decode.
func DecodeCache(blob []byte) (*schemacache.SchemaCache, error) {
	s, err := Decode(blob)
	if err != nil {
		return nil, err
	}
	return s.Cache, nil
}

// unmarshal decodes one msgpack value after walking it without allocating:
// msgpack v5.4.1 trusts the lengths in array headers (its allocation limit is
// never applied), so a few corrupt bytes could otherwise demand gigabytes and
// kill the process. It also panics on some well-formed but mistyped input
// (nil where the header has a time.Time), which becomes an error here.
func unmarshal(b []byte, v any) (err error) {
	if err := msgpack.NewDecoder(bytes.NewReader(b)).Skip(); err != nil {
		return err
	}
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("malformed msgpack: %v", p)
		}
	}()
	return msgpack.Unmarshal(b, v)
}
