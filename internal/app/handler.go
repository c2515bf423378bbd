package app

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"runtime/debug"
	"sync"
	"time"

	"github.com/pgrest-lambda/pgrest-lambda/internal/apirequest"
	"github.com/pgrest-lambda/pgrest-lambda/internal/auth"
	"github.com/pgrest-lambda/pgrest-lambda/internal/config"
	"github.com/pgrest-lambda/pgrest-lambda/internal/maintx"
	"github.com/pgrest-lambda/pgrest-lambda/internal/pgrsterr"
	"github.com/pgrest-lambda/pgrest-lambda/internal/plan"
	"github.com/pgrest-lambda/pgrest-lambda/internal/query"
	"github.com/pgrest-lambda/pgrest-lambda/internal/response"
	"github.com/pgrest-lambda/pgrest-lambda/internal/schemacache"
	"github.com/pgrest-lambda/pgrest-lambda/internal/snapshot"
)

// CacheSource gives the current snapshot and its version;
// *cachestore.Reader is one.
type CacheSource interface {
	// Current returns the current snapshot and its version, asking Redis
	// unless the memo is fresh.
	Current(ctx context.Context) (*snapshot.Snapshot, int64, error)
	// Memo returns the memoised snapshot and version without a round trip
	// (nil before the first Current) and whether it is fresh enough that
	// Current would not ask Redis.
	Memo() (*snapshot.Snapshot, int64, bool)
}

// NoticedSource is a CacheSource told of new versions by notices on the
// request's own database connections (PGRST_CACHE_LISTEN);
// *cachestore.Reader is one.
type NoticedSource interface {
	// Untouched returns the memo, its version and the notice generation
	// when no notice or new listening connection arrived since Redis last
	// confirmed the memo; ok is false otherwise (and always without
	// notices).
	Untouched() (snap *snapshot.Snapshot, version int64, gen uint64, ok bool)
	// Touched reports whether one arrived since generation gen.
	Touched(gen uint64) bool
}

// maxBodyBytes bounds the request body read into memory, 10 MiB (API
// Gateway's own limit is 10 MB, a Lambda invocation's 6 MB): a longer body
// is refused whole with 413, never truncated.
const maxBodyBytes = 10 << 20

// Handler serves the PostgREST API.
type Handler struct {
	cfg    *config.Config
	cache  CacheSource
	db     maintx.Pool
	logger *slog.Logger

	// effective is the configuration of the last snapshot seen: the
	// environment overlaid with the snapshot's in-database settings;
	// authn verifies tokens for it (nil when its keys could not be loaded).
	mu        sync.Mutex
	effVer    int64
	effective *config.Config
	authn     *auth.Authenticator

	zones maintx.Timezones
	plans planMemo
}

// New returns a Handler reading the schema cache from cache and running
// queries on db (a pgxpool.Pool). logger may be nil.
func New(cfg *config.Config, cache CacheSource, db maintx.Pool, logger *slog.Logger) *Handler {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Handler{cfg: cfg, cache: cache, db: db, logger: logger}
}

// ServeHTTP implements http.Handler. A panic in a stage is recovered into
// a 500 PGRSTX00 naming the request id, and logged with its stack, so one
// request never takes the process (or the Lambda container) down.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	var resp *response.Response
	var version int64
	defer func() {
		if p := recover(); p != nil {
			id := requestID(r)
			h.logger.Error("panic serving a request", "request_id", id, "method", r.Method, "path", r.URL.Path,
				"panic", fmt.Sprint(p), "stack", string(debug.Stack()))
			resp = response.Error(pgrsterr.Internal("request id " + id))
			corsHeaders(r, resp.Headers)
			resp.Write(w)
		}
	}()
	if preflight(r) {
		// Answered by the CORS policy before anything else, as in PostgREST.
		resp = &response.Response{Status: http.StatusOK, Headers: http.Header{}}
	} else {
		resp, version = h.serve(r, start)
	}
	corsHeaders(r, resp.Headers)
	resp.Write(w)
	// As Info with the same pairs, without boxing each value.
	h.logger.LogAttrs(context.Background(), slog.LevelInfo, "request", slog.String("method", r.Method),
		slog.String("path", r.URL.Path), slog.Int("status", resp.Status), slog.Int64("cache_version", version),
		slog.Float64("ms", float64(time.Since(start).Microseconds())/1000))
}

