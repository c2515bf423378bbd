package auth

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/pgrest-lambda/pgrest-lambda/internal/config"
	"github.com/pgrest-lambda/pgrest-lambda/internal/pgrsterr"
)

// MaxTokenBytes is the longest token Authenticate accepts. A longer one is
// rejected with PGRST301 "JWT couldn't be decoded" before any decoding,
// so a hostile header costs nothing; real tokens are well under 4 KiB.
// PostgREST has no such bound (its server limits header sizes instead).
const MaxTokenBytes = 16 << 10

// ClockSkew is the leeway PostgREST allows on exp, nbf and iat.
const ClockSkew = 30 * time.Second

// Result is who a request runs as.
type Result struct {
	// Role is the database role to SET ROLE to: the role claim (a JSON
	// string unquoted, any other JSON value, null included, as its JSON
	// text, as PostgREST does) or the anon role when the claim is absent.
	Role string
	// Claims is the JSON object for request.jwt.claims: the token's claims
	// with "role" set to Role, as PostgREST's PreQuery sets it; for an
	// anonymous request {"role":"<anon role>"}. Callers must not modify it.
	Claims []byte
	// Authenticated is true when Role differs from the anon role
	// (PGRST_DB_ANON_ROLE), PostgREST's meaning; when no anon role is
	// configured every successful result is authenticated. A 42501
	// insufficient_privilege is 403 when true and 401 when false.
	Authenticated bool
}

// Options are what an [Authenticator] needs beyond the configuration. The
// zero value is usable.
type Options struct {
	// HTTPClient fetches PGRST_JWT_JWKS_URL; nil means a client with a
	// 5 second timeout.
	HTTPClient *http.Client
	// Now is the clock, read at every call (a thawed Lambda container must
	// never reuse a time from before it froze); nil means time.Now.
	Now func() time.Time
	// Logger receives JWKS fetch failures; nil means slog.Default().
	Logger *slog.Logger
	// JWKSMinRefetch is the least time between two fetches of the JWKS URL,
	// whatever triggers them (a token naming an unknown kid, keys older
	// than JWKSMaxAge, a failed fetch); 0 means [DefaultJWKSMinRefetch].
	JWKSMinRefetch time.Duration
	// JWKSMaxAge is how long fetched keys are used before they are fetched
	// again on the next request (the old ones are kept if that fails);
	// 0 means [DefaultJWKSMaxAge].
	JWKSMaxAge time.Duration
}

// Authenticator verifies tokens for one effective configuration. Build it
// once per configuration with [New] (or [Authenticator.Reconfigure]) and
// share it: it is safe for concurrent use and holds the token cache and
// the fetched JWKS.
type Authenticator struct {
	cfg     *config.Config
	opts    Options
	static  []verifyKey // from PGRST_JWT_SECRET
	jwks    *jwksSource // nil without PGRST_JWT_JWKS_URL
	cache   *tokenCache // nil when disabled or without keys
	anonSet bool
	// anon is the result of a request without a token, which depends on
	// the configuration only: built once by New; ok when it succeeded.
	anon   Result
	anonOK bool
}

