package config

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"strings"

	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jwk"
)

// DefaultJWTCacheMaxEntries is PostgREST's default jwt-cache-max-entries.
const DefaultJWTCacheMaxEntries = 1000

// MinJWTSecretLength is the fewest bytes a text jwt-secret may have, as
// PostgREST requires ("The JWT secret must be at least 32 characters
// long.").
const MinJWTSecretLength = 32

// JWTSettings are the JWT authentication settings, embedded in [Config].
// Every field but JWTKeys is read from the environment by [FromEnv];
// JWTSecret, JWTSecretIsBase64, JWTAud and JWTRoleClaimKey can also be set
// in the database (see [Config.WithDBSettings]).
type JWTSettings struct {
	// JWTSecret is PGRST_JWT_SECRET or pgrst.jwt_secret as configured
	// (default unset), PostgREST's jwt-secret: a text secret of at least
	// [MinJWTSecretLength] bytes, a JWK or a JWKS (JSON), or "@/path" to read
	// any of those from a file (one trailing newline is dropped). It is a
	// secret: never log it. JWTKeys holds the keys it yields.
	JWTSecret string
	// JWTSecretIsBase64 says JWTSecret (after reading an @file) is base64,
	// standard or URL-safe alphabet, padded or not
	// (PGRST_JWT_SECRET_IS_BASE64 or pgrst.jwt_secret_is_base64, default
	// false), as PostgREST's jwt-secret-is-base64.
	JWTSecretIsBase64 bool
	// JWTKeys are the verification keys JWTSecret yields, nil when it is
	// unset. A text secret becomes one symmetric key restricted to HS256 and
	// without a kid, as PostgREST makes it; a JWK becomes a one-key set; a
	// JWKS is used as it is. Keys the JOSE library cannot load are dropped.
	// The set must not be modified.
	JWTKeys jwk.Set
	// JWTAud is the audience tokens must be for (PGRST_JWT_AUD or
	// pgrst.jwt_aud, default unset = the aud claim is not checked), as
	// PostgREST's jwt-aud. A value containing ':' must be a valid URI.
	JWTAud string
	// JWTRoleClaimKey locates the role claim (PGRST_JWT_ROLE_CLAIM_KEY or
	// pgrst.jwt_role_claim_key, default [DefaultRoleClaimKey]), as
	// PostgREST's jwt-role-claim-key; see [RoleClaimKey] for the syntax.
	// Never nil in a Config from FromEnv or WithDBSettings.
	JWTRoleClaimKey *RoleClaimKey
	// JWTCacheMaxEntries bounds the cache of verified tokens
	// (PGRST_JWT_CACHE_MAX_ENTRIES, default [DefaultJWTCacheMaxEntries];
	// 0 disables the cache), as PostgREST's jwt-cache-max-entries.
	JWTCacheMaxEntries int
	// JWTJWKSURL is an https URL serving a JWKS, e.g. a Cognito user
	// pool's https://cognito-idp.<region>.amazonaws.com/<pool>/.well-known/jwks.json
	// (PGRST_JWT_JWKS_URL, default unset). No PostgREST counterpart: its keys
	// are fetched at run time and used alongside JWTKeys. Plain http is
	// accepted only for a loopback host (local development).
	JWTJWKSURL string
	// JWTTrustGatewayClaims lets a request present claims an API Gateway
	// authorizer already verified instead of a token to verify again
	// (PGRST_JWT_TRUST_GATEWAY_CLAIMS, default false). No PostgREST
	// counterpart. Turn it on only when every route of the API has such an
	// authorizer: the claims are then believed as they are.
	JWTTrustGatewayClaims bool
}

// readJWTKeys reads the JWT settings from the environment.
func (c *Config) readJWTKeys(getenv func(string) string) []error {
	var errs []error
	var err error
	c.JWTSecret = getenv("PGRST_JWT_SECRET")
	if c.JWTSecretIsBase64, err = parseBool(getenv("PGRST_JWT_SECRET_IS_BASE64"), false); err != nil {
		errs = append(errs, fmt.Errorf("PGRST_JWT_SECRET_IS_BASE64: %w", err))
	}
	if c.JWTKeys, err = LoadJWTSecret(c.JWTSecret, c.JWTSecretIsBase64); err != nil {
		errs = append(errs, fmt.Errorf("PGRST_JWT_SECRET: %w", err))
	}
	c.JWTAud = getenv("PGRST_JWT_AUD")
	if err := checkJWTAud(c.JWTAud); err != nil {
		errs = append(errs, fmt.Errorf("PGRST_JWT_AUD: %w", err))
	}
	if c.JWTRoleClaimKey, err = ParseRoleClaimKey(getenv("PGRST_JWT_ROLE_CLAIM_KEY")); err != nil {
		errs = append(errs, fmt.Errorf("PGRST_JWT_ROLE_CLAIM_KEY: %w", err))
	}
	v := getenv("PGRST_JWT_CACHE_MAX_ENTRIES")
	if c.JWTCacheMaxEntries, err = parseInt(v, DefaultJWTCacheMaxEntries); err != nil || c.JWTCacheMaxEntries < 0 {
		errs = append(errs, fmt.Errorf("PGRST_JWT_CACHE_MAX_ENTRIES: %q is not a non-negative number", v))
	}
	c.JWTJWKSURL = strings.TrimSpace(getenv("PGRST_JWT_JWKS_URL"))
	if err := checkJWKSURL(c.JWTJWKSURL); err != nil {
		errs = append(errs, fmt.Errorf("PGRST_JWT_JWKS_URL: %w", err))
	}
	if c.JWTTrustGatewayClaims, err = parseBool(getenv("PGRST_JWT_TRUST_GATEWAY_CLAIMS"), false); err != nil {
		errs = append(errs, fmt.Errorf("PGRST_JWT_TRUST_GATEWAY_CLAIMS: %w", err))
	}
	return errs
}

