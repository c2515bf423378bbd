package listenerworker

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/pgrest-lambda/pgrest-lambda/cachestore"
)

// adminShutdownTimeout bounds how long ServeAdmin waits for in-flight
// probes and scrapes once its context is done.
const adminShutdownTimeout = 5 * time.Second

// AdminState is the worker's health as the admin server reports it,
// derived from the worker's hooks since Run exposes no state of its own.
//
// Live is true from NewAdminState until Close. Ready depends on the role:
//
//   - a leader is ready when its last event was a successful rebuild,
//     mirroring PostgREST's /ready, which answers 503 while the cache is not
//     loaded or its state is pending: not before the first successful
//     publish, not after a failed rebuild until one succeeds (the old
//     version stays published, but it is stale), and not after a
//     reconnection until the rebuild that follows it succeeds
//     (notifications sent while disconnected were lost);
//   - a standby is ready when its last attempt to take the leader lease
//     reached the cache store: it is ready to take over;
//   - a worker that has not yet reached the cache store is not ready.
type AdminState struct {
	mu      sync.Mutex
	live    bool
	loaded  bool
	role    Role
	leaseOK bool
	version int64
	rebuilt time.Time
	check   FingerprintCheck
	missed  int64
	schema  func(ctx context.Context) (any, error)
}

// NewAdminState returns a live, not yet ready state.
func NewAdminState() *AdminState { return &AdminState{live: true, role: RoleStarting} }

// Observe registers s's hooks on w and serves /schema_cache from w's cache
// store; call it before w.Run.
func (s *AdminState) Observe(w *Worker) {
	w.OnRebuild(s.RecordRebuild)
	w.OnReconnect(s.RecordReconnect)
	w.OnRole(s.RecordRole)
	w.OnLeaseCheck(s.RecordLeaseCheck)
	w.OnFingerprintCheck(s.RecordFingerprintCheck)
	reader := cachestore.NewReader(w.store, w.logger)
	s.mu.Lock()
	s.schema = func(ctx context.Context) (any, error) {
		snap, _, err := reader.Current(ctx)
		if err != nil {
			return nil, err
		}
		// The snapshot opens lazily; the endpoint shows all of it.
		return snap.Cache.Complete(ctx)
	}
	s.mu.Unlock()
}

// RecordRebuild makes s ready after a successful rebuild and not ready
// after a failed one.
func (s *AdminState) RecordRebuild(r cachestore.Rebuild) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.loaded = r.Err == nil
	if r.Err == nil {
		s.version, s.rebuilt = r.Version, r.Finished
	}
}

// RecordReconnect makes s not ready until the next successful rebuild.
func (s *AdminState) RecordReconnect() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.loaded = false
}

// RecordRole records the worker's role. A standby has reached the cache
// store (it learnt that another worker leads).
func (s *AdminState) RecordRole(r Role) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.role = r
	if r == RoleStandby {
		s.leaseOK = true
	}
}

// RecordLeaseCheck records whether a standby's last attempt to take the
// leader lease reached the cache store (err nil).
func (s *AdminState) RecordLeaseCheck(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.leaseOK = err == nil
}

// RecordFingerprintCheck records the last catalog fingerprint check.
func (s *AdminState) RecordFingerprintCheck(c FingerprintCheck) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.check = c
	if c.Changed {
		s.missed++
	}
}

// Close marks the worker as no longer running; call it when Run returns.
func (s *AdminState) Close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.live = false
}

// Live reports whether the worker is running.
func (s *AdminState) Live() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.live
}

// ready reports whether the worker is running and, as a leader, its last
// event was a successful rebuild or, as a standby, it reaches the cache
// store; s.mu is held.
func (s *AdminState) ready() bool {
	switch {
	case !s.live:
		return false
	case s.role == RoleLeader:
		return s.loaded
	case s.role == RoleStandby:
		return s.leaseOK
	}
	return false
}

