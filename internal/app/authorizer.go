package app

import (
	"context"
	"encoding/json"
	"net/http"

	"github.com/awslabs/aws-lambda-go-api-proxy/core"

	"github.com/pgrest-lambda/pgrest-lambda/internal/auth"
	"github.com/pgrest-lambda/pgrest-lambda/internal/config"
	"github.com/pgrest-lambda/pgrest-lambda/internal/pgrsterr"
)

// authenticate is PostgREST's Auth stage for one request: with
// PGRST_JWT_TRUST_GATEWAY_CLAIMS and claims an API Gateway authorizer
// verified, those claims; otherwise the Authorization header, verified by
// authn. authn is nil only when the configuration's keys could not be
// loaded: a token is then PGRST300, no token the anon role.
func authenticate(ctx context.Context, r *http.Request, cfg *config.Config, authn *auth.Authenticator) (auth.Result, *pgrsterr.Error) {
	if cfg.JWTTrustGatewayClaims && authn != nil {
		if claims, ok := gatewayClaims(r); ok {
			return authn.AuthenticateClaims(claims)
		}
	}
	if authn == nil {
		if r.Header.Get("Authorization") != "" {
			return auth.Result{}, pgrsterr.JWTSecretMissing("The JWT keys could not be loaded")
		}
		if cfg.DBAnonRole == "" {
			return auth.Result{}, pgrsterr.AnonDisabled()
		}
		claims, _ := json.Marshal(map[string]string{"role": cfg.DBAnonRole})
		return auth.Result{Role: cfg.DBAnonRole, Claims: claims}, nil
	}
	return authn.Authenticate(ctx, r.Header.Get("Authorization"))
}

// gatewayClaims are the claims an API Gateway authorizer verified for the
// event r came from, as a JSON object: an HTTP API JWT authorizer's
// requestContext.authorizer.jwt.claims or a Lambda authorizer's context
// (payload 2.0), a REST API Cognito authorizer's
// requestContext.authorizer.claims or a Lambda authorizer's context
// (payload 1.0). false when the event carries none.
func gatewayClaims(r *http.Request) ([]byte, bool) {
	if rc, ok := core.GetAPIGatewayV2ContextFromContext(r.Context()); ok && rc.Authorizer != nil {
		switch a := rc.Authorizer; {
		case a.JWT != nil && len(a.JWT.Claims) > 0:
			return marshalClaims(a.JWT.Claims)
		case len(a.Lambda) > 0:
			return marshalClaims(a.Lambda)
		}
	}
	if rc, ok := core.GetAPIGatewayContextFromContext(r.Context()); ok && len(rc.Authorizer) > 0 {
		if c, ok := rc.Authorizer["claims"].(map[string]any); ok {
			return marshalClaims(c)
		}
		ctx := make(map[string]any, len(rc.Authorizer))
		for k, v := range rc.Authorizer {
			// What API Gateway adds itself, not the authorizer's context.
			if k != "principalId" && k != "integrationLatency" {
				ctx[k] = v
			}
		}
		if len(ctx) > 0 {
			return marshalClaims(ctx)
		}
	}
	return nil, false
}

func marshalClaims(v any) ([]byte, bool) {
	b, err := json.Marshal(v)
	return b, err == nil
}
