package localdev

import (
	"encoding/json"
	"os"
	"testing"

	"go.yaml.in/yaml/v3"
)

// TestSAMEnvJSON: the file is keyed by the template's function and names
// only variables the template declares, or `sam local` would ignore them.
func TestSAMEnvJSON(t *testing.T) {
	src, err := os.ReadFile("../template.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var tpl struct {
		Resources map[string]struct {
			Type       string `yaml:"Type"`
			Properties struct {
				Environment struct {
					Variables map[string]yaml.Node `yaml:"Variables"`
				} `yaml:"Environment"`
			} `yaml:"Properties"`
		} `yaml:"Resources"`
	}
	if err := yaml.Unmarshal(src, &tpl); err != nil {
		t.Fatal(err)
	}
	fn, ok := tpl.Resources[SAMFunction]
	if !ok || fn.Type != "AWS::Serverless::Function" {
		t.Fatalf("template.yaml has no function %s", SAMFunction)
	}
	env := map[string]string{
		"PGRST_DB_URI": "postgresql://authenticator@127.0.0.1:54329/pgrest", "PGRST_DB_SCHEMAS": "api",
		"PGRST_DB_ANON_ROLE": "web_anon", "REDIS_URL": "redis://127.0.0.1:63799/0", "PGRST_SERVER_PORT": "3000",
	}
	b, err := SAMEnvJSON(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]map[string]string
	if err := json.Unmarshal(b, &got); err != nil || len(got) != 1 {
		t.Fatalf("%s: %v", b, err)
	}
	vars := got[SAMFunction]
	for k := range vars {
		if _, ok := fn.Properties.Environment.Variables[k]; !ok {
			t.Errorf("%s is not among %s's variables in template.yaml", k, SAMFunction)
		}
	}
	for _, k := range []string{"PGRST_DB_URI", "PGRST_DB_SCHEMAS", "PGRST_DB_ANON_ROLE", "REDIS_URL"} {
		if vars[k] != env[k] {
			t.Errorf("%s = %q, want %q", k, vars[k], env[k])
		}
	}
	if _, ok := vars["PGRST_SERVER_PORT"]; ok {
		t.Error("PGRST_SERVER_PORT is not a function variable")
	}
}
