package awssecrets

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
)

const (
	dbSecret    = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:pgrst/db-AbCdEf"
	jwtParam    = "arn:aws:ssm:eu-west-1:123456789012:parameter/pgrst/jwt"
	docSecret   = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:pgrst/settings-XyZ123"
	otherRegion = "arn:aws:ssm:us-east-1:123456789012:parameter/pgrst/redis"
)

// fakeAWS serves secrets and parameters from maps and records each call
// with the region it was sent to.
type fakeAWS struct {
	secrets map[string]string
	params  map[string]string
	calls   []string
}

func (f *fakeAWS) GetSecretValue(_ context.Context, in *secretsmanager.GetSecretValueInput, optFns ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error) {
	o := secretsmanager.Options{Region: "eu-west-1"}
	for _, fn := range optFns {
		fn(&o)
	}
	id := aws.ToString(in.SecretId)
	f.calls = append(f.calls, o.Region+" "+id)
	v, ok := f.secrets[id]
	if !ok {
		return nil, errors.New("ResourceNotFoundException")
	}
	return &secretsmanager.GetSecretValueOutput{SecretString: aws.String(v)}, nil
}

func (f *fakeAWS) GetParameter(_ context.Context, in *ssm.GetParameterInput, optFns ...func(*ssm.Options)) (*ssm.GetParameterOutput, error) {
	o := ssm.Options{Region: "eu-west-1"}
	for _, fn := range optFns {
		fn(&o)
	}
	name := aws.ToString(in.Name)
	if !aws.ToBool(in.WithDecryption) {
		return nil, errors.New("SecureString read without decryption")
	}
	f.calls = append(f.calls, o.Region+" "+name)
	v, ok := f.params[name]
	if !ok {
		return nil, errors.New("ParameterNotFound")
	}
	return &ssm.GetParameterOutput{Parameter: &ssmtypes.Parameter{Value: aws.String(v)}}, nil
}

func resolver(f *fakeAWS) *Resolver {
	return &Resolver{SecretsManager: f, SSM: f, Region: "eu-west-1"}
}

func TestIsARN(t *testing.T) {
	for _, v := range []string{dbSecret, jwtParam, otherRegion,
		"arn:aws-us-gov:secretsmanager:us-gov-west-1:123456789012:secret:x-AbCdEf",
		"arn:aws-cn:ssm:cn-north-1:123456789012:parameter/a"} {
		if !IsARN(v) {
			t.Errorf("IsARN(%q) = false", v)
		}
	}
	for _, v := range []string{"", "postgresql://u:p@h/db", "arn:aws:s3:::bucket",
		"arn:aws:ssm:eu-west-1:123456789012:document/x", "arn:aws:secretsmanager:eu-west-1:123:secret:x"} {
		if IsARN(v) {
			t.Errorf("IsARN(%q) = true", v)
		}
	}
}

func TestResolveReplacesARNs(t *testing.T) {
	f := &fakeAWS{
		secrets: map[string]string{dbSecret: "postgresql://authenticator:pw@db/app"},
		params:  map[string]string{jwtParam: "a-jwt-secret-of-at-least-32-characters", otherRegion: "rediss://cache:6379/0"},
	}
	env := []string{
		"PATH=/usr/bin",
		"PGRST_DB_URI=" + dbSecret,
		"PGRST_JWT_SECRET=" + jwtParam,
		"REDIS_URL=" + otherRegion,
		"PGRST_CACHE_SIGNING_KEY=" + dbSecret, // the same ARN is fetched once
		"OTHER=" + dbSecret,                   // not a setting: left alone
		"PGRST_DB_SCHEMAS=api",
	}
	got, err := resolver(f).Resolve(context.Background(), env)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"PATH=/usr/bin",
		"PGRST_DB_URI=postgresql://authenticator:pw@db/app",
		"PGRST_JWT_SECRET=a-jwt-secret-of-at-least-32-characters",
		"REDIS_URL=rediss://cache:6379/0",
		"PGRST_CACHE_SIGNING_KEY=postgresql://authenticator:pw@db/app",
		"OTHER=" + dbSecret,
		"PGRST_DB_SCHEMAS=api",
	}
	if !slices.Equal(got, want) {
		t.Errorf("Resolve =\n%q\nwant\n%q", got, want)
	}
	wantCalls := []string{"eu-west-1 " + dbSecret, "eu-west-1 " + jwtParam, "us-east-1 " + otherRegion}
	if !slices.Equal(f.calls, wantCalls) {
		t.Errorf("calls = %q, want %q", f.calls, wantCalls)
	}
}

