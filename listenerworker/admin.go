package listenerworker

import (
	"context"
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
// Live is true from NewAdminState until Close. Ready additionally needs
// the last event to be a successful rebuild, mirroring PostgREST's /ready,
// which answers 503 while the cache is not loaded or its state is pending:
//
//   - before the first successful publish, not ready;
//   - after a failed rebuild, not ready until one succeeds (PostgREST drops
//     its cache and retries on a failed load; the worker keeps the old
//     version published, but it is stale);
//   - after a reconnection, not ready until the rebuild that follows it
//     succeeds. The worker reports a reconnection once it is listening
//     again, so the disconnected interval itself cannot be observed; but
//     notifications sent during it were lost and the published cache may
//     be stale until that rebuild.
type AdminState struct {
	mu     sync.Mutex
	live   bool
	loaded bool
}

// NewAdminState returns a live, not yet ready state.
func NewAdminState() *AdminState { return &AdminState{live: true} }

// Observe registers s's hooks on w; call it before w.Run.
func (s *AdminState) Observe(w *Worker) {
	w.OnRebuild(s.RecordRebuild)
	w.OnReconnect(s.RecordReconnect)
}

// RecordRebuild makes s ready after a successful rebuild and not ready
// after a failed one.
func (s *AdminState) RecordRebuild(r cachestore.Rebuild) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.loaded = r.Err == nil
}

// RecordReconnect makes s not ready until the next successful rebuild.
func (s *AdminState) RecordReconnect() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.loaded = false
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

// Ready reports whether the worker is running and its last event was a
// successful rebuild.
func (s *AdminState) Ready() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.live && s.loaded
}

// NewAdminHandler serves the admin endpoints of PostgREST's admin server
// for the worker, routing on the path only (any method), as PostgREST does:
//
//   - /live: 200 while s is live, else 500; empty body.
//   - /ready: 200 when s is ready, 503 while live but not ready, 500 when
//     not live; empty body.
//   - /metrics: m's metrics (Metrics.Handler: text format unless Accept asks
//     for another exposition format); 404 when m is nil.
//   - anything else: 404 with an empty body.
//
// PostgREST's /schema_cache is not served: the cache is in Redis.
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
			switch {
			case !s.Live():
				w.WriteHeader(http.StatusInternalServerError)
			case s.Ready():
				w.WriteHeader(http.StatusOK)
			default:
				w.WriteHeader(http.StatusServiceUnavailable)
			}
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
