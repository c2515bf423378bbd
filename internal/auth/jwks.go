package auth

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwk"
)

// DefaultJWKSMinRefetch is the least time between two fetches of
// PGRST_JWT_JWKS_URL, whatever triggers them (a token naming an unknown
// kid, stale keys, or a failed fetch being retried): a flood of tokens with
// made-up kids costs the key server one request per this interval.
const DefaultJWKSMinRefetch = 30 * time.Second

// DefaultJWKSMaxAge is how long fetched keys are used before a request
// triggers a refetch (the old keys stay in use if it fails).
const DefaultJWKSMaxAge = time.Hour

// maxJWKSBytes bounds the JWKS response body.
const maxJWKSBytes = 1 << 20

// keySet is one successfully fetched JWKS.
type keySet struct {
	keys    []verifyKey
	gen     uint64 // increases when a fetch brings different keys
	body    []byte
	fetched time.Time
}

// jwksSource fetches and caches the keys of a JWKS URL. The last good set
// is kept whatever happens to later fetches. Safe for concurrent use.
type jwksSource struct {
	url        string
	client     *http.Client
	now        func() time.Time
	log        *slog.Logger
	minRefetch time.Duration
	maxAge     time.Duration

	cur atomic.Pointer[keySet]

	mu          sync.Mutex // serialises fetches; guards lastAttempt and lastErr
	lastAttempt time.Time
	lastErr     error
}

func newJWKSSource(url string, o Options) *jwksSource {
	return &jwksSource{url: url, client: o.HTTPClient, now: o.Now, log: o.Logger,
		minRefetch: o.JWKSMinRefetch, maxAge: o.JWKSMaxAge}
}

// generation is the generation of the current key set, 0 before the
// first successful fetch.
func (s *jwksSource) generation() uint64 {
	if cur := s.cur.Load(); cur != nil {
		return cur.gen
	}
	return 0
}

// keys returns the current key set, fetching it on first use and when it
// is older than maxAge. It fails only when no fetch ever succeeded; then
// the returned set is empty.
func (s *jwksSource) keys(ctx context.Context) (*keySet, error) {
	cur := s.cur.Load()
	if cur != nil && s.now().Sub(cur.fetched) < s.maxAge {
		return cur, nil
	}
	_, err := s.fetch(ctx)
	if cur = s.cur.Load(); cur != nil {
		return cur, nil
	}
	return &keySet{}, err
}

// refetchForUnknownKid fetches the set again because a token names a kid
// it lacks; ok is false when the rate limit or a failure prevented it.
func (s *jwksSource) refetchForUnknownKid(ctx context.Context) (*keySet, bool) {
	set, err := s.fetch(ctx)
	return set, err == nil
}

var errRateLimited = errors.New("JWKS fetch rate-limited")

// fetch gets the JWKS unless another fetch was attempted less than
// minRefetch ago, in which case it returns the last fetch's error or
// errRateLimited. A successful fetch replaces the current set.
func (s *jwksSource) fetch(ctx context.Context) (*keySet, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	if !s.lastAttempt.IsZero() && now.Sub(s.lastAttempt) < s.minRefetch {
		if s.lastErr != nil {
			return nil, s.lastErr
		}
		return nil, errRateLimited
	}
	s.lastAttempt = now
	body, keys, err := s.get(ctx)
	s.lastErr = err
	if err != nil {
		s.log.Warn("fetching the JWKS failed; keeping the last good keys", "url", s.url, "error", err)
		return nil, err
	}
	old := s.cur.Load()
	set := &keySet{keys: keys, body: body, fetched: now, gen: 1}
	if old != nil {
		set.gen = old.gen
		if !bytes.Equal(old.body, body) {
			set.gen++
		}
	}
	s.cur.Store(set)
	return set, nil
}

// get performs one HTTP fetch and parses the set.
func (s *jwksSource) get(ctx context.Context) ([]byte, []verifyKey, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.url, nil)
	if err != nil {
		return nil, nil, err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := s.client.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer func() { _ = resp.Body.Close() }()
	if resp.StatusCode != http.StatusOK {
		return nil, nil, fmt.Errorf("HTTP status %d", resp.StatusCode)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxJWKSBytes+1))
	if err != nil {
		return nil, nil, err
	}
	if len(body) > maxJWKSBytes {
		return nil, nil, fmt.Errorf("the JWKS is larger than %d bytes", maxJWKSBytes)
	}
	set, err := jwk.Parse(body, jwk.WithStrictKeySetParsing(false), jwk.WithIgnoreParseError(true))
	if err != nil {
		return nil, nil, fmt.Errorf("parsing the JWKS: %w", err)
	}
	keys, err := keysOf(set)
	if err != nil {
		return nil, nil, err
	}
	if len(keys) == 0 {
		return nil, nil, errors.New("the JWKS holds no signature verification key")
	}
	return body, keys, nil
}
