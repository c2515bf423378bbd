// Package logging builds the JSON logger of every deployable (request
// function, listener worker, local server) from PGRST_LOG_LEVEL.
package logging

import (
	"io"
	"log/slog"
)

// New returns a JSON logger writing to w at PostgREST's log level (crit,
// error, warn, info, debug); crit logs errors only, and an unknown level
// logs errors only too.
func New(w io.Writer, level string) *slog.Logger {
	lv := slog.LevelError
	switch level {
	case "warn":
		lv = slog.LevelWarn
	case "info":
		lv = slog.LevelInfo
	case "debug":
		lv = slog.LevelDebug
	}
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: lv}))
}