// serve runs one request down the pipeline, each stage once, and returns
// its response with the snapshot version it was served from. With
// server-timing-enabled the response reports each stage's duration.
//
// The version check (one Redis round trip with revalidate 0) overlaps the
// request's own work on the memoised snapshot instead of preceding it: a
// read-only action is planned on the memo and its statements sent, and the
// check runs while they are in flight (the connection stays held until
// both answered); the response stands only if the check confirms the
// version, otherwise the request is planned and run again from the new
// snapshot. An action that may write runs the check before its
// transaction starts, so nothing commits under a stale plan. The check is
// a Redis read begun after the request arrived (arrived), possibly shared
// with concurrent requests (cachestore.Reader.CurrentSince).
func (h *Handler) serve(r *http.Request, arrived time.Time) (*response.Response, int64) {
	ctx := r.Context()
	in := readBody(r)
	if ns, ok := h.cache.(NoticedSource); ok {
		if memo, memoVer, gen, ok := ns.Untouched(); ok {
			return h.serveNoticed(ctx, r, in, ns, memo, memoVer, gen)
		}
	}
	memo, memoVer, fresh := h.cache.Memo()
	if memo == nil || fresh {
		snap, version, err := h.cache.Current(ctx)
		if err != nil {
			h.logger.Error("no schema cache", "error", err.Error())
			return response.Error(pgrsterr.SchemaCacheEmpty()), 0
		}
		resp, _ := h.serveFrom(ctx, r, in, snap, version, nil)
		return resp, version
	}
	check := overlappedCheck(ctx, h.cache, arrived)
	resp, stale := h.serveFrom(ctx, r, in, memo, memoVer, check)
	snap, version, err := check.wait()
	if !stale && (err != nil || version == memoVer) {
		// A failed check serves the memo, as Current itself would.
		return resp, memoVer
	}
	resp, _ = h.serveFrom(ctx, r, in, snap, version, nil)
	return resp, version
}

// serveNoticed serves r from an untouched memo (PGRST_CACHE_LISTEN)
// without asking Redis, unless it must: a write asks before its
// transaction starts; a read whose transaction saw a notice or a new
// listening connection (ns.Touched, read once its results are in), or any
// error response, asks afterwards and is planned and run again when the
// version moved. An error may come from planning on a memo that a notice
// still waiting in an idle connection's socket would have replaced.
func (h *Handler) serveNoticed(ctx context.Context, r *http.Request, in body, ns NoticedSource,
	memo *snapshot.Snapshot, memoVer int64, gen uint64) (*response.Response, int64) {
	check := lazyCheck(ctx, h.cache)
	resp, stale := h.serveFrom(ctx, r, in, memo, memoVer, check)
	if !stale && resp.Status < http.StatusBadRequest && !ns.Touched(gen) {
		return resp, memoVer
	}
	snap, version, err := check.wait()
	if !stale && (err != nil || version == memoVer) {
		return resp, memoVer
	}
	resp, _ = h.serveFrom(ctx, r, in, snap, version, nil)
	return resp, version
}

// serveFrom runs the request on snap. With a pending check, an action
// that may write waits for it first and, when it found another version,
// returns stale without touching the database.
func (h *Handler) serveFrom(ctx context.Context, r *http.Request, in body, snap *snapshot.Snapshot, version int64,
	check *cacheCheck) (resp *response.Response, stale bool) {
	cfg, authn := h.configFor(version, snap)
	t := newTiming(cfg.ServerTimingEnabled)
	who, perr := authenticate(ctx, r, cfg, authn)
	t.mark("jwt")
	if perr != nil {
		return t.done(h.errorResponse(r, perr)), false
	}
	env := plan.Env{Config: cfg, Role: who.Role, Claims: string(who.Claims), Authenticated: who.Authenticated,
		RoleSettings: snap.RoleSettings[who.Role]}
	a, q, perr := h.prepare(ctx, r, in, snap.Cache, env, t)
	if perr != nil {
		return t.done(h.errorResponse(r, perr)), false
	}
	if check != nil && !a.Tx.ReadOnly {
		if _, v, err := check.wait(); err == nil && v != version {
			return nil, true
		}
	}
	var whileSent func()
	if check != nil && check.overlap {
		whileSent = func() { check.wait() }
	}
	res, perr := maintx.Run(ctx, h.db, a, q, whileSent)
	if a.Kind != plan.ActionInfo {
		t.mark("transaction")
	}
	if perr != nil {
		return t.done(h.errorResponse(r, perr)), false
	}
	resp = response.New(a, res)
	if limit := cfg.Limits.ResponseBytes; limit > 0 && len(resp.Body) > limit {
		resp = response.Error(pgrsterr.ResponseTooLarge(len(resp.Body), limit))
	}
	t.mark("response")
	return t.done(resp), false
}

// body is a request body read whole, or the error reading it gives: it is
// read once, before the pipeline, so a request planned again from a newer
// snapshot reads the same bytes.
type body struct {
	bytes []byte
	err   *pgrsterr.Error
}

