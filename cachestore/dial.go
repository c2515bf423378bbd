package cachestore

import (
	"fmt"
	neturl "net/url"
	"time"

	"github.com/redis/go-redis/v9"
)

// Dial returns a client for REDIS_URL (redis://, rediss:// or unix://). The
// connection is opened lazily; the error is a parse error only and never
// contains the password. Unless the URL sets them, timeouts are short (dial
// 1 s, read and write 500 ms) and failed commands are not retried: on the
// request path a warm function falls back to its memoised cache at once
// rather than after go-redis's default retries (about 2 s).
func Dial(url string) (redis.UniversalClient, error) {
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
	return redis.NewClient(opts), nil
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
