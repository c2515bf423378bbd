package cachestore

import (
	"log/slog"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/pgrest-lambda/pgrest-lambda/internal/config"
	"github.com/pgrest-lambda/pgrest-lambda/internal/pgpool"
)

// NoticeChannel is the PostgreSQL channel on which a Builder announces
// each version it makes current, after Redis holds it: NOTIFY
// pgrst_cache, '<key prefix> <version>'. Request functions with
// PGRST_CACHE_LISTEN LISTEN on it from every pooled connection.
const NoticeChannel = "pgrst_cache"

// NoticePayload is the payload announcing version under key prefix
// (PGRST_CACHE_KEY_PREFIX, which holds no spaces).
func NoticePayload(prefix string, version int64) string {
	return prefix + " " + strconv.FormatInt(version, 10)
}

// Notices counts what may have moved the current version since a Reader
// last asked Redis, as seen on a request function's own database
// connections: notices of newer versions, and connections that began to
// listen (a notice sent before could not reach them). PostgreSQL delivers
// a notice to an idle listening session at once, so it waits in that
// connection's socket and is read ahead of the next statement's results:
// a read whose transaction ran on a connection listening since before
// the notice was sent sees it by the time its results are read.
//
// Its methods are safe for concurrent use; Observe and Listening run on
// the driver's goroutines and only touch atomics.
type Notices struct {
	prefix string
	logger *slog.Logger
	gen    atomic.Uint64
	// refused is set once a server refused to LISTEN (a hot standby):
	// that connection hears no notice, so the memo is never untouched.
	refused atomic.Bool
	// held is the version the Reader serves: notices of it or older
	// versions change nothing.
	held atomic.Int64
}

// NewNotices returns the Notices of key prefix (PGRST_CACHE_KEY_PREFIX);
// logger (nil discards) hears of a refused LISTEN.
func NewNotices(prefix string, logger *slog.Logger) *Notices {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Notices{prefix: prefix, logger: logger}
}

// Observe takes the payload of a notice on NoticeChannel. A notice of
// another prefix, of a version not newer than the one held, or that does
// not parse changes nothing.
func (n *Notices) Observe(payload string) {
	i := strings.LastIndexByte(payload, ' ')
	if i < 0 || payload[:i] != n.prefix {
		return
	}
	v, err := strconv.ParseInt(payload[i+1:], 10, 64)
	if err != nil || v <= n.held.Load() {
		return
	}
	n.gen.Add(1)
}

// Listening records that a connection began to listen: the memo has to be
// confirmed in Redis again, since a notice sent before reached no one
// on that connection.
func (n *Notices) Listening() { n.gen.Add(1) }

// Refused records that a server refused to LISTEN: from then on the
// Reader asks Redis for every request, as without PGRST_CACHE_LISTEN. It
// is logged once.
func (n *Notices) Refused(err error) {
	if !n.refused.Swap(true) {
		n.logger.Warn("PGRST_CACHE_LISTEN: the database refused LISTEN; the schema cache version is checked in Redis on every request",
			"channel", NoticeChannel, "error", err.Error())
	}
}

// Generation counts the notices and new listeners so far; a Reader
// trusts its memo only while it is unchanged since the memo was confirmed.
func (n *Notices) Generation() uint64 { return n.gen.Load() }

// hold records the version the Reader now serves.
func (n *Notices) hold(v int64) { n.held.Store(v) }

// Listening returns the Notices of a request function and how its pool
// listens for them (pgpool.ConnectListening) when cfg.CacheListen
// (PGRST_CACHE_LISTEN) is set; nil and the zero Listen otherwise. logger
// (nil discards) hears of a refused LISTEN.
func Listening(cfg *config.Config, logger *slog.Logger) (*Notices, pgpool.Listen) {
	if !cfg.CacheListen {
		return nil, pgpool.Listen{}
	}
	n := NewNotices(cfg.CacheKeyPrefix, logger)
	return n, pgpool.Listen{Channel: NoticeChannel, OnNotice: n.Observe, OnListen: n.Listening, OnRefused: n.Refused}
}
