package snapshot

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"time"
)

// FormatVersion is the version of the blob format Encode writes. Bump it
// whenever a change to the model would make older readers misread a blob.
const FormatVersion uint16 = 9

// magic starts every blob, so a stray value under a cache key is recognised.
var magic = []byte("PGSC")

// maxHeaderBytes bounds the header a reader accepts before decoding it.
const maxHeaderBytes = 1 << 20

// ErrUnsupportedFormat is returned (wrapped) by Decode, DecodeCache and
// DecodeHeader for a blob written by a newer (or unknown) format version;
// callers keep their last good cache.
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
	// ContentHash is a hex SHA-256 prefix of the format version, the key id
	// and the encoded body (cache and settings, secrets sealed): equal
	// hashes mean identical content signed by the same key, whatever the
	// build time.
	ContentHash string `msgpack:"hash"`
	// KeyID is the id of the key that signed the blob (Keys.ID), "" when
	// unsigned. It is informative only: readers verify against their keys.
	KeyID string `msgpack:"kid,omitempty"`
}

// maxHeadBytes bounds the head body a reader accepts before decoding it.
const maxHeadBytes = 64 << 20

// parts are the fields of a blob (see the package doc).
type parts struct {
	mac     []byte // empty when unsigned
	macAt   int    // offset of the MAC field
	headEnd int    // length of the head: what the MAC covers, with the MAC
	hdr     []byte
	body    []byte // the head body
	rest    []byte // the sections, when the blob carries them
}

// split checks the magic and format and returns the MAC, header, head body
// and trailing sections, without decoding anything.
func split(blob []byte) (parts, error) {
	var p parts
	if len(blob) < len(magic)+2 || !bytes.Equal(blob[:len(magic)], magic) {
		return p, errors.New("decode schema cache: not a schema cache blob")
	}
	if v := binary.BigEndian.Uint16(blob[len(magic):]); v != FormatVersion {
		return p, fmt.Errorf("decode schema cache: format %d, this build reads %d: %w", v, FormatVersion, ErrUnsupportedFormat)
	}
	rest := blob[len(magic)+2:]
	if len(rest) < 1 {
		return p, errors.New("decode schema cache: truncated MAC")
	}
	macLen := int(rest[0])
	if macLen != 0 && macLen != macBytes || len(rest) < 1+macLen {
		return p, errors.New("decode schema cache: bad MAC length")
	}
	p.macAt = len(magic) + 3
	p.mac = rest[1 : 1+macLen]
	rest = rest[1+macLen:]
	if len(rest) < 4 {
		return p, errors.New("decode schema cache: truncated header")
	}
	n := binary.BigEndian.Uint32(rest)
	if n > maxHeaderBytes || uint64(n) > uint64(len(rest)-4) {
		return p, errors.New("decode schema cache: bad header length")
	}
	p.hdr, rest = rest[4:4+n], rest[4+n:]
	if len(rest) < 4 {
		return p, errors.New("decode schema cache: truncated head")
	}
	n = binary.BigEndian.Uint32(rest)
	if n > maxHeadBytes || uint64(n) > uint64(len(rest)-4) {
		return p, errors.New("decode schema cache: bad head length")
	}
	p.body, p.rest = rest[4:4+n], rest[4+n:]
	p.headEnd = len(blob) - len(p.rest)
	return p, nil
}

// DecodeHeader reads only the header of a blob, without decoding the
// cache and without verifying its MAC (for inspection: the header is
// trusted only after DecodeWith). Errors as Decode.
func DecodeHeader(blob []byte) (*Header, error) {
	p, err := split(blob)
	if err != nil {
		return nil, err
	}
	var h Header
	if err := unmarshal(p.hdr, &h); err != nil {
		return nil, fmt.Errorf("decode schema cache header: %w", err)
	}
	return &h, nil
}