// Status is the worker's state as /ready and /status report it in JSON.
type Status struct {
	// Role is starting, leader or standby.
	Role Role `json:"role"`
	// Ready is what /ready answers: see AdminState.
	Ready bool `json:"ready"`
	// Version is the version of the last successful rebuild, 0 before one.
	Version int64 `json:"version"`
	// LastRebuild is when the last successful rebuild finished.
	LastRebuild *time.Time `json:"last_rebuild"`
	// LastFingerprintCheck is when the last catalog fingerprint check
	// finished; null before the first (only a leader checks).
	LastFingerprintCheck *time.Time `json:"last_fingerprint_check"`
	// LastFingerprintResult is unchanged, changed, skipped or error.
	LastFingerprintResult string `json:"last_fingerprint_result,omitempty"`
	// NotificationQueueUsage is pg_notification_queue_usage() at the last
	// check.
	NotificationQueueUsage float64 `json:"notification_queue_usage"`
	// MissedNotifications counts the changes the fingerprint check caught.
	MissedNotifications int64 `json:"missed_notifications"`
}

// Status returns the worker's state.
func (s *AdminState) Status() Status {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := Status{Role: s.role, Ready: s.ready(), Version: s.version, MissedNotifications: s.missed,
		NotificationQueueUsage: s.check.QueueUsage}
	if !s.rebuilt.IsZero() {
		t := s.rebuilt.UTC()
		st.LastRebuild = &t
	}
	if c := s.check; !c.At.IsZero() || c.Err != nil {
		if !c.At.IsZero() {
			t := c.At.UTC()
			st.LastFingerprintCheck = &t
		}
		st.LastFingerprintResult = c.Result()
	}
	return st
}

// NewAdminHandler serves the endpoints of PostgREST's admin server for the
// worker, routing on the path only (any method), as PostgREST does:
//
//   - /live: 200 while s is live, else 500; empty body.
//   - /ready: 200 when s is ready (a healthy standby is), 503 while live
//     but not ready, 500 when not live; the body is the Status in JSON,
//     which names the role.
//   - /status: 200 with the Status in JSON.
//   - /schema_cache: the current schema cache in Redis as JSON, as
//     PostgREST's; 503 when there is none or Redis fails, 404 when s
//     observes no worker.
//   - /metrics: m's metrics (Metrics.Handler: text format unless Accept asks
//     for another exposition format); 404 when m is nil.
//   - anything else: 404 with an empty body.
func NewAdminHandler(s *AdminState, m *Metrics) http.Handler {
	var metrics http.Handler
	if m != nil {
		metrics = m.Handler()
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/live":
			if s.Live() {
				w.WriteHeader(http.StatusOK)
			} else {
				w.WriteHeader(http.StatusInternalServerError)
			}
		case "/ready":
			st := s.Status()
			switch {
			case !s.Live():
				writeJSON(w, http.StatusInternalServerError, st)
			case st.Ready:
				writeJSON(w, http.StatusOK, st)
			default:
				writeJSON(w, http.StatusServiceUnavailable, st)
			}
		case "/status":
			writeJSON(w, http.StatusOK, s.Status())
		case "/schema_cache":
			s.serveSchemaCache(w, r)
		case "/metrics":
			if metrics == nil {
				w.WriteHeader(http.StatusNotFound)
				return
			}
			metrics.ServeHTTP(w, r)
		default:
			w.WriteHeader(http.StatusNotFound)
		}
	})
}

// serveSchemaCache writes the current schema cache as JSON.
func (s *AdminState) serveSchemaCache(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	schema := s.schema
	s.mu.Unlock()
	if schema == nil {
		w.WriteHeader(http.StatusNotFound)
		return
	}
	sc, err := schema(r.Context())
	if err != nil {
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"message": err.Error()})
		return
	}
	writeJSON(w, http.StatusOK, sc)
}

// writeJSON writes v as a JSON body with status code.
func writeJSON(w http.ResponseWriter, code int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		w.WriteHeader(http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_, _ = w.Write(b)
}

// ServeAdmin serves h on addr (host:port; port 0 picks a free one) until
// ctx is done, then shuts down gracefully, waiting up to 5 s for requests
// in flight. It returns the error of listening on addr, or of serving,
// and nil after a shutdown caused by ctx.
func ServeAdmin(ctx context.Context, addr string, h http.Handler) error {
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", addr)
	if err != nil {
		return err
	}
	return serveAdmin(ctx, ln, h)
}

// serveAdmin is ServeAdmin on an open listener, which it closes.
func serveAdmin(ctx context.Context, ln net.Listener, h http.Handler) error {
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), adminShutdownTimeout)
	defer cancel()
	err := srv.Shutdown(shutdownCtx)
	if serveErr := <-served; !errors.Is(serveErr, http.ErrServerClosed) {
		return serveErr
	}
	return err
}
