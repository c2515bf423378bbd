package app

import (
	"io"
	"log/slog"
)

// NewLogger returns a JSON logger at PostgREST's log level (crit, error,
// warn, info, debug); crit logs errors only.
func NewLogger(w io.Writer, level string) *slog.Logger {
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
