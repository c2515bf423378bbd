package cachestore

import (
	"errors"
	"log/slog"
	"sync"
	"time"
)

// ErrRedisSkipped is returned (wrapped in the Reader's fallback) while the
// breaker is open: Redis failed recently and is not asked again until the
// window ends.
var ErrRedisSkipped = errors.New("redis skipped after a recent failure")

// Breaker window bounds: the first failure opens the breaker for
// breakerMinWindow; each failed probe doubles it, up to breakerMaxWindow.
const (
	breakerMinWindow = 200 * time.Millisecond
	breakerMaxWindow = 5 * time.Second
)

// breaker remembers Redis failures so that requests do not each wait for
// a timeout: closed (ask Redis), open (skip it until openUntil), then one
// probe at a time (half-open) whose result closes it or reopens it for a
// doubled window. Each state change is logged once.
type breaker struct {
	logger *slog.Logger

	mu        sync.Mutex
	open      bool
	probing   bool
	window    time.Duration
	openUntil time.Time
}

// allow reports whether a call may go to Redis now (pass) and, while
// open, whether this caller should start the single background probe
// (probe), which must be followed by done.
func (b *breaker) allow() (pass, probe bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.open {
		return true, false
	}
	if b.probing || time.Now().Before(b.openUntil) {
		return false, false
	}
	b.probing = true
	return false, true
}

// done records the outcome of an allowed call: failed is a Redis error
// (not ErrNoCache).
func (b *breaker) done(failed bool, err error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.probing = false
	switch {
	case failed && !b.open:
		b.open, b.window = true, breakerMinWindow
		b.openUntil = time.Now().Add(b.window)
		b.logger.Warn("redis failed: serving the memoised schema cache without asking Redis", "retry_in_ms", b.window.Milliseconds(), "error", err.Error())
	case failed:
		b.window = min(2*b.window, breakerMaxWindow)
		b.openUntil = time.Now().Add(b.window)
	case b.open:
		b.open = false
		b.logger.Info("redis answers again: schema cache checks resume")
	}
}

// isOpen reports whether the breaker is open (Redis being skipped).
func (b *breaker) isOpen() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.open
}
