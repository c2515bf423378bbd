// Package infra holds deployment assets; its tests check the SAM template in
// the repository root. The template is parsed as YAML and the properties the
// deployment relies on are checked here, conditions included (they are
// evaluated for each value of the parameters they depend on); cfnlint_test.go
// adds cfn-lint where it is installed.
package infra

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

const templatePath = "../template.yaml"

// Environment variables that must come straight from template parameters.
var wantEnvRefs = map[string]string{
	"PGRST_DB_URI":            "DbUri",
	"PGRST_DB_SCHEMAS":        "DbSchemas",
	"PGRST_DB_ANON_ROLE":      "DbAnonRole",
	"REDIS_URL":               "RedisUrl",
	"PGRST_JWT_SECRET":        "JwtSecret",
	"PGRST_CACHE_SIGNING_KEY": "CacheSigningKey",
	"PGRST_CACHE_KEY_PREFIX":  "CacheKeyPrefix",
	"PGRST_LOG_LEVEL":         "LogLevel",
	"PGRST_SETTINGS_ARN":      "SettingsArn",
}

// Parameters whose values are secrets (or ARNs standing for them).
var noEchoParams = []string{"DbUri", "RedisUrl", "JwtSecret", "CacheSigningKey"}

// maxTimeout keeps the function below the REST API's 29 s integration limit.
const maxTimeout = 28

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
		{"build method", "BuildMethod: makefile", "BuildMethod: go1.x"},
		{"code uri", "CodeUri: .", "CodeUri: functions/api"},
		{"timeout", "Timeout: 28", "Timeout: 30"},
		{"timeout not a number", "Timeout: 28", "Timeout: !Ref LogLevel"},
		{"log format", "LogFormat: JSON", "LogFormat: Text"},
		{"reserved concurrency", "ReservedConcurrentExecutions: !If", "ReservedConcurrentExecution: !If"},
		{"env literal", "PGRST_DB_URI: !Ref DbUri", "PGRST_DB_URI: postgres://localhost/db"},
		{"env wrong parameter", "REDIS_URL: !Ref RedisUrl", "REDIS_URL: !Ref DbUri"},
		{"env missing", "PGRST_DB_ANON_ROLE: !Ref DbAnonRole", "PGRST_ANON_ROLE: !Ref DbAnonRole"},
		{"secret echoed", "NoEcho: true", "NoEcho: false"},
		{"schema default", "Default: api", "Default: public"},
		{"dangling ref", "PGRST_LOG_LEVEL: !Ref LogLevel", "PGRST_LOG_LEVEL: !Ref LogLvl"},
		{"dangling sub", "${HttpApi}", "${ServerlessHttpApi}"},
		{"binary media types", "- '*~1*'", "- 'image~1png'"},
		{"rest path", "          /{proxy+}:\n            x-amazon-apigateway-any-method:\n              parameters:", "          /api/{proxy+}:\n            x-amazon-apigateway-any-method:\n              parameters:"},
		{"http method", "          /:\n            x-amazon-apigateway-any-method:\n              x-amazon-apigateway-integration:\n                type: aws_proxy\n                httpMethod: POST\n                uri: !GetAtt", "          /:\n            get:\n              x-amazon-apigateway-integration:\n                type: aws_proxy\n                httpMethod: POST\n                uri: !GetAtt"},
		{"http payload", "payloadFormatVersion: '2.0'", "payloadFormatVersion: '1.0'"},
		{"rest condition", "Condition: WantRestApi\n    Properties:\n      StageName", "Condition: WantHttpApi\n    Properties:\n      StageName"},
		{"api kind condition", "WantHttpApi: !Or [!Equals [!Ref ApiKind, http], !Equals [!Ref ApiKind, both]]", "WantHttpApi: !Equals [!Ref ApiKind, http]"},
		{"unconditional api", "    Condition: WantHttpApi\n    Properties:\n      DefinitionBody", "    Properties:\n      DefinitionBody"},
		{"ref to conditional", "FunctionUrlEndpoint:\n    Condition: WantFunctionUrl\n", "FunctionUrlEndpoint:\n"},
		{"function url condition", "WantFunctionUrl: !Equals [!Ref FunctionUrl, 'true']", "WantFunctionUrl: !Equals [!Ref FunctionUrl, 'false']"},
		{"security groups", "          SecurityGroupIds: !If\n            - HasSecurityGroups\n            - !Ref SecurityGroupIds\n            - !Ref AWS::NoValue", "          SecurityGroupIds: !Ref SecurityGroupIds"},
		{"cache listen behind a pooler", "WorkerListensOnDbUri: !And [!Condition WantWorkerFunction, !Not [!Condition HasWorkerDbUri]]", "WorkerListensOnDbUri: !Condition WantWorkerFunction"},
		{"cache listen forced", "PGRST_CACHE_LISTEN: !If [WantCacheListen, 'true', 'false']", "PGRST_CACHE_LISTEN: !If [WantCacheListen, 'true', 'true']"},
		{"vpc condition", "InVpc: !Not [!Equals [!Join ['', !Ref SubnetIds], '']]", "InVpc: !Not [!Equals [!Join ['', !Ref SecurityGroupIds], '']]"},
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

