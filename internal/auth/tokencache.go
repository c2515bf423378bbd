package auth

import (
	"container/list"
	"sync"
)

// cacheEntry is what a verified token's cache entry holds: the finished
// Result, the time claims to check again on every hit, and the JWKS
// generation the token was verified with.
type cacheEntry struct {
	result Result
	times  timeClaims
	keyGen uint64
}

// tokenCache is a bounded LRU cache of verified tokens keyed by the token
// text, PostgREST's JwtCache: only tokens that passed every check are
// stored, and a hit is checked against the clock again (and dropped once
// expired), so an entry never outlives its exp. Safe for concurrent use.
type tokenCache struct {
	max   int
	mu    sync.Mutex
	ll    *list.List // front = most recently used; values are *cacheItem
	items map[string]*list.Element
}

type cacheItem struct {
	token string
	entry cacheEntry
}

func newTokenCache(max int) *tokenCache {
	return &tokenCache{max: max, ll: list.New(), items: make(map[string]*list.Element)}
}

func (c *tokenCache) get(token string) (cacheEntry, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.items[token]
	if !ok {
		return cacheEntry{}, false
	}
	c.ll.MoveToFront(el)
	return el.Value.(*cacheItem).entry, true
}

func (c *tokenCache) put(token string, e cacheEntry) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.items[token]; ok {
		el.Value.(*cacheItem).entry = e
		c.ll.MoveToFront(el)
		return
	}
	c.items[token] = c.ll.PushFront(&cacheItem{token: token, entry: e})
	for c.ll.Len() > c.max {
		last := c.ll.Back()
		c.ll.Remove(last)
		delete(c.items, last.Value.(*cacheItem).token)
	}
}

func (c *tokenCache) remove(token string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.items[token]; ok {
		c.ll.Remove(el)
		delete(c.items, token)
	}
}

func (c *tokenCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.ll.Len()
}
