package infra

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

const workerECSPath = "worker-ecs.yaml"

func TestWorkerECSTemplate(t *testing.T) {
	src, err := os.ReadFile(workerECSPath)
	if err != nil {
		t.Fatal(err)
	}
	problems, err := checkWorkerECS(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Error(p)
	}
}

// TestWorkerECSChecksCatchMistakes makes sure each check can fail.
func TestWorkerECSChecksCatchMistakes(t *testing.T) {
	src, err := os.ReadFile(workerECSPath)
	if err != nil {
		t.Fatal(err)
	}
	mutations := []struct{ name, old, new string }{
		{"launch type", "LaunchType: FARGATE", "LaunchType: EC2"},
		{"two tasks", "    Default: 2\n    MinValue: 1", "    Default: 1\n    MinValue: 1"},
		{"health check", `Command: ["CMD", "/worker", "--ready"]`, `Command: ["CMD-SHELL", "curl -f localhost:3001/ready"]`},
		{"admin host", "Value: 0.0.0.0", "Value: 127.0.0.1"},
		{"secret in plain env", "          Secrets:\n            - Name: PGRST_DB_URI\n              ValueFrom: !Ref DbUriSecretArn",
			"            - Name: PGRST_DB_URI\n              Value: !Ref DbUriSecretArn\n          Secrets:"},
		{"redis secret", "- Name: REDIS_URL\n              ValueFrom:", "- Name: REDIS_ADDR\n              ValueFrom:"},
		{"task role", "TaskRoleArn: !GetAtt TaskRole.Arn", "TaskRoleArn: !GetAtt ExecutionRole.Arn"},
		{"execution role", "ExecutionRoleArn: !GetAtt ExecutionRole.Arn", "ExecutionRoleArn: !GetAtt TaskRole.Arn"},
		{"secrets permission", "Action: secretsmanager:GetSecretValue", "Action: secretsmanager:DescribeSecret"},
		{"log driver", "LogDriver: awslogs", "LogDriver: json-file"},
		{"log group", "awslogs-group: !Ref LogGroup", "awslogs-group: /ecs/worker"},
		{"security group", "- !Ref TaskSecurityGroup", "- sg-0123456789abcdef0"},
		{"network mode", "NetworkMode: awsvpc", "NetworkMode: bridge"},
		{"dangling ref", "Image: !Ref ImageUri", "Image: !Ref Image"},
	}
	for _, m := range mutations {
		t.Run(m.name, func(t *testing.T) {
			if !strings.Contains(string(src), m.old) {
				t.Fatalf("%s no longer contains %q", workerECSPath, m.old)
			}
			problems, err := checkWorkerECS([]byte(strings.Replace(string(src), m.old, m.new, 1)))
			if err != nil {
				t.Fatal(err)
			}
			if len(problems) == 0 {
				t.Errorf("replacing %q with %q was not reported", m.old, m.new)
			}
		})
	}
}

