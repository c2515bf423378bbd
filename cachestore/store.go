package cachestore

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/redis/go-redis/v9"
)

// DefaultKeep is how many versions Publish keeps when Store.Keep is zero.
const DefaultKeep = 10

// ErrNoCache is returned by Fetch when no version has been published yet.
var ErrNoCache = errors.New("no schema cache published")

// Store reads and writes versioned schema cache blobs in one Redis namespace.
type Store struct {
	rdb    redis.UniversalClient
	prefix string
	// Keep is how many versions Publish keeps (older ones are deleted); 0 means DefaultKeep.
	Keep int
}

// New returns a Store over rdb for the namespace prefix (PGRST_CACHE_KEY_PREFIX).
func New(rdb redis.UniversalClient, prefix string) *Store {
	return &Store{rdb: rdb, prefix: prefix}
}

// Key returns the full Redis key for a key name of the layout ("current",
// "cache:42", ...), e.g. "{pgrst}:current".
func (s *Store) Key(name string) string { return "{" + s.prefix + "}:" + name }

// Channel is the pub/sub channel announcing each new version.
func (s *Store) Channel() string { return s.Key("published") }

// Meta describes a published version; it is stored in the {PREFIX}:meta:V hash.
type Meta struct {
	// Trigger is what caused the build: startup, notify, manual, reconnect.
	Trigger string
	// BuildMs is the build duration in ms.
	BuildMs float64
	// BuiltAt is an RFC 3339 timestamp.
	BuiltAt string
	// Tables, Relationships and Routines count the cache's entries.
	Tables, Relationships, Routines int
}

var publishScript = redis.NewScript(`
local ns = ARGV[1]
local keep = tonumber(ARGV[3])
-- Versions never fall below the server clock in ms, so they keep increasing
-- even after Redis loses its data (no persistence, failover): a warm reader
-- holding an old number must never mistake a new cache for its own.
local now = redis.call('TIME')
local floor = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
local v = redis.call('INCR', ns .. 'seq')
if v < floor then
  v = floor
  redis.call('SET', ns .. 'seq', v)
end
redis.call('SET', ns .. 'cache:' .. v, ARGV[2])
local meta = {}
for i = 4, #ARGV do meta[#meta + 1] = ARGV[i] end
meta[#meta + 1] = 'bytes'
meta[#meta + 1] = string.len(ARGV[2])
redis.call('HSET', ns .. 'meta:' .. v, unpack(meta))
redis.call('ZADD', ns .. 'versions', v, v)
redis.call('SET', ns .. 'current', v)
local old = redis.call('ZRANGE', ns .. 'versions', 0, -(keep + 1))
for _, o in ipairs(old) do
  redis.call('DEL', ns .. 'cache:' .. o, ns .. 'meta:' .. o)
  redis.call('ZREM', ns .. 'versions', o)
end
redis.call('PUBLISH', ns .. 'published', v)
return v
`)

// Publish stores blob as a new version, makes it current and returns its
// number. Versions strictly increase and are at least the Redis server's
// clock in ms, so they stay increasing across a Redis restart that lost the
// data. Errors are Redis errors, wrapped.
func (s *Store) Publish(ctx context.Context, blob []byte, meta Meta) (int64, error) {
	keep := s.Keep
	if keep <= 0 {
		keep = DefaultKeep
	}
	args := []any{s.Key(""), blob, keep,
		"built_at", meta.BuiltAt, "trigger", meta.Trigger,
		"build_ms", strconv.FormatFloat(meta.BuildMs, 'f', 3, 64),
		"tables", meta.Tables, "relationships", meta.Relationships, "routines", meta.Routines}
	v, err := publishScript.Run(ctx, s.rdb, []string{s.Key("seq"), s.Key("current"), s.Key("versions")}, args...).Int64()
	if err != nil {
		return 0, fmt.Errorf("publish schema cache: %w", err)
	}
	return v, nil
}

var fetchScript = redis.NewScript(`
local ns = ARGV[1]
local cur = redis.call('GET', ns .. 'current')
if not cur then return {} end
if cur == ARGV[2] or cur == ARGV[3] then return {cur} end
return {cur, redis.call('GET', ns .. 'cache:' .. cur)}
`)

// Fetch returns the current version and, when it differs from have (the
// version the caller holds; 0 for none) and from skip (a version the caller
// already found unreadable; 0 for none), its blob; otherwise blob is nil.
// It returns ErrNoCache when nothing was published.
func (s *Store) Fetch(ctx context.Context, have, skip int64) (version int64, blob []byte, err error) {
	res, err := fetchScript.Run(ctx, s.rdb, []string{s.Key("current")}, s.Key(""),
		strconv.FormatInt(have, 10), strconv.FormatInt(skip, 10)).Slice()
	if err != nil {
		return 0, nil, fmt.Errorf("fetch schema cache: %w", err)
	}
	if len(res) == 0 {
		return 0, nil, ErrNoCache
	}
	cur, _ := res[0].(string)
	version, err = strconv.ParseInt(cur, 10, 64)
	if err != nil {
		return 0, nil, fmt.Errorf("fetch schema cache: bad current version %q", cur)
	}
	if len(res) > 1 {
		b, ok := res[1].(string)
		if !ok {
			return 0, nil, fmt.Errorf("fetch schema cache: version %d has no blob", version)
		}
		blob = []byte(b)
	}
	return version, blob, nil
}
