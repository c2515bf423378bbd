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
}

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
