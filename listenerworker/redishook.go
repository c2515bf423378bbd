package listenerworker

import (
	"context"
	"errors"
	"net"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"
)

// redisErrorHook counts failed Redis dials and commands, for
// pgrst_redis_errors_total. A missing key (redis.Nil) is an answer, not an
// error, and a command cancelled by its context (shutdown, a lost lease)
// is not counted either.
type redisErrorHook struct {
	errors prometheus.Counter
}

func (h redisErrorHook) count(err error) {
	if err != nil && !errors.Is(err, redis.Nil) && !errors.Is(err, context.Canceled) {
		h.errors.Inc()
	}
}

// DialHook implements redis.Hook.
func (h redisErrorHook) DialHook(next redis.DialHook) redis.DialHook {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		conn, err := next(ctx, network, addr)
		h.count(err)
		return conn, err
	}
}

// ProcessHook implements redis.Hook.
func (h redisErrorHook) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		err := next(ctx, cmd)
		h.count(err)
		return err
	}
}

// ProcessPipelineHook implements redis.Hook.
func (h redisErrorHook) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		err := next(ctx, cmds)
		h.count(err)
		return err
	}
}
