// Package config reads pgrest-lambda's configuration from the environment,
// with PostgREST's PGRST_* names and defaults. It is the only package that
// reads environment variables.
package config
