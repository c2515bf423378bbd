// Package plan is PostgREST's Plan stage: it turns a parsed request into
// the one Action it performs (read, call, write, OpenAPI description or
// OPTIONS), resolved against the schema cache — the relation or routine,
// the relationships of each embedding, the overload to call — with its
// negotiated media type, its honoured preferences, its transaction
// settings and the checks its result must pass. It returns PostgREST's
// errors (PGRST100–126, PGRST200–205) and is the only stage that consults
// the schema cache. It never touches the database.
package plan
