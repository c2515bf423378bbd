package snapshot

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"

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

// body is the hashed part of a blob, laid out in layout.go.
type body struct {
	Cache        *schemacache.SchemaCache
	DBSettings   map[string]string
	RoleSettings map[string]config.RoleSettings
}

// Encode serialises s as a blob (see the package doc): map keys are sorted
// so equal content gives equal bytes, and the header's ContentHash is
// filled in from the body. It fails only if msgpack does.
func (s *Snapshot) Encode() ([]byte, error) {
	var bb bytes.Buffer
	enc := msgpack.NewEncoder(&bb)
	enc.UseCompactInts(true)
	w := &writer{enc: enc}
	encodeBody(w, &body{Cache: s.Cache, DBSettings: s.DBSettings, RoleSettings: s.RoleSettings})
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

// EncodeCache serialises a bare schema cache as a snapshot whose header
// carries only its schemas, PostgreSQL version and query timings.
func EncodeCache(sc *schemacache.SchemaCache) ([]byte, error) {
	return (&Snapshot{Cache: sc, Header: Header{Schemas: sc.Schemas, PgVersion: sc.PgVersion, QueryMs: sc.Timings}}).Encode()
}

// Decode parses a blob written by Encode and indexes the cache. It returns
// ErrUnsupportedFormat (wrapped) for another format version and an error
// for corrupt bytes; it never panics on bad input.
func Decode(blob []byte) (*Snapshot, error) {
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
