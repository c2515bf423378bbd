// Package infra holds deployment assets; its tests check the SAM template in
// the repository root. SAM CLI and cfn-lint are not available offline (and
// cfn-lint's SAM spec rejects HttpApi and Architectures), so the template is
// parsed as YAML and the properties the deployment relies on are checked here.
package infra

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

const templatePath = "../template.yaml"

// Environment variables that must come straight from template parameters.
var wantEnvRefs = map[string]string{
	"PGRST_DB_URI":       "DbUri",
	"PGRST_DB_SCHEMAS":   "DbSchemas",
	"PGRST_DB_ANON_ROLE": "DbAnonRole",
	"REDIS_URL":          "RedisUrl",
}

// Resources SAM generates for Api/HttpApi events without an explicit API.
var samImplicitResources = []string{"ServerlessRestApi", "ServerlessHttpApi"}

func TestTemplate(t *testing.T) {
	src, err := os.ReadFile(templatePath)
	if err != nil {
		t.Fatal(err)
	}
	problems, err := checkTemplate(src, "..")
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Error(p)
	}
}

// TestTemplateChecksCatchMistakes makes sure each check can fail: every
// mutation of the real template must be reported.
func TestTemplateChecksCatchMistakes(t *testing.T) {
	src, err := os.ReadFile(templatePath)
	if err != nil {
		t.Fatal(err)
	}
	mutations := []struct{ name, old, new string }{
		{"transform", "Transform: AWS::Serverless-2016-10-31", "Transform: AWS::Include"},
		{"resource type", "Type: AWS::Serverless::Function", "Type: AWS::Lambda::Function"},
		{"runtime", "Runtime: provided.al2023", "Runtime: provided.al2"},
		{"architecture", "- arm64", "- x86_64"},
		{"handler", "Handler: bootstrap", "Handler: main"},
		{"build method", "BuildMethod: go1.x", "BuildMethod: makefile"},
		{"code uri", "CodeUri: functions/api", "CodeUri: ."},
		{"event type", "Type: HttpApi", "Type: Schedule"},
		{"event path", "Path: /{proxy+}", "Path: /api/{proxy+}"},
		{"event method", "Method: ANY", "Method: GET"},
		{"env literal", "PGRST_DB_URI: !Ref DbUri", "PGRST_DB_URI: postgres://localhost/db"},
		{"env wrong parameter", "REDIS_URL: !Ref RedisUrl", "REDIS_URL: !Ref DbUri"},
		{"env missing", "PGRST_DB_ANON_ROLE: !Ref DbAnonRole", "PGRST_ANON_ROLE: !Ref DbAnonRole"},
		{"secret echoed", "NoEcho: true", "NoEcho: false"},
		{"schema default", "Default: api", "Default: public"},
		{"dangling ref", "PGRST_LOG_LEVEL: !Ref LogLevel", "PGRST_LOG_LEVEL: !Ref LogLvl"},
		{"dangling sub", "${ServerlessHttpApi}", "${HttpApi}"},
	}
	for _, m := range mutations {
		t.Run(m.name, func(t *testing.T) {
			if !strings.Contains(string(src), m.old) {
				t.Fatalf("template no longer contains %q; update this mutation", m.old)
			}
			mutated := strings.Replace(string(src), m.old, m.new, 1)
			problems, err := checkTemplate([]byte(mutated), "..")
			if err != nil {
				t.Fatal(err)
			}
			if len(problems) == 0 {
				t.Errorf("replacing %q with %q was not reported", m.old, m.new)
			}
		})
	}
}

// checkTemplate returns one message per violated expectation. repoRoot is
// where go.mod lives, relative to the test's working directory.
func checkTemplate(src []byte, repoRoot string) ([]string, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(src, &doc); err != nil {
		return nil, err
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, fmt.Errorf("template is not a YAML mapping")
	}
	root := doc.Content[0]
	var problems []string
	report := func(format string, args ...any) {
		problems = append(problems, fmt.Sprintf(format, args...))
	}
	expectScalar := func(n *yaml.Node, what, want string) {
		switch {
		case n == nil:
			report("%s is missing, want %q", what, want)
		case n.Kind != yaml.ScalarNode || n.Value != want:
			report("%s (line %d) = %q, want %q", what, n.Line, n.Value, want)
		}
	}

	expectScalar(get(root, "Transform"), "Transform", "AWS::Serverless-2016-10-31")

	params := get(root, "Parameters")
	for _, name := range []string{"DbUri", "RedisUrl", "DbSchemas", "DbAnonRole"} {
		if get(params, name) == nil {
			report("parameter %s is missing", name)
		}
	}
	if p := get(params, "DbUri"); p != nil {
		expectScalar(get(p, "NoEcho"), "Parameters.DbUri.NoEcho", "true")
	}
	if p := get(params, "DbSchemas"); p != nil {
		expectScalar(get(p, "Default"), "Parameters.DbSchemas.Default", "api")
	}
	if p := get(params, "DbAnonRole"); p != nil {
		expectScalar(get(p, "Default"), "Parameters.DbAnonRole.Default", "web_anon")
	}

	resources := get(root, "Resources")
	fn := get(resources, "ApiFunction")
	if fn == nil {
		report("Resources.ApiFunction is missing")
		return problems, nil
	}
	expectScalar(get(fn, "Type"), "ApiFunction.Type", "AWS::Serverless::Function")
	expectScalar(get(fn, "Metadata", "BuildMethod"), "ApiFunction.Metadata.BuildMethod", "go1.x")

	props := get(fn, "Properties")
	expectScalar(get(props, "Runtime"), "ApiFunction.Runtime", "provided.al2023")
	expectScalar(get(props, "Handler"), "ApiFunction.Handler", "bootstrap")
	if archs := get(props, "Architectures"); archs == nil || archs.Kind != yaml.SequenceNode ||
		len(archs.Content) != 1 || archs.Content[0].Value != "arm64" {
		report("ApiFunction.Architectures must be [arm64]")
	}
	codeURI := get(props, "CodeUri")
	expectScalar(codeURI, "ApiFunction.CodeUri", "functions/api")
	if codeURI != nil && codeURI.Kind == yaml.ScalarNode {
		if msg := checkCodeURI(repoRoot, codeURI.Value); msg != "" {
			report("ApiFunction.CodeUri %q: %s", codeURI.Value, msg)
		}
	}

	checkEvents(get(props, "Events"), report)

	vars := get(props, "Environment", "Variables")
	for env, param := range wantEnvRefs {
		v := get(vars, env)
		switch {
		case v == nil:
			report("environment variable %s is missing", env)
		case v.Tag != "!Ref" || v.Value != param:
			report("environment variable %s (line %d) = %s %q, want !Ref %s", env, v.Line, v.Tag, v.Value, param)
		}
	}

	checkReferences(root, report)
	return problems, nil
}

