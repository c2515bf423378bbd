package snapshot_test

import (
	"bytes"
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

// unsignedBody frames a raw body as an unsigned blob with an empty header.
func unsignedBody(body []byte) []byte {
	b := append(header(snapshot.FormatVersion), 0)
	b = binary.BigEndian.AppendUint32(b, 1)
	b = append(b, 0x80)
	return append(b, body...)
}

// bombs are bodies that claim far more than they hold, or hold the most
// elements per byte the layout allows.
func bombs(size int) map[string][]byte {
	u32 := func(n int) []byte { return binary.BigEndian.AppendUint32(nil, uint32(n)) }
	cat := func(parts ...[]byte) []byte { return bytes.Join(parts, nil) }
	// body, cache, schemas
	cacheStart := []byte{0x94, 0x97}
	n := size
	return map[string][]byte{
		"claimed tables":   cat(cacheStart, []byte{0x90, 0x00, 0xdd}, u32(n), bytes.Repeat([]byte{0x99}, n)),
		"claimed schemas":  cat(cacheStart, []byte{0xdd}, u32(n), bytes.Repeat([]byte{0xa0}, n)),
		"empty schemas":    cat(cacheStart, []byte{0xdd}, u32(n), bytes.Repeat([]byte{0xa0}, n)),
		"empty tables":     cat(cacheStart, []byte{0x90, 0x00, 0xdd}, u32(n/10), bytes.Repeat([]byte{0x99, 0xa0, 0xa0, 0xa0, 0xc2, 0xc2, 0xc2, 0xc2, 0x90, 0x90}, n/10), []byte{0x90, 0x90, 0x90, 0x90, 0xc0, 0xc0, 0xc0}),
		"claimed columns":  cat(cacheStart, []byte{0x90, 0x00, 0x91, 0x99, 0xa0, 0xa0, 0xa0, 0xc2, 0xc2, 0xc2, 0xc2, 0x90, 0xdd}, u32(n), bytes.Repeat([]byte{0x98}, n)),
		"claimed settings": cat([]byte{0x94, 0x97, 0x90, 0x00, 0x90, 0x90, 0x90, 0x90, 0x90, 0xdf}, u32(n), bytes.Repeat([]byte{0xa0}, n)),
		"empty settings":   cat([]byte{0x94, 0x97, 0x90, 0x00, 0x90, 0x90, 0x90, 0x90, 0x90, 0xdf}, u32(n/4), bytes.Repeat([]byte{0xa1, 0x30, 0xa0, 0xa0}, n/4)),
		"claimed roles":    cat([]byte{0x94, 0x97, 0x90, 0x00, 0x90, 0x90, 0x90, 0x90, 0x90, 0xc0, 0xdf}, u32(n), bytes.Repeat([]byte{0xa0}, n)),
		"claimed rels":     cat(cacheStart, []byte{0x90, 0x00, 0x90, 0xdd}, u32(n), bytes.Repeat([]byte{0x9a}, n)),
		"claimed routines": cat(cacheStart, []byte{0x90, 0x00, 0x90, 0x90, 0xdd}, u32(n), bytes.Repeat([]byte{0x99}, n)),
		"claimed params":   cat(cacheStart, []byte{0x90, 0x00, 0x90, 0x90, 0x91, 0x99, 0xa0, 0xa0, 0xa0, 0xdd}, u32(n), bytes.Repeat([]byte{0x94}, n)),
	}
}

// Decoding allocates at most MaxDecodeAlloc(len(blob)) bytes, whatever the
// blob claims: an 8 MiB blob once made the decoder allocate 1.5 GB.
func TestDecodeAllocationBound(t *testing.T) {
	for name, body := range bombs(1 << 20) {
		t.Run(name, func(t *testing.T) {
			blob := unsignedBody(body)
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
	hb = append(append(hb, hdr...), 0x94)
	t.Logf("header schemas (%d bytes): %.2f per byte", len(hb), float64(decodeAlloc(hb, nil))/float64(len(hb)))
	checkAllocBound(t, hb)
	valid, _ := secretSnapshot().EncodeWith(mustKeys(t, keyA, ""))
	t.Logf("sample (%d bytes): %.2f per byte", len(valid), float64(decodeAlloc(valid, mustKeys(t, keyA, "")))/float64(len(valid)))
	checkAllocBound(t, valid)
}
