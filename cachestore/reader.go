package cachestore

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pgrest-lambda/pgrest-lambda/internal/schemacache"
	"github.com/pgrest-lambda/pgrest-lambda/internal/snapshot"
)

// ReaderOptions tune a Reader. The zero value revalidates on every call and
// never builds.
type ReaderOptions struct {
	// RevalidateEvery bounds staleness against Redis round trips: the
	// current pointer is checked at most this often (PGRST_CACHE_REVALIDATE_MS);
	// 0 checks on every call.
	RevalidateEvery time.Duration
	// Build, when set, is called by a Reader that finds no cache published:
	// under the BuildLease only one caller builds and publishes, the others
	// wait up to BuildWait for the result.
	Build func(ctx context.Context) error
	// Holder identifies this reader for the BuildLease.
	Holder string
	// BuildWait is how long a cold reader waits for another's build
	// (default 5 s).
	BuildWait time.Duration
	// Logger receives warnings; nil discards.
	Logger *slog.Logger
	// Notices, when set, are what the request function's listening
	// connections saw (PGRST_CACHE_LISTEN): Untouched trusts the memo while
	// none arrived since Redis last confirmed it, for at most ListenTrust.
	Notices *Notices
	// ListenTrust bounds how long the memo is trusted without a notice
	// (default 1 s): a notice lost with its publisher's connection, or a
	// version pinned from the CLI, is seen within it.
	ListenTrust time.Duration
}

// Reader gives request functions the current snapshot, decoding a blob
// only when the version changed. A warm Lambda container keeps its Reader
// (and so the decoded cache) across invocations.
type Reader struct {
	store   *Store
	opts    ReaderOptions
	breaker *breaker
	rounds  checkRounds
	// fetchFn is fetch as a function value, made once: a method value
	// made per check would be allocated on every request.
	fetchFn func(context.Context, int64, int64) (int64, []byte, error)

	mu      sync.Mutex
	version int64
	snap    *snapshot.Snapshot
	checked time.Time
	// checkedGen is the Notices generation read before the last check
	// that confirmed the memo began.
	checkedGen uint64
	// prevVersion and prevSnap are what was served before version, for
	// RejectSections (nil when none).
	prevVersion int64
	prevSnap    *snapshot.Snapshot
	// bad is the last version whose blob could not be decoded; it is not
	// downloaded again while it stays current.
	bad    int64
	badErr error

	// logged is the error last logged by fallback, so a lasting failure is
	// logged once, not on every call.
	logged string

	// Fallbacks counts calls served from the memoised snapshot because
	// Redis failed or held an unreadable blob.
	Fallbacks atomic.Int64
	// Rejected counts blobs downloaded and rejected: not authentic (MAC
	// missing or wrong, see snapshot.ErrNotAuthentic), of another format,
	// or corrupt. Each bad version is downloaded, counted and logged once.
	Rejected atomic.Int64
}

// NewReader returns a Reader over store; logger receives warnings (nil discards).
func NewReader(store *Store, logger *slog.Logger) *Reader {
	return NewReaderWithOptions(store, ReaderOptions{Logger: logger})
}

// NewReaderWithOptions returns a Reader over store with opts.
func NewReaderWithOptions(store *Store, opts ReaderOptions) *Reader {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.BuildWait <= 0 {
		opts.BuildWait = 5 * time.Second
	}
	if opts.ListenTrust <= 0 {
		opts.ListenTrust = time.Second
	}
	r := &Reader{store: store, opts: opts, breaker: &breaker{logger: opts.Logger}}
	r.fetchFn = r.fetch
	return r
}

// Current returns the current snapshot and its version, with at most one
// Redis round trip. After a Redis failure, Redis is skipped for a short,
// growing window (200 ms doubling to 5 s; then one background probe)
// and the memoised snapshot served, so a hung Redis costs one timeout,
// not one per request; the breaker logs each state change once. Blobs are verified with the Store's Keys before they
// are decoded. When Redis fails or holds a blob that is not authentic or
// unreadable, the last good snapshot is returned (Fallbacks counted, a
// rejected blob counted in Rejected, each new error logged once); with
// none yet, the error is returned: ErrNoCache when nothing was published
// (after trying Build, if set), otherwise the Redis or decoding error.
//
// The common check, an unchanged version, runs without holding the
// Reader's lock, so concurrent requests (a local server, not a Lambda
// container) do not queue behind each other's Redis round trips; they
// share Redis reads through CurrentSince.
func (r *Reader) Current(ctx context.Context) (*snapshot.Snapshot, int64, error) {
	return r.CurrentSince(ctx, time.Time{})
}

