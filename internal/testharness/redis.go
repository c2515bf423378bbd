package testharness

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// restartPortWait bounds how long Restart keeps trying to bind the old port
// if another process grabbed it while Redis was down.
const restartPortWait = 5 * time.Second

// Redis is a throwaway redis-server started by [StartRedis]. It listens on
// 127.0.0.1 only with persistence off (no RDB snapshots, no AOF), so every
// restart begins empty. Its methods are safe for concurrent use.
type Redis struct {
	bin  string
	dir  string // temporary working directory holding redis.log
	port int

	mu      sync.Mutex
	proc    *proc
	stopped bool
	stopErr error
}

// StartRedis starts redis-server on a free loopback port in a new temporary
// directory and returns once it answers PING (at most 30 s). It returns an
// error saying to run `make test` if redis-server is missing, and one
// quoting the server log if the server does not come up. Call [Redis.Stop]
// when done.
func StartRedis() (*Redis, error) {
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		return nil, fmt.Errorf("redis-server not found on PATH: %w; %s", err, errMissingHint)
	}
	dir, err := os.MkdirTemp("", "pgrest-lambda-redis-*")
	if err != nil {
		return nil, fmt.Errorf("create redis directory: %w", err)
	}
	r := &Redis{bin: bin, dir: dir}
	for attempt := 1; ; attempt++ {
		r.port, err = freePort()
		if err == nil {
			err = r.start()
		}
		if err == nil {
			return r, nil
		}
		if !errors.Is(err, errPortInUse) || attempt == startAttempts {
			_ = os.RemoveAll(dir)
			return nil, err
		}
	}
}

// start runs redis-server on r.port and waits for PING. The caller holds
// r.mu or has not shared r yet.
func (r *Redis) start() error {
	cmd := exec.Command(r.bin,
		"--port", strconv.Itoa(r.port),
		"--bind", "127.0.0.1",
		"--save", "",
		"--appendonly", "no",
		"--dir", r.dir,
		"--daemonize", "no",
	)
	cmd.Dir = r.dir
	p, err := startProc(cmd, filepath.Join(r.dir, "redis.log"), syscall.SIGKILL)
	if err != nil {
		return err
	}
	r.proc = p
	return p.waitReady("redis-server", syscall.SIGTERM, func() error { return pingRedis(r.Addr()) })
}

// pingRedis sends one inline PING to addr and expects +PONG.
func pingRedis(addr string) error {
	conn, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return err
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(time.Second))
	if _, err := conn.Write([]byte("PING\r\n")); err != nil {
		return err
	}
	line, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil {
		return err
	}
	if strings.TrimSpace(line) != "+PONG" {
		return fmt.Errorf("PING answered %q", line)
	}
	return nil
}

// Addr returns the server's host:port, 127.0.0.1:PORT. It stays the same
// across Restart.
func (r *Redis) Addr() string {
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(r.port))
}

// URL returns redis://127.0.0.1:PORT/0, database 0 of the server.
func (r *Redis) URL() string {
	return "redis://" + r.Addr() + "/0"
}

// Restart stops the server (SIGTERM, as a service manager would) and starts
// a new, empty one on the same port, returning once it answers PING. Clients
// see their connections dropped and every key gone. If another process
// takes the port meanwhile, Restart retries for up to 5 s and then fails.
// It returns an error after Stop.
func (r *Redis) Restart() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.stopped {
		return errors.New("restart redis: already stopped")
	}
	if err := r.proc.stop(syscall.SIGTERM); err != nil {
		return fmt.Errorf("restart redis: %w", err)
	}
	deadline := time.Now().Add(restartPortWait)
	for {
		err := r.start()
		if err == nil {
			return nil
		}
		if !errors.Is(err, errPortInUse) || time.Now().After(deadline) {
			return fmt.Errorf("restart redis on port %d: %w", r.port, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Stop stops the server (SIGTERM, killing it if it has not exited after
// 10 s), waits for it and removes its directory. Stop is idempotent: later
// calls return the first call's result.
func (r *Redis) Stop() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.stopped {
		return r.stopErr
	}
	r.stopped = true
	err := errors.Join(r.proc.stop(syscall.SIGTERM), os.RemoveAll(r.dir))
	if err != nil {
		r.stopErr = fmt.Errorf("stop redis: %w", err)
	}
	return r.stopErr
}

// pid returns the process id of the current server process.
func (r *Redis) pid() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.proc.pid()
}
