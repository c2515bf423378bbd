// Package awssecrets resolves the request function's settings kept in AWS
// Secrets Manager or SSM Parameter Store, once per cold start:
//
//   - a setting (PGRST_* or REDIS_URL) whose value is the ARN of a Secrets
//     Manager secret (arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME-xxxxxx)
//     or of an SSM parameter (arn:aws:ssm:REGION:ACCOUNT:parameter/NAME,
//     SecureString decrypted) takes the secret's string or the parameter's
//     value;
//   - PGRST_SETTINGS_ARN names a secret or parameter holding a JSON object of
//     further settings, {"PGRST_DB_MAX_ROWS": "1000", ...}; a setting that
//     the environment gives a non-empty value keeps it, and the document's
//     values may themselves be ARNs.
//
// The environment is returned with the values replaced, for
// config.FromEnviron; nothing is fetched, and no AWS configuration loaded,
// when no setting needs it. Errors name the variable and the ARN, never a
// value.
package awssecrets

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
)

// SettingsVar names the secret or parameter holding a JSON object of
// further settings.
const SettingsVar = "PGRST_SETTINGS_ARN"

// SecretsManagerAPI is the part of the Secrets Manager client used here.
type SecretsManagerAPI interface {
	GetSecretValue(ctx context.Context, in *secretsmanager.GetSecretValueInput, optFns ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error)
}

// SSMAPI is the part of the SSM client used here.
type SSMAPI interface {
	GetParameter(ctx context.Context, in *ssm.GetParameterInput, optFns ...func(*ssm.Options)) (*ssm.GetParameterOutput, error)
}

// Resolver fetches secrets and parameters with its clients. A value in
// another region than Region is fetched from that region.
type Resolver struct {
	SecretsManager SecretsManagerAPI
	SSM            SSMAPI
	Region         string
}

// arnPattern matches the ARN of a Secrets Manager secret or an SSM parameter:
// partition, service, region, resource.
var arnPattern = regexp.MustCompile(`^arn:(aws[a-z-]*):(secretsmanager|ssm):([a-z0-9-]+):[0-9]{12}:(secret:.+|parameter/.+)$`)

// IsARN reports whether v is the ARN of a Secrets Manager secret or an SSM
// parameter.
func IsARN(v string) bool { return arnPattern.MatchString(v) }

// isSetting reports whether the environment variable k is a setting this
// package may resolve or set.
func isSetting(k string) bool { return strings.HasPrefix(k, "PGRST_") || k == "REDIS_URL" }

// Needed reports whether environ names anything to fetch: PGRST_SETTINGS_ARN,
// or a setting whose value is an ARN.
func Needed(environ []string) bool {
	for _, kv := range environ {
		k, v, _ := strings.Cut(kv, "=")
		if isSetting(k) && (k == SettingsVar && v != "" || IsARN(v)) {
			return true
		}
	}
	return false
}

// Resolve returns environ with PGRST_SETTINGS_ARN's document merged in and
// every setting whose value is an ARN replaced by the value it names. Each
// ARN is fetched once.
func (r *Resolver) Resolve(ctx context.Context, environ []string) ([]string, error) {
	var keys []string
	vals := map[string]string{}
	for _, kv := range environ {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			continue
		}
		if _, dup := vals[k]; !dup {
			keys = append(keys, k)
		}
		vals[k] = v
	}
	fetched := map[string]string{}
	fetch := func(name, arn string) (string, error) {
		if v, ok := fetched[arn]; ok {
			return v, nil
		}
		v, err := r.fetch(ctx, arn)
		if err != nil {
			return "", fmt.Errorf("%s: reading %s: %w", name, arn, err)
		}
		fetched[arn] = v
		return v, nil
	}

	if doc := vals[SettingsVar]; doc != "" {
		if !IsARN(doc) {
			return nil, fmt.Errorf("%s: %q is not the ARN of a Secrets Manager secret or an SSM parameter", SettingsVar, doc)
		}
		raw, err := fetch(SettingsVar, doc)
		if err != nil {
			return nil, err
		}
		extra, err := parseSettings(raw)
		if err != nil {
			return nil, fmt.Errorf("%s: %s: %w", SettingsVar, doc, err)
		}
		names := make([]string, 0, len(extra))
		for k := range extra {
			names = append(names, k)
		}
		slices.Sort(names)
		for _, k := range names {
			if vals[k] != "" {
				continue // the environment wins
			}
			if _, present := vals[k]; !present {
				keys = append(keys, k)
			}
			vals[k] = extra[k]
		}
	}

	out := make([]string, 0, len(keys))
	for _, k := range keys {
		v := vals[k]
		if isSetting(k) && k != SettingsVar && IsARN(v) {
			var err error
			if v, err = fetch(k, v); err != nil {
				return nil, err
			}
		}
		out = append(out, k+"="+v)
	}
	return out, nil
}

// parseSettings decodes a settings document: a JSON object whose keys are
// settings and whose values are strings, numbers or booleans (null skips
// the key).
func parseSettings(raw string) (map[string]string, error) {
	dec := json.NewDecoder(strings.NewReader(raw))
	dec.UseNumber()
	var doc map[string]any
	if err := dec.Decode(&doc); err != nil || doc == nil {
		return nil, fmt.Errorf("the value is not a JSON object of settings")
	}
	out := make(map[string]string, len(doc))
	for k, v := range doc {
		if !isSetting(k) || k == SettingsVar {
			return nil, fmt.Errorf("%q is not a setting (PGRST_* or REDIS_URL)", k)
		}
		switch v := v.(type) {
		case nil:
		case string:
			out[k] = v
		case json.Number:
			out[k] = v.String()
		case bool:
			out[k] = fmt.Sprint(v)
		default:
			return nil, fmt.Errorf("%s: the value must be a string, a number or a boolean", k)
		}
	}
	return out, nil
}

// fetch returns the string a secret or parameter ARN names.
func (r *Resolver) fetch(ctx context.Context, arn string) (string, error) {
	m := arnPattern.FindStringSubmatch(arn)
	if m == nil {
		return "", fmt.Errorf("not the ARN of a secret or parameter")
	}
	service, region := m[2], m[3]
	if service == "secretsmanager" {
		if r.SecretsManager == nil {
			return "", fmt.Errorf("no Secrets Manager client")
		}
		out, err := r.SecretsManager.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(arn)},
			func(o *secretsmanager.Options) { r.inRegion(&o.Region, region) })
		switch {
		case err != nil:
			return "", err
		case out.SecretString != nil:
			return *out.SecretString, nil
		case out.SecretBinary != nil:
			return string(out.SecretBinary), nil
		}
		return "", fmt.Errorf("the secret has no value")
	}
	if r.SSM == nil {
		return "", fmt.Errorf("no SSM client")
	}
	out, err := r.SSM.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(arn), WithDecryption: aws.Bool(true)},
		func(o *ssm.Options) { r.inRegion(&o.Region, region) })
	switch {
	case err != nil:
		return "", err
	case out.Parameter == nil || out.Parameter.Value == nil:
		return "", fmt.Errorf("the parameter has no value")
	}
	return *out.Parameter.Value, nil
}

// inRegion points a call at the ARN's region when it differs from the
// clients'.
func (r *Resolver) inRegion(dst *string, region string) {
	if region != "" && region != r.Region {
		*dst = region
	}
}