// CurrentSince is Current for a request that arrived at since: its check
// may share a Redis read already in flight that began after since (a
// read that may have begun earlier is never shared: its caller reads
// Redis itself at once, see checkRounds). The zero time shares no read.
// With Notices, no read in flight is shared: a confirmation counts for
// the notices seen before its read began (gen below), which a shared read
// may predate.
func (r *Reader) CurrentSince(ctx context.Context, since time.Time) (*snapshot.Snapshot, int64, error) {
	// Read before the check starts: a notice arriving during it makes the
	// memo untrusted again, even if the check missed that version.
	gen := r.generation()
	if r.opts.Notices != nil {
		since = time.Time{}
	}
	r.mu.Lock()
	snap, version, bad := r.snap, r.version, r.bad
	if snap != nil && r.opts.RevalidateEvery > 0 && time.Since(r.checked) < r.opts.RevalidateEvery {
		r.mu.Unlock()
		return snap, version, nil
	}
	r.mu.Unlock()
	v, blob, err := r.rounds.do(ctx, version, bad, since, r.fetchFn)
	if err == nil && blob == nil && v == version && snap != nil {
		r.mu.Lock()
		if r.version == version {
			r.checked, r.logged = time.Now(), ""
			r.confirmed(gen)
		}
		r.mu.Unlock()
		return snap, version, nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.version != version || r.bad != bad {
		// Another call moved the Reader on meanwhile: ask again from there.
		v, blob, err = r.fetch(ctx, r.version, r.bad)
	}
	return r.settle(ctx, gen, v, blob, err)
}

// generation is the Notices generation, 0 without Notices.
func (r *Reader) generation() uint64 {
	if r.opts.Notices == nil {
		return 0
	}
	return r.opts.Notices.Generation()
}

// confirmed records that Redis confirmed the memo in a check that began at
// Notices generation gen; r.mu is held.
func (r *Reader) confirmed(gen uint64) {
	r.checkedGen = max(r.checkedGen, gen)
	if r.opts.Notices != nil {
		r.opts.Notices.hold(r.version)
	}
}

// Untouched returns the memo, its version and the Notices generation when
// the Reader has Notices (PGRST_CACHE_LISTEN, not refused by the server)
// and none arrived since Redis last confirmed the memo, less than
// ListenTrust ago; ok is false otherwise. A caller serving a read from it must ask Current again when
// Touched(gen) turns true before its results are read, and must ask
// Current before a write.
func (r *Reader) Untouched() (snap *snapshot.Snapshot, version int64, gen uint64, ok bool) {
	if r.opts.Notices == nil || r.opts.Notices.refused.Load() {
		return nil, 0, 0, false
	}
	gen = r.opts.Notices.Generation()
	r.mu.Lock()
	defer r.mu.Unlock()
	ok = r.snap != nil && r.checkedGen == gen && time.Since(r.checked) < r.opts.ListenTrust
	return r.snap, r.version, gen, ok
}

// Touched reports whether a notice or a new listening connection arrived
// since Notices generation gen (always false without Notices).
func (r *Reader) Touched(gen uint64) bool { return r.generation() != gen }

// Memo returns the memoised snapshot and its version without asking
// Redis (nil and 0 before the first successful Current), and whether it is
// still fresh: checked less than RevalidateEvery ago, so Current would not
// ask Redis either. A request path overlaps its check (Current) with its
// own work on a memo that is not fresh, and must redo that work when the
// check returns another version.
func (r *Reader) Memo() (*snapshot.Snapshot, int64, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	fresh := r.snap != nil && r.opts.RevalidateEvery > 0 && time.Since(r.checked) < r.opts.RevalidateEvery
	return r.snap, r.version, fresh
}

// probeTimeout bounds a background probe of a Redis that failed.
const probeTimeout = 2 * time.Second

// fetch is store.Fetch behind the breaker: while it is open, Redis is not
// asked and ErrRedisSkipped is returned at once; when its window ends, one
// background Fetch probes Redis and closes or reopens the breaker.
func (r *Reader) fetch(ctx context.Context, have, skip int64) (int64, []byte, error) {
	pass, probe := r.breaker.allow()
	if probe {
		// The probe runs in the background: no request waits for a Redis
		// that may still hang.
		go func() {
			pctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), probeTimeout)
			defer cancel()
			_, _, err := r.store.Fetch(pctx, have, skip)
			r.breaker.done(err != nil && !errors.Is(err, ErrNoCache), err)
		}()
	}
	if !pass {
		return 0, nil, ErrRedisSkipped
	}
	v, blob, err := r.store.Fetch(ctx, have, skip)
	// A request that was cancelled (its client gone) says nothing of Redis.
	r.breaker.done(err != nil && !errors.Is(err, ErrNoCache) && !errors.Is(ctx.Err(), context.Canceled), err)
	return v, blob, err
}

// RedisSkipped reports whether the Reader is currently skipping Redis
// after a failure (its breaker is open).
func (r *Reader) RedisSkipped() bool { return r.breaker.isOpen() }