// New builds an Authenticator for cfg, whose JWT settings FromEnv or
// WithDBSettings already validated. It fetches nothing: the JWKS URL, if
// any, is fetched on first use. It fails only when cfg's keys hold no key
// usable for signatures (an all-"enc" JWKS, say).
func New(cfg *config.Config, opts Options) (*Authenticator, error) {
	if opts.HTTPClient == nil {
		opts.HTTPClient = &http.Client{Timeout: 5 * time.Second}
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.JWKSMinRefetch <= 0 {
		opts.JWKSMinRefetch = DefaultJWKSMinRefetch
	}
	if opts.JWKSMaxAge <= 0 {
		opts.JWKSMaxAge = DefaultJWKSMaxAge
	}
	a := &Authenticator{cfg: cfg, opts: opts, anonSet: cfg.DBAnonRole != ""}
	if r, perr := a.result(map[string]any{}); perr == nil {
		a.anon, a.anonOK = r, true
	}
	if cfg.JWTKeys != nil {
		keys, err := keysOf(cfg.JWTKeys)
		if err != nil {
			return nil, err
		}
		if len(keys) == 0 {
			return nil, errors.New("auth: PGRST_JWT_SECRET holds no signature verification key")
		}
		a.static = keys
	}
	if cfg.JWTJWKSURL != "" {
		a.jwks = newJWKSSource(cfg.JWTJWKSURL, opts)
	}
	if cfg.JWTCacheMaxEntries > 0 && (a.static != nil || a.jwks != nil) {
		a.cache = newTokenCache(cfg.JWTCacheMaxEntries)
	}
	return a, nil
}

// Reconfigure returns an Authenticator for cfg with a's options, keeping
// a's fetched JWKS (and its refetch rate limit) when the JWKS URL is the
// same; the token cache starts empty, as PostgREST empties its cache when
// the configuration is reloaded.
func (a *Authenticator) Reconfigure(cfg *config.Config) (*Authenticator, error) {
	n, err := New(cfg, a.opts)
	if err != nil {
		return nil, err
	}
	if a.jwks != nil && n.jwks != nil && a.jwks.url == n.jwks.url {
		n.jwks = a.jwks
	}
	return n, nil
}

// Authenticate decides who a request runs as from its Authorization header
// value (raw, "" when absent) at the current time. Errors, all as
// PostgREST builds them (with their WWW-Authenticate header):
//
//   - 500 PGRST300 when a Bearer token is sent and no key is configured
//     (or the JWKS URL never answered and no other key exists);
//   - 401 PGRST301 when the token cannot be decoded or verified: empty,
//     not 3 parts, longer than [MaxTokenBytes], bad base64 or header JSON,
//     "alg":"none", an unknown algorithm, no suitable key, bad signature;
//   - 401 PGRST303 when the claims are not a JSON object or fail the
//     exp/nbf/iat/aud checks;
//   - 401 PGRST302 when there is no role claim and no anon role.
//
// ctx bounds a JWKS fetch, the only I/O it may do.
func (a *Authenticator) Authenticate(ctx context.Context, authorization string) (Result, *pgrsterr.Error) {
	token, ok := bearerToken(authorization)
	if !ok {
		return a.anonymous()
	}
	if a.static == nil && a.jwks == nil {
		return Result{}, pgrsterr.JWTSecretMissing(nil)
	}
	if token == "" {
		return Result{}, pgrsterr.JWTDecode(pgrsterr.MsgJWTEmpty, nil)
	}
	if len(token) > MaxTokenBytes {
		return Result{}, pgrsterr.JWTDecode(pgrsterr.MsgJWTUndecodable, "The JWT is longer than 16384 bytes")
	}
	now := a.opts.Now()
	if a.cache != nil {
		if e, hit := a.cache.get(token); hit && (a.jwks == nil || e.keyGen == a.jwks.generation()) {
			if err := e.times.check(now); err != nil {
				a.cache.remove(token)
				return Result{}, err
			}
			return e.result, nil
		}
	}
	payload, gen, perr := a.verify(ctx, token)
	if perr != nil {
		return Result{}, perr
	}
	claims, perr := decodeClaims(payload)
	if perr != nil {
		return Result{}, perr
	}
	times, perr := checkClaims(claims, now, a.cfg.JWTAud)
	if perr != nil {
		return Result{}, perr
	}
	res, perr := a.result(claims)
	if perr != nil {
		return Result{}, perr
	}
	if a.cache != nil {
		a.cache.put(token, cacheEntry{result: res, times: times, keyGen: gen})
	}
	return res, nil
}

// AuthenticateClaims decides who a request runs as from claims an API
// Gateway authorizer already verified (a JSON object: an HTTP API JWT
// authorizer's requestContext.authorizer.jwt.claims, or a Lambda
// authorizer's context). Nothing is verified again, not even exp or aud:
// the authorizer did that, and HTTP API authorizers pass every claim as a
// string. The role and Result.Claims are derived as in Authenticate.
// Empty claims (nil, "", "null" or {}) are an anonymous request.
//
// It returns 500 PGRSTX00 when PGRST_JWT_TRUST_GATEWAY_CLAIMS is off, so a
// wiring mistake cannot make claims trusted; 401 PGRST303 "Parsing claims
// failed" when claims is not a JSON object; 401 PGRST302 when there is no
// role claim and no anon role.
func (a *Authenticator) AuthenticateClaims(claims []byte) (Result, *pgrsterr.Error) {
	if !a.cfg.JWTTrustGatewayClaims {
		return Result{}, pgrsterr.Internal("gateway claims are not trusted (PGRST_JWT_TRUST_GATEWAY_CLAIMS is off)")
	}
	if s := string(claims); s == "" || s == "null" {
		return a.anonymous()
	}
	m, perr := decodeClaims(claims)
	if perr != nil {
		return Result{}, perr
	}
	return a.result(m)
}

// anonymous is PostgREST's result for a request without a token: the one
// New built (its Claims are shared: callers must not modify them), or a
// fresh error each time.
func (a *Authenticator) anonymous() (Result, *pgrsterr.Error) {
	if a.anonOK {
		return a.anon, nil
	}
	return a.result(map[string]any{})
}
