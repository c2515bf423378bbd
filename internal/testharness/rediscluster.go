package testharness

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"
)

// clusterNodes is how many redis-server processes a RedisCluster runs:
// three masters, each with one replica.
const clusterNodes = 6

// clusterReadyTimeout bounds how long the cluster may take to agree on its
// slots after `redis-cli --cluster create`, and a failover to complete.
const clusterReadyTimeout = 30 * time.Second

// RedisClusterOptions tune [StartRedisCluster].
type RedisClusterOptions struct {
	// User and Password, when Password is set, create an ACL user (User,
	// or "default" when empty) that every client must authenticate as;
	// the default user is then disabled.
	User, Password string
}

// RedisCluster is a throwaway Redis Cluster started by [StartRedisCluster]:
// three masters and three replicas, each a redis-server on its own free
// loopback port (and cluster bus port) in its own temporary directory,
// persistence off. Its methods are safe for concurrent use.
type RedisCluster struct {
	bin  string
	opts RedisClusterOptions

	mu      sync.Mutex
	nodes   []*clusterNode
	stopped bool
	stopErr error
}

// clusterNode is one redis-server of a RedisCluster.
type clusterNode struct {
	dir  string
	port int
	proc *proc
}

func (n *clusterNode) addr() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(n.port)) }

// StartRedisCluster starts six redis-server processes with
// --cluster-enabled yes on free loopback ports, joins them with
// `redis-cli --cluster create … --cluster-replicas 1 --cluster-yes` and
// returns once every node reports cluster_state:ok with all 16384 slots
// assigned and every replica is in sync (at most 30 s). It returns an
// error saying to run `make test` if redis-server or redis-cli is missing.
// Call [RedisCluster.Stop] when done.
func StartRedisCluster(opts RedisClusterOptions) (*RedisCluster, error) {
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		return nil, fmt.Errorf("redis-server not found on PATH: %w; %s", err, errMissingHint)
	}
	cli, err := exec.LookPath("redis-cli")
	if err != nil {
		return nil, fmt.Errorf("redis-cli not found on PATH: %w; %s", err, errMissingHint)
	}
	if opts.Password != "" && opts.User == "" {
		opts.User = "default"
	}
	c := &RedisCluster{bin: bin, opts: opts}
	for range clusterNodes {
		n, err := c.startNode()
		if err != nil {
			_ = c.Stop()
			return nil, err
		}
		c.nodes = append(c.nodes, n)
	}
	args := []string{"--cluster", "create"}
	for _, n := range c.nodes {
		args = append(args, n.addr())
	}
	args = append(args, "--cluster-replicas", "1", "--cluster-yes")
	if opts.Password != "" {
		args = append(args, "--user", opts.User, "--pass", opts.Password, "--no-auth-warning")
	}
	out, err := exec.Command(cli, args...).CombinedOutput()
	if err != nil {
		_ = c.Stop()
		return nil, fmt.Errorf("redis-cli --cluster create: %w\n%s", err, out)
	}
	if err := c.waitHealthy(context.Background()); err != nil {
		_ = c.Stop()
		return nil, err
	}
	return c, nil
}

// startNode starts one cluster-enabled redis-server on free ports.
func (c *RedisCluster) startNode() (*clusterNode, error) {
	dir, err := os.MkdirTemp("", "pgrest-lambda-redis-cluster-*")
	if err != nil {
		return nil, fmt.Errorf("create redis directory: %w", err)
	}
	for attempt := 1; ; attempt++ {
		n := &clusterNode{dir: dir}
		var busPort int
		n.port, err = freePort()
		if err == nil {
			busPort, err = freePort()
		}
		if err == nil && busPort != n.port {
			err = c.startProc(n, busPort)
		}
		if err == nil {
			return n, nil
		}
		if !errors.Is(err, errPortInUse) || attempt == startAttempts {
			_ = os.RemoveAll(dir)
			return nil, err
		}
	}
}

