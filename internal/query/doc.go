// Package query is PostgREST's Query stage: it turns a plan into the SQL
// text of one request, one main statement whose result is the response
// body, built as JSON inside PostgreSQL as PostgREST does, plus the
// transaction-scoped settings statement. It imports no database driver:
// package maintx runs what it builds. Identifiers are always quoted; every
// value from the request is a bind parameter.
package query