// readBody reads r's body up to maxBodyBytes; a longer one is an error
// (413), never truncated.
func readBody(r *http.Request) body {
	if r.Body == nil || r.Body == http.NoBody {
		return body{}
	}
	b, err := io.ReadAll(io.LimitReader(r.Body, maxBodyBytes+1))
	switch {
	case err != nil:
		return body{err: pgrsterr.InvalidBody("Could not read the request body")}
	case len(b) > maxBodyBytes:
		return body{err: pgrsterr.BodyTooLarge(maxBodyBytes)}
	}
	return body{bytes: b}
}

// prepare runs the stages that need no database: parse (apirequest), plan
// and query. A GET or HEAD alike an earlier one on the same schema cache
// and configuration takes that one's plan and query from the memo
// (planMemo), with its own claims and headers. The zone names are read
// only for a request that names a zone.
func (h *Handler) prepare(ctx context.Context, r *http.Request, in body, sc *schemacache.SchemaCache, env plan.Env,
	t *timing) (*plan.Action, query.Query, *pgrsterr.Error) {
	var buf [256]byte
	key, memoise := planKey(buf[:0], r, in, env)
	if memoise {
		if p, ok := h.plans.get(sc, env.Config, key); ok {
			t.mark("parse")
			t.mark("plan")
			return p.a.ForRequest(apirequest.LowerHeaders(r.Header), env), p.q, nil
		}
	}
	req, a, q, other, perr := h.prepareFresh(ctx, r, in, sc, env, t)
	// Not memoised: a plan that depends on the zone names (from the
	// database, not the request), or one made from another cache than sc.
	if memoise && perr == nil && !other && (a.Kind == plan.ActionRead || a.Kind == plan.ActionCall) &&
		req.Preferences.Timezone == "" {
		h.plans.put(sc, env.Config, key, memoPlan{a: a, q: q})
	}
	return a, q, perr
}

// prepareFresh is prepare without the memo; it also returns the parsed
// request (nil when parsing failed) and whether the plan was made from
// another cache than sc (buildLazy).
func (h *Handler) prepareFresh(ctx context.Context, r *http.Request, in body, sc *schemacache.SchemaCache, env plan.Env,
	t *timing) (req *apirequest.Request, a *plan.Action, q query.Query, other bool, perr *pgrsterr.Error) {
	if in.err != nil {
		t.mark("parse")
		return nil, nil, query.Query{}, false, in.err
	}
	req, perr = apirequest.Parse(r, in.bytes, env.Config.DBSchemas)
	if perr == nil {
		perr = apirequest.CheckLimits(req, env.Config.Limits)
	}
	t.mark("parse")
	if perr != nil {
		return nil, nil, query.Query{}, false, perr
	}
	if req.Preferences.Timezone != "" {
		var err error
		if env.Zones, err = h.zones.Names(ctx, h.db); err != nil {
			// The preference is then dropped, so the request still runs.
			h.logger.Error("reading pg_timezone_names", "error", err.Error())
		}
	}
	if !sc.Lazy() {
		a, q, perr = build(req, sc, env, t)
	} else {
		a, q, other, perr = h.buildLazy(ctx, req, sc, env, t)
	}
	return req, a, q, other, perr
}

// buildLazy plans req against a lazily backed cache (a snapshot opened
// from Redis): it loads the sections of the names the request mentions,
// plans, and while planning found a section it needed not loaded, loads
// what it missed and plans again (each round loads at least one section;
// at most schemacache.MaxPrefetchRounds). The root (OpenAPI) loads the
// whole cache. A section that cannot be loaded (Redis down, the version
// dropped, a section not authentic) is a 503 PGRST002, never a planning
// error drawn from a partial cache. other reports a plan made from
// another snapshot's cache than sc, after a section of sc was rejected.
func (h *Handler) buildLazy(ctx context.Context, req *apirequest.Request, sc *schemacache.SchemaCache, env plan.Env,
	t *timing) (a *plan.Action, q query.Query, other bool, perr *pgrsterr.Error) {
	fail := func(err error) (*plan.Action, query.Query, bool, *pgrsterr.Error) {
		h.logger.Error("loading schema cache sections", "error", err.Error())
		// A section that is not authentic makes the source go back to its
		// last good snapshot: the request is planned once more from it.
		if rj, ok := h.cache.(sectionRejecter); ok && rj.RejectSections(sc, err) {
			if snap, _, cerr := h.cache.Current(ctx); cerr == nil && snap.Cache != sc {
				if !snap.Cache.Lazy() {
					a, q, perr := build(req, snap.Cache, env, t)
					return a, q, true, perr
				}
				a, q, _, perr := h.buildLazy(ctx, req, snap.Cache, env, t)
				return a, q, true, perr
			}
		}
		t.mark("plan")
		return nil, query.Query{}, false, pgrsterr.SchemaCacheEmpty()
	}
	if req.Kind == apirequest.TargetRoot {
		whole, err := sc.Complete(ctx)
		if err != nil {
			return fail(err)
		}
		a, q, perr := build(req, whole, env, t)
		return a, q, false, perr
	}
	view := sc.View()
	var names [8]schemacache.QI // enough for most requests, on the stack
	if err := view.Prefetch(ctx, requestNames(names[:0], req)...); err != nil {
		return fail(err)
	}
	for range schemacache.MaxPrefetchRounds {
		a, q, perr := build(req, view, env, t)
		if !view.Missed() {
			return a, q, false, perr
		}
		if err := view.Prefetch(ctx); err != nil {
			return fail(err)
		}
	}
	return fail(schemacache.ErrTooManyRounds)
}

