package cachestore

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"

	"github.com/redis/go-redis/v9"

	"github.com/pgrest-lambda/pgrest-lambda/internal/snapshot"
)

// DefaultKeep is how many versions Publish keeps when Store.Keep is zero.
const DefaultKeep = 10

// ErrNoCache is returned by Fetch when no version has been published yet.
var ErrNoCache = errors.New("no schema cache published")

// Store reads and writes versioned schema cache blobs in one Redis namespace.
type Store struct {
	rdb    redis.UniversalClient
	prefix string
	// current is Key("current"), read on every version check.
	current string
	// getCurrent is the check's GET command, built once: every check
	// shares it read-only, so a check allocates no arguments.
	getCurrent []any
	// Keep is how many versions Publish keeps (older ones are deleted); 0 means DefaultKeep.
	Keep int
	// Keys sign what Builder publishes and verify what Reader decodes
	// (KeysFromConfig); nil: snapshots are neither signed nor verified.
	Keys *snapshot.Keys
}

// New returns a Store over rdb for the namespace prefix (PGRST_CACHE_KEY_PREFIX).
func New(rdb redis.UniversalClient, prefix string) *Store {
	s := &Store{rdb: rdb, prefix: prefix}
	s.current = s.Key("current")
	s.getCurrent = []any{"get", s.current}
	return s
}

// Prefix is the namespace (PGRST_CACHE_KEY_PREFIX).
func (s *Store) Prefix() string { return s.prefix }

// Key returns the full Redis key for a key name of the layout ("current",
// "cache:42", ...), e.g. "{pgrst}:current".
func (s *Store) Key(name string) string { return "{" + s.prefix + "}:" + name }

// Channel is the pub/sub channel announcing each new version.
func (s *Store) Channel() string { return s.Key("published") }

// Redis returns the underlying client.
func (s *Store) Redis() redis.UniversalClient { return s.rdb }

// Meta describes a published version; it is stored in the {PREFIX}:meta:V
// hash, one field per entry plus "bytes" (the whole blob), "head_bytes",
// "sections" (how many sec:V:I keys), "blob_sha1" (the digest of the
// whole stored blob, checked before skipping unchanged content) and
// "query_ms.<label>" fields.
type Meta struct {
	// Trigger is what caused the build: startup, notify, manual, reconnect,
	// config, cold-start, fingerprint or queue (see Rebuild.Trigger).
	Trigger string
	// WorkerID identifies the worker (or request function) that built it.
	WorkerID string
	// BuildMs is the build duration in ms.
	BuildMs float64
	// BuiltAt is an RFC 3339 timestamp.
	BuiltAt string
	// ContentHash is the blob's content hash (snapshot.Header.ContentHash);
	// a publish whose hash equals the current version's is skipped.
	ContentHash string
	// Tables, Relationships and Routines count the cache's entries.
	Tables, Relationships, Routines int
	// QueryMs are the introspection queries' durations in ms, by label.
	QueryMs map[string]float64
	// Extra holds further fields (pg_version, schemas, config_fingerprint, format).
	Extra map[string]string
}

func (m Meta) fields() []any {
	f := []any{
		"built_at", m.BuiltAt, "trigger", m.Trigger, "worker_id", m.WorkerID,
		"build_ms", strconv.FormatFloat(m.BuildMs, 'f', 3, 64), "content_hash", m.ContentHash,
		"tables", m.Tables, "relationships", m.Relationships, "routines", m.Routines,
	}
	for _, k := range sortedKeys(m.QueryMs) {
		f = append(f, "query_ms."+k, strconv.FormatFloat(m.QueryMs[k], 'f', 3, 64))
	}
	for _, k := range sortedKeys(m.Extra) {
		f = append(f, k, m.Extra[k])
	}
	return f
}

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// reserveScript hands out the next version. Versions never fall below the
// server clock in ms, so they keep increasing even after Redis loses its
// data (no persistence, failover): a warm reader holding an old number must
// never mistake a new cache for its own.
var reserveScript = redis.NewScript(`
local now = redis.call('TIME')
local floor = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
local v = redis.call('INCR', KEYS[1])
if v < floor then
  v = floor
  redis.call('SET', KEYS[1], v)
end
return v
`)

