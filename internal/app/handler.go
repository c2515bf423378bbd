// Package app wires PostgREST's pipeline stages into one http.Handler:
// role → schema cache → apirequest → plan → query → response. The Lambda
// entry point and the local HTTP server both run requests through it.
package app

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/pgrest-lambda/pgrest-lambda/internal/apirequest"
	"github.com/pgrest-lambda/pgrest-lambda/internal/config"
	"github.com/pgrest-lambda/pgrest-lambda/internal/openapi"
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
	Current(ctx context.Context) (*snapshot.Snapshot, int64, error)
}

// maxBodyBytes bounds the request body read into memory (API Gateway's own
// limit is 10 MB).
const maxBodyBytes = 10 << 20

// Handler serves the PostgREST API.
type Handler struct {
	cfg    *config.Config
	cache  CacheSource
	db     query.Pool
	logger *slog.Logger

	// effective is the configuration of the last snapshot seen: the
	// environment overlaid with the snapshot's in-database settings.
	mu        sync.Mutex
	effVer    int64
	effective *config.Config

	zones zoneSet
}

// New returns a Handler reading the schema cache from cache and running
// queries on db (a pgxpool.Pool). logger may be nil.
func New(cfg *config.Config, cache CacheSource, db query.Pool, logger *slog.Logger) *Handler {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Handler{cfg: cfg, cache: cache, db: db, logger: logger}
}

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	var resp *response.Response
	var version int64
	if preflight(r) {
		// Answered by the CORS policy before anything else, as in PostgREST.
		resp = &response.Response{Status: http.StatusOK, Headers: http.Header{}}
	} else {
		resp, version = h.serve(r)
	}
	corsHeaders(r, resp.Headers)
	resp.Write(w)
	h.logger.Info("request", "method", r.Method, "path", r.URL.Path, "status", resp.Status,
		"cache_version", version, "ms", float64(time.Since(start).Microseconds())/1000)
}

func (h *Handler) serve(r *http.Request) (*response.Response, int64) {
	ctx := r.Context()
	snap, version, err := h.cache.Current(ctx)
	if err != nil {
		h.logger.Error("no schema cache", "error", err.Error())
		return response.Error(pgrsterr.SchemaCacheEmpty()), 0
	}
	cfg := h.configFor(version, snap)
	role := cfg.DBAnonRole
	if role == "" {
		return response.Error(pgrsterr.AnonDisabled()), version
	}
	sc := snap.Cache
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBodyBytes))
	if err != nil {
		return response.Error(pgrsterr.InvalidBody("Could not read the request body")), version
	}
	req, perr := apirequest.Parse(r, body, cfg.DBSchemas)
	if perr != nil {
		return response.Error(perr), version
	}
	if perr := parseWriteBody(req, r.Header.Get("Content-Type"), body); perr != nil {
		return response.Error(perr), version
	}
	h.settleTimezone(ctx, &req.Preferences)
	resp, perr := h.run(ctx, cfg, req, r.URL.Path, role, sc, snap.RoleSettings[role])
	if perr != nil {
		return response.Error(perr), version
	}
	vary := "Accept, Prefer, Range"
	if len(cfg.DBSchemas) > 1 {
		// With several exposed schemas PostgREST names the one it used.
		resp.Headers.Set("Content-Profile", req.Schema)
		vary += ", " + profileHeader(req.Method)
	}
	if resp.Headers.Get("Vary") == "" {
		// Caches in front of the API (API Gateway, CloudFront) must key on
		// what selects the representation, as PostgREST's Vary does.
		resp.Headers.Set("Vary", vary)
	}
	return resp, version
}

// profileHeader is the request header that selects the schema for method.
func profileHeader(method string) string {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return "Accept-Profile"
	}
	return "Content-Profile"
}

