package awssecrets

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
)

// Environ resolves environ as [Resolver.Resolve] does, with clients built
// from the AWS SDK's default configuration (in Lambda: the function's role
// and AWS_REGION). When no setting needs AWS it returns environ unchanged
// without loading any configuration.
func Environ(ctx context.Context, environ []string) ([]string, error) {
	if !Needed(environ) {
		return environ, nil
	}
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, fmt.Errorf("loading the AWS configuration to read secrets: %w", err)
	}
	r := &Resolver{
		SecretsManager: secretsmanager.NewFromConfig(cfg),
		SSM:            ssm.NewFromConfig(cfg),
		Region:         cfg.Region,
	}
	return r.Resolve(ctx, environ)
}
