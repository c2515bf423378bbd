// Package snapshot is what the listener worker publishes and the request
// functions read: the schema cache of the exposed schemas with the
// in-database configuration it was built with (Snapshot), its header
// (Header), its binary encoding, and the build that introspects the
// catalog and reads that configuration (Build). It knows nothing of Redis
// or metrics: package cachestore stores the encoded blobs.
//
// # Blob
//
// A blob is a head and its sections. The head is the 4-byte magic "PGSC",
// the format version (big-endian uint16, FormatVersion), the MAC length
// (one byte: 0 unsigned, 32 signed), the MAC, the header length
// (big-endian uint32), the header (msgpack), the head body's length
// (uint32) and the head body (msgpack, positional, laid out in layout.go):
// schemas, PostgreSQL version, media handlers, representations, the
// in-database settings and the section table, each section's SHA-256 and
// length. The sections follow: the tables, routines and relationships
// (by origin) are split into schemacache.SectionCount buckets by a hash of
// their qualified name (schemacache.SectionOf, about
// schemacache.EntriesPerSection names each), then one section lists the
// names, for fuzzy hints and for restoring the cache order. EncodeWith
// writes head and sections as one byte string; cachestore stores the head
// and each section under keys of their own (SplitBlob).
//
// A request function opens the head (Open) and decodes a section only when
// a request names something in it: the cost of a first request depends on
// the size of one section (tens of kB), not on the catalog's. DecodeWith
// decodes everything, for tools.
//
// # Trust
//
// Blobs come from Redis, and whoever can write to Redis must not be able
// to change what the API does. With Keys (PGRST_CACHE_SIGNING_KEY), the
// MAC is an HMAC-SHA256, under a key derived from the signing key by HKDF,
// of every byte of the head but the MAC itself; Open and DecodeWith check
// it before decoding anything and return ErrNotAuthentic otherwise. A
// section is authenticated by its SHA-256 in the signed head: one whose
// bytes do not match is rejected (ErrNotAuthentic) before it is decoded. Secret
// in-database settings (jwt_secret) are sealed in the body with AES-256-GCM
// under another derived key, never written in clear; without keys they are
// left out of the blob. Decoding the head and each section checks every
// length against the bytes left before allocating, bounds what it
// allocates (MaxAllocPerByte) and returns an error, never panics, on
// malformed input.
package snapshot
