package cachestore

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/pgrest-lambda/pgrest-lambda/internal/config"
	"github.com/pgrest-lambda/pgrest-lambda/internal/schemacache"
	"github.com/pgrest-lambda/pgrest-lambda/internal/snapshot"
)

// Builder reserves a version, builds a snapshot of the schema cache,
// encodes it and publishes it: the listener worker's rebuild, and a cold
// request function's first build.
type Builder struct {
	// Config is the environment configuration.
	Config *config.Config
	// DB runs the catalog queries (a pool on PGRST_DB_URI).
	DB schemacache.Beginner
	// Store receives the snapshot.
	Store *Store
	// WorkerID is recorded in the version's metadata.
	WorkerID string
	// Logger may be nil.
	Logger *slog.Logger
	// Extra, when set, runs in the catalog snapshot of each build
	// (schemacache.LoadOptions.Extra).
	Extra func(ctx context.Context, tx pgx.Tx) error
}

// Rebuild describes one finished build-and-publish attempt, successful or
// not.
type Rebuild struct {
	// Trigger is what caused it: startup, notify, reconnect, manual,
	// cold-start, fingerprint (a catalog change seen without a
	// notification) or queue (a nearly full notification queue).
	Trigger string
	// Requested is when the first trigger served by this rebuild arrived
	// (a NOTIFY's arrival, for instance); Requested..Finished is the
	// trigger-to-published latency. Builder.Build leaves it to the caller.
	Requested time.Time
	// Started and Finished bound the build and publish.
	Started, Finished time.Time
	// Version is the current version after the attempt, 0 on failure.
	Version int64
	// Outcome is the publish outcome: published, unchanged, "unchanged,
	// unpinned" or stale (see PublishResult).
	Outcome string
	// Bytes is the size of the published blob.
	Bytes int
	// QueryMs are the introspection queries' durations in ms, by label.
	QueryMs map[string]float64
	// Err is the failure, nil on success.
	Err error
}

// Build reserves a version, builds the snapshot (snapshot.Build), encodes
// it and publishes it (compare-and-set: skipped when a later build is
// already current or the content is unchanged). The returned Rebuild has
// Err set on failure (Store's, snapshot.Build's or the encoder's);
// Requested is left to the caller.
func (b *Builder) Build(ctx context.Context, trigger string) Rebuild {
	ev := Rebuild{Trigger: trigger, Started: time.Now()}
	finish := func(err error) Rebuild {
		ev.Err, ev.Finished = err, time.Now()
		return ev
	}
	logger := b.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	// Reserving before reading the catalog orders versions like catalog
	// snapshots: a slower, older build can never replace a newer one.
	version, err := b.Store.Reserve(ctx)
	if err != nil {
		return finish(err)
	}
	var extra []func(context.Context, pgx.Tx) error
	if b.Extra != nil {
		extra = append(extra, b.Extra)
	}
	snap, err := snapshot.Build(ctx, b.DB, b.Config, logger, extra...)
	if err != nil {
		return finish(err)
	}
	sc := snap.Cache
	ev.QueryMs = sc.Timings
	if dropped := snap.DroppedSecrets(b.Store.Keys); len(dropped) > 0 {
		logger.Warn("secret in-database settings are not published without PGRST_CACHE_SIGNING_KEY; request functions use the environment's",
			"settings", dropped)
	}
	blob, err := snap.EncodeWith(b.Store.Keys)
	if err != nil {
		return finish(err)
	}
	ev.Bytes = len(blob)
	buildMs := float64(time.Since(ev.Started).Microseconds()) / 1000
	res, err := b.Store.Publish(ctx, version, blob, Meta{
		Trigger: trigger, WorkerID: b.WorkerID, BuildMs: buildMs, BuiltAt: snap.Header.BuiltAt.Format(time.RFC3339Nano),
		ContentHash: snap.Header.ContentHash, QueryMs: sc.Timings,
		Tables: len(sc.Tables), Relationships: len(sc.Relationships), Routines: len(sc.Routines),
		Extra: map[string]string{
			"format": strconv.Itoa(int(snapshot.FormatVersion)), "pg_version": strconv.Itoa(sc.PgVersion),
			"schemas": strings.Join(sc.Schemas, ","), "config_fingerprint": snap.Header.ConfigFingerprint,
			"key_id": snap.Header.KeyID,
		},
	})
	if err != nil {
		return finish(err)
	}
	ev.Version, ev.Outcome = res.Current, res.Outcome
	if res.Published || res.Outcome == "unchanged, unpinned" {
		if err := b.notice(ctx, res.Current); err != nil {
			// Listening request functions still see the version within
			// their ListenTrust; the others never depended on the notice.
			logger.Warn("schema cache notice not sent", "version", res.Current, "channel", NoticeChannel, "error", err.Error())
		}
	}
	logger.Info("schema cache "+res.Outcome, "version", res.Current, "reserved", version, "trigger", trigger,
		"build_ms", buildMs, "bytes", len(blob), "tables", len(sc.Tables), "relationships", len(sc.Relationships),
		"routines", len(sc.Routines), "query_ms", sc.Timings)
	return finish(nil)
}

