package apirequest

import (
	"strings"
)

// queryParam is one decoded query string pair. hasValue is false for a
// bare key without `=`, which PostgREST ignores.
type queryParam struct {
	key, value string
	hasValue   bool
}

// splitQuery decodes a raw query string in order, the way PostgREST's
// parseQueryReplacePlus does: pairs are separated by `&` or `;`, `+` is a
// space, malformed percent escapes are kept literally and empty pairs are
// skipped. Invalid UTF-8 is replaced rather than rejected.
func splitQuery(raw string) []queryParam {
	return appendQuery(nil, raw)
}

// appendQuery is splitQuery appending to dst, so that a caller can split
// a short query string into an array of its own.
func appendQuery(dst []queryParam, raw string) []queryParam {
	for raw != "" {
		part := raw
		if i := strings.IndexAny(raw, "&;"); i >= 0 {
			part, raw = raw[:i], raw[i+1:]
		} else {
			raw = ""
		}
		if part == "" {
			continue
		}
		k, v, has := strings.Cut(part, "=")
		dst = append(dst, queryParam{key: queryUnescape(k), value: queryUnescape(v), hasValue: has})
	}
	return dst
}

// queryUnescape is urlDecodePlus with invalid UTF-8 replaced by U+FFFD.
func queryUnescape(s string) string {
	return strings.ToValidUTF8(urlDecodePlus(s), "\uFFFD")
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c <= 'F':
		return c - 'A' + 10
	}
	return c - 'a' + 10
}

// lastSegment is the part of a key after its last dot: PostgREST reserves
// keys ending in order, limit, offset, and, or at any embedding level.
func lastSegment(key string) string {
	return key[strings.LastIndexByte(key, '.')+1:]
}