// sectionRejecter is a CacheSource that can be told a section of its
// current snapshot failed to load (*cachestore.Reader): a section that is
// not authentic makes it serve its last good snapshot again, and it
// reports whether it did.
type sectionRejecter interface {
	RejectSections(sc *schemacache.SchemaCache, err error) bool
}

// requestNames appends to dst the qualified names a request mentions: its
// target and every embedded resource's target and hint, in the request's
// schema. They are guesses (an embedding may name a constraint or a
// column), so planning still records what it misses.
func requestNames(dst []schemacache.QI, req *apirequest.Request) []schemacache.QI {
	return embedNames(append(dst, schemacache.QI{Schema: req.Schema, Name: req.Name}), req.Schema, req.Select)
}

// embedNames appends the targets and hints of the embeddings in items,
// nested ones included, in schema.
func embedNames(dst []schemacache.QI, schema string, items []apirequest.SelectItem) []schemacache.QI {
	for i := range items {
		if e := items[i].Embed; e != nil {
			dst = append(dst, schemacache.QI{Schema: schema, Name: e.Target})
			if e.Hint != "" {
				dst = append(dst, schemacache.QI{Schema: schema, Name: e.Hint})
			}
			dst = embedNames(dst, schema, e.Select)
		}
	}
	return dst
}

// build plans req and builds its query.
func build(req *apirequest.Request, sc *schemacache.SchemaCache, env plan.Env, t *timing) (*plan.Action, query.Query, *pgrsterr.Error) {
	a, perr := plan.New(req, sc, env)
	if perr != nil {
		t.mark("plan")
		return nil, query.Query{}, perr
	}
	q, perr := query.Build(a)
	if a.Kind != plan.ActionInfo {
		t.mark("plan")
	}
	if perr != nil {
		return nil, query.Query{}, perr
	}
	return a, q, nil
}

// errorResponse is the response for perr; a failure with an underlying
// cause (a driver error) is logged with it, since the response never
// carries it.
func (h *Handler) errorResponse(r *http.Request, perr *pgrsterr.Error) *response.Response {
	if perr.Cause != nil {
		h.logger.Error("request failed", "request_id", requestID(r), "code", perr.Code, "error", perr.Cause.Error())
	}
	return response.Error(perr)
}

// configFor returns the effective configuration for a snapshot version —
// the environment overlaid with the in-database settings the worker
// published (precedence in-db > env, as PostgREST) — and the
// Authenticator for it, rebuilt only when the configuration changed (it
// keeps a fetched JWKS across versions). An invalid in-database value
// keeps the environment configuration, as PostgREST keeps its old
// configuration on a bad reload.
func (h *Handler) configFor(version int64, snap *snapshot.Snapshot) (*config.Config, *auth.Authenticator) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.effective != nil && h.effVer == version {
		return h.effective, h.authn
	}
	eff := h.cfg
	if len(snap.DBSettings) > 0 {
		c, err := h.cfg.WithDBSettings(snap.DBSettings)
		if err != nil {
			h.logger.Error("invalid in-database configuration; using the environment's", "version", version, "error", err.Error())
		} else {
			eff = c
		}
	}
	if eff != h.effective {
		h.authn = h.authenticatorFor(eff)
	}
	h.effVer, h.effective = version, eff
	return eff, h.authn
}

// authenticatorFor builds the Authenticator of cfg, from the previous one
// when there is one; nil (logged) when cfg's keys hold no usable key.
func (h *Handler) authenticatorFor(cfg *config.Config) *auth.Authenticator {
	var (
		a   *auth.Authenticator
		err error
	)
	if h.authn != nil {
		a, err = h.authn.Reconfigure(cfg)
	} else {
		a, err = auth.New(cfg, auth.Options{Logger: h.logger})
	}
	if err != nil {
		h.logger.Error("the JWT keys are unusable; tokens will be refused", "error", err.Error())
		return nil
	}
	return a
}
