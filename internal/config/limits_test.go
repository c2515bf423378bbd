package config

import "testing"

func TestLimits(t *testing.T) {
	read := func(env map[string]string) (*Config, error) {
		return FromEnv(func(k string) string { return env[k] })
	}
	c, err := read(nil)
	if err != nil {
		t.Fatal(err)
	}
	want := Limits{EmbedDepth: 10, Embeds: 100, SelectItems: 2000, LogicTerms: 1000, LogicDepth: 30, JSONPath: 30}
	if c.Limits != want {
		t.Errorf("defaults %+v, want %+v", c.Limits, want)
	}
	if c, _ := read(map[string]string{"AWS_LAMBDA_FUNCTION_NAME": "api"}); c.Limits.ResponseBytes != 6_000_000 {
		t.Errorf("in Lambda: %d", c.Limits.ResponseBytes)
	}
	c, _ = read(map[string]string{"AWS_LAMBDA_FUNCTION_NAME": "api", "PGRST_LIMIT_RESPONSE_BYTES": "0", "PGRST_LIMIT_EMBED_DEPTH": "3"})
	if c.Limits.ResponseBytes != 0 || c.Limits.EmbedDepth != 3 {
		t.Errorf("set: %+v", c.Limits)
	}
	if _, err := read(map[string]string{"PGRST_LIMIT_EMBEDS": "-1"}); err == nil {
		t.Error("a negative limit was accepted")
	}
}
