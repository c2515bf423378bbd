package cachestore

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/redis/go-redis/v9"
)

// redisLogger adapts a *slog.Logger to go-redis's logger interface.
type redisLogger struct{ l *slog.Logger }

// Printf logs one go-redis message as a warning with source "go-redis".
func (a redisLogger) Printf(ctx context.Context, format string, v ...any) {
	a.l.WarnContext(ctx, fmt.Sprintf(format, v...), "source", "go-redis")
}

// RouteRedisLogs sends go-redis's own log messages (connection pool and
// reconnection notices, otherwise printed as plain text on stderr) to
// logger as structured warnings. go-redis's logger is process-wide; nil
// is ignored.
func RouteRedisLogs(logger *slog.Logger) {
	if logger != nil {
		redis.SetLogger(redisLogger{logger})
	}
}
