// Command pgrst-cache inspects and steers the schema cache versions that
// the listener worker publishes to Redis.
//
// Usage:
//
//	pgrst-cache [-redis URL] [-prefix PREFIX] COMMAND [-json] [ARGS]
//
// Commands: status, versions, dump [VERSION], diff V1 V2,
// reload [schema|config], pin VERSION, unpin. REDIS_URL and
// PGRST_CACHE_KEY_PREFIX (default "pgrst") are read from the environment;
// the flags override them. Exit status: 0 on success, 1 on an error, 2 on a
// usage error.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/pgrest-lambda/pgrest-lambda/cachestore"
	"github.com/pgrest-lambda/pgrest-lambda/internal/config"
)

// timeout bounds a whole invocation, so a hung Redis does not hang a script.
const timeout = 30 * time.Second

const usageText = `usage: pgrst-cache [-redis URL] [-prefix PREFIX] COMMAND [-json] [ARGS]

commands:
  status                 the current version and its metadata
  versions               the kept versions, oldest first
  dump [VERSION]         a snapshot as JSON (default: the current version)
  diff V1 V2             what changed between two kept versions
  reload [schema|config] ask the leading worker to reload
  pin VERSION            make a kept version current (roll back)
  unpin                  make the newest kept version current again

environment: REDIS_URL (required), PGRST_CACHE_KEY_PREFIX (default pgrst)
`

// command runs one subcommand against a store, writing its output to w.
type command func(ctx context.Context, s *cachestore.Store, args []string, w io.Writer) error

var commands = map[string]command{
	"status":   runStatus,
	"versions": runVersions,
	"dump":     runDump,
	"diff":     runDiff,
	"reload":   runReload,
	"pin":      runPin,
	"unpin":    runUnpin,
}

func main() {
	// go-redis logs dial failures itself; the error we print says it once.
	redis.SetLogger(quietLogger{})
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run is main without the process: it returns the exit status.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("pgrst-cache", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	redisURL := fs.String("redis", "", "Redis URL (overrides REDIS_URL)")
	prefix := fs.String("prefix", "", "key prefix (overrides PGRST_CACHE_KEY_PREFIX)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(stdout, usageText)
			return 0
		}
		return fail(stderr, usageError{err.Error()})
	}
	if fs.NArg() == 0 {
		return fail(stderr, usageError{"no command given (try: status, versions, dump, diff, reload, pin, unpin)"})
	}
	name := fs.Arg(0)
	if name == "help" {
		fmt.Fprint(stdout, usageText)
		return 0
	}
	cmd, ok := commands[name]
	if !ok {
		return fail(stderr, usageError{fmt.Sprintf("unknown command %q", name)})
	}
	store, closeStore, err := openStore(getenv, *redisURL, *prefix)
	if err != nil {
		return fail(stderr, err)
	}
	defer closeStore()
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	return fail(stderr, cmd(ctx, store, fs.Args()[1:], stdout))
}

// openStore builds the store from the environment and the flag overrides.
func openStore(getenv func(string) string, redisURL, prefix string) (*cachestore.Store, func(), error) {
	cfg, err := config.FromEnv(getenv)
	if err != nil {
		return nil, nil, err
	}
	if redisURL != "" {
		cfg.RedisURL = redisURL
	}
	if prefix != "" {
		if strings.ContainsAny(prefix, "{} \t\n") {
			return nil, nil, usageError{fmt.Sprintf("-prefix %q must not contain braces or spaces", prefix)}
		}
		cfg.CacheKeyPrefix = prefix
	}
	if cfg.RedisURL == "" {
		return nil, nil, usageError{"REDIS_URL is not set (or pass -redis URL)"}
	}
	rdb, err := cachestore.DialConfig(cfg)
	if err != nil {
		return nil, nil, usageError{err.Error()}
	}
	s := cachestore.New(rdb, cfg.CacheKeyPrefix)
	// With PGRST_CACHE_SIGNING_KEY set, dump and diff verify what they read
	// and can open sealed settings (still redacted when printed).
	if s.Keys, err = cachestore.KeysFromConfig(cfg, "pgrst-cache", nil); err != nil {
		_ = rdb.Close()
		return nil, nil, err
	}
	return s, func() { _ = rdb.Close() }, nil
}

// fail prints err as one line and returns its exit status: 0 for nil, 2 for
// a usage error, 1 otherwise.
func fail(stderr io.Writer, err error) int {
	if err == nil {
		return 0
	}
	// Joined configuration errors span lines; scripts expect one.
	fmt.Fprintln(stderr, "pgrst-cache: "+strings.ReplaceAll(err.Error(), "\n", "; "))
	var ue usageError
	if errors.As(err, &ue) {
		return 2
	}
	return 1
}

// quietLogger discards go-redis's internal log lines.
type quietLogger struct{}

func (quietLogger) Printf(context.Context, string, ...any) {}
