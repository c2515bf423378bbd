// Package cachestore keeps versioned schema cache snapshots in Redis: the
// listener worker publishes, request functions read the current version.
// Builder is the one reserve → build → encode → publish step both use (the
// worker on every rebuild, a request function finding Redis empty), and
// Reader is the request side's memoised view of the current version.
//
// # Key layout
//
// All keys of one namespace share the Redis Cluster hash tag {PREFIX}
// (PREFIX is PGRST_CACHE_KEY_PREFIX, default "pgrst"), so every script
// touches a single slot, and several APIs can share one Redis:
//
//	{pgrst}:seq          string  last version number handed out (Reserve)
//	{pgrst}:current      string  the current version number
//	{pgrst}:cache:V      string  the head of the snapshot of version V (snapshot.SplitBlob)
//	{pgrst}:sec:V:I      string  section I of version V; a reader fetches the ones it needs (Store.Sections)
//	{pgrst}:meta:V       hash    built_at, build_ms, query_ms.<query>, tables, relationships,
//	                             routines, bytes, content_hash, worker_id, trigger, format,
//	                             pg_version, schemas, config_fingerprint, sections, head_bytes
//	{pgrst}:versions     zset    kept versions, scored by version number
//	{pgrst}:pinned       string  the version pinned by `pgrst-cache pin`, until the next publish
//	{pgrst}:leader       string  the leading worker's id (leader lease, with a TTL)
//	{pgrst}:build-lock   string  a cold request function building the first snapshot
//	{pgrst}:published    channel a message with the version number after each publish or pin
//	{pgrst}:reload       channel reload requests: "reload schema" or "reload config"
//
// Scripts name {PREFIX}:current (or the lease key) in KEYS, which routes
// them in a cluster, and build the other key names from ARGV[1], the
// namespace: all of them hash to the same slot. The channels are plain
// pub/sub, which a cluster broadcasts to every node (see DialMode for how
// a cluster is detected).
//
// Outside Redis, Builder announces each version it makes current on the
// PostgreSQL channel pgrst_cache (NoticeChannel), payload "PREFIX V", once
// Redis holds it; request functions with PGRST_CACHE_LISTEN listen on it
// (Notices, ReaderOptions.Notices) instead of reading {PREFIX}:current
// before each read.
//
// Versions are at least the Redis server's clock in ms, so they keep
// increasing even when Redis loses its data.
//
// Inspect with redis-cli:
//
//	redis-cli GET '{pgrst}:current'
//	redis-cli HGETALL '{pgrst}:meta:1795300000000'
//	redis-cli ZRANGE '{pgrst}:versions' 0 -1
//	redis-cli PUBLISH '{pgrst}:reload' 'reload schema'
//
// # Atomicity
//
// Publish is one Lua script: compare-and-set of the current pointer (a
// version reserved before the current one is dropped, and so is content
// equal to the current version's), storing the head, its sections and the
// metadata, and deleting versions (head, sections, metadata) beyond the
// last Keep, so a reader never sees a pointer to a missing head; a section
// of a version dropped while a reader still serves it is an error the
// request reports as 503 PGRST002. Fetch is one script returning the current version and,
// only when it differs from the version the caller holds, its blob: one
// round trip per request whether or not the cache changed.
package cachestore
