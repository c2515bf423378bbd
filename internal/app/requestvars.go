package app

import (
	"encoding/json"
	"net/http"
	"strings"
)

// anonClaims is request.jwt.claims of a request without a JWT: PostgREST
// inserts the role it runs as into the (empty) claims.
func anonClaims(role string) string {
	b, _ := json.Marshal(role)
	return `{"role":` + string(b) + "}"
}

// headersJSON is request.headers: the request headers with lower-case
// names, without the cookie header (request.cookies has the cookies), as
// PostgREST sets it.
func headersJSON(h map[string]string) string {
	out := make(map[string]string, len(h))
	for k, v := range h {
		if k != "cookie" {
			out[k] = v
		}
	}
	b, _ := json.Marshal(out)
	return string(b)
}

// cookiesJSON is request.cookies: the cookies of a Cookie header as a
// JSON object of name to value; malformed pairs are skipped.
func cookiesJSON(header string) string {
	if header == "" {
		return "{}"
	}
	out := map[string]string{}
	// Pair by pair, so one malformed cookie does not hide the others
	// (http.ParseCookie rejects the whole line).
	for _, part := range strings.Split(header, ";") {
		cs, err := http.ParseCookie(strings.TrimSpace(part))
		if err != nil {
			continue
		}
		for _, c := range cs {
			out[c.Name] = c.Value
		}
	}
	b, _ := json.Marshal(out)
	return string(b)
}
