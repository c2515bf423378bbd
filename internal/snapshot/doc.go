// Package snapshot is what the listener worker publishes and the request
// functions read: the schema cache of the exposed schemas with the
// in-database configuration it was built with (Snapshot), its header
// (Header), its binary encoding, and the build that introspects the
// catalog and reads that configuration (Build). It knows nothing of Redis
// or metrics: package cachestore stores the encoded blobs.
//
// # Blob
//
// A blob is the 4-byte magic "PGSC", the format version (big-endian
// uint16, FormatVersion), the MAC length (one byte: 0 unsigned, 32
// signed), the MAC, the header length (big-endian uint32), the header
// (msgpack), then the body (msgpack, positional, laid out in layout.go).
//
// # Trust
//
// Blobs come from Redis, and whoever can write to Redis must not be able
// to change what the API does. With Keys (PGRST_CACHE_SIGNING_KEY), the
// MAC is an HMAC-SHA256, under a key derived from the signing key by HKDF,
// of every byte of the blob but the MAC itself; DecodeWith checks it
// before decoding anything and returns ErrNotAuthentic otherwise. Secret
// in-database settings (jwt_secret) are sealed in the body with AES-256-GCM
// under another derived key, never written in clear; without keys they are
// left out of the blob. Decoding checks every length against the bytes
// left before allocating, bounds what it allocates (MaxAllocPerByte) and
// returns an error, never panics, on malformed input.
package snapshot
