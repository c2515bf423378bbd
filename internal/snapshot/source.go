package snapshot

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"sync"

	"github.com/pgrest-lambda/pgrest-lambda/internal/schemacache"
)

// source is the schemacache.SectionSource of an opened snapshot: it takes
// a section's bytes from the blob or the fetcher, checks them against the
// digest the (verified) head lists, decodes them with the bounded reader
// and checks what they hold (schemacache.Section.Check). Decoded sections
// are kept by digest, so the next version's source can adopt them.
type source struct {
	refs  []sectionRef // n buckets, then the names section
	n     int
	local [][]byte // the sections the blob carries, or nil
	fetch SectionFetcher

	mu      sync.Mutex
	decoded map[string]*schemacache.Section // by digest, bucket sections only
	names   *schemacache.Names
}

// newSource checks the section table of a head against the sections the
// blob carries (none, or exactly the listed lengths).
func newSource(refs []sectionRef, rest []byte, fetch SectionFetcher) (*source, error) {
	if len(refs) < 2 {
		return nil, fmt.Errorf("%w: section table of %d entries", errCorrupt, len(refs))
	}
	s := &source{refs: refs, n: len(refs) - 1, fetch: fetch, decoded: map[string]*schemacache.Section{}}
	total := 0
	for i, r := range refs {
		if len(r.Digest) != sha256.Size || r.Len < 0 || r.Len > len(rest)-total && len(rest) > 0 {
			return nil, fmt.Errorf("%w: section %d reference", errCorrupt, i)
		}
		total += r.Len
	}
	if len(rest) == 0 {
		return s, nil
	}
	if total != len(rest) {
		return nil, fmt.Errorf("%w: sections of %d bytes, %d listed", errCorrupt, len(rest), total)
	}
	s.local = make([][]byte, len(refs))
	off := 0
	for i, r := range refs {
		s.local[i] = rest[off : off+r.Len : off+r.Len]
		off += r.Len
	}
	return s, nil
}

// adopt takes from prev the decoded sections (and names) whose digests s
// lists at the same bucket of the same count, and returns them by bucket.
func (s *source) adopt(prev *source) []*schemacache.Section {
	if prev.n != s.n {
		if prev.names != nil && prev.refs[prev.n].Digest == s.refs[s.n].Digest {
			s.names = prev.names
		}
		return nil
	}
	prev.mu.Lock()
	defer prev.mu.Unlock()
	if prev.names != nil && prev.refs[prev.n].Digest == s.refs[s.n].Digest {
		s.names = prev.names
	}
	var out []*schemacache.Section
	for i := range s.n {
		d := s.refs[i].Digest
		if sec := prev.decoded[d]; sec != nil && prev.refs[i].Digest == d {
			if out == nil {
				out = make([]*schemacache.Section, s.n)
			}
			out[i] = sec
			s.decoded[d] = sec
		}
	}
	return out
}

// raw returns the bytes of sections idx, checked against their digests.
func (s *source) raw(ctx context.Context, idx []int) ([][]byte, error) {
	var out [][]byte
	switch {
	case s.local != nil:
		out = make([][]byte, len(idx))
		for j, i := range idx {
			out[j] = s.local[i]
		}
	case s.fetch == nil:
		return nil, errNoSections
	default:
		var err error
		if out, err = s.fetch(ctx, idx); err != nil {
			return nil, err
		}
		if len(out) != len(idx) {
			return nil, fmt.Errorf("schema cache sections: %d fetched for %d asked", len(out), len(idx))
		}
	}
	for j, i := range idx {
		// The length first: a value of another size is refused without
		// hashing it.
		if len(out[j]) != s.refs[i].Len {
			return nil, fmt.Errorf("decode schema cache: section %d does not have the length in the head: %w", i, ErrNotAuthentic)
		}
		if d := sha256.Sum256(out[j]); subtle.ConstantTimeCompare(d[:], []byte(s.refs[i].Digest)) != 1 {
			return nil, fmt.Errorf("decode schema cache: section %d does not match the digest in the head: %w", i, ErrNotAuthentic)
		}
	}
	return out, nil
}

// section decodes and checks bucket section i.
func (s *source) section(i int, b []byte) (*schemacache.Section, error) {
	sec := &schemacache.Section{}
	if err := decode(b, sec, (*codec).section); err != nil {
		return nil, fmt.Errorf("decode schema cache section %d: %w", i, err)
	}
	if err := sec.Check(i, s.n); err != nil {
		return nil, fmt.Errorf("decode schema cache section %d: %w", i, err)
	}
	return sec, nil
}

// Sections implements schemacache.SectionSource.
func (s *source) Sections(ctx context.Context, idx []int) ([]*schemacache.Section, error) {
	out := make([]*schemacache.Section, len(idx))
	var need, at []int
	s.mu.Lock()
	for j, i := range idx {
		if i < 0 || i >= s.n {
			s.mu.Unlock()
			return nil, fmt.Errorf("schema cache section %d of %d", i, s.n)
		}
		if sec := s.decoded[s.refs[i].Digest]; sec != nil {
			out[j] = sec
			continue
		}
		need, at = append(need, i), append(at, j)
	}
	s.mu.Unlock()
	if len(need) == 0 {
		return out, nil
	}
	raw, err := s.raw(ctx, need)
	if err != nil {
		return nil, err
	}
	for k, i := range need {
		sec, err := s.section(i, raw[k])
		if err != nil {
			return nil, err
		}
		sec.Index()
		out[at[k]] = sec
	}
	s.mu.Lock()
	for k, i := range need {
		s.decoded[s.refs[i].Digest] = out[at[k]]
	}
	s.mu.Unlock()
	return out, nil
}

// Names implements schemacache.SectionSource.
func (s *source) Names(ctx context.Context) (*schemacache.Names, error) {
	s.mu.Lock()
	n := s.names
	s.mu.Unlock()
	if n != nil {
		return n, nil
	}
	raw, err := s.raw(ctx, []int{s.n})
	if err != nil {
		return nil, err
	}
	n = &schemacache.Names{}
	if err := decode(raw[0], n, (*codec).names); err != nil {
		return nil, fmt.Errorf("decode schema cache names: %w", err)
	}
	s.mu.Lock()
	s.names = n
	s.mu.Unlock()
	return n, nil
}

// all decodes every bucket section, unindexed, and the names, for a whole
// cache.
func (s *source) all() ([]*schemacache.Section, *schemacache.Names, error) {
	idx := make([]int, s.n)
	for i := range idx {
		idx[i] = i
	}
	raw, err := s.raw(context.Background(), idx)
	if err != nil {
		return nil, nil, err
	}
	out := make([]*schemacache.Section, s.n)
	for i := range out {
		if out[i], err = s.section(i, raw[i]); err != nil {
			return nil, nil, err
		}
	}
	names, err := s.Names(context.Background())
	if err != nil {
		return nil, nil, err
	}
	return out, names, nil
}