// checkWorkerECS checks the ECS worker stack: a Fargate service of two
// tasks on a task definition with its own task and execution roles, a log
// group, a security group, the secrets read from Secrets Manager, the
// health check on --ready and the admin server on 0.0.0.0.
func checkWorkerECS(src []byte) ([]string, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(src, &doc); err != nil {
		return nil, err
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, fmt.Errorf("template is not a YAML mapping")
	}
	root := doc.Content[0]
	var problems []string
	report := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	want := func(n *yaml.Node, what, tag, value string) {
		switch {
		case n == nil:
			report("%s is missing, want %s %s", what, tag, value)
		case n.Kind != yaml.ScalarNode || n.Value != value || (tag != "" && n.Tag != tag):
			report("%s (line %d) = %s %q, want %s %q", what, n.Line, n.Tag, n.Value, tag, value)
		}
	}
	res := get(root, "Resources")
	typeOf := func(name string) string { return scalar(get(res, name, "Type")) }

	// The service: Fargate, two tasks, in the worker's security group.
	svc := get(res, "Service", "Properties")
	if typeOf("Service") != "AWS::ECS::Service" {
		report("Resources.Service must be an AWS::ECS::Service")
	}
	want(get(svc, "LaunchType"), "Service.LaunchType", "", "FARGATE")
	want(get(svc, "TaskDefinition"), "Service.TaskDefinition", "!Ref", "TaskDefinition")
	count := get(svc, "DesiredCount")
	switch {
	case count != nil && count.Tag == "!Ref":
		want(get(root, "Parameters", count.Value, "Default"), "Parameters."+count.Value+".Default", "", "2")
	default:
		want(count, "Service.DesiredCount", "", "2")
	}
	sgs := get(svc, "NetworkConfiguration", "AwsvpcConfiguration", "SecurityGroups")
	if sgs == nil || sgs.Kind != yaml.SequenceNode || !slices.ContainsFunc(sgs.Content, func(n *yaml.Node) bool {
		return n.Tag == "!Ref" && typeOf(n.Value) == "AWS::EC2::SecurityGroup"
	}) {
		report("Service must run in a security group of the stack")
	}

	// The task definition.
	if typeOf("TaskDefinition") != "AWS::ECS::TaskDefinition" {
		report("Resources.TaskDefinition must be an AWS::ECS::TaskDefinition")
	}
	td := get(res, "TaskDefinition", "Properties")
	want(get(td, "NetworkMode"), "TaskDefinition.NetworkMode", "", "awsvpc")
	if c := get(td, "RequiresCompatibilities"); c == nil || c.Kind != yaml.SequenceNode || len(c.Content) != 1 || c.Content[0].Value != "FARGATE" {
		report("TaskDefinition.RequiresCompatibilities must be [FARGATE]")
	}
	want(get(td, "TaskRoleArn"), "TaskDefinition.TaskRoleArn", "!GetAtt", "TaskRole.Arn")
	want(get(td, "ExecutionRoleArn"), "TaskDefinition.ExecutionRoleArn", "!GetAtt", "ExecutionRole.Arn")
	for _, role := range []string{"TaskRole", "ExecutionRole"} {
		if typeOf(role) != "AWS::IAM::Role" || !mentions(get(res, role, "Properties", "AssumeRolePolicyDocument"), "ecs-tasks.amazonaws.com") {
			report("%s must be an IAM role that ECS tasks assume", role)
		}
	}
	if !mentions(get(res, "ExecutionRole", "Properties", "Policies"), "secretsmanager:GetSecretValue") {
		report("ExecutionRole must be allowed secretsmanager:GetSecretValue on the secrets")
	}

	defs := get(td, "ContainerDefinitions")
	if defs == nil || defs.Kind != yaml.SequenceNode || len(defs.Content) != 1 {
		report("TaskDefinition must have one container")
		return problems, nil
	}
	c := defs.Content[0]
	cmd := get(c, "HealthCheck", "Command")
	var words []string
	if cmd != nil {
		for _, w := range cmd.Content {
			words = append(words, w.Value)
		}
	}
	if !slices.Equal(words, []string{"CMD", "/worker", "--ready"}) {
		report("container HealthCheck.Command = %q, want [CMD /worker --ready] (the image has no shell or curl)", words)
	}
	env := map[string]*yaml.Node{}
	if e := get(c, "Environment"); e != nil {
		for _, kv := range e.Content {
			env[scalar(get(kv, "Name"))] = get(kv, "Value")
		}
	}
	want(env["PGRST_ADMIN_SERVER_HOST"], "environment PGRST_ADMIN_SERVER_HOST", "", "0.0.0.0")
	if env["PGRST_ADMIN_SERVER_PORT"] == nil {
		report("environment PGRST_ADMIN_SERVER_PORT is missing: --ready needs the admin server")
	}
	secrets := map[string]*yaml.Node{}
	if s := get(c, "Secrets"); s != nil {
		for _, kv := range s.Content {
			if kv.Tag == "!If" && len(kv.Content) == 3 {
				kv = kv.Content[1]
			}
			secrets[scalar(get(kv, "Name"))] = get(kv, "ValueFrom")
		}
	}
	for _, name := range []string{"PGRST_DB_URI", "REDIS_URL"} {
		if env[name] != nil {
			report("%s is a plain environment variable; it must be a secret (valueFrom)", name)
		}
		if v := secrets[name]; v == nil || v.Tag != "!Ref" || get(root, "Parameters", v.Value) == nil {
			report("%s must be a secret whose ValueFrom is a parameter (a Secrets Manager ARN)", name)
		}
	}
	lc := get(c, "LogConfiguration")
	want(get(lc, "LogDriver"), "LogConfiguration.LogDriver", "", "awslogs")
	if g := get(lc, "Options", "awslogs-group"); g == nil || g.Tag != "!Ref" || typeOf(g.Value) != "AWS::Logs::LogGroup" {
		report("LogConfiguration awslogs-group must be a log group of the stack")
	}
	checkReferences(root, report)
	return problems, nil
}
