// Package response turns a query result or an error into the HTTP
// response PostgREST would send: status, headers and body.
package response