// TestMakefileBuildTarget checks that the target `sam build` calls builds
// with the flags of `make build`, only the output path differing.
func TestMakefileBuildTarget(t *testing.T) {
	src, err := os.ReadFile("../Makefile")
	if err != nil {
		t.Fatal(err)
	}
	if msg := checkMakefile(string(src)); msg != "" {
		t.Error(msg)
	}
	broken := strings.Replace(string(src), "-o $(ARTIFACTS_DIR)/bootstrap", "-o $(ARTIFACTS_DIR)/api", 1)
	broken = strings.Replace(broken, "-trimpath -ldflags=\"-s -w\" -o $(ARTIFACTS_DIR)", "-ldflags=\"-s -w\" -o $(ARTIFACTS_DIR)", 1)
	if checkMakefile(broken) == "" {
		t.Error("a build-ApiFunction target with other flags was not reported")
	}
}

// checkMakefile compares the go build commands of the build and
// build-ApiFunction targets.
func checkMakefile(src string) string {
	build, sam := goBuildCommand(src, "build"), goBuildCommand(src, "build-ApiFunction")
	switch {
	case build == "":
		return "Makefile: no go build command in target build"
	case sam == "":
		return "Makefile: no go build command in target build-ApiFunction"
	}
	want := strings.Replace(build, "-o $(BUILD_DIR)/api/bootstrap", "-o $(ARTIFACTS_DIR)/bootstrap", 1)
	if sam != want {
		return fmt.Sprintf("Makefile: build-ApiFunction runs\n  %s\nwant the flags of build:\n  %s", sam, want)
	}
	return ""
}

