package snapshot

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/pgrest-lambda/pgrest-lambda/internal/schemacache"
)

// SectionFetcher returns the bytes of the sections numbered idx of the
// blob being opened, in the order of idx: numbers index the head's section
// table (the buckets 0..n-1, then n for the names section). cachestore
// reads them from Redis. The bytes are untrusted: each is checked against
// its digest before it is decoded.
type SectionFetcher func(ctx context.Context, idx []int) ([][]byte, error)

// Open parses the head of blob and returns its snapshot with a lazily
// backed Cache (schemacache.NewLazy): sections are decoded when a request
// loads them (SchemaCache.Prefetch, Complete), from the blob when it
// carries them (EncodeWith's output) or else through fetch (blob is then
// the head alone, as cachestore stores it). Sections of prev (the
// snapshot opened before, or nil) with the same digest are reused, not
// fetched or decoded again. Verification and errors are DecodeWith's for
// the head; a section's are returned when it is loaded.
func Open(blob []byte, keys *Keys, fetch SectionFetcher, prev *Snapshot) (*Snapshot, error) {
	p, err := split(blob)
	if err != nil {
		return nil, err
	}
	var signer *derivedKey
	if keys != nil && len(keys.keys) > 0 {
		if signer, err = keys.verify(blob[:p.headEnd], p.mac, p.macAt); err != nil {
			return nil, err
		}
	}
	s := &Snapshot{}
	if err := unmarshal(p.hdr, &s.Header); err != nil {
		return nil, fmt.Errorf("decode schema cache header: %w", err)
	}
	h := &head{Cache: &schemacache.SchemaCache{}}
	if err := decode(p.body, h, (*codec).head); err != nil {
		return nil, fmt.Errorf("decode schema cache: %w", err)
	}
	src, err := newSource(h.Sections, p.rest, fetch)
	if err != nil {
		return nil, err
	}
	if signer != nil {
		for _, name := range slices.Sorted(maps.Keys(h.Sealed)) {
			v, err := signer.open(name, h.Sealed[name])
			if err != nil {
				return nil, fmt.Errorf("decode schema cache: %w", err)
			}
			if h.DBSettings == nil {
				h.DBSettings = map[string]string{}
			}
			h.DBSettings[name] = v
		}
	}
	var loaded []*schemacache.Section
	if prev != nil && prev.src != nil {
		loaded = src.adopt(prev.src)
	}
	h.Cache.Timings = s.Header.QueryMs
	s.Cache = schemacache.NewLazy(h.Cache, src.n, src, loaded)
	s.DBSettings, s.RoleSettings, s.src = h.DBSettings, h.RoleSettings, src
	return s, nil
}

// errNoSections is returned when a head alone is decoded without a fetcher.
var errNoSections = errors.New("decode schema cache: the blob carries no sections and none can be fetched")

// SplitBlob splits a whole blob (EncodeWith's output) into its head (what
// Open reads, signed) and its sections in the order of the head's section
// table, as cachestore stores them; joined back in that order they are
// the blob again. The sections alias blob. It checks the framing and the
// section table, not the MAC or the digests (Open and DecodeWith do), and
// fails on a blob that does not carry its sections.
func SplitBlob(blob []byte) (headBytes []byte, sections [][]byte, err error) {
	p, err := split(blob)
	if err != nil {
		return nil, nil, err
	}
	h := &head{Cache: &schemacache.SchemaCache{}}
	if err := decode(p.body, h, (*codec).head); err != nil {
		return nil, nil, fmt.Errorf("decode schema cache: %w", err)
	}
	if len(p.rest) == 0 {
		return nil, nil, errNoSections
	}
	src, err := newSource(h.Sections, p.rest, nil)
	if err != nil {
		return nil, nil, err
	}
	return blob[:p.headEnd:p.headEnd], src.local, nil
}