// notice announces version on NoticeChannel, in a transaction of its own
// on b.DB: listening request functions read it ahead of their next
// statement's results, after Redis holds the version.
func (b *Builder) notice(ctx context.Context, version int64) error {
	tx, err := b.DB.BeginTx(ctx, pgx.TxOptions{})
	if err != nil {
		return err
	}
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()
	if _, err := tx.Exec(ctx, "SELECT pg_notify($1, $2)", NoticeChannel, NoticePayload(b.Store.Prefix(), version)); err != nil {
		return err
	}
	return tx.Commit(ctx)
}

// ColdStart builds and publishes the first snapshot of an empty namespace
// for a request function (ReaderOptions.Build), with trigger "cold-start".
// It returns Build's error.
func (b *Builder) ColdStart(ctx context.Context) error {
	return b.Build(ctx, "cold-start").Err
}

// NewReader returns the request side's Reader over b.Store: it revalidates
// at most every PGRST_CACHE_REVALIDATE_MS and, finding Redis empty, builds
// the first snapshot with b under the build lease.
func (b *Builder) NewReader() *Reader {
	return b.NewListeningReader(nil)
}

// NewListeningReader is NewReader for a request function whose database
// connections listen on NoticeChannel and report to notices
// (PGRST_CACHE_LISTEN; nil is NewReader). PGRST_CACHE_REVALIDATE_MS then
// bounds how long the memo is trusted without a notice (ListenTrust; 0
// leaves the default, 1 s) and the memo is never fresh by time alone: a
// write still asks Redis before its transaction.
func (b *Builder) NewListeningReader(notices *Notices) *Reader {
	opts := ReaderOptions{
		RevalidateEvery: time.Duration(b.Config.CacheRevalidateMs) * time.Millisecond,
		Build:           b.ColdStart,
		Holder:          HolderToken(b.WorkerID),
		Logger:          b.Logger,
	}
	if notices != nil {
		opts.Notices, opts.ListenTrust, opts.RevalidateEvery = notices, opts.RevalidateEvery, 0
	}
	return NewReaderWithOptions(b.Store, opts)
}

// DefaultWorkerID is hostname:pid, the worker id (recorded in version
// metadata and lease holders) when PGRST_WORKER_ID is unset.
func DefaultWorkerID() string {
	host, err := os.Hostname()
	if err != nil {
		host = "unknown"
	}
	return host + ":" + strconv.Itoa(os.Getpid())
}

// HolderToken returns a lease holder token for id: id, "/" and 12 random
// hex characters, so two processes configured with the same id never both
// believe they hold a lease.
func HolderToken(id string) string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return id + "/" + hex.EncodeToString(b)
}
