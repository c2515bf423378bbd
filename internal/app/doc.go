// Package app wires PostgREST's pipeline stages into one http.Handler:
// schema cache → role → apirequest → plan → query → maintx → response. The
// Lambda entry point and the local HTTP server both run requests through
// it.
package app
