package infra

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

func TestWorkerFunction(t *testing.T) {
	src, err := os.ReadFile(templatePath)
	if err != nil {
		t.Fatal(err)
	}
	problems, err := checkWorkerFunction(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Error(p)
	}
	mk, err := os.ReadFile("../Makefile")
	if err != nil {
		t.Fatal(err)
	}
	if msg := checkWorkerMakefile(string(mk)); msg != "" {
		t.Error(msg)
	}
	broken := strings.Replace(string(mk), `-ldflags="-s -w" -o $(ARTIFACTS_DIR)/bootstrap ./functions/worker`,
		`-ldflags="-s -w" -o $(ARTIFACTS_DIR)/bootstrap ./listenerworker/cmd/worker`, 1)
	if checkWorkerMakefile(broken) == "" {
		t.Error("a build-WorkerFunction target building another package was not reported")
	}
}

// TestWorkerFunctionChecksCatchMistakes makes sure each check can fail.
func TestWorkerFunctionChecksCatchMistakes(t *testing.T) {
	src, err := os.ReadFile(templatePath)
	if err != nil {
		t.Fatal(err)
	}
	mutations := []struct{ name, old, new string }{
		{"condition", "    Condition: WantWorkerFunction\n    # `sam build` runs `make build-WorkerFunction`", "    # `sam build` runs `make build-WorkerFunction`"},
		{"reserved concurrency", "ReservedConcurrentExecutions: 2", "ReservedConcurrentExecutions: 3"},
		{"schedule", "Schedule: rate(1 minute)", "Schedule: rate(5 minutes)"},
		{"event type", "          Type: Schedule", "          Type: SQS"},
		{"timeout too short", "Timeout: 120", "Timeout: 60"},
		{"timeout too long", "Timeout: 120", "Timeout: 300"},
		{"margin", "PGRST_WORKER_HANDOVER_MARGIN_MS: '10000'", "PGRST_WORKER_HANDOVER_MARGIN_MS: '70000'"},
		{"retries", "MaximumRetryAttempts: 0", "MaximumRetryAttempts: 2"},
		{"direct db uri", "PGRST_DB_URI: !If [HasWorkerDbUri, !Ref WorkerDbUri, !Ref DbUri]", "PGRST_DB_URI: !Ref DbUri"},
		{"redis", "          REDIS_URL: !Ref RedisUrl\n          PGRST_CACHE_SIGNING_KEY: !Ref CacheSigningKey\n          PGRST_CACHE_KEY_PREFIX: !Ref CacheKeyPrefix\n          PGRST_LOG_LEVEL: !Ref LogLevel\n          PGRST_SETTINGS_ARN: !Ref SettingsArn\n          PGRST_WORKER",
			"          PGRST_CACHE_SIGNING_KEY: !Ref CacheSigningKey\n          PGRST_CACHE_KEY_PREFIX: !Ref CacheKeyPrefix\n          PGRST_LOG_LEVEL: !Ref LogLevel\n          PGRST_SETTINGS_ARN: !Ref SettingsArn\n          PGRST_WORKER"},
		{"worker mode default", "    Default: lambda\n", "    Default: external\n"},
	}
	for _, m := range mutations {
		t.Run(m.name, func(t *testing.T) {
			if !strings.Contains(string(src), m.old) {
				t.Fatalf("%s no longer contains %q", templatePath, m.old)
			}
			problems, err := checkWorkerFunction([]byte(strings.Replace(string(src), m.old, m.new, 1)))
			if err != nil {
				t.Fatal(err)
			}
			if len(problems) == 0 {
				t.Errorf("replacing %q with %q was not reported", m.old, m.new)
			}
		})
	}
}

// schedulePeriod is the WorkerFunction schedule's period in seconds.
const schedulePeriod = 60

