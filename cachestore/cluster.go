package cachestore

import (
	"context"
	"errors"
	"strings"
	"sync"

	"github.com/redis/go-redis/v9"
)

// errClusterDisabled is the text of the error a single-node server answers
// to CLUSTER commands.
const errClusterDisabled = "cluster support disabled"

// DetectCluster asks the server behind rdb whether it runs in cluster
// mode: CLUSTER INFO answers on a cluster node (ElastiCache Serverless
// included) and fails with "cluster support disabled" on a single node;
// when the user may not run CLUSTER (ACL), INFO cluster's cluster_enabled
// field decides. The error is the connection's or the server's when
// neither answers.
func DetectCluster(ctx context.Context, rdb redis.Cmdable) (bool, error) {
	err := rdb.ClusterInfo(ctx).Err()
	if err == nil {
		return true, nil
	}
	if strings.Contains(err.Error(), errClusterDisabled) {
		return false, nil
	}
	var rerr redis.Error
	if !errors.As(err, &rerr) {
		return false, err
	}
	info, ierr := rdb.Info(ctx, "cluster").Result()
	if ierr != nil {
		return false, errors.Join(err, ierr)
	}
	for _, line := range strings.Split(info, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "cluster_enabled:"); ok {
			return v == "1", nil
		}
	}
	return false, nil
}

// adaptiveSlots is a ClusterOptions.ClusterSlots for a server whose mode
// was unknown when the client was made: the cluster's own CLUSTER SLOTS,
// or, from a single node, the whole slot range served by addr.
func adaptiveSlots(seed *redis.Client, addr string) func(context.Context) ([]redis.ClusterSlot, error) {
	return func(ctx context.Context) ([]redis.ClusterSlot, error) {
		slots, err := seed.ClusterSlots(ctx).Result()
		if err != nil && strings.Contains(err.Error(), errClusterDisabled) {
			return []redis.ClusterSlot{{Start: 0, End: 16383, Nodes: []redis.ClusterNode{{Addr: addr}}}}, nil
		}
		return slots, err
	}
}

// isCluster reports whether rdb is a cluster client.
func isCluster(rdb redis.UniversalClient) (*redis.ClusterClient, bool) {
	cc, ok := rdb.(*redis.ClusterClient)
	return cc, ok
}

// subscribers counts the subscribers of channel on every node of cc.
func subscribers(ctx context.Context, cc *redis.ClusterClient, channel string) (int64, error) {
	var mu sync.Mutex
	var n int64
	err := cc.ForEachShard(ctx, func(ctx context.Context, c *redis.Client) error {
		m, err := c.PubSubNumSub(ctx, channel).Result()
		mu.Lock()
		n += m[channel]
		mu.Unlock()
		return err
	})
	return n, err
}
