package cachestore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// Lease names.
const (
	// LeaderLease is held by the worker that listens and rebuilds; standbys
	// wait for it.
	LeaderLease = "leader"
	// BuildLease is held by a request function building the first cache of an
	// empty namespace, so only one of many cold functions hits PostgreSQL.
	BuildLease = "build-lock"
)

var acquireScript = redis.NewScript(`
local holder = redis.call('GET', KEYS[1])
if holder == false or holder == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
return 0
`)

// Acquire takes or renews the lease name for holder for ttl: it succeeds
// when the lease is free or already holder's. The key is {PREFIX}:<name>.
func (s *Store) Acquire(ctx context.Context, name, holder string, ttl time.Duration) (bool, error) {
	ok, err := acquireScript.Run(ctx, s.rdb, []string{s.Key(name)}, holder, ttl.Milliseconds()).Int()
	if err != nil {
		return false, fmt.Errorf("acquire %s: %w", s.Key(name), err)
	}
	return ok == 1, nil
}

var releaseScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`)

// Release gives up the lease name if holder holds it.
func (s *Store) Release(ctx context.Context, name, holder string) error {
	if err := releaseScript.Run(ctx, s.rdb, []string{s.Key(name)}, holder).Err(); err != nil {
		return fmt.Errorf("release %s: %w", s.Key(name), err)
	}
	return nil
}

// Holder returns who holds the lease name, "" when nobody does.
func (s *Store) Holder(ctx context.Context, name string) (string, error) {
	h, err := s.rdb.Get(ctx, s.Key(name)).Result()
	if errors.Is(err, redis.Nil) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("read %s: %w", s.Key(name), err)
	}
	return h, nil
}
