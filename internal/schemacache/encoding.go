package schemacache

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/vmihailenco/msgpack/v5"
)

// FormatVersion is the version of the blob format Encode writes. Bump it
// whenever a change to the model would make older readers misread a blob.
const FormatVersion uint16 = 1

// magic starts every blob, so a stray value under a cache key is recognised.
var magic = []byte("PGSC")

// ErrUnsupportedFormat is returned by Decode for a blob written by a newer
// (or unknown) format version; callers keep their last good cache.
var ErrUnsupportedFormat = errors.New("unsupported schema cache format")

// Encode serialises the schema cache: the 4-byte magic "PGSC", the format
// version as a big-endian uint16, then the msgpack encoding of the cache.
func Encode(sc *SchemaCache) ([]byte, error) {
	var b bytes.Buffer
	b.Write(magic)
	_ = binary.Write(&b, binary.BigEndian, FormatVersion)
	enc := msgpack.NewEncoder(&b)
	enc.UseCompactInts(true)
	if err := enc.Encode(sc); err != nil {
		return nil, fmt.Errorf("encode schema cache: %w", err)
	}
	return b.Bytes(), nil
}

// Decode parses a blob written by Encode and indexes the cache. It returns
// ErrUnsupportedFormat (wrapped) for another format version and an error
// for corrupt bytes; it never panics on bad input.
func Decode(blob []byte) (*SchemaCache, error) {
	if len(blob) < len(magic)+2 || !bytes.Equal(blob[:len(magic)], magic) {
		return nil, errors.New("decode schema cache: not a schema cache blob")
	}
	if v := binary.BigEndian.Uint16(blob[len(magic):]); v != FormatVersion {
		return nil, fmt.Errorf("decode schema cache: format %d, this build reads %d: %w", v, FormatVersion, ErrUnsupportedFormat)
	}
	payload := blob[len(magic)+2:]
	// Walk the payload without allocating first: msgpack v5.4.1 trusts the
	// lengths in array headers (its allocation limit is never applied), so a
	// few corrupt bytes could otherwise demand gigabytes and kill the process.
	if err := msgpack.NewDecoder(bytes.NewReader(payload)).Skip(); err != nil {
		return nil, fmt.Errorf("decode schema cache: %w", err)
	}
	sc := &SchemaCache{}
	if err := msgpack.Unmarshal(payload, sc); err != nil {
		return nil, fmt.Errorf("decode schema cache: %w", err)
	}
	sc.Index()
	return sc, nil
}