// checkWorkerFunction checks the WorkerFunction of template.yaml: the
// default, started every minute, at most two invocations at a time, each
// living (timeout − hand-over margin) longer than the period, so the next
// one is waiting when the leader hands over, and shorter than two periods,
// so a third one never has to run; a direct database connection when one
// is given; the cache store of the request function.
func checkWorkerFunction(src []byte) ([]string, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(src, &doc); err != nil {
		return nil, err
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 {
		return nil, fmt.Errorf("template is not a YAML document")
	}
	root := doc.Content[0]
	var problems []string
	report := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	want := func(n *yaml.Node, what, value string) {
		if n == nil || n.Kind != yaml.ScalarNode || n.Value != value {
			report("%s = %q, want %q", what, scalar(n), value)
		}
	}
	want(get(root, "Parameters", "WorkerMode", "Default"), "Parameters.WorkerMode.Default", "lambda")
	fn := get(root, "Resources", "WorkerFunction")
	if fn == nil {
		report("Resources.WorkerFunction is missing")
		return problems, nil
	}
	want(get(fn, "Type"), "WorkerFunction.Type", "AWS::Serverless::Function")
	want(get(fn, "Condition"), "WorkerFunction.Condition", "WantWorkerFunction")
	want(get(fn, "Metadata", "BuildMethod"), "WorkerFunction.Metadata.BuildMethod", "makefile")
	p := get(fn, "Properties")
	want(get(p, "CodeUri"), "WorkerFunction.CodeUri", ".")
	want(get(p, "Handler"), "WorkerFunction.Handler", "bootstrap")
	want(get(p, "Runtime"), "WorkerFunction.Runtime", "provided.al2023")
	want(get(p, "ReservedConcurrentExecutions"), "WorkerFunction.ReservedConcurrentExecutions", "2")
	want(get(p, "EventInvokeConfig", "MaximumRetryAttempts"), "WorkerFunction.EventInvokeConfig.MaximumRetryAttempts", "0")
	want(get(p, "LoggingConfig", "LogFormat"), "WorkerFunction.LoggingConfig.LogFormat", "JSON")

	schedules := 0
	if ev := get(p, "Events"); ev != nil && ev.Kind == yaml.MappingNode {
		for i := 1; i < len(ev.Content); i += 2 {
			e := ev.Content[i]
			if scalar(get(e, "Type")) == "Schedule" && scalar(get(e, "Properties", "Schedule")) == "rate(1 minute)" {
				schedules++
			}
		}
	}
	if schedules != 1 {
		report("WorkerFunction needs one Schedule event, rate(1 minute); found %d", schedules)
	}

	vars := get(p, "Environment", "Variables")
	timeout, terr := strconv.Atoi(scalar(get(p, "Timeout")))
	margin, merr := strconv.Atoi(scalar(get(vars, "PGRST_WORKER_HANDOVER_MARGIN_MS")))
	switch {
	case terr != nil || merr != nil:
		report("WorkerFunction needs a numeric Timeout and PGRST_WORKER_HANDOVER_MARGIN_MS")
	default:
		life := float64(timeout) - float64(margin)/1000
		if life <= schedulePeriod || life >= 2*schedulePeriod || margin < 1000 {
			report("WorkerFunction runs %.0f s per invocation (Timeout %d s − margin %d ms), want between %d and %d s and a margin ≥ 1 s",
				life, timeout, margin, schedulePeriod, 2*schedulePeriod)
		}
	}
	if db := get(vars, "PGRST_DB_URI"); !mentions(db, "WorkerDbUri") {
		report("WorkerFunction's PGRST_DB_URI must use WorkerDbUri (a direct connection) when it is given")
	}
	for env, param := range map[string]string{"REDIS_URL": "RedisUrl", "PGRST_CACHE_KEY_PREFIX": "CacheKeyPrefix",
		"PGRST_CACHE_SIGNING_KEY": "CacheSigningKey", "PGRST_DB_SCHEMAS": "DbSchemas", "PGRST_SETTINGS_ARN": "SettingsArn"} {
		if v := get(vars, env); v == nil || v.Tag != "!Ref" || v.Value != param {
			report("WorkerFunction's %s must be !Ref %s, as the request function's", env, param)
		}
	}
	if get(root, "Parameters", "WorkerDbUri", "NoEcho") == nil {
		report("Parameters.WorkerDbUri must be NoEcho")
	}
	checkReferences(root, report)
	return problems, nil
}

// checkWorkerMakefile wants build-WorkerFunction to build ./functions/worker
// with build-ApiFunction's flags.
func checkWorkerMakefile(src string) string {
	api, worker := goBuildCommand(src, "build-ApiFunction"), goBuildCommand(src, "build-WorkerFunction")
	if worker == "" {
		return "Makefile: no go build command in target build-WorkerFunction"
	}
	if want := strings.Replace(api, "./functions/api", "./functions/worker", 1); worker != want {
		return fmt.Sprintf("Makefile: build-WorkerFunction runs\n  %s\nwant the flags of build-ApiFunction:\n  %s", worker, want)
	}
	return ""
}