// run plans and executes a parsed request.
func (h *Handler) run(ctx context.Context, cfg *config.Config, req *apirequest.Request, path, role string,
	sc *schemacache.SchemaCache, rs config.RoleSettings) (*response.Response, *pgrsterr.Error) {
	switch {
	case req.Method == http.MethodOptions:
		return options(req, sc)
	case req.Kind == apirequest.TargetRoot:
		return openapi.Respond(ctx, h.db, cfg, req, path, role, rs.Settings, sc)
	case isWrite(req):
		return h.mutate(ctx, cfg, req, path, role, sc, rs)
	case req.Kind == apirequest.TargetRelation && req.Method != http.MethodGet && req.Method != http.MethodHead:
		return nil, pgrsterr.UnsupportedMethod(req.Method)
	}
	p, err := plan.New(req, sc, plan.Options{MaxRows: cfg.DBMaxRows, AggregatesEnabled: cfg.DBAggregatesEnabled})
	if err != nil {
		return nil, err
	}
	settings := txSettings(cfg, req, path, role, rs)
	settings.ReadOnly = true
	// Negotiation, then strict preferences, come after planning (PostgREST's Plan).
	chosen, err := plan.NegotiateMedia(req, p, sc, cfg.DBPlanEnabled)
	if err != nil {
		return nil, err
	}
	media := chosen.Type
	if req.Preferences.Strict() && len(req.Preferences.Invalid) > 0 {
		return nil, pgrsterr.InvalidPreferences(req.Preferences.Invalid)
	}
	out := query.Output{Media: media, Head: req.Method == http.MethodHead, Count: req.Preferences.Count,
		MaxRows: cfg.DBMaxRows, Handler: chosen.Handler}
	var q query.Query
	if p.Call != nil {
		settings.ReadOnly = p.Call.ReadOnly
		if lvl := p.Call.Routine.IsolationLevel; lvl != "" {
			settings.IsolationLevel = lvl
		}
		settings.FuncSettings = p.Call.Routine.Settings
		q, err = query.Call(p.Call, out)
	} else {
		q, err = query.Read(p.Read, out)
	}
	if err != nil {
		return nil, err
	}
	var check func(*query.Result) *pgrsterr.Error
	if p.Call != nil && req.Preferences.Strict() && req.Preferences.MaxAffected != nil {
		check = maxAffected(*req.Preferences.MaxAffected)
	}
	res, err := query.ExecuteChecked(ctx, h.db, settings, q, check)
	if err != nil {
		return nil, err
	}
	var offset int64
	if req.Offset != nil {
		offset = *req.Offset
	}
	return response.Read(response.Outcome{
		Method: req.Method, Media: media, Prefs: req.Preferences,
		Call: p.Call != nil, Void: q.Void, Offset: offset, Result: res,
	}), nil
}

// configFor returns the effective configuration for a snapshot version:
// the environment overlaid with the in-database settings the worker
// published (precedence in-db > env, as PostgREST). An invalid in-database
// value keeps the environment configuration, as PostgREST keeps its old
// configuration on a bad reload.
func (h *Handler) configFor(version int64, snap *snapshot.Snapshot) *config.Config {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.effective != nil && h.effVer == version {
		return h.effective
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
	h.effVer, h.effective = version, eff
	return eff
}

// txSettings are the transaction-scoped settings of a request: its role
// and the role's settings, the selected schema followed by
// db-extra-search-path, request.method / request.path, the request's
// headers, cookies and claims, and db-pre-request.
//
// It also settles `Prefer: tx=` under db-tx-end: the preference stays in
// req only when honoured, so Preference-Applied reports it.
func txSettings(cfg *config.Config, req *apirequest.Request, path, role string, rs config.RoleSettings) query.TxSettings {
	rollback, honoured := cfg.TxEnd(req.Preferences.Tx)
	if !honoured {
		req.Preferences.Tx = ""
	}
	return query.TxSettings{
		Rollback:     rollback,
		Role:         role,
		RoleSettings: rs.Settings,
		// A routine's own level overrides the role's (see read).
		IsolationLevel: rs.IsolationLevel,
		SearchPath:     append([]string{req.Schema}, cfg.DBExtraSearchPath...),
		Method:         req.Method,
		Path:           path,
		Claims:         anonClaims(role),
		Headers:        headersJSON(req.Headers),
		Cookies:        cookiesJSON(req.Headers["cookie"]),
		Timezone:       req.Preferences.Timezone,
		PreRequest:     cfg.PreRequestSQL(),
		AppSettings:    cfg.AppSettings,
	}
}
