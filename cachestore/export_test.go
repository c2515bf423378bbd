package cachestore

import "github.com/redis/go-redis/v9"

// AdaptiveClient is the client DialMode returns in auto mode when the
// server cannot be asked, for tests.
func AdaptiveClient(url string) redis.UniversalClient {
	opts, err := redis.ParseURL(url)
	if err != nil {
		panic(err)
	}
	return adaptiveClient(opts, redis.NewClient(opts))
}