// Reserve returns a new version number, greater than every number handed
// out before in this namespace. A worker reserves before it reads the
// catalog, so a later reservation always describes a later catalog.
func (s *Store) Reserve(ctx context.Context) (int64, error) {
	v, err := reserveScript.Run(ctx, s.rdb, []string{s.Key("seq")}).Int64()
	if err != nil {
		return 0, fmt.Errorf("reserve schema cache version: %w", err)
	}
	return v, nil
}

// publishScript stores a reserved version — its head under cache:V and
// its sections under sec:V:0..n-1 (ARGV[6] is n) — and moves the current
// pointer to it, compare-and-set: a version not above the current one (a
// build that started before the one already published) is dropped, and so
// is one whose content hash equals the current version's. The sections
// are written before the pointer moves, and deleted with their version. A
// publish clears a pin.
var publishScript = redis.NewScript(`
local ns = ARGV[1]
local v = tonumber(ARGV[2])
local keep = tonumber(ARGV[4])
local hash = ARGV[5]
local nsec = tonumber(ARGV[6])
local cur = tonumber(redis.call('GET', ns .. 'current') or '0')
if v <= cur then return {cur, 'stale'} end
local pinned = redis.call('GET', ns .. 'pinned')
redis.call('DEL', ns .. 'pinned')
local function stored(ver)
  local parts = {redis.call('GET', ns .. 'cache:' .. ver) or ''}
  local n = tonumber(redis.call('HGET', ns .. 'meta:' .. ver, 'sections') or '0')
  for i = 0, n - 1 do
    parts[#parts + 1] = redis.call('GET', ns .. 'sec:' .. ver .. ':' .. i) or ''
  end
  return table.concat(parts)
end
-- Unchanged content is not republished, unless the current blob no longer
-- matches the digest stored with it (damaged or replaced): then the rebuild
-- repairs it under the new version.
local intact = false
if hash ~= '' and cur > 0 and redis.call('HGET', ns .. 'meta:' .. cur, 'content_hash') == hash then
  intact = redis.sha1hex(stored(cur)) == redis.call('HGET', ns .. 'meta:' .. cur, 'blob_sha1')
end
if intact then
  if pinned then return {cur, 'unchanged, unpinned'} end
  return {cur, 'unchanged'}
end
local whole = {ARGV[3]}
for i = 0, nsec - 1 do
  redis.call('SET', ns .. 'sec:' .. v .. ':' .. i, ARGV[7 + i])
  whole[#whole + 1] = ARGV[7 + i]
end
whole = table.concat(whole)
redis.call('SET', ns .. 'cache:' .. v, ARGV[3])
local meta = {}
for i = 7 + nsec, #ARGV do meta[#meta + 1] = ARGV[i] end
meta[#meta + 1] = 'bytes'
meta[#meta + 1] = string.len(whole)
meta[#meta + 1] = 'head_bytes'
meta[#meta + 1] = string.len(ARGV[3])
meta[#meta + 1] = 'sections'
meta[#meta + 1] = nsec
meta[#meta + 1] = 'blob_sha1'
meta[#meta + 1] = redis.sha1hex(whole)
redis.call('HSET', ns .. 'meta:' .. v, unpack(meta))
redis.call('ZADD', ns .. 'versions', v, v)
redis.call('SET', ns .. 'current', v)
local old = redis.call('ZRANGE', ns .. 'versions', 0, -(keep + 1))
for _, o in ipairs(old) do
  local n = tonumber(redis.call('HGET', ns .. 'meta:' .. o, 'sections') or '0')
  for i = 0, n - 1 do redis.call('DEL', ns .. 'sec:' .. o .. ':' .. i) end
  redis.call('DEL', ns .. 'cache:' .. o, ns .. 'meta:' .. o)
  redis.call('ZREM', ns .. 'versions', o)
end
redis.call('PUBLISH', ns .. 'published', v)
return {v, 'published'}
`)

// PublishResult says what Publish did.
type PublishResult struct {
	// Current is the current version after the call.
	Current int64
	// Published is true when the blob became the current version.
	Published bool
	// Outcome is "published", "unchanged" (same content as the current
	// version), "unchanged, unpinned" or "stale" (a later version is current).
	Outcome string
}

