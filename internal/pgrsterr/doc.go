// Package pgrsterr builds every error a client sees, in PostgREST's wire
// format: a JSON object with the keys code, details, hint and message (in
// that order, as PostgREST's aeson encoding emits them) and an HTTP status.
package pgrsterr
