package apirequest

import (
	"math"
	"net/http"
	"regexp"
	"strconv"

	"github.com/pgrest-lambda/pgrest-lambda/internal/pgrsterr"
)

// rangeHeaderRe is the only Range header form PostgREST reads: `first-[last]`
// in items (no unit); anything else is ignored.
var rangeHeaderRe = regexp.MustCompile(`^([0-9]+)-([0-9]*)$`)

// span is a range of row positions; hi < 0 with unbounded false never
// occurs except for the limit-zero range 0..-1.
type span struct {
	lo, hi    int64
	unbounded bool
}

func (s span) empty() bool { return !s.unbounded && s.hi < s.lo }

func (s span) intersect(o span) span {
	r := span{lo: max(s.lo, o.lo), unbounded: s.unbounded && o.unbounded}
	switch {
	case s.unbounded:
		r.hi = o.hi
	case o.unbounded:
		r.hi = s.hi
	default:
		r.hi = min(s.hi, o.hi)
	}
	return r
}

// applyRange combines the top-level limit and offset with the Range header
// into the rows to return, as PostgREST's getRanges: the header counts for
// GET only (RFC 9110), the result is the intersection of both, `limit=0`
// always means no rows, and any other empty intersection is PGRST103 —
// "lower boundary" wording when the header itself is empty, the negative
// limit wording otherwise. req.Limit and req.Offset are rewritten.
func applyRange(req *Request, h http.Header) *pgrsterr.Error {
	limits := limitSpan(req.Limit, req.Offset)
	header := span{unbounded: true}
	if vals := h.Values("Range"); req.Method == http.MethodGet && len(vals) > 0 {
		if m := rangeHeaderRe.FindStringSubmatch(vals[0]); m != nil {
			header = span{lo: parseBound(m[1]), unbounded: m[2] == ""}
			if m[2] != "" {
				header.hi = parseBound(m[2])
			}
		}
	}
	if !limits.unbounded && limits.lo == 0 && limits.hi == -1 {
		zero := int64(0)
		req.Limit, req.Offset = &zero, nil
		return nil
	}
	top := header.intersect(limits)
	if top.empty() {
		if header.empty() {
			return pgrsterr.RangeLowerGTUpper()
		}
		return pgrsterr.NegativeLimit()
	}
	if top.lo > 0 || req.Offset != nil {
		lo := top.lo
		req.Offset = &lo
	}
	req.Limit = nil
	// A range of 2^63 rows or more is no limit: its count overflows int64.
	if !top.unbounded && top.hi-top.lo < math.MaxInt64 {
		n := top.hi - top.lo + 1
		req.Limit = &n
	}
	return nil
}

// limitSpan is the range the limit and offset parameters select. A limit
// without an offset starts at 0; an offset without a limit is unbounded.
func limitSpan(limit, offset *int64) span {
	var lo int64
	if offset != nil {
		lo = *offset
	}
	if limit == nil {
		return span{lo: lo, unbounded: true}
	}
	if lo > math.MaxInt64-*limit {
		return span{lo: lo, unbounded: true}
	}
	return span{lo: lo, hi: lo + *limit - 1}
}

// parseBound reads a Range header number; numbers beyond int64 saturate.
func parseBound(s string) int64 {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return math.MaxInt64
	}
	return n
}
