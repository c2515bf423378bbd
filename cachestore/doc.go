// Package cachestore keeps versioned schema caches in Redis: the listener
// worker publishes, request functions read the current version.
//
// # Key layout
//
// All keys of one namespace share the Redis Cluster hash tag {PREFIX}
// (PREFIX is PGRST_CACHE_KEY_PREFIX, default "pgrst"), so the scripts below
// touch a single slot:
//
//	{pgrst}:seq          string  last version number handed out (INCR)
//	{pgrst}:current      string  the current version number, e.g. "42"
//	{pgrst}:cache:42     string  the encoded schema cache of version 42 (schemacache.Encode)
//	{pgrst}:meta:42      hash    built_at, trigger, bytes, tables, relationships, routines, build_ms
//	{pgrst}:versions     zset    kept versions, scored by version number
//	{pgrst}:published    channel a message with the version number after each publish
//
// Inspect with redis-cli:
//
//	redis-cli GET '{pgrst}:current'
//	redis-cli HGETALL '{pgrst}:meta:42'
//	redis-cli ZRANGE '{pgrst}:versions' 0 -1
//
// # Atomicity
//
// Publish runs one Lua script that takes the next version, stores the blob
// and its metadata, moves the current pointer and deletes versions beyond
// the last Keep, so a reader never sees a pointer to a missing blob. Fetch
// runs one script that returns the current version and, only when it
// differs from the version the caller already holds, its blob: one round
// trip per request whether or not the cache changed.
package cachestore