// goBuildCommand returns the recipe line of target that runs `go build`,
// continuation lines joined and spaces collapsed.
func goBuildCommand(makefile, target string) string {
	lines := strings.Split(strings.ReplaceAll(makefile, "\\\n", " "), "\n")
	in := false
	for _, l := range lines {
		switch {
		case strings.HasPrefix(l, target+":"):
			in = true
		case in && strings.HasPrefix(l, "\t"):
			if strings.Contains(l, "$(GO) build") {
				return strings.Join(strings.Fields(l), " ")
			}
		case in:
			return ""
		}
	}
	return ""
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
	for _, name := range []string{"DbUri", "RedisUrl", "DbSchemas", "DbAnonRole", "ApiKind", "FunctionUrl", "ReservedConcurrency"} {
		if get(params, name) == nil {
			report("parameter %s is missing", name)
		}
	}
	for _, name := range noEchoParams {
		if p := get(params, name); p != nil {
			expectScalar(get(p, "NoEcho"), "Parameters."+name+".NoEcho", "true")
		}
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
	expectScalar(get(fn, "Metadata", "BuildMethod"), "ApiFunction.Metadata.BuildMethod", "makefile")

	props := get(fn, "Properties")
	expectScalar(get(props, "Runtime"), "ApiFunction.Runtime", "provided.al2023")
	expectScalar(get(props, "Handler"), "ApiFunction.Handler", "bootstrap")
	if archs := get(props, "Architectures"); archs == nil || archs.Kind != yaml.SequenceNode ||
		len(archs.Content) != 1 || archs.Content[0].Value != "arm64" {
		report("ApiFunction.Architectures must be [arm64]")
	}
	codeURI := get(props, "CodeUri")
	expectScalar(codeURI, "ApiFunction.CodeUri", ".")
	if codeURI != nil && codeURI.Kind == yaml.ScalarNode {
		if msg := checkCodeURI(repoRoot, codeURI.Value); msg != "" {
			report("ApiFunction.CodeUri %q: %s", codeURI.Value, msg)
		}
	}
	if n := get(props, "Timeout"); n == nil || n.Tag != "!!int" {
		report("ApiFunction.Timeout must be a number ≤ %d", maxTimeout)
	} else if v, err := strconv.Atoi(n.Value); err != nil || v < 1 || v > maxTimeout {
		report("ApiFunction.Timeout (line %d) = %s, want 1..%d (API Gateway's REST integration times out at 29 s)", n.Line, n.Value, maxTimeout)
	}
	expectScalar(get(props, "LoggingConfig", "LogFormat"), "ApiFunction.LoggingConfig.LogFormat", "JSON")
	if rc := get(props, "ReservedConcurrentExecutions"); rc == nil || !mentions(rc, "ReservedConcurrency") {
		report("ApiFunction.ReservedConcurrentExecutions must come from the ReservedConcurrency parameter")
	}

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

	checkAPIs(root, report)
	checkConditions(root, report)
	checkReferences(root, report)
	return problems, nil
}

// apiSpec describes one API Gateway front end of the function.
type apiSpec struct {
	resource, typ, condition string
	kinds                    []string // ApiKind values that create it
}

var apis = []apiSpec{
	{"RestApi", "AWS::Serverless::Api", "WantRestApi", []string{"rest", "both"}},
	{"HttpApi", "AWS::Serverless::HttpApi", "WantHttpApi", []string{"http", "both"}},
}

// checkAPIs wants each API under its condition, routing ANY / and ANY
// /{proxy+} to ApiFunction through a Lambda proxy integration, with a
// permission under the same condition; the REST API also passes every
// media type as binary.
func checkAPIs(root *yaml.Node, report func(string, ...any)) {
	resources := get(root, "Resources")
	for _, a := range apis {
		r := get(resources, a.resource)
		if r == nil {
			report("Resources.%s is missing", a.resource)
			continue
		}
		if typ := scalar(get(r, "Type")); typ != a.typ {
			report("%s.Type = %q, want %q", a.resource, typ, a.typ)
		}
		if c := scalar(get(r, "Condition")); c != a.condition {
			report("%s.Condition = %q, want %q", a.resource, c, a.condition)
		}
		paths := get(r, "Properties", "DefinitionBody", "paths")
		var got []string
		if paths != nil && paths.Kind == yaml.MappingNode {
			for i := 0; i+1 < len(paths.Content); i += 2 {
				got = append(got, paths.Content[i].Value)
				integ := get(paths.Content[i+1], "x-amazon-apigateway-any-method", "x-amazon-apigateway-integration")
				where := a.resource + " " + paths.Content[i].Value
				switch {
				case integ == nil:
					report("%s: no x-amazon-apigateway-any-method integration", where)
				case scalar(get(integ, "type")) != "aws_proxy" || scalar(get(integ, "httpMethod")) != "POST":
					report("%s: want an aws_proxy integration with httpMethod POST", where)
				case !mentions(get(integ, "uri"), "ApiFunction.Arn") && !mentions(get(integ, "uri"), "${ApiFunction.Arn}"):
					report("%s: the integration uri does not name ApiFunction.Arn", where)
				}
				if a.resource == "HttpApi" && integ != nil && scalar(get(integ, "payloadFormatVersion")) != "2.0" {
					report("%s: payloadFormatVersion must be 2.0", where)
				}
			}
		}
		slices.Sort(got)
		if want := []string{"/", "/{proxy+}"}; !slices.Equal(got, want) {
			report("%s paths = %q, want %q", a.resource, got, want)
		}
		found := false
		for i := 0; i+1 < len(resources.Content); i += 2 {
			p := resources.Content[i+1]
			if scalar(get(p, "Type")) == "AWS::Lambda::Permission" &&
				scalar(get(p, "Properties", "Principal")) == "apigateway.amazonaws.com" &&
				mentions(get(p, "Properties", "SourceArn"), "${"+a.resource+"}") {
				found = true
				if c := scalar(get(p, "Condition")); c != a.condition {
					report("permission %s: Condition = %q, want %q", resources.Content[i].Value, c, a.condition)
				}
			}
		}
		if !found {
			report("no AWS::Lambda::Permission lets %s invoke the function", a.resource)
		}
	}
	bin := get(resources, "RestApi", "Properties", "BinaryMediaTypes")
	if bin == nil || bin.Kind != yaml.SequenceNode || !slices.ContainsFunc(bin.Content, func(n *yaml.Node) bool { return n.Value == "*~1*" }) {
		report("RestApi.BinaryMediaTypes must contain '*~1*' (*/*) so binary bodies round-trip")
	}
	url := get(resources, "ApiFunctionUrl")
	if url == nil || scalar(get(url, "Type")) != "AWS::Lambda::Url" || scalar(get(url, "Condition")) != "WantFunctionUrl" {
		report("ApiFunctionUrl must be an AWS::Lambda::Url under the condition WantFunctionUrl")
	}
}

// checkConditions evaluates the template's conditions for the parameter
// values they exist for: each ApiKind creates its APIs, FunctionUrl its URL,
// and subnets with or without security groups never give a list with an
// empty string.
func checkConditions(root *yaml.Node, report func(string, ...any)) {
	defaults := map[string][]string{
		"ApiKind": {"both"}, "FunctionUrl": {"false"}, "FunctionUrlAuthType": {"NONE"},
		"SubnetIds": {""}, "SecurityGroupIds": {""}, "SecretArns": {""}, "SecretsKmsKeyArn": {""},
		"ReservedConcurrency": {"-1"},
	}
	with := func(kv ...string) map[string][]string {
		p := map[string][]string{}
		for k, v := range defaults {
			p[k] = v
		}
		for i := 0; i+1 < len(kv); i += 2 {
			p[kv[i]] = strings.Split(kv[i+1], ",")
		}
		return p
	}
	for _, kind := range []string{"rest", "http", "both"} {
		e := newEvaluator(root, with("ApiKind", kind))
		for _, a := range apis {
			got, err := e.condition(a.condition)
			if err != nil {
				report("condition %s: %v", a.condition, err)
				continue
			}
			if want := slices.Contains(a.kinds, kind); got != want {
				report("ApiKind=%s: condition %s = %v, want %v", kind, a.condition, got, want)
			}
		}
	}
	for _, v := range []string{"true", "false"} {
		got, err := newEvaluator(root, with("FunctionUrl", v)).condition("WantFunctionUrl")
		if err != nil {
			report("condition WantFunctionUrl: %v", err)
		} else if got != (v == "true") {
			report("FunctionUrl=%s: condition WantFunctionUrl = %v", v, got)
		}
	}
	// PGRST_CACHE_LISTEN: auto listens only where the worker itself
	// listens on DbUri, which therefore carries LISTEN/NOTIFY.
	listen := get(root, "Resources", "ApiFunction", "Properties", "Environment", "Variables", "PGRST_CACHE_LISTEN")
	for _, mode := range []string{"auto", "true", "false"} {
		for _, worker := range []string{"lambda", "external"} {
			for _, workerURI := range []string{"", "postgres://direct/db"} {
				want := mode == "true" || (mode == "auto" && worker == "lambda" && workerURI == "")
				if listen == nil {
					report("environment variable PGRST_CACHE_LISTEN is missing")
					return
				}
				v, err := newEvaluator(root, with("CacheListen", mode, "WorkerMode", worker, "WorkerDbUri", workerURI)).value(listen)
				if err != nil {
					report("PGRST_CACHE_LISTEN: %v", err)
					return
				}
				if v != strconv.FormatBool(want) {
					report("CacheListen=%s WorkerMode=%s WorkerDbUri=%q: PGRST_CACHE_LISTEN = %v, want %v", mode, worker, workerURI, v, want)
				}
			}
		}
	}
	vpc := get(root, "Resources", "ApiFunction", "Properties", "VpcConfig")
	cases := []struct {
		subnets, groups string
		inVpc           bool
	}{{"", "", false}, {"subnet-1,subnet-2", "sg-1", true}, {"subnet-1", "", true}}
	for _, c := range cases {
		e := newEvaluator(root, with("SubnetIds", c.subnets, "SecurityGroupIds", c.groups))
		v, err := e.value(vpc)
		if err != nil {
			report("VpcConfig: %v", err)
			continue
		}
		if _, none := v.(noValue); none {
			v = nil
		}
		if (v != nil) != c.inVpc {
			report("SubnetIds=%q: VpcConfig = %v, want it set: %v", c.subnets, v, c.inVpc)
		}
		m, _ := v.(map[string]any)
		for _, key := range []string{"SubnetIds", "SecurityGroupIds"} {
			if l, ok := m[key].([]string); ok && slices.Contains(l, "") {
				report("SubnetIds=%q SecurityGroupIds=%q: VpcConfig.%s = %q contains an empty string", c.subnets, c.groups, key, l)
			}
		}
	}
}

// evaluator resolves the intrinsic functions conditions use (Fn::Equals,
// Not, And, Or, Condition, If, Ref, Join) for given parameter values.
type evaluator struct {
	conds  *yaml.Node
	params map[string][]string
	types  map[string]string
}

func newEvaluator(root *yaml.Node, params map[string][]string) *evaluator {
	e := &evaluator{conds: get(root, "Conditions"), params: params, types: map[string]string{}}
	if ps := get(root, "Parameters"); ps != nil && ps.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(ps.Content); i += 2 {
			e.types[ps.Content[i].Value] = scalar(get(ps.Content[i+1], "Type"))
		}
	}
	return e
}

