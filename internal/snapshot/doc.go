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
// uint16, FormatVersion), the header length (big-endian uint32), the
// header (msgpack), then the body (msgpack, positional, laid out in
// layout.go). Blobs come from Redis and are not trusted: decoding
// checks every length against the bytes left before allocating and
// returns an error, never panics, on malformed input.
package snapshot
