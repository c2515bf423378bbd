// Package openapi describes an exposed schema as PostgREST's root endpoint
// does: a Swagger 2.0 document (Response/OpenAPI.hs) with a definition per
// relation, a path per relation and per routine, and the shared
// parameters the paths refer to. Document builds it from the schema cache
// and what the execution stage read as the request's role; it reads
// nothing itself.
package openapi
