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
// both from one blob. Cache is whole (every slice filled) when built or
// decoded by DecodeWith, and lazily backed by the blob's sections when
// opened by Open (schemacache.NewLazy).
type Snapshot struct {
	Header Header
	Cache  *schemacache.SchemaCache
	// DBSettings are the in-database pgrst.* settings without the prefix
	// ("db_schemas" → "api"), as read by config.QueryDBSettings.
	DBSettings map[string]string
	// RoleSettings are per-role settings by role name.
	RoleSettings map[string]config.RoleSettings

	// src loads the sections of a lazy Cache (Open); nil for a whole one.
	src *source
}

// head is the signed part of a blob after its header, laid out in
// layout.go. Cache holds only the fields that travel in the head (schemas,
// PostgreSQL version, media handlers, representations). DBSettings never
// holds a secret setting (config.SecretDBSetting): those travel encrypted
// in Sealed, or not at all.
type head struct {
	Cache        *schemacache.SchemaCache
	DBSettings   map[string]string
	RoleSettings map[string]config.RoleSettings
	// Sealed maps a secret setting's name to its value sealed with the
	// signing key (derivedKey.seal).
	Sealed map[string]string
	// Sections are the bucket sections, then the names section.
	Sections []sectionRef
}

// sectionRef is a section's entry in the head: what authenticates it.
type sectionRef struct {
	// Digest is the SHA-256 of the section's bytes, 32 raw bytes.
	Digest string
	// Len is the section's length in bytes.
	Len int
}

// Encode serialises s as an unsigned blob: EncodeWith(nil).
func (s *Snapshot) Encode() ([]byte, error) { return s.EncodeWith(nil) }

// EncodeWith serialises s as a blob (see the package doc) signed with
// keys' current key: the head, then the sections (schemacache.Split into
// schemacache.SectionCount buckets, then the names). Map keys are sorted
// so equal content gives equal bytes, and the header's ContentHash and
// KeyID are filled in. Secret in-database settings (jwt_secret) are
// encrypted with a key derived from the signing key; with nil keys they
// are left out of the blob, never written in clear (DroppedSecrets names
// them). It fails only if msgpack does.
func (s *Snapshot) EncodeWith(keys *Keys) ([]byte, error) {
	var signer *derivedKey
	if keys != nil && len(keys.keys) > 0 {
		signer = &keys.keys[0]
	}
	h := &head{Cache: s.Cache, DBSettings: s.DBSettings, RoleSettings: s.RoleSettings}
	cloned := false
	for name, v := range s.DBSettings {
		if !config.SecretDBSetting(name) {
			continue
		}
		if !cloned {
			h.DBSettings, cloned = maps.Clone(s.DBSettings), true
		}
		delete(h.DBSettings, name)
		if signer != nil {
			if h.Sealed == nil {
				h.Sealed = map[string]string{}
			}
			h.Sealed[name] = signer.seal(name, v)
		}
	}
	n := schemacache.SectionCount(len(s.Cache.Tables), s.Cache.RoutineNameCount())
	secs, names := s.Cache.Split(n)
	bodies := make([][]byte, 0, n+1)
	add := func(b []byte, err error) error {
		if err != nil {
			return fmt.Errorf("encode schema cache: %w", err)
		}
		d := sha256.Sum256(b)
		bodies = append(bodies, b)
		h.Sections = append(h.Sections, sectionRef{Digest: string(d[:]), Len: len(b)})
		return nil
	}
	for _, sec := range secs {
		if err := add(encode(sec, (*codec).section)); err != nil {
			return nil, err
		}
	}
	if err := add(encode(names, (*codec).names)); err != nil {
		return nil, err
	}
	hb, err := encode(h, (*codec).head)
	if err != nil {
		return nil, fmt.Errorf("encode schema cache: %w", err)
	}
	s.Header.KeyID = keys.ID()
	s.Header.ContentHash = contentHash(s.Header.KeyID, hb)
	var hdr bytes.Buffer
	henc := msgpack.NewEncoder(&hdr)
	henc.SetSortMapKeys(true)
	if err := henc.Encode(&s.Header); err != nil {
		return nil, fmt.Errorf("encode schema cache header: %w", err)
	}
	macLen := 0
	if signer != nil {
		macLen = macBytes
	}
	size := len(magic) + 11 + macLen + hdr.Len() + len(hb)
	for _, b := range bodies {
		size += len(b)
	}
	out := make([]byte, 0, size)
	out = append(out, magic...)
	out = binary.BigEndian.AppendUint16(out, FormatVersion)
	out = append(out, byte(macLen))
	macAt := len(out)
	out = append(out, make([]byte, macLen)...)
	out = binary.BigEndian.AppendUint32(out, uint32(hdr.Len()))
	out = append(out, hdr.Bytes()...)
	out = binary.BigEndian.AppendUint32(out, uint32(len(hb)))
	out = append(out, hb...)
	if signer != nil {
		copy(out[macAt:], signer.sum(out, macAt, macLen))
	}
	for _, b := range bodies {
		out = append(out, b...)
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
// and the head body, which holds every section's digest.
func contentHash(keyID string, hb []byte) string {
	h := sha256.New()
	h.Write(binary.BigEndian.AppendUint16(nil, FormatVersion))
	h.Write([]byte(keyID))
	h.Write([]byte{0})
	h.Write(hb)
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

// DecodeWith parses a whole blob written by EncodeWith (head and sections)
// and returns its snapshot with a whole cache. With keys, the MAC is
// checked before anything is decoded, and an unsigned blob or one signed
// by another key returns ErrNotAuthentic (wrapped), as does a section
// whose digest is not the one the head lists; sealed secret settings are
// then decrypted into DBSettings. With nil keys nothing is verified but
// the sections' digests, and sealed settings are dropped. It returns
// ErrUnsupportedFormat (wrapped) for another format version and an error
// for corrupt bytes, a blob without its sections included; it never
// panics on bad input. Memory: see MaxAllocPerByte.
func DecodeWith(blob []byte, keys *Keys) (*Snapshot, error) {
	s, err := Open(blob, keys, nil, nil)
	if err != nil {
		return nil, err
	}
	secs, names, err := s.src.all()
	if err != nil {
		return nil, err
	}
	s.Cache = schemacache.Merge(s.Cache, secs, names)
	s.src = nil
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
