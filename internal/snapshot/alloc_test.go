package snapshot_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"runtime"
	"testing"

	"github.com/pgrest-lambda/pgrest-lambda/internal/snapshot"
)

// decodeAlloc returns the bytes allocated while decoding blob (with and
// without keys, whichever is given).
func decodeAlloc(blob []byte, keys *snapshot.Keys) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, _ = snapshot.DecodeWith(blob, keys)
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// checkAllocBound fails t when decoding blob allocates more than the
// documented bound.
func checkAllocBound(t testing.TB, blob []byte) {
	t.Helper()
	got := decodeAlloc(blob, nil)
	if limit := snapshot.MaxDecodeAlloc(len(blob)); got > uint64(limit) {
		t.Fatalf("decoding %d bytes allocated %d bytes (%.1f per byte), bound %d", len(blob), got, float64(got)/float64(len(blob)), limit)
	}
}

// unsignedBlob frames a raw head body and sections as an unsigned blob
// with an empty header.
func unsignedBlob(head []byte, sections ...[]byte) []byte {
	b := append(header(snapshot.FormatVersion), 0)
	b = binary.BigEndian.AppendUint32(b, 1)
	b = append(b, 0x80)
	b = binary.BigEndian.AppendUint32(b, uint32(len(head)))
	b = append(b, head...)
	for _, s := range sections {
		b = append(b, s...)
	}
	return b
}

// emptyNames is a names section with no names.
var emptyNames = []byte{0x93, 0x90, 0x90, 0x90}

// headFor is a head body without schemas, settings, handlers or
// representations that lists sections (the last being the names).
func headFor(sections ...[]byte) []byte {
	b := []byte{0x98, 0x90, 0x00, 0x90, 0x90, 0xc0, 0xc0, 0xc0, 0xdc}
	b = binary.BigEndian.AppendUint16(b, uint16(len(sections)))
	for _, s := range sections {
		d := sha256.Sum256(s)
		b = append(b, 0x92, 0xd9, 32)
		b = append(b, d[:]...)
		b = append(b, 0xce)
		b = binary.BigEndian.AppendUint32(b, uint32(len(s)))
	}
	return b
}

// sectionBlob is an unsigned blob of one bucket section and empty names.
func sectionBlob(section []byte) []byte {
	return unsignedBlob(headFor(section, emptyNames), section, emptyNames)
}

