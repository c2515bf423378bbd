package apirequest

import (
	"strings"
	"unicode/utf8"
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

// queryUnescape decodes `+` and %XX escapes, leaving invalid escapes as is.
func queryUnescape(s string) string {
	if !strings.ContainsAny(s, "+%") {
		return strings.ToValidUTF8(s, "\uFFFD")
	}
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '+':
			b = append(b, ' ')
		case c == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]):
			b = append(b, unhex(s[i+1])<<4|unhex(s[i+2]))
			i += 2
		default:
			b = append(b, c)
		}
	}
	if utf8.Valid(b) {
		return string(b)
	}
	return strings.ToValidUTF8(string(b), "\uFFFD")
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