// Publish stores blob as version (from Reserve) and makes it current,
// unless a later version is already current or the current version has the
// same content hash. A snapshot blob (snapshot.SplitBlob) is stored as its
// head under {PREFIX}:cache:V and each section under {PREFIX}:sec:V:I, so
// a reader fetches only the sections it needs; any other blob is stored
// whole. It keeps the last Keep versions and announces the new one on
// Channel. Errors are Redis errors, wrapped.
func (s *Store) Publish(ctx context.Context, version int64, blob []byte, meta Meta) (PublishResult, error) {
	keep := s.Keep
	if keep <= 0 {
		keep = DefaultKeep
	}
	head, sections, err := snapshot.SplitBlob(blob)
	if err != nil {
		head, sections = blob, nil
	}
	args := make([]any, 0, 6+len(sections)+24)
	args = append(args, s.Key(""), version, head, keep, meta.ContentHash, len(sections))
	for _, sec := range sections {
		args = append(args, sec)
	}
	args = append(args, meta.fields()...)
	res, err := publishScript.Run(ctx, s.rdb, []string{s.Key("current"), s.Key("seq")}, args...).Slice()
	if err != nil {
		return PublishResult{}, fmt.Errorf("publish schema cache v%d: %w", version, err)
	}
	cur, _ := res[0].(int64)
	outcome, _ := res[1].(string)
	return PublishResult{Current: cur, Published: outcome == "published", Outcome: outcome}, nil
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
// already found unreadable; 0 for none), its blob — the head alone for a
// snapshot stored in sections (see Sections) — otherwise blob is nil.
// It returns ErrNoCache when nothing was published.
func (s *Store) Fetch(ctx context.Context, have, skip int64) (version int64, blob []byte, err error) {
	// The common case is an unchanged version: a plain GET costs Redis far
	// less than a script call. Only a change runs the script, which reads
	// the pointer and its blob atomically.
	if have != 0 || skip != 0 {
		cmd := redis.NewStringCmd(ctx, s.getCurrent...)
		_ = s.rdb.Process(ctx, cmd)
		cur, err := cmd.Int64()
		switch {
		case errors.Is(err, redis.Nil):
			return 0, nil, ErrNoCache
		case err != nil:
			return 0, nil, fmt.Errorf("fetch schema cache: %w", err)
		case cur == have || cur == skip:
			return cur, nil, nil
		}
	}
	res, err := fetchScript.Run(ctx, s.rdb, []string{s.current}, s.Key(""),
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

// Sections returns sections idx of a kept version (see Publish), in the
// order of idx, with one MGET. A section that is missing (the version was
// dropped meanwhile) is an error wrapping ErrNoCache.
func (s *Store) Sections(ctx context.Context, version int64, idx []int) ([][]byte, error) {
	if len(idx) == 0 {
		return nil, nil
	}
	v := strconv.FormatInt(version, 10)
	keys := make([]string, len(idx))
	for j, i := range idx {
		keys[j] = s.Key("sec:" + v + ":" + strconv.Itoa(i))
	}
	vals, err := s.rdb.MGet(ctx, keys...).Result()
	if err != nil {
		return nil, fmt.Errorf("read schema cache v%d sections: %w", version, err)
	}
	out := make([][]byte, len(idx))
	for j, val := range vals {
		str, ok := val.(string)
		if !ok {
			return nil, fmt.Errorf("schema cache v%d section %d: %w", version, idx[j], ErrNoCache)
		}
		out[j] = []byte(str)
	}
	return out, nil
}

// Blob returns the whole blob of a kept version, its head and sections
// joined (what Publish was given); ErrNoCache when it is not kept.
func (s *Store) Blob(ctx context.Context, version int64) ([]byte, error) {
	v := strconv.FormatInt(version, 10)
	b, err := s.rdb.Get(ctx, s.Key("cache:"+v)).Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, fmt.Errorf("version %d: %w", version, ErrNoCache)
	}
	if err != nil {
		return nil, fmt.Errorf("read schema cache v%d: %w", version, err)
	}
	n, err := s.rdb.HGet(ctx, s.Key("meta:"+v), "sections").Int()
	if errors.Is(err, redis.Nil) || n <= 0 {
		return b, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read schema cache v%d: %w", version, err)
	}
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	secs, err := s.Sections(ctx, version, idx)
	if err != nil {
		return nil, err
	}
	for _, sec := range secs {
		b = append(b, sec...)
	}
	return b, nil
}

// VersionInfo is a kept version and its metadata hash.
type VersionInfo struct {
	Version int64
	Meta    map[string]string
}

// Versions returns the kept versions, oldest first, with their metadata.
func (s *Store) Versions(ctx context.Context) ([]VersionInfo, error) {
	vs, err := s.rdb.ZRange(ctx, s.Key("versions"), 0, -1).Result()
	if err != nil {
		return nil, fmt.Errorf("list schema cache versions: %w", err)
	}
	out := make([]VersionInfo, 0, len(vs))
	for _, v := range vs {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			continue
		}
		meta, err := s.rdb.HGetAll(ctx, s.Key("meta:"+v)).Result()
		if err != nil {
			return nil, fmt.Errorf("read schema cache v%s metadata: %w", v, err)
		}
		out = append(out, VersionInfo{Version: n, Meta: meta})
	}
	return out, nil
}

// Current returns the current version, 0 when none.
func (s *Store) Current(ctx context.Context) (int64, error) {
	return s.getInt(ctx, "current")
}

// Pinned returns the pinned version, 0 when none.
func (s *Store) Pinned(ctx context.Context) (int64, error) {
	return s.getInt(ctx, "pinned")
}

func (s *Store) getInt(ctx context.Context, name string) (int64, error) {
	v, err := s.rdb.Get(ctx, s.Key(name)).Int64()
	if errors.Is(err, redis.Nil) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("read %s: %w", s.Key(name), err)
	}
	return v, nil
}