// startProc runs redis-server for n with its cluster bus on busPort and
// waits until it answers.
func (c *RedisCluster) startProc(n *clusterNode, busPort int) error {
	args := []string{
		"--port", strconv.Itoa(n.port),
		"--cluster-port", strconv.Itoa(busPort),
		"--bind", "127.0.0.1",
		"--cluster-enabled", "yes",
		"--cluster-config-file", filepath.Join(n.dir, "nodes.conf"),
		"--cluster-node-timeout", "2000",
		"--save", "",
		"--appendonly", "no",
		"--dir", n.dir,
		"--daemonize", "no",
	}
	if c.opts.Password != "" {
		// Each ACL rule is an argument of its own.
		if c.opts.User != "default" {
			args = append(args, "--user", "default", "off")
		}
		args = append(args,
			"--user", c.opts.User, "on", ">"+c.opts.Password, "~*", "&*", "+@all",
			"--masteruser", c.opts.User, "--masterauth", c.opts.Password)
	}
	cmd := exec.Command(c.bin, args...)
	cmd.Dir = n.dir
	p, err := startProc(cmd, filepath.Join(n.dir, "redis.log"), syscall.SIGKILL)
	if err != nil {
		return err
	}
	n.proc = p
	return p.waitReady("redis-server (cluster node)", syscall.SIGTERM, func() error {
		err := pingRedis(n.addr())
		if err != nil && strings.Contains(err.Error(), "NOAUTH") {
			return nil // up, and asking for a password
		}
		return err
	})
}

// client returns a single-node client of the node at addr.
func (c *RedisCluster) client(addr string) *redis.Client {
	return redis.NewClient(&redis.Options{
		Addr: addr, Username: c.opts.User, Password: c.opts.Password,
		MaxRetries: -1, DialTimeout: time.Second, ReadTimeout: 2 * time.Second,
	})
}

// Addrs returns the nodes' host:port addresses (127.0.0.1:PORT), in the
// order they were started.
func (c *RedisCluster) Addrs() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	addrs := make([]string, len(c.nodes))
	for i, n := range c.nodes {
		addrs[i] = n.addr()
	}
	return addrs
}

// URL returns redis://[user:password@]127.0.0.1:PORT of the first node:
// a seed from which a cluster client discovers the others.
func (c *RedisCluster) URL() string {
	u := url.URL{Scheme: "redis", Host: c.Addrs()[0]}
	if c.opts.Password != "" {
		u.User = url.UserPassword(c.opts.User, c.opts.Password)
	}
	return u.String()
}

// shardOf returns the addresses of the master serving key's slot and of
// its replicas, as the node at seed sees them.
func (c *RedisCluster) shardOf(ctx context.Context, seed, key string) (master string, replicas []string, err error) {
	rdb := c.client(seed)
	defer rdb.Close()
	slot, err := rdb.ClusterKeySlot(ctx, key).Result()
	if err != nil {
		return "", nil, err
	}
	slots, err := rdb.ClusterSlots(ctx).Result()
	if err != nil {
		return "", nil, err
	}
	for _, s := range slots {
		if int64(s.Start) <= slot && slot <= int64(s.End) && len(s.Nodes) > 0 {
			master = s.Nodes[0].Addr
			break
		}
	}
	if master == "" {
		return "", nil, fmt.Errorf("slot %d of %q is not served", slot, key)
	}
	// CLUSTER SLOTS leaves out replicas whose offset the node has not yet
	// heard of: the master's own list of online replicas is exact.
	m := c.client(master)
	defer m.Close()
	repl, err := m.Info(ctx, "replication").Result()
	if err != nil {
		return "", nil, err
	}
	for _, line := range strings.Split(repl, "\n") {
		if !strings.HasPrefix(line, "slave") || !strings.Contains(line, "state=online") {
			continue
		}
		var ip, port string
		for _, kv := range strings.Split(strings.TrimSpace(line[strings.IndexByte(line, ':')+1:]), ",") {
			if v, ok := strings.CutPrefix(kv, "ip="); ok {
				ip = v
			} else if v, ok := strings.CutPrefix(kv, "port="); ok {
				port = v
			}
		}
		replicas = append(replicas, net.JoinHostPort(ip, port))
	}
	return master, replicas, nil
}

// MasterOf returns the address of the master that serves key's slot.
func (c *RedisCluster) MasterOf(ctx context.Context, key string) (string, error) {
	m, _, err := c.shardOf(ctx, c.Addrs()[0], key)
	return m, err
}

