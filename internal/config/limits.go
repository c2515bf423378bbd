package config

import "fmt"

// Limits bound what one request may ask for, so that none costs more than
// its size warrants. PostgREST has no such settings; each has an
// environment variable of its own, and 0 turns a limit off.
type Limits struct {
	// EmbedDepth is how deep embeddings may nest (PGRST_LIMIT_EMBED_DEPTH,
	// default 10).
	EmbedDepth int
	// Embeds is how many embeddings one select may hold
	// (PGRST_LIMIT_EMBEDS, default 100).
	Embeds int
	// SelectItems is how many items one select may hold, embeddings
	// included (PGRST_LIMIT_SELECT_ITEMS, default 2000).
	SelectItems int
	// LogicTerms is how many conditions the and/or parameters of a request
	// may hold in all (PGRST_LIMIT_LOGIC_TERMS, default 1000); LogicDepth
	// how deep they may nest (PGRST_LIMIT_LOGIC_DEPTH, default 30).
	LogicTerms, LogicDepth int
	// JSONPath is how many `->`/`->>` steps one path may take
	// (PGRST_LIMIT_JSON_PATH, default 30).
	JSONPath int
	// ResponseBytes is the largest response body, in bytes
	// (PGRST_LIMIT_RESPONSE_BYTES; default 6,000,000 in a Lambda function,
	// whose response payload may not exceed 6 MB, and 0 elsewhere): a
	// larger one is answered with a PGRSTX00 error naming the limit instead
	// of failing the invocation with API Gateway's bare 502.
	ResponseBytes int
}

// lambdaResponseBytes is the default response limit inside Lambda: its
// 6 MB response payload, less room for the headers and the JSON around
// the body.
const lambdaResponseBytes = 6_000_000

// readLimitKeys reads the request limits, one error per invalid variable.
func (c *Config) readLimitKeys(getenv func(string) string) []error {
	var errs []error
	for _, k := range []struct {
		env string
		def int
		dst *int
	}{
		{"PGRST_LIMIT_EMBED_DEPTH", 10, &c.Limits.EmbedDepth},
		{"PGRST_LIMIT_EMBEDS", 100, &c.Limits.Embeds},
		{"PGRST_LIMIT_SELECT_ITEMS", 2000, &c.Limits.SelectItems},
		{"PGRST_LIMIT_LOGIC_TERMS", 1000, &c.Limits.LogicTerms},
		{"PGRST_LIMIT_LOGIC_DEPTH", 30, &c.Limits.LogicDepth},
		{"PGRST_LIMIT_JSON_PATH", 30, &c.Limits.JSONPath},
		{"PGRST_LIMIT_RESPONSE_BYTES", responseDefault(getenv), &c.Limits.ResponseBytes},
	} {
		v := getenv(k.env)
		n, err := parseInt(v, k.def)
		if err != nil || n < 0 {
			errs = append(errs, fmt.Errorf("%s: %q is not a non-negative number", k.env, v))
		}
		*k.dst = n
	}
	return errs
}

// responseDefault is the default of PGRST_LIMIT_RESPONSE_BYTES: Lambda's
// limit inside a Lambda function (AWS_LAMBDA_FUNCTION_NAME is set), none
// elsewhere.
func responseDefault(getenv func(string) string) int {
	if getenv("AWS_LAMBDA_FUNCTION_NAME") != "" {
		return lambdaResponseBytes
	}
	return 0
}