func (e *evaluator) condition(name string) (bool, error) {
	n := get(e.conds, name)
	if n == nil {
		return false, fmt.Errorf("condition %s is not defined", name)
	}
	v, err := e.value(n)
	if err != nil {
		return false, err
	}
	b, ok := v.(bool)
	if !ok {
		return false, fmt.Errorf("condition %s is not a boolean", name)
	}
	return b, nil
}

// noValue stands for AWS::NoValue while resolving.
type noValue struct{}

// value resolves n to a string, []string, bool, map[string]any or
// noValue (AWS::NoValue).
func (e *evaluator) value(n *yaml.Node) (any, error) {
	args := func(want int) ([]any, error) {
		if n.Kind != yaml.SequenceNode || (want > 0 && len(n.Content) != want) {
			return nil, fmt.Errorf("line %d: %s wants %d arguments", n.Line, n.Tag, want)
		}
		var out []any
		for _, c := range n.Content {
			v, err := e.value(c)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
		return out, nil
	}
	switch n.Tag {
	case "!Ref":
		if n.Value == "AWS::NoValue" {
			return noValue{}, nil
		}
		v, ok := e.params[n.Value]
		if !ok {
			return nil, fmt.Errorf("line %d: no value for parameter %s", n.Line, n.Value)
		}
		if e.types[n.Value] == "CommaDelimitedList" {
			return v, nil
		}
		return strings.Join(v, ","), nil
	case "!Condition":
		return e.condition(n.Value)
	case "!Equals":
		a, err := args(2)
		if err != nil {
			return nil, err
		}
		return fmt.Sprint(a[0]) == fmt.Sprint(a[1]), nil
	case "!Not", "!And", "!Or":
		a, err := args(0)
		if err != nil {
			return nil, err
		}
		var bs []bool
		for _, x := range a {
			b, ok := x.(bool)
			if !ok {
				return nil, fmt.Errorf("line %d: %s of a non-boolean", n.Line, n.Tag)
			}
			bs = append(bs, b)
		}
		switch {
		case n.Tag == "!Not" && len(bs) == 1:
			return !bs[0], nil
		case n.Tag == "!And":
			return !slices.Contains(bs, false), nil
		case n.Tag == "!Or":
			return slices.Contains(bs, true), nil
		}
		return nil, fmt.Errorf("line %d: !Not wants one argument", n.Line)
	case "!Join":
		a, err := args(2)
		if err != nil {
			return nil, err
		}
		l, ok := a[1].([]string)
		if !ok {
			return nil, fmt.Errorf("line %d: !Join of a non-list", n.Line)
		}
		return strings.Join(l, fmt.Sprint(a[0])), nil
	case "!If":
		if n.Kind != yaml.SequenceNode || len(n.Content) != 3 {
			return nil, fmt.Errorf("line %d: !If wants 3 arguments", n.Line)
		}
		b, err := e.condition(n.Content[0].Value)
		if err != nil {
			return nil, err
		}
		if b {
			return e.value(n.Content[1])
		}
		return e.value(n.Content[2])
	}
	switch n.Kind {
	case yaml.MappingNode:
		m := map[string]any{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			v, err := e.value(n.Content[i+1])
			if err != nil {
				return nil, err
			}
			if _, skip := v.(noValue); !skip {
				m[n.Content[i].Value] = v
			}
		}
		return m, nil
	case yaml.ScalarNode:
		return n.Value, nil
	}
	return nil, fmt.Errorf("line %d: cannot resolve %s", n.Line, n.Tag)
}

// checkCodeURI verifies what SAM's makefile builder needs: CodeUri is the
// module root, holding go.mod and a Makefile with the build-ApiFunction
// target.
func checkCodeURI(repoRoot, codeURI string) string {
	dir := filepath.Join(repoRoot, filepath.FromSlash(codeURI))
	rel, err := filepath.Rel(repoRoot, dir)
	if err != nil || rel != "." {
		return "is not the repository root"
	}
	if _, err := os.Stat(filepath.Join(repoRoot, "go.mod")); err != nil {
		return "no go.mod in the repository root"
	}
	mk, err := os.ReadFile(filepath.Join(dir, "Makefile"))
	if err != nil {
		return err.Error()
	}
	if !regexp.MustCompile(`(?m)^build-ApiFunction:`).Match(mk) {
		return "its Makefile has no build-ApiFunction target"
	}
	return ""
}

// checkReferences reports !Ref, !GetAtt and !Sub targets that are neither a
// parameter, a resource nor a pseudo parameter, and references from a
// resource or output to a resource that exists under another condition.
func checkReferences(root *yaml.Node, report func(string, ...any)) {
	known := map[string]bool{}
	condOf := map[string]string{}
	for _, section := range []string{"Parameters", "Resources"} {
		if m := get(root, section); m != nil && m.Kind == yaml.MappingNode {
			for i := 0; i+1 < len(m.Content); i += 2 {
				known[m.Content[i].Value] = true
				if section == "Resources" {
					condOf[m.Content[i].Value] = scalar(get(m.Content[i+1], "Condition"))
				}
			}
		}
	}
	subVar := regexp.MustCompile(`\$\{([^!}][^}]*)\}`)

	var walk func(n *yaml.Node, owner, cond string)
	check := func(line int, how, name, owner, cond string) {
		name, _, _ = strings.Cut(name, ".")
		if strings.HasPrefix(name, "AWS::") {
			return
		}
		if !known[name] {
			report("line %d: %s %s refers to nothing", line, how, name)
			return
		}
		if c := condOf[name]; c != "" && c != cond {
			report("line %d: %s refers to %s, which exists only under condition %s", line, owner, name, c)
		}
	}
	walk = func(n *yaml.Node, owner, cond string) {
		switch n.Tag {
		case "!Ref", "!GetAtt":
			if n.Kind == yaml.ScalarNode {
				check(n.Line, n.Tag, n.Value, owner, cond)
			}
		case "!Sub":
			if n.Kind == yaml.ScalarNode {
				for _, m := range subVar.FindAllStringSubmatch(n.Value, -1) {
					check(n.Line, "!Sub variable", m[1], owner, cond)
				}
			}
		}
		for _, c := range n.Content {
			walk(c, owner, cond)
		}
	}
	for _, section := range []string{"Resources", "Outputs"} {
		if m := get(root, section); m != nil && m.Kind == yaml.MappingNode {
			for i := 0; i+1 < len(m.Content); i += 2 {
				walk(m.Content[i+1], m.Content[i].Value, scalar(get(m.Content[i+1], "Condition")))
			}
		}
	}
	if c := get(root, "Conditions"); c != nil {
		walk(c, "Conditions", "")
	}
}

// mentions reports whether any scalar under n contains s.
func mentions(n *yaml.Node, s string) bool {
	if n == nil {
		return false
	}
	if n.Kind == yaml.ScalarNode && strings.Contains(n.Value, s) {
		return true
	}
	for _, c := range n.Content {
		if mentions(c, s) {
			return true
		}
	}
	return false
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
