// Package schemacache holds the schema cache: the catalog metadata of the
// exposed schemas that planning needs (tables and views with their columns
// and keys, relationships, routines, media type handlers, domain
// representations) and its introspection from PostgreSQL. It mirrors
// PostgREST's SchemaCache module; package snapshot encodes it for Redis.
package schemacache
