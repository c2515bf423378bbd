package schemacache

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/vmihailenco/msgpack/v5"
)

// FormatVersion is the version of the blob format Encode writes. Bump it
// whenever a change to the model would make older readers misread a blob.
const FormatVersion uint16 = 7

// magic starts every blob, so a stray value under a cache key is recognised.
var magic = []byte("PGSC")

// maxHeaderBytes bounds the header a reader accepts before decoding it.
const maxHeaderBytes = 1 << 20

// ErrUnsupportedFormat is returned by Decode for a blob written by a newer
// (or unknown) format version; callers keep their last good cache.
var ErrUnsupportedFormat = errors.New("unsupported schema cache format")

// Header describes a published snapshot; it is readable without decoding
// the cache (DecodeHeader).
type Header struct {
	// PgVersion is the server_version_num of the database.
	PgVersion int `msgpack:"pgver"`
	// Schemas are the exposed schemas the cache was built for.
	Schemas []string `msgpack:"schemas"`
	// ConfigFingerprint identifies the effective configuration the cache was
	// built with (config.Config.Fingerprint).
	ConfigFingerprint string `msgpack:"cfg"`
	// BuiltAt is when the build finished.
	BuiltAt time.Time `msgpack:"built"`
	// QueryMs are the introspection queries' durations, in ms, by label.
	QueryMs map[string]float64 `msgpack:"qms"`
	// ContentHash is a hex SHA-256 prefix of the encoded body (cache and
	// settings): equal hashes mean identical content, whatever the build time.
	ContentHash string `msgpack:"hash"`
}

// Snapshot is what the listener worker publishes: the schema cache with the
// in-database configuration it was built with, so request functions learn
// both from one blob.
type Snapshot struct {
	Header Header
	Cache  *SchemaCache
	// DBSettings are the in-database pgrst.* settings without the prefix
	// ("db_schemas" → "api"), as read by config.QueryDBSettings.
	DBSettings map[string]string
	// RoleSettings are per-role settings by role name.
	RoleSettings roleSettingsMap
}

// body is the hashed part of a blob, written by writer and read by
// decodeBody (codec_write.go, codec_read.go).
type body struct {
	Cache        *SchemaCache
	DBSettings   map[string]string
	RoleSettings roleSettingsMap
}

// Encode serialises a snapshot: the 4-byte magic "PGSC", the format version
// (big-endian uint16), the header length (big-endian uint32), the msgpack
// header, then the msgpack body. Map keys are sorted so equal content gives
// equal bytes; the header's ContentHash is filled in from the body.
func (s *Snapshot) Encode() ([]byte, error) {
	var bb bytes.Buffer
	enc := msgpack.NewEncoder(&bb)
	enc.UseCompactInts(true)
	w := &writer{enc: enc}
	w.body(&body{Cache: s.Cache, DBSettings: s.DBSettings, RoleSettings: s.RoleSettings})
	if w.err != nil {
		return nil, fmt.Errorf("encode schema cache: %w", w.err)
	}
	sum := sha256.Sum256(bb.Bytes())
	s.Header.ContentHash = hex.EncodeToString(sum[:16])
	var hb bytes.Buffer
	henc := msgpack.NewEncoder(&hb)
	henc.SetSortMapKeys(true)
	if err := henc.Encode(&s.Header); err != nil {
		return nil, fmt.Errorf("encode schema cache header: %w", err)
	}
	out := make([]byte, 0, len(magic)+6+hb.Len()+bb.Len())
	out = append(out, magic...)
	out = binary.BigEndian.AppendUint16(out, FormatVersion)
	out = binary.BigEndian.AppendUint32(out, uint32(hb.Len()))
	out = append(out, hb.Bytes()...)
	return append(out, bb.Bytes()...), nil
}

// Encode serialises a bare schema cache as a snapshot whose header carries
// only its schemas, PostgreSQL version and query timings.
func Encode(sc *SchemaCache) ([]byte, error) {
	return (&Snapshot{Cache: sc, Header: Header{Schemas: sc.Schemas, PgVersion: sc.PgVersion, QueryMs: sc.Timings}}).Encode()
}

// split checks the magic and format and returns the header and body bytes.
func split(blob []byte) (hdr, bdy []byte, err error) {
	if len(blob) < len(magic)+2 || !bytes.Equal(blob[:len(magic)], magic) {
		return nil, nil, errors.New("decode schema cache: not a schema cache blob")
	}
	if v := binary.BigEndian.Uint16(blob[len(magic):]); v != FormatVersion {
		return nil, nil, fmt.Errorf("decode schema cache: format %d, this build reads %d: %w", v, FormatVersion, ErrUnsupportedFormat)
	}
	rest := blob[len(magic)+2:]
	if len(rest) < 4 {
		return nil, nil, errors.New("decode schema cache: truncated header")
	}
	n := binary.BigEndian.Uint32(rest)
	if n > maxHeaderBytes || uint64(n) > uint64(len(rest)-4) {
		return nil, nil, errors.New("decode schema cache: bad header length")
	}
	return rest[4 : 4+n], rest[4+n:], nil
}

// DecodeHeader reads only the header of a blob. Errors as Decode.
func DecodeHeader(blob []byte) (*Header, error) {
	hdr, _, err := split(blob)
	if err != nil {
		return nil, err
	}
	var h Header
	if err := unmarshal(hdr, &h); err != nil {
		return nil, fmt.Errorf("decode schema cache header: %w", err)
	}
	return &h, nil
}

// DecodeSnapshot parses a blob written by Encode and indexes the cache. It
// returns ErrUnsupportedFormat (wrapped) for another format version and an
// error for corrupt bytes; it never panics on bad input.
func DecodeSnapshot(blob []byte) (*Snapshot, error) {
	hdr, bdy, err := split(blob)
	if err != nil {
		return nil, err
	}
	s := &Snapshot{}
	if err := unmarshal(hdr, &s.Header); err != nil {
		return nil, fmt.Errorf("decode schema cache header: %w", err)
	}
	b, err := decodeBody(bdy)
	if err != nil {
		return nil, fmt.Errorf("decode schema cache: %w", err)
	}
	s.Cache, s.DBSettings, s.RoleSettings = b.Cache, b.DBSettings, b.RoleSettings
	s.Cache.Timings = s.Header.QueryMs
	s.Cache.Index()
	return s, nil
}

// Decode parses a blob and returns its schema cache. Errors as DecodeSnapshot.
func Decode(blob []byte) (*SchemaCache, error) {
	s, err := DecodeSnapshot(blob)
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
