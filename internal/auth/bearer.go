package auth

import "strings"

// bearerToken extracts the token of an Authorization header value as
// wai-extra's extractBearerAuth does for PostgREST: the scheme is what
// precedes the first space, compared case-insensitively with "bearer";
// the token is the rest with leading spaces dropped (possibly empty).
// ok is false for an empty header or another scheme: an anonymous request.
func bearerToken(header string) (token string, ok bool) {
	i := strings.IndexFunc(header, isSpace)
	scheme, rest := header, ""
	if i >= 0 {
		scheme, rest = header[:i], header[i:]
	}
	if !strings.EqualFold(scheme, "bearer") {
		return "", false
	}
	return strings.TrimLeftFunc(rest, isSpace), true
}

// isSpace is Data.Word8's isSpace: space, \t, \n, \v, \f, \r and U+00A0.
func isSpace(r rune) bool {
	return r == ' ' || (r >= '\t' && r <= '\r') || r == 0xa0
}