// Failover makes a replica of the master serving key's slot take over with
// CLUSTER FAILOVER (the manual, coordinated failover: the old master stops
// taking writes, the replica catches up and is promoted, the old master
// becomes its replica). It returns the old and the new master's addresses
// once every node agrees that the new master serves the slot and the
// cluster is healthy again (at most 30 s).
func (c *RedisCluster) Failover(ctx context.Context, key string) (oldMaster, newMaster string, err error) {
	oldMaster, replicas, err := c.shardOf(ctx, c.Addrs()[0], key)
	if err != nil {
		return "", "", err
	}
	if len(replicas) == 0 {
		return "", "", fmt.Errorf("master %s of %q has no replica", oldMaster, key)
	}
	newMaster = replicas[0]
	rdb := c.client(newMaster)
	err = rdb.ClusterFailover(ctx).Err()
	_ = rdb.Close()
	if err != nil {
		return "", "", fmt.Errorf("CLUSTER FAILOVER on %s: %w", newMaster, err)
	}
	deadline := time.Now().Add(clusterReadyTimeout)
	for {
		agreed := true
		for _, addr := range c.Addrs() {
			if m, _, err := c.shardOf(ctx, addr, key); err != nil || m != newMaster {
				agreed = false
				break
			}
		}
		if agreed {
			if err := c.waitHealthy(ctx); err != nil {
				return "", "", err
			}
			return oldMaster, newMaster, nil
		}
		if time.Now().After(deadline) {
			return "", "", fmt.Errorf("failover of %s to %s not seen by every node after %s", oldMaster, newMaster, clusterReadyTimeout)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// waitHealthy waits until every node reports cluster_state:ok with all
// slots assigned, every replica's link to its master is up and every
// master lists its replica online.
func (c *RedisCluster) waitHealthy(ctx context.Context) error {
	deadline := time.Now().Add(clusterReadyTimeout)
	for {
		err := c.healthy(ctx)
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("redis cluster not healthy after %s: %w", clusterReadyTimeout, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// healthy checks every node once; see waitHealthy.
func (c *RedisCluster) healthy(ctx context.Context) error {
	masters := 0
	for _, addr := range c.Addrs() {
		rdb := c.client(addr)
		info, err := rdb.ClusterInfo(ctx).Result()
		var repl string
		if err == nil {
			repl, err = rdb.Info(ctx, "replication").Result()
		}
		_ = rdb.Close()
		if err != nil {
			return fmt.Errorf("%s: %w", addr, err)
		}
		if !strings.Contains(info, "cluster_state:ok") || !strings.Contains(info, "cluster_slots_ok:16384") {
			return fmt.Errorf("%s: cluster not ok", addr)
		}
		switch {
		case strings.Contains(repl, "role:master") && !strings.Contains(repl, "state=online"):
			// The replica's link can be up before its master lists it online
			// (it waits for the first REPLCONF ACK); Failover needs that list.
			return fmt.Errorf("%s: master has no replica online yet", addr)
		case strings.Contains(repl, "role:master"):
			masters++
		case !strings.Contains(repl, "master_link_status:up") || strings.Contains(repl, "master_sync_in_progress:1"):
			return fmt.Errorf("%s: replica not in sync", addr)
		}
	}
	if masters != clusterNodes/2 {
		return fmt.Errorf("%d masters, want %d", masters, clusterNodes/2)
	}
	return nil
}

// Stop stops every node (SIGTERM, killing one that has not exited after
// 10 s), waits for them and removes their directories. Stop is
// idempotent: later calls return the first call's result.
func (c *RedisCluster) Stop() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.stopped {
		return c.stopErr
	}
	c.stopped = true
	var errs []error
	for _, n := range c.nodes {
		if n.proc != nil {
			errs = append(errs, n.proc.stop(syscall.SIGTERM))
		}
		errs = append(errs, os.RemoveAll(n.dir))
	}
	if err := errors.Join(errs...); err != nil {
		c.stopErr = fmt.Errorf("stop redis cluster: %w", err)
	}
	return c.stopErr
}

// pids returns the process ids of the nodes.
func (c *RedisCluster) pids() []int {
	c.mu.Lock()
	defer c.mu.Unlock()
	pids := make([]int, 0, len(c.nodes))
	for _, n := range c.nodes {
		pids = append(pids, n.proc.pid())
	}
	return pids
}
