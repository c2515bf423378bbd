package app

import (
	"net/http"
	"strings"
)

// corsExposed are the response headers browsers may read, as PostgREST's
// CORS policy lists them.
const corsExposed = "Content-Encoding, Content-Location, Content-Range, Content-Type, Date, Location, Server, Transfer-Encoding, Range-Unit"

// preflight reports whether r is a CORS preflight request.
func preflight(r *http.Request) bool {
	return r.Method == http.MethodOptions && r.Header.Get("Origin") != "" &&
		r.Header.Get("Access-Control-Request-Method") != ""
}

// corsHeaders adds PostgREST's CORS headers (any origin) to a response to a
// request carrying an Origin header. A preflight gets the allowed methods,
// the requested headers plus Authorization, and a one-day max age.
func corsHeaders(r *http.Request, h http.Header) {
	if r.Header.Get("Origin") == "" {
		return
	}
	h.Set("Access-Control-Allow-Origin", "*")
	if !preflight(r) {
		h.Set("Access-Control-Expose-Headers", corsExposed)
		return
	}
	h.Set("Access-Control-Allow-Methods", "GET, POST, PATCH, PUT, DELETE, OPTIONS")
	allowed := []string{"Authorization"}
	for _, v := range r.Header.Values("Access-Control-Request-Headers") {
		for _, name := range strings.Split(v, ",") {
			if name = strings.TrimSpace(name); name != "" && !strings.EqualFold(name, "authorization") {
				allowed = append(allowed, name)
			}
		}
	}
	h.Set("Access-Control-Allow-Headers", strings.Join(allowed, ", "))
	h.Set("Access-Control-Max-Age", "86400")
}
