package schemacache

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
)

// SectionSource loads the sections of a lazily backed cache (NewLazy):
// how a cache reaches its storage (a snapshot in Redis) without this
// package knowing it. Implementations are safe for concurrent use.
type SectionSource interface {
	// Sections returns sections idx (each in [0, n) of NewLazy), decoded
	// and checked (Section.Check), in the order of idx; any failure to
	// fetch, authenticate or decode one is an error. The sections are
	// indexed (Section.Index).
	Sections(ctx context.Context, idx []int) ([]*Section, error)
	// Names returns the names section; errors as Sections.
	Names(ctx context.Context) (*Names, error)
}

// lazy is the shared state of a lazily backed cache: the sections loaded
// so far, by bucket, and the names once loaded. Loaded values never
// change, so readers take them without a lock.
type lazy struct {
	src   SectionSource
	secs  []atomic.Pointer[Section]
	names atomic.Pointer[Names]
	// whole is the memoised result of Complete, under mu.
	mu    sync.Mutex
	whole *SchemaCache
}

// misses is what the accessors of one view found not loaded.
type misses struct {
	mu    sync.Mutex
	secs  []int
	names bool
}

func (m *misses) add(i int) {
	m.mu.Lock()
	if !slices.Contains(m.secs, i) {
		m.secs = append(m.secs, i)
	}
	m.mu.Unlock()
}

// ErrTooManyRounds is returned by Prefetch when a caller keeps finding
// sections missing after MaxPrefetchRounds loads.
var ErrTooManyRounds = errors.New("schema cache sections still missing after repeated loads")

// MaxPrefetchRounds bounds the loads a caller runs for one request
// (Prefetch, then one per planning that missed a section): every round
// loads at least one section the request needs, and a request names few.
const MaxPrefetchRounds = 8

// NewLazy returns a cache whose schemas, PostgreSQL version, media
// handlers, representations and timings are head's, and whose tables,
// relationships and routines are in n sections (n ≥ 1, bucketed by
// SectionOf) that src loads on demand: see View, Prefetch and Complete.
// loaded, nil or of length n, holds sections already loaded (indexed; nil
// entries are not). The accessors of the result never call src.
func NewLazy(head *SchemaCache, n int, src SectionSource, loaded []*Section) *SchemaCache {
	sc := &SchemaCache{Schemas: head.Schemas, PgVersion: head.PgVersion, MediaHandlers: head.MediaHandlers,
		Representations: head.Representations, Timings: head.Timings,
		lazy: &lazy{src: src, secs: make([]atomic.Pointer[Section], max(n, 1))}, miss: &misses{}}
	for i, s := range loaded {
		if s != nil && i < len(sc.lazy.secs) {
			sc.lazy.secs[i].Store(s)
		}
	}
	sc.indexMediaHandlers()
	sc.indexRepresentations()
	return sc
}

// Lazy reports whether sc is lazily backed (NewLazy).
func (sc *SchemaCache) Lazy() bool { return sc.lazy != nil }

// SectionsLoaded returns how many of the n sections of a lazy cache are
// loaded; n is 0 for a whole cache.
func (sc *SchemaCache) SectionsLoaded() (loaded, n int) {
	if sc.lazy == nil {
		return 0, 0
	}
	for i := range sc.lazy.secs {
		if sc.lazy.secs[i].Load() != nil {
			loaded++
		}
	}
	return loaded, len(sc.lazy.secs)
}

// View returns a cache sharing sc's data and loaded sections with its own
// record of misses, for one request: its accessors return nil for what
// lies in a section not loaded and record it (Missed), and Prefetch
// loads what was recorded. A whole cache is its own view.
func (sc *SchemaCache) View() *SchemaCache {
	if sc.lazy == nil {
		return sc
	}
	// The copy and its record of misses in one allocation.
	v := &struct {
		sc   SchemaCache
		miss misses
	}{sc: *sc}
	v.sc.miss = &v.miss
	return &v.sc
}