var pinScript = redis.NewScript(`
local ns = ARGV[1]
if redis.call('EXISTS', ns .. 'cache:' .. ARGV[2]) == 0 then return 0 end
redis.call('SET', ns .. 'current', ARGV[2])
redis.call('SET', ns .. 'pinned', ARGV[2])
redis.call('PUBLISH', ns .. 'published', ARGV[2])
return 1
`)

// Pin makes a kept version current until the next publish or Unpin (a
// roll back). It returns ErrNoCache (wrapped) when the version is not kept.
func (s *Store) Pin(ctx context.Context, version int64) error {
	ok, err := pinScript.Run(ctx, s.rdb, []string{s.Key("current")}, s.Key(""), version).Int()
	if err != nil {
		return fmt.Errorf("pin schema cache v%d: %w", version, err)
	}
	if ok == 0 {
		return fmt.Errorf("pin: version %d is not kept: %w", version, ErrNoCache)
	}
	return nil
}

var unpinScript = redis.NewScript(`
local ns = ARGV[1]
redis.call('DEL', ns .. 'pinned')
local last = redis.call('ZRANGE', ns .. 'versions', -1, -1)
if #last == 0 then return 0 end
redis.call('SET', ns .. 'current', last[1])
redis.call('PUBLISH', ns .. 'published', last[1])
return tonumber(last[1])
`)

// Unpin ends a pin: the newest kept version becomes current again. It
// returns that version (0 when none is kept).
func (s *Store) Unpin(ctx context.Context) (int64, error) {
	v, err := unpinScript.Run(ctx, s.rdb, []string{s.Key("current")}, s.Key("")).Int64()
	if err != nil {
		return 0, fmt.Errorf("unpin schema cache: %w", err)
	}
	return v, nil
}

// ReloadChannel is the pub/sub channel on which the leading worker takes
// reload requests: PUBLISH '{pgrst}:reload' 'reload schema' (or 'reload
// config') has the effect of the same NOTIFY payload.
func (s *Store) ReloadChannel() string { return s.Key("reload") }

// RequestReload publishes payload ("reload schema" or "reload config") on
// ReloadChannel and returns how many workers received it. In a cluster,
// where PUBLISH counts the subscribers of the node it ran on only while
// the message reaches every node, the count is the channel's subscribers
// on all nodes (PUBSUB NUMSUB on each).
func (s *Store) RequestReload(ctx context.Context, payload string) (int64, error) {
	if payload != "reload schema" && payload != "reload config" {
		return 0, fmt.Errorf("reload request %q: want \"reload schema\" or \"reload config\"", payload)
	}
	n, err := s.rdb.Publish(ctx, s.ReloadChannel(), payload).Result()
	if err != nil {
		return 0, fmt.Errorf("request reload: %w", err)
	}
	if cc, ok := isCluster(s.rdb); ok {
		if all, err := subscribers(ctx, cc, s.ReloadChannel()); err == nil {
			n = max(n, all)
		}
	}
	return n, nil
}
