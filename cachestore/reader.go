package cachestore

import (
	"context"
	"errors"
	"log/slog"
	"sync"

	"github.com/pgrest-lambda/pgrest-lambda/internal/schemacache"
)

// Reader gives request functions the current schema cache, decoding a blob
// only when the version changed. A warm Lambda container keeps its Reader
// (and so the decoded cache) across invocations.
type Reader struct {
	store  *Store
	logger *slog.Logger

	mu      sync.Mutex
	version int64
	cache   *schemacache.SchemaCache
	// bad is the last version whose blob could not be decoded; it is not
	// downloaded again while it stays current.
	bad    int64
	badErr error
}

// NewReader returns a Reader over store; logger receives warnings (nil discards).
func NewReader(store *Store, logger *slog.Logger) *Reader {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Reader{store: store, logger: logger}
}

// Current returns the current schema cache and its version, with one Redis
// round trip. When Redis fails or holds an unreadable blob, the last good
// cache is returned (and a warning logged); with none yet, the error is
// returned: ErrNoCache when nothing was published, otherwise the Redis or
// decoding error.
func (r *Reader) Current(ctx context.Context) (*schemacache.SchemaCache, int64, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	v, blob, err := r.store.Fetch(ctx, r.version, r.bad)
	switch {
	case err != nil:
		return r.fallback(err)
	case blob == nil && v == r.version && r.cache != nil:
		return r.cache, r.version, nil
	case blob == nil && v == r.bad:
		return r.fallback(r.badErr)
	}
	sc, err := schemacache.Decode(blob)
	if err != nil {
		r.logger.Warn("unreadable schema cache blob", "version", v, "error", err.Error())
		r.bad, r.badErr = v, err
		return r.fallback(err)
	}
	r.version, r.cache, r.bad, r.badErr = v, sc, 0, nil
	return sc, v, nil
}

func (r *Reader) fallback(err error) (*schemacache.SchemaCache, int64, error) {
	if r.cache != nil {
		if !errors.Is(err, schemacache.ErrUnsupportedFormat) {
			r.logger.Warn("serving the last good schema cache", "version", r.version, "error", err.Error())
		}
		return r.cache, r.version, nil
	}
	return nil, 0, err
}