// checkEvents wants exactly ANY on / and /{proxy+} for both the REST API
// (Api, payload v1) and the HTTP API (HttpApi, payload v2).
func checkEvents(events *yaml.Node, report func(string, ...any)) {
	want := []string{"Api /", "Api /{proxy+}", "HttpApi /", "HttpApi /{proxy+}"}
	var got []string
	if events == nil || events.Kind != yaml.MappingNode {
		report("ApiFunction.Properties.Events is missing")
		return
	}
	for i := 0; i+1 < len(events.Content); i += 2 {
		name, ev := events.Content[i].Value, events.Content[i+1]
		typ := scalar(get(ev, "Type"))
		path := scalar(get(ev, "Properties", "Path"))
		method := scalar(get(ev, "Properties", "Method"))
		if !strings.EqualFold(method, "any") {
			report("event %s: Method = %q, want ANY", name, method)
		}
		got = append(got, typ+" "+path)
	}
	sort.Strings(got)
	if !slices.Equal(got, want) {
		report("events (type path) = %q, want %q", got, want)
	}
}

// checkCodeURI verifies what SAM's go1.x builder needs: CodeUri is a main
// package inside the module rooted at repoRoot.
func checkCodeURI(repoRoot, codeURI string) string {
	dir := filepath.Join(repoRoot, filepath.FromSlash(codeURI))
	rel, err := filepath.Rel(repoRoot, dir)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return "is outside the repository"
	}
	if _, err := os.Stat(filepath.Join(repoRoot, "go.mod")); err != nil {
		return "no go.mod in the repository root"
	}
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		return err.Error()
	}
	pkgMain := regexp.MustCompile(`(?m)^package main\b`)
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			return err.Error()
		}
		if pkgMain.Match(b) {
			return ""
		}
	}
	return "has no Go files of package main"
}

// checkReferences reports !Ref, !GetAtt and !Sub targets that are neither a
// parameter, a resource (including SAM's implicit APIs) nor a pseudo parameter.
func checkReferences(root *yaml.Node, report func(string, ...any)) {
	known := map[string]bool{}
	for _, section := range []string{"Parameters", "Resources"} {
		if m := get(root, section); m != nil && m.Kind == yaml.MappingNode {
			for i := 0; i < len(m.Content); i += 2 {
				known[m.Content[i].Value] = true
			}
		}
	}
	for _, r := range samImplicitResources {
		known[r] = true
	}
	resolves := func(name string) bool {
		name, _, _ = strings.Cut(name, ".")
		return known[name] || strings.HasPrefix(name, "AWS::")
	}
	subVar := regexp.MustCompile(`\$\{([^!}][^}]*)\}`)

	var walk func(n *yaml.Node)
	walk = func(n *yaml.Node) {
		switch n.Tag {
		case "!Ref", "!GetAtt":
			if n.Kind == yaml.ScalarNode && !resolves(n.Value) {
				report("line %d: %s %s refers to nothing", n.Line, n.Tag, n.Value)
			}
		case "!Sub":
			if n.Kind == yaml.ScalarNode {
				for _, m := range subVar.FindAllStringSubmatch(n.Value, -1) {
					if !resolves(m[1]) {
						report("line %d: !Sub variable ${%s} refers to nothing", n.Line, m[1])
					}
				}
			}
		}
		for _, c := range n.Content {
			walk(c)
		}
	}
	walk(root)
}

// get follows mapping keys; it returns nil when any step is missing.
func get(n *yaml.Node, keys ...string) *yaml.Node {
	for _, k := range keys {
		if n == nil || n.Kind != yaml.MappingNode {
			return nil
		}
		var next *yaml.Node
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == k {
				next = n.Content[i+1]
				break
			}
		}
		n = next
	}
	return n
}

func scalar(n *yaml.Node) string {
	if n == nil || n.Kind != yaml.ScalarNode {
		return ""
	}
	return n.Value
}
