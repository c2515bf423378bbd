package cachestore

import (
	"fmt"

	"github.com/redis/go-redis/v9"
)

// Dial returns a client for REDIS_URL (redis://, rediss:// or unix://). The
// connection is opened lazily; the error is a parse error only and never
// contains the password.
func Dial(url string) (redis.UniversalClient, error) {
	opts, err := redis.ParseURL(url)
	if err != nil {
		return nil, fmt.Errorf("parse REDIS_URL: invalid Redis URL")
	}
	return redis.NewClient(opts), nil
}
