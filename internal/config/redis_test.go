package config

import (
	"strings"
	"testing"
)

func TestRedisCluster(t *testing.T) {
	for in, want := range map[string]string{
		"": RedisClusterAuto, "auto": RedisClusterAuto, " AUTO ": RedisClusterAuto,
		"on": RedisClusterOn, "true": RedisClusterOn, "1": RedisClusterOn,
		"off": RedisClusterOff, "no": RedisClusterOff, "0": RedisClusterOff,
	} {
		c, err := FromEnv(func(k string) string {
			if k == "REDIS_CLUSTER" {
				return in
			}
			return ""
		})
		if err != nil || c.RedisCluster != want {
			t.Errorf("REDIS_CLUSTER=%q: %v, %v; want %q", in, c, err, want)
		}
	}
	_, err := FromEnv(func(k string) string {
		if k == "REDIS_CLUSTER" {
			return "sometimes"
		}
		return ""
	})
	if err == nil || !strings.Contains(err.Error(), `REDIS_CLUSTER: "sometimes" is not one of auto, on, off`) {
		t.Errorf("invalid REDIS_CLUSTER: %v", err)
	}
}
