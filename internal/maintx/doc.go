// Package maintx is the execution stage, PostgREST's MainTx: the only
// stage of the request pipeline that talks to PostgreSQL. It runs the
// statements package query built in one transaction with the request's
// settings, in a single pipelined round trip where it can, checks what
// must hold before the transaction ends, and maps database failures to
// PostgREST errors. It also reads the zone names `Prefer: timezone=` is
// checked against and what the OpenAPI description reads as the
// request's role.
package maintx