func TestResolveSettingsDocument(t *testing.T) {
	f := &fakeAWS{
		secrets: map[string]string{
			docSecret: `{"PGRST_DB_MAX_ROWS": 1000, "PGRST_DB_AGGREGATES_ENABLED": true,
				"PGRST_DB_SCHEMAS": "ignored", "PGRST_DB_URI": "` + dbSecret + `",
				"PGRST_JWT_AUD": null, "PGRST_OPENAPI_MODE": "disabled"}`,
			dbSecret: "postgresql://from-secret/app",
		},
	}
	env := []string{
		"PGRST_SETTINGS_ARN=" + docSecret,
		"PGRST_DB_SCHEMAS=api", // the environment wins
		"PGRST_DB_URI=",        // an empty value does not
	}
	got, err := resolver(f).Resolve(context.Background(), env)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"PGRST_SETTINGS_ARN=" + docSecret,
		"PGRST_DB_SCHEMAS=api",
		"PGRST_DB_URI=postgresql://from-secret/app",
		"PGRST_DB_AGGREGATES_ENABLED=true",
		"PGRST_DB_MAX_ROWS=1000",
		"PGRST_OPENAPI_MODE=disabled",
	}
	if !slices.Equal(got, want) {
		t.Errorf("Resolve =\n%q\nwant\n%q", got, want)
	}
}

func TestResolveErrors(t *testing.T) {
	f := &fakeAWS{secrets: map[string]string{
		docSecret: `{"AWS_REGION": "x"}`,
		dbSecret:  `["not", "an", "object"]`,
		"arn:aws:secretsmanager:eu-west-1:123456789012:secret:nested-AbCdEf": `{"PGRST_DB_MAX_ROWS": {"a": 1}}`,
	}}
	cases := []struct {
		env  string
		want string
	}{
		{"PGRST_DB_URI=arn:aws:secretsmanager:eu-west-1:123456789012:secret:missing-AbCdEf", "PGRST_DB_URI: reading arn:aws:secretsmanager:eu-west-1:123456789012:secret:missing-AbCdEf: ResourceNotFoundException"},
		{"PGRST_SETTINGS_ARN=postgresql://x", "is not the ARN"},
		{"PGRST_SETTINGS_ARN=" + docSecret, `"AWS_REGION" is not a setting`},
		{"PGRST_SETTINGS_ARN=" + dbSecret, "not a JSON object"},
		{"PGRST_SETTINGS_ARN=arn:aws:secretsmanager:eu-west-1:123456789012:secret:nested-AbCdEf", "must be a string"},
	}
	for _, c := range cases {
		_, err := resolver(f).Resolve(context.Background(), []string{c.env})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one containing %q", c.env, err, c.want)
		}
	}
	// A secret's value never appears in an error.
	f.secrets[docSecret] = `{"PGRST_DB_URI": "postgresql://u:hunter2@db/app", "BAD": 1}`
	_, err := resolver(f).Resolve(context.Background(), []string{"PGRST_SETTINGS_ARN=" + docSecret})
	if err == nil || strings.Contains(err.Error(), "hunter2") {
		t.Errorf("error %v: want one without the secret", err)
	}
}

func TestNeeded(t *testing.T) {
	if Needed([]string{"PGRST_DB_URI=postgresql://x", "PGRST_SETTINGS_ARN=", "OTHER=" + dbSecret}) {
		t.Error("Needed without an ARN setting = true")
	}
	for _, env := range []string{"PGRST_DB_URI=" + dbSecret, "REDIS_URL=" + jwtParam, "PGRST_SETTINGS_ARN=" + docSecret} {
		if !Needed([]string{"PATH=/bin", env}) {
			t.Errorf("Needed(%s) = false", env)
		}
	}
}

// TestEnvironWithoutARNs checks that nothing is loaded or fetched when no
// setting needs AWS (no credentials exist here).
func TestEnvironWithoutARNs(t *testing.T) {
	env := []string{"PGRST_DB_URI=postgresql://x", "REDIS_URL=redis://r"}
	got, err := Environ(context.Background(), env)
	if err != nil || !slices.Equal(got, env) {
		t.Errorf("Environ = %q, %v; want the environment unchanged", got, err)
	}
}
