package cachestore

import (
	"context"
	"fmt"
	neturl "net/url"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/pgrest-lambda/pgrest-lambda/internal/config"
)

// Dial returns a single-node client for REDIS_URL (redis://, rediss:// or
// unix://), as DialMode with config.RedisClusterOff: the connection is
// opened lazily. Processes configured from the environment use DialConfig.
func Dial(url string) (redis.UniversalClient, error) {
	return DialMode(url, config.RedisClusterOff)
}

// DialConfig returns a client for cfg.RedisURL in the cluster mode
// cfg.RedisCluster (REDIS_CLUSTER); see DialMode.
func DialConfig(cfg *config.Config) (redis.UniversalClient, error) {
	return DialMode(cfg.RedisURL, cfg.RedisCluster)
}

// DialMode returns a client for url (redis://, rediss:// or unix://; user
// and password for AUTH/ACL in the URL) in cluster mode mode:
//
//   - config.RedisClusterOff: a single-node *redis.Client, connected lazily.
//   - config.RedisClusterOn: a *redis.ClusterClient seeded with the URL's
//     host (Redis Cluster, ElastiCache Serverless or cluster-mode-enabled
//     ElastiCache/Valkey/MemoryDB), connected lazily; the URL must name
//     database 0.
//   - config.RedisClusterAuto (or ""): one connection asks the server
//     (DetectCluster, bounded by the dial timeout) and the matching client
//     is returned, the single-node one keeping its connection. A unix://
//     URL or a database other than 0 is a single node without asking. When
//     the server cannot be asked (down, wrong password), the result is a
//     cluster client that finds out on each topology load: CLUSTER SLOTS
//     on a cluster, the whole slot range on the URL's host otherwise, so
//     both kinds of server work once they answer.
//
// Unless the URL sets them, timeouts are short (dial 1 s, read and write
// 500 ms) and failed commands are not retried: on the request path a warm
// function falls back to its memoised cache at once rather than after
// go-redis's default retries (about 2 s). A cluster client still follows
// MOVED and ASK redirections (up to 3). The error is a parse error only and
// never contains the password.
func DialMode(url, mode string) (redis.UniversalClient, error) {
	opts, err := redis.ParseURL(url)
	if err != nil {
		return nil, fmt.Errorf("parse REDIS_URL: invalid Redis URL")
	}
	q := queryKeys(url)
	if !q["dial_timeout"] {
		opts.DialTimeout = time.Second
	}
	if !q["read_timeout"] {
		opts.ReadTimeout = 500 * time.Millisecond
	}
	if !q["write_timeout"] {
		opts.WriteTimeout = 500 * time.Millisecond
	}
	if !q["protocol"] {
		// RESP2: with RESP3, go-redis looks for pending push notifications
		// around every command, which costs more CPU than the cache check
		// itself; nothing here uses RESP3.
		opts.Protocol = 2
	}
	if !q["max_retries"] {
		opts.MaxRetries = -1
		// go-redis also retries a failed dial 5 times 100 ms apart.
		opts.DialerRetries = 1
	}
	switch mode {
	case config.RedisClusterOff:
		return redis.NewClient(opts), nil
	case config.RedisClusterOn:
		if opts.DB != 0 {
			return nil, fmt.Errorf("parse REDIS_URL: a Redis Cluster has database 0 only, not %d", opts.DB)
		}
		return redis.NewClusterClient(clusterOptions(opts)), nil
	case config.RedisClusterAuto, "":
	default:
		return nil, fmt.Errorf("REDIS_CLUSTER: %q is not one of auto, on, off", mode)
	}
	single := redis.NewClient(opts)
	if opts.Network == "unix" || opts.DB != 0 {
		return single, nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), opts.DialTimeout+opts.ReadTimeout)
	defer cancel()
	cluster, err := DetectCluster(ctx, single)
	switch {
	case err == nil && !cluster:
		return single, nil
	case err == nil:
		_ = single.Close()
		return redis.NewClusterClient(clusterOptions(opts)), nil
	}
	return adaptiveClient(opts, single), nil
}

// adaptiveClient is a cluster client for a server of unknown kind, seeded
// with single (a client of the URL's host): see adaptiveSlots.
func adaptiveClient(opts *redis.Options, single *redis.Client) *redis.ClusterClient {
	co := clusterOptions(opts)
	co.ClusterSlots = adaptiveSlots(single, opts.Addr)
	return redis.NewClusterClient(co)
}

// clusterOptions converts single-node options (from a URL) to cluster
// options seeded with the URL's host: the client discovers the other nodes
// with CLUSTER SLOTS and keeps the URL's credentials, TLS settings (the
// URL host as server name, as on ElastiCache), timeouts and retries.
func clusterOptions(o *redis.Options) *redis.ClusterOptions {
	return &redis.ClusterOptions{
		Addrs:           []string{o.Addr},
		ClientName:      o.ClientName,
		Protocol:        o.Protocol,
		Username:        o.Username,
		Password:        o.Password,
		MaxRetries:      o.MaxRetries,
		MinRetryBackoff: o.MinRetryBackoff,
		MaxRetryBackoff: o.MaxRetryBackoff,
		DialTimeout:     o.DialTimeout,
		DialerRetries:   o.DialerRetries,
		ReadTimeout:     o.ReadTimeout,
		WriteTimeout:    o.WriteTimeout,
		PoolFIFO:        o.PoolFIFO,
		PoolSize:        o.PoolSize,
		PoolTimeout:     o.PoolTimeout,
		MinIdleConns:    o.MinIdleConns,
		MaxIdleConns:    o.MaxIdleConns,
		MaxActiveConns:  o.MaxActiveConns,
		ConnMaxIdleTime: o.ConnMaxIdleTime,
		ConnMaxLifetime: o.ConnMaxLifetime,
		TLSConfig:       o.TLSConfig,
	}
}

// queryKeys returns the option names present in a Redis URL's query string.
func queryKeys(raw string) map[string]bool {
	keys := map[string]bool{}
	if u, err := neturl.Parse(raw); err == nil {
		for k := range u.Query() {
			keys[k] = true
		}
	}
	return keys
}