// checkJWTAud accepts what PostgREST accepts as jwt-aud: any string, but
// one containing ':' must be an RFC 3986 URI ("jwt-aud should be a string
// or a valid URI").
func checkJWTAud(v string) error {
	if !strings.Contains(v, ":") {
		return nil
	}
	u, err := url.Parse(v)
	if err != nil || u.Scheme == "" || strings.ContainsAny(v, " \t\n\"<>\\^`{|}") {
		return fmt.Errorf("%q: jwt-aud should be a string or a valid URI", v)
	}
	return nil
}

// checkJWKSURL accepts an empty value, an https URL with a host, or an
// http URL whose host is loopback (localhost, 127.0.0.0/8, ::1).
func checkJWKSURL(v string) error {
	if v == "" {
		return nil
	}
	u, err := url.Parse(v)
	if err != nil || u.Host == "" {
		return fmt.Errorf("%q is not an absolute URL", v)
	}
	switch strings.ToLower(u.Scheme) {
	case "https":
		return nil
	case "http":
		h := u.Hostname()
		if ip := net.ParseIP(h); h == "localhost" || (ip != nil && ip.IsLoopback()) {
			return nil
		}
	}
	return fmt.Errorf("%q must be an https URL (http only for a loopback host)", v)
}

// LoadJWTSecret turns a jwt-secret value into verification keys, as
// PostgREST does: "@path" reads the file (dropping one trailing newline),
// isBase64 decodes the result (URL-safe characters accepted, surrounding
// spaces ignored), then the bytes are tried as a JWKS ({"keys":[...]}),
// then as one JWK, else used as a text secret of at least
// [MinJWTSecretLength] bytes restricted to HS256. An empty secret returns
// (nil, nil).
//
// Unlike PostgREST, JSON that looks like a JWK (has "kty") or a JWKS (has
// "keys") but cannot be loaded is an error rather than a text secret: using
// a published public key as an HMAC secret would let anyone sign tokens.
func LoadJWTSecret(secret string, isBase64 bool) (jwk.Set, error) {
	if secret == "" {
		return nil, nil
	}
	raw := []byte(secret)
	if path, ok := strings.CutPrefix(secret, "@"); ok {
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("reading the secret file: %w", err)
		}
		raw = bytes.TrimSuffix(b, []byte("\n"))
	}
	if isBase64 {
		s := strings.TrimSpace(strings.NewReplacer("_", "/", "-", "+", ".", "=").Replace(string(raw)))
		b, err := base64.StdEncoding.DecodeString(s)
		if err != nil {
			b, err = base64.RawStdEncoding.DecodeString(strings.TrimRight(s, "="))
		}
		if err != nil {
			return nil, errors.New("the secret is not valid base64")
		}
		raw = b
	}
	var probe map[string]json.RawMessage
	if json.Unmarshal(raw, &probe) == nil {
		_, hasKeys := probe["keys"]
		_, hasKty := probe["kty"]
		if hasKeys || hasKty {
			return loadJWKJSON(raw, hasKeys)
		}
	}
	if len(raw) < MinJWTSecretLength {
		return nil, errors.New("The JWT secret must be at least 32 characters long.")
	}
	key, err := jwk.Import(raw)
	if err != nil {
		return nil, fmt.Errorf("importing the secret: %w", err)
	}
	if err := key.Set(jwk.AlgorithmKey, jwa.HS256()); err != nil {
		return nil, err
	}
	if err := key.Set(jwk.KeyUsageKey, jwk.ForSignature); err != nil {
		return nil, err
	}
	set := jwk.NewSet()
	if err := set.AddKey(key); err != nil {
		return nil, err
	}
	return set, nil
}

// loadJWKJSON parses a JWK or a JWKS, dropping keys of types the JOSE
// library does not know (PostgREST ignores those too) and failing when no
// key remains.
func loadJWKJSON(raw []byte, isSet bool) (jwk.Set, error) {
	var set jwk.Set
	if isSet {
		s, err := jwk.Parse(raw, jwk.WithStrictKeySetParsing(false), jwk.WithIgnoreParseError(true))
		if err != nil {
			return nil, fmt.Errorf("the secret is not a valid JWKS: %w", err)
		}
		set = s
	} else {
		k, err := jwk.ParseKey(raw)
		if err != nil {
			return nil, fmt.Errorf("the secret is not a valid JWK: %w", err)
		}
		set = jwk.NewSet()
		if err := set.AddKey(k); err != nil {
			return nil, err
		}
	}
	if set.Len() == 0 {
		return nil, errors.New("the JWKS holds no usable key")
	}
	return set, nil
}