// settle applies the result of a Fetch made from the Reader's current
// state, begun at Notices generation gen; r.mu is held.
func (r *Reader) settle(ctx context.Context, gen uint64, v int64, blob []byte, err error) (*snapshot.Snapshot, int64, error) {
	switch {
	case errors.Is(err, ErrNoCache) && r.snap == nil && r.opts.Build != nil:
		if v, blob, err = r.buildOrWait(ctx); err != nil {
			return nil, 0, err
		}
	case err != nil:
		return r.fallback(err)
	case blob == nil && v == r.version && r.snap != nil:
		r.checked, r.logged = time.Now(), ""
		r.confirmed(gen)
		return r.snap, r.version, nil
	case blob == nil && v == r.bad:
		return r.fallback(r.badErr)
	}
	// Only the head is decoded here; sections are fetched and decoded as
	// requests need them, and those unchanged since r.snap are reused.
	snap, err := snapshot.Open(blob, r.store.Keys, r.sectionsOf(v), r.snap)
	if err != nil {
		r.Rejected.Add(1)
		msg := "schema cache blob rejected: unreadable"
		switch {
		case errors.Is(err, snapshot.ErrNotAuthentic):
			msg = "schema cache blob rejected: not authentic"
		case errors.Is(err, snapshot.ErrUnsupportedFormat):
			msg = "schema cache blob rejected: unsupported format"
		}
		r.opts.Logger.Error(msg, "version", v, "bytes", len(blob), "serving_version", r.version, "error", err.Error())
		r.bad, r.badErr, r.logged = v, err, err.Error()
		return r.fallback(err)
	}
	r.prevVersion, r.prevSnap = r.version, r.snap
	r.version, r.snap, r.bad, r.badErr, r.checked, r.logged = v, snap, 0, nil, time.Now(), ""
	r.confirmed(gen)
	return snap, v, nil
}

// sectionsOf returns the fetcher of version v's sections.
func (r *Reader) sectionsOf(v int64) snapshot.SectionFetcher {
	return func(ctx context.Context, idx []int) ([][]byte, error) {
		return r.store.Sections(ctx, v, idx)
	}
}

// RejectSections is told by a request that a section of the schema cache
// sc failed to load with err. When sc is the current snapshot's cache and
// the section was not authentic (snapshot.ErrNotAuthentic), the version is
// rejected as a tampered blob is: counted in Rejected, logged, not used
// again while it stays current, and the snapshot served before it is
// served again. Other errors (Redis), or a cache the Reader has already
// moved on from, change nothing. It reports whether the Reader went back
// to an earlier snapshot.
func (r *Reader) RejectSections(sc *schemacache.SchemaCache, err error) bool {
	if !errors.Is(err, snapshot.ErrNotAuthentic) {
		return false
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.snap == nil || r.snap.Cache != sc || r.bad == r.version || r.prevSnap == nil {
		return false
	}
	r.Rejected.Add(1)
	r.opts.Logger.Error("schema cache blob rejected: section not authentic", "version", r.version,
		"serving_version", r.prevVersion, "error", err.Error())
	r.bad, r.badErr, r.logged = r.version, err, err.Error()
	r.version, r.snap = r.prevVersion, r.prevSnap
	r.prevVersion, r.prevSnap = 0, nil
	return true
}

// buildOrWait makes sure a first cache exists: the BuildLease holder builds
// and publishes it, the others poll until it appears or BuildWait passes.
func (r *Reader) buildOrWait(ctx context.Context) (int64, []byte, error) {
	deadline := time.Now().Add(r.opts.BuildWait)
	for {
		ok, err := r.store.Acquire(ctx, BuildLease, r.opts.Holder, r.opts.BuildWait+30*time.Second)
		if err != nil {
			return 0, nil, err
		}
		if ok {
			err := r.buildOnce(ctx)
			_ = r.store.Release(context.WithoutCancel(ctx), BuildLease, r.opts.Holder)
			if err != nil {
				return 0, nil, err
			}
		}
		v, blob, err := r.store.Fetch(ctx, 0, 0)
		if !errors.Is(err, ErrNoCache) || time.Now().After(deadline) {
			return v, blob, err
		}
		select {
		case <-ctx.Done():
			return 0, nil, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// buildOnce builds under the lease unless, checked again now that the lease
// is held, a build that finished meanwhile already published a cache.
func (r *Reader) buildOnce(ctx context.Context) error {
	if _, _, err := r.store.Fetch(ctx, 0, 0); !errors.Is(err, ErrNoCache) {
		return err
	}
	r.opts.Logger.Warn("no schema cache in Redis: building it", "holder", r.opts.Holder)
	return r.opts.Build(ctx)
}

func (r *Reader) fallback(err error) (*snapshot.Snapshot, int64, error) {
	if r.snap == nil {
		return nil, 0, err
	}
	r.Fallbacks.Add(1)
	if msg := err.Error(); msg != r.logged {
		r.logged = msg
		r.opts.Logger.Warn("serving the last good schema cache", "version", r.version, "error", msg)
	}
	return r.snap, r.version, nil
}
