package config

import (
	"fmt"
	"strings"
)

// Redis cluster modes (REDIS_CLUSTER).
const (
	// RedisClusterAuto detects cluster mode when the client is created:
	// a cluster client when the server reports cluster_enabled, a
	// single-node client otherwise.
	RedisClusterAuto = "auto"
	// RedisClusterOn always uses a cluster client (Redis Cluster,
	// ElastiCache Serverless, cluster-mode-enabled ElastiCache, MemoryDB).
	RedisClusterOn = "on"
	// RedisClusterOff always uses a single-node client.
	RedisClusterOff = "off"
)

// RedisSettings are the cache store's connection settings besides REDIS_URL.
type RedisSettings struct {
	// RedisCluster is REDIS_CLUSTER: RedisClusterAuto (the default),
	// RedisClusterOn or RedisClusterOff.
	RedisCluster string
}

// readRedisKeys reads REDIS_CLUSTER (auto, on or off; also true/false,
// 1/0, yes/no), one error when it is invalid.
func (c *Config) readRedisKeys(getenv func(string) string) []error {
	v := getenv("REDIS_CLUSTER")
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "", RedisClusterAuto:
		c.RedisCluster = RedisClusterAuto
	case RedisClusterOn, "true", "1", "yes":
		c.RedisCluster = RedisClusterOn
	case RedisClusterOff, "false", "0", "no":
		c.RedisCluster = RedisClusterOff
	default:
		return []error{fmt.Errorf("REDIS_CLUSTER: %q is not one of auto, on, off", v)}
	}
	return nil
}
