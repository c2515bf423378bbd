package listenerworker

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"
)

// healthCheckInterval is how long the listener waits for a notification
// before pinging its idle connection, so a silently dead connection is
// noticed and replaced.
const healthCheckInterval = 5 * time.Second

// listen keeps a LISTEN connection open until ctx ends, reconnecting with
// backoff. The first successful LISTEN triggers the startup build; later
// ones trigger a rebuild because notifications may have been lost.
func (w *Worker) listen(ctx context.Context) {
	delay := time.Second
	trigger := "startup"
	for ctx.Err() == nil {
		err := w.listenOnce(ctx, func() {
			if trigger == "reconnect" {
				w.mu.Lock()
				hooks := append([]func(){}, w.onReconnect...)
				w.mu.Unlock()
				for _, f := range hooks {
					f()
				}
			}
			w.Trigger(trigger)
			trigger, delay = "reconnect", time.Second
		})
		if ctx.Err() != nil {
			return
		}
		w.logger.Error("failed listening for database notifications", "channel", w.cfg.DBChannel,
			"error", err.Error(), "retry_in_s", delay.Seconds())
		if !sleep(ctx, delay) {
			return
		}
		delay = min(2*delay, maxBackoff)
	}
}

// listenOnce connects, LISTENs, calls onListening and handles
// notifications until the connection fails or ctx ends.
func (w *Worker) listenOnce(ctx context.Context, onListening func()) error {
	conn, err := w.connect(ctx)
	if err != nil {
		return err
	}
	defer func() {
		closeCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
		defer cancel()
		_ = conn.Close(closeCtx)
	}()
	// PostgREST reads the queue usage before LISTEN: it works around a
	// PostgreSQL bug where LISTEN fails with "could not access status of
	// transaction" on a stale queue (PostgREST #3147).
	if _, err := conn.Exec(ctx, "SELECT pg_notification_queue_usage()"); err != nil {
		return err
	}
	if _, err := conn.Exec(ctx, "LISTEN "+pgx.Identifier{w.cfg.DBChannel}.Sanitize()); err != nil {
		return err
	}
	w.logger.Info("listening for database notifications", "channel", w.cfg.DBChannel)
	onListening()
	for {
		waitCtx, cancel := context.WithTimeout(ctx, healthCheckInterval)
		n, err := conn.WaitForNotification(waitCtx)
		cancel()
		switch {
		case ctx.Err() != nil:
			return ctx.Err()
		case errors.Is(err, context.DeadlineExceeded):
			if err := conn.Ping(ctx); err != nil {
				return err
			}
			continue
		case err != nil:
			return err
		}
		w.handle(n.Payload)
	}
}

// handle acts on a NOTIFY payload as PostgREST does: "" and "reload
// schema" reload the schema cache, "reload config" the configuration, and
// anything else is ignored silently.
func (w *Worker) handle(payload string) { w.handleRequest(payload, "notify") }

// handleRequest acts on a reload payload from source ("notify" or
// "manual"). A config reload rebuilds too: the in-database configuration is
// published with the cache, and an unchanged result is not republished.
func (w *Worker) handleRequest(payload, source string) {
	switch payload {
	case "", "reload schema":
		w.logger.Info("received a schema cache reload message", "channel", w.cfg.DBChannel, "source", source)
		w.Trigger(source)
	case "reload config":
		w.logger.Info("received a config reload message", "channel", w.cfg.DBChannel, "source", source)
		w.Trigger("config")
	}
}