// Missed reports whether an accessor of this view found its section (or
// the names) not loaded since the last Prefetch: an answer planned from
// it may be wrong, and must be planned again after Prefetch.
func (sc *SchemaCache) Missed() bool {
	if sc.lazy == nil {
		return false
	}
	sc.miss.mu.Lock()
	defer sc.miss.mu.Unlock()
	return len(sc.miss.secs) > 0 || sc.miss.names
}

// section returns the loaded section of qi, or nil after recording the miss.
func (sc *SchemaCache) section(qi QI) *Section {
	i := SectionOf(qi, len(sc.lazy.secs))
	if s := sc.lazy.secs[i].Load(); s != nil {
		return s
	}
	sc.miss.add(i)
	return nil
}

// names returns the loaded names, or nil after recording the miss.
func (sc *SchemaCache) names() *Names {
	if n := sc.lazy.names.Load(); n != nil {
		return n
	}
	sc.miss.mu.Lock()
	sc.miss.names = true
	sc.miss.mu.Unlock()
	return nil
}

// Prefetch loads, in one call of the source, the sections of the names qis
// (tables or routines) and whatever this view missed, and clears the
// misses. It does nothing on a whole cache or when all is loaded. The
// error is the source's, wrapped.
func (sc *SchemaCache) Prefetch(ctx context.Context, qis ...QI) error {
	l := sc.lazy
	if l == nil {
		return nil
	}
	sc.miss.mu.Lock()
	want, names := sc.miss.secs, sc.miss.names
	sc.miss.secs, sc.miss.names = nil, false
	sc.miss.mu.Unlock()
	if len(want) == 0 && !names && loaded(l, qis) {
		// The usual case, checked without building the list.
		return nil
	}
	for _, qi := range qis {
		want = append(want, SectionOf(qi, len(l.secs)))
	}
	slices.Sort(want)
	want = slices.Compact(want)
	want = slices.DeleteFunc(want, func(i int) bool { return l.secs[i].Load() != nil })
	if len(want) > 0 {
		secs, err := l.src.Sections(ctx, want)
		if err != nil {
			return fmt.Errorf("load schema cache sections: %w", err)
		}
		for j, i := range want {
			l.secs[i].CompareAndSwap(nil, secs[j])
		}
	}
	if names && l.names.Load() == nil {
		n, err := l.src.Names(ctx)
		if err != nil {
			return fmt.Errorf("load schema cache names: %w", err)
		}
		l.names.CompareAndSwap(nil, n)
	}
	return nil
}

// loaded reports whether the sections of qis are all loaded in l.
func loaded(l *lazy, qis []QI) bool {
	for _, qi := range qis {
		if l.secs[SectionOf(qi, len(l.secs))].Load() == nil {
			return false
		}
	}
	return true
}

// Complete returns the whole cache of sc, with every slice filled in cache
// order (see Merge): sc itself when it is whole, otherwise a cache built once
// from all the sections (loading those not loaded) and memoised. OpenAPI
// and inspection tools need it. The error is the source's, wrapped.
func (sc *SchemaCache) Complete(ctx context.Context) (*SchemaCache, error) {
	l := sc.lazy
	if l == nil {
		return sc, nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.whole != nil {
		return l.whole, nil
	}
	var want []int
	for i := range l.secs {
		if l.secs[i].Load() == nil {
			want = append(want, i)
		}
	}
	if len(want) > 0 {
		secs, err := l.src.Sections(ctx, want)
		if err != nil {
			return nil, fmt.Errorf("load schema cache sections: %w", err)
		}
		for j, i := range want {
			l.secs[i].CompareAndSwap(nil, secs[j])
		}
	}
	if l.names.Load() == nil {
		n, err := l.src.Names(ctx)
		if err != nil {
			return nil, fmt.Errorf("load schema cache names: %w", err)
		}
		l.names.CompareAndSwap(nil, n)
	}
	all := make([]*Section, len(l.secs))
	for i := range l.secs {
		all[i] = l.secs[i].Load()
	}
	l.whole = Merge(sc, all, l.names.Load())
	return l.whole, nil
}