// bombs are section and head bodies that claim far more than they hold,
// or hold the most elements per byte the layout allows, framed as blobs.
func bombs(size int) map[string][]byte {
	u32 := func(n int) []byte { return binary.BigEndian.AppendUint32(nil, uint32(n)) }
	cat := func(parts ...[]byte) []byte { return bytes.Join(parts, nil) }
	n := size
	// head: array of 8, schemas
	headStart := []byte{0x98}
	// section: array of 3, tables
	sec := []byte{0x93}
	return map[string][]byte{
		"claimed tables":   sectionBlob(cat(sec, []byte{0xdd}, u32(n), bytes.Repeat([]byte{0x99}, n))),
		"claimed schemas":  unsignedBlob(cat(headStart, []byte{0xdd}, u32(n), bytes.Repeat([]byte{0xa0}, n))),
		"empty schemas":    unsignedBlob(cat(headStart, []byte{0xdd}, u32(n), bytes.Repeat([]byte{0xa0}, n))),
		"empty tables":     sectionBlob(cat(sec, []byte{0xdd}, u32(n/10), bytes.Repeat([]byte{0x99, 0xa0, 0xa0, 0xa0, 0xc2, 0xc2, 0xc2, 0xc2, 0x90, 0x90}, n/10), []byte{0x90, 0x90})),
		"claimed columns":  sectionBlob(cat(sec, []byte{0x91, 0x99, 0xa0, 0xa0, 0xa0, 0xc2, 0xc2, 0xc2, 0xc2, 0x90, 0xdd}, u32(n), bytes.Repeat([]byte{0x98}, n))),
		"claimed settings": unsignedBlob(cat(headStart, []byte{0x90, 0x00, 0x90, 0x90, 0xdf}, u32(n), bytes.Repeat([]byte{0xa0}, n))),
		"empty settings":   unsignedBlob(cat(headStart, []byte{0x90, 0x00, 0x90, 0x90, 0xdf}, u32(n/4), bytes.Repeat([]byte{0xa1, 0x30, 0xa0, 0xa0}, n/4))),
		"claimed roles":    unsignedBlob(cat(headStart, []byte{0x90, 0x00, 0x90, 0x90, 0xc0, 0xdf}, u32(n), bytes.Repeat([]byte{0xa0}, n))),
		"claimed sections": unsignedBlob(cat(headStart, []byte{0x90, 0x00, 0x90, 0x90, 0xc0, 0xc0, 0xc0, 0xdd}, u32(n), bytes.Repeat([]byte{0x92}, n))),
		"empty sections":   unsignedBlob(cat(headStart, []byte{0x90, 0x00, 0x90, 0x90, 0xc0, 0xc0, 0xc0, 0xdd}, u32(n/3), bytes.Repeat([]byte{0x92, 0xa0, 0x00}, n/3))),
		"claimed rels":     sectionBlob(cat(sec, []byte{0x90, 0xdd}, u32(n), bytes.Repeat([]byte{0x9a}, n))),
		"claimed routines": sectionBlob(cat(sec, []byte{0x90, 0x90, 0xdd}, u32(n), bytes.Repeat([]byte{0x99}, n))),
		"claimed params":   sectionBlob(cat(sec, []byte{0x90, 0x90, 0x91, 0x99, 0xa0, 0xa0, 0xa0, 0xdd}, u32(n), bytes.Repeat([]byte{0x94}, n))),
		"empty names":      unsignedBlob(headFor([]byte{0x93, 0x90, 0x90, 0x90}, cat([]byte{0x93, 0xdd}, u32(n/3), bytes.Repeat([]byte{0x92, 0xa0, 0xa0}, n/3), []byte{0x90, 0x90})), []byte{0x93, 0x90, 0x90, 0x90}, cat([]byte{0x93, 0xdd}, u32(n/3), bytes.Repeat([]byte{0x92, 0xa0, 0xa0}, n/3), []byte{0x90, 0x90})),
	}
}

// Decoding allocates at most MaxDecodeAlloc(len(blob)) bytes, whatever the
// blob claims: an 8 MiB blob once made the decoder allocate 1.5 GB.
func TestDecodeAllocationBound(t *testing.T) {
	for name, blob := range bombs(1 << 20) {
		t.Run(name, func(t *testing.T) {
			got := decodeAlloc(blob, nil)
			t.Logf("%d bytes: %d allocated, %.2f per byte", len(blob), got, float64(got)/float64(len(blob)))
			checkAllocBound(t, blob)
		})
	}
	// The header is decoded by msgpack: a list of empty schema names.
	n := 1 << 19
	hdr := append([]byte{0x81, 0xa7}, "schemas"...)
	hdr = append(append(append(hdr, 0xdd), binary.BigEndian.AppendUint32(nil, uint32(n))...), bytes.Repeat([]byte{0xa0}, n)...)
	hb := append(header(snapshot.FormatVersion), 0)
	hb = binary.BigEndian.AppendUint32(hb, uint32(len(hdr)))
	hb = append(append(hb, hdr...), 0, 0, 0, 1, 0x98)
	t.Logf("header schemas (%d bytes): %.2f per byte", len(hb), float64(decodeAlloc(hb, nil))/float64(len(hb)))
	checkAllocBound(t, hb)
	valid, _ := secretSnapshot().EncodeWith(mustKeys(t, keyA, ""))
	t.Logf("sample (%d bytes): %.2f per byte", len(valid), float64(decodeAlloc(valid, mustKeys(t, keyA, "")))/float64(len(valid)))
	checkAllocBound(t, valid)
}
