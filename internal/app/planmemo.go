package app

import (
	"encoding/binary"
	"net/http"
	"sync"

	"github.com/pgrest-lambda/pgrest-lambda/internal/config"
	"github.com/pgrest-lambda/pgrest-lambda/internal/plan"
	"github.com/pgrest-lambda/pgrest-lambda/internal/query"
	"github.com/pgrest-lambda/pgrest-lambda/internal/schemacache"
)

// Bounds of a planMemo. A request whose key is longer than planKeyMaxBytes
// is never memoised; the memo is emptied when it holds planMemoMaxEntries
// plans or about planMemoMaxBytes of keys and statements, so requests that
// are all different (a client paging by id, or a hostile one) cost one map
// insert each and never more memory than the bound.
const (
	planKeyMaxBytes    = 2 << 10
	planMemoMaxEntries = 512
	planMemoMaxBytes   = 4 << 20
	// planEntryOverhead approximates an entry's plan and query structures
	// besides their key and SQL text, in bytes.
	planEntryOverhead = 1 << 10
)

// planMemo remembers the plans and queries of recent GET and HEAD reads
// and calls on one schema cache and configuration, so a request alike an
// earlier one in every input of parse, plan and query skips those stages:
// only its claims, request.headers and request.cookies are its own
// (plan.Action.ForRequest). A new schema cache or configuration empties
// it. Safe for concurrent use.
type planMemo struct {
	mu    sync.Mutex
	sc    *schemacache.SchemaCache
	cfg   *config.Config
	plans map[string]memoPlan
	bytes int
}

// memoPlan is a memoised plan and its query, both read-only.
type memoPlan struct {
	a *plan.Action
	q query.Query
}

// get returns the plan memoised under key on sc and cfg.
func (m *planMemo) get(sc *schemacache.SchemaCache, cfg *config.Config, key []byte) (memoPlan, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.sc != sc || m.cfg != cfg {
		return memoPlan{}, false
	}
	p, ok := m.plans[string(key)]
	return p, ok
}

// put memoises p under key on sc and cfg, replacing the plans of any other
// schema cache or configuration.
func (m *planMemo) put(sc *schemacache.SchemaCache, cfg *config.Config, key []byte, p memoPlan) {
	size := len(key) + len(p.q.Main.SQL) + planEntryOverhead
	if p.q.CountPlan != nil {
		size += len(p.q.CountPlan.SQL)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.sc != sc || m.cfg != cfg || len(m.plans) >= planMemoMaxEntries || m.bytes+size > planMemoMaxBytes {
		m.sc, m.cfg, m.plans, m.bytes = sc, cfg, make(map[string]memoPlan), 0
	}
	m.plans[string(key)] = p
	m.bytes += size
}

// planKey appends to dst the memo key of r for env's role: every input
// of parse, plan and query that is not the schema cache or the
// configuration (the memo's own identity) — the method, the path as
// given and as decoded, the query string, the Accept, Prefer, Range and
// Accept-Profile headers with all their values (looked up as
// apirequest.Parse looks them up), the role and whether it is
// authenticated. Each part is length-prefixed, so no two requests share
// a key. ok is false for a request that is not memoised: any method but
// GET and HEAD, a body, or a key over planKeyMaxBytes.
func planKey(dst []byte, r *http.Request, in body, env plan.Env) (key []byte, ok bool) {
	if (r.Method != http.MethodGet && r.Method != http.MethodHead) || len(in.bytes) > 0 || in.err != nil {
		return dst, false
	}
	dst = appendPart(dst, r.Method)
	dst = appendPart(dst, r.URL.Path)
	dst = appendPart(dst, r.URL.RawPath)
	dst = appendPart(dst, r.URL.RawQuery)
	for _, name := range planHeaders {
		vals := r.Header.Values(name)
		dst = binary.AppendUvarint(dst, uint64(len(vals)))
		for _, v := range vals {
			if len(dst) > planKeyMaxBytes {
				// Not memoised: the rest is not copied.
				return dst, false
			}
			dst = appendPart(dst, v)
		}
	}
	dst = appendPart(dst, env.Role)
	if env.Authenticated {
		dst = append(dst, 1)
	} else {
		dst = append(dst, 0)
	}
	return dst, len(dst) <= planKeyMaxBytes
}

// planHeaders are the headers parse reads for a GET or HEAD, in
// canonical form, as apirequest.Parse looks them up.
var planHeaders = [...]string{"Accept", "Prefer", "Range", "Accept-Profile"}

// appendPart appends s to dst, prefixed with its length.
func appendPart(dst []byte, s string) []byte {
	return append(binary.AppendUvarint(dst, uint64(len(s))), s...)
}
