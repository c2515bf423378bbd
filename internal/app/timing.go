package app

import (
	"strconv"
	"strings"
	"time"

	"github.com/pgrest-lambda/pgrest-lambda/internal/response"
)

// timing measures the stages of one request for the Server-Timing header,
// as PostgREST's server-timing-enabled: jwt, parse, plan, transaction and
// response, each in ms, for the stages that ran (OPTIONS has no plan and
// no transaction). A nil *timing measures nothing.
type timing struct {
	last    time.Time
	entries []string
}

// newTiming starts measuring when enabled; otherwise it returns nil.
func newTiming(enabled bool) *timing {
	if !enabled {
		return nil
	}
	return &timing{last: time.Now()}
}

// mark ends the stage named name, which began when the previous one ended.
func (t *timing) mark(name string) {
	if t == nil {
		return
	}
	now := time.Now()
	ms := float64(now.Sub(t.last).Microseconds()) / 1000
	t.entries = append(t.entries, name+";dur="+strconv.FormatFloat(ms, 'f', 1, 64))
	t.last = now
}

// done adds the Server-Timing header to r, when measuring, and returns r.
func (t *timing) done(r *response.Response) *response.Response {
	if t != nil && len(t.entries) > 0 {
		r.Headers.Set("Server-Timing", strings.Join(t.entries, ", "))
	}
	return r
}
