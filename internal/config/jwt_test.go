package config

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jwk"
)

const testSecret = "reallyreallyreallyreallyverysafe" // 32 bytes

func TestJWTDefaults(t *testing.T) {
	c := mustFromEnv(t, nil)
	if c.JWTSecret != "" || c.JWTKeys != nil || c.JWTSecretIsBase64 || c.JWTAud != "" ||
		c.JWTCacheMaxEntries != 1000 || c.JWTJWKSURL != "" || c.JWTTrustGatewayClaims {
		t.Fatalf("defaults: %+v", c.JWTSettings)
	}
	if c.JWTRoleClaimKey == nil || c.JWTRoleClaimKey.String() != ".role" {
		t.Fatalf("role claim key default: %v", c.JWTRoleClaimKey)
	}
}

// symmetricBytes returns the secret of the only key of a set, which must
// be an HS256 oct key.
func symmetricBytes(t *testing.T, set jwk.Set) []byte {
	t.Helper()
	if set == nil || set.Len() != 1 {
		t.Fatalf("want one key, got %v", set)
	}
	k, _ := set.Key(0)
	if alg, ok := k.Algorithm(); !ok || alg != jwa.HS256() {
		t.Fatalf("text secret key alg = %v, %v; want HS256", alg, ok)
	}
	var b []byte
	if err := jwk.Export(k, &b); err != nil {
		t.Fatal(err)
	}
	return b
}

func TestJWTSecretText(t *testing.T) {
	c := mustFromEnv(t, map[string]string{"PGRST_JWT_SECRET": testSecret})
	if got := symmetricBytes(t, c.JWTKeys); string(got) != testSecret {
		t.Fatalf("secret = %q", got)
	}
	_, err := FromEnv(env(map[string]string{"PGRST_JWT_SECRET": testSecret[:31]}))
	if err == nil || !strings.Contains(err.Error(), "PGRST_JWT_SECRET") || !strings.Contains(err.Error(), "at least 32 characters") {
		t.Fatalf("short secret: %v", err)
	}
}

func TestJWTSecretBase64(t *testing.T) {
	raw := []byte("\xfb\xff\xfe binary secret, 32+ bytes long \xfa\xfb")
	for name, enc := range map[string]string{
		"std":          base64.StdEncoding.EncodeToString(raw),
		"url-safe":     base64.URLEncoding.EncodeToString(raw),
		"url unpadded": base64.RawURLEncoding.EncodeToString(raw),
		"spaces":       "  " + base64.StdEncoding.EncodeToString(raw) + "\n",
	} {
		c, err := FromEnv(env(map[string]string{"PGRST_JWT_SECRET": enc, "PGRST_JWT_SECRET_IS_BASE64": "true"}))
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if got := symmetricBytes(t, c.JWTKeys); string(got) != string(raw) {
			t.Errorf("%s: secret = %q", name, got)
		}
	}
	_, err := FromEnv(env(map[string]string{"PGRST_JWT_SECRET": "no base-64!", "PGRST_JWT_SECRET_IS_BASE64": "true"}))
	if err == nil || !strings.Contains(err.Error(), "PGRST_JWT_SECRET") {
		t.Fatalf("invalid base64 accepted: %v", err)
	}
	// Decoded length counts: 24 bytes of base64 are 18 bytes of secret.
	_, err = FromEnv(env(map[string]string{
		"PGRST_JWT_SECRET": base64.StdEncoding.EncodeToString([]byte(testSecret[:20])) + "AAAAAAAA", "PGRST_JWT_SECRET_IS_BASE64": "1",
	}))
	if err == nil {
		t.Fatal("a base64 secret decoding to fewer than 32 bytes was accepted")
	}
}

func TestJWTSecretFromFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "secret")
	if err := os.WriteFile(path, []byte(testSecret+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c := mustFromEnv(t, map[string]string{"PGRST_JWT_SECRET": "@" + path})
	if got := symmetricBytes(t, c.JWTKeys); string(got) != testSecret {
		t.Fatalf("secret from file = %q (one trailing newline must be dropped)", got)
	}
	if c.JWTSecret != "@"+path {
		t.Fatalf("JWTSecret = %q, want the value as configured", c.JWTSecret)
	}
	b64 := filepath.Join(dir, "secret.b64")
	if err := os.WriteFile(b64, []byte(base64.StdEncoding.EncodeToString([]byte(testSecret))+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c = mustFromEnv(t, map[string]string{"PGRST_JWT_SECRET": "@" + b64, "PGRST_JWT_SECRET_IS_BASE64": "true"})
	if got := symmetricBytes(t, c.JWTKeys); string(got) != testSecret {
		t.Fatalf("base64 secret from file = %q", got)
	}
	_, err := FromEnv(env(map[string]string{"PGRST_JWT_SECRET": "@" + filepath.Join(dir, "missing")}))
	if err == nil || !strings.Contains(err.Error(), "PGRST_JWT_SECRET") {
		t.Fatalf("missing file: %v", err)
	}
}

func ecJWK(t *testing.T, kid string) []byte {
	t.Helper()
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	k, err := jwk.Import(priv.Public())
	if err != nil {
		t.Fatal(err)
	}
	if kid != "" {
		_ = k.Set(jwk.KeyIDKey, kid)
	}
	b, err := json.Marshal(k)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestJWTSecretJWKAndJWKS(t *testing.T) {
	one := ecJWK(t, "a")
	c := mustFromEnv(t, map[string]string{"PGRST_JWT_SECRET": string(one)})
	if c.JWTKeys.Len() != 1 {
		t.Fatalf("JWK: %d keys", c.JWTKeys.Len())
	}
	if k, _ := c.JWTKeys.Key(0); k.KeyType() != jwa.EC() {
		t.Fatalf("JWK key type %v", k.KeyType())
	}
	set := `{"keys":[` + string(one) + `,` + string(ecJWK(t, "b")) + `,{"kty":"oct","k":"` +
		base64.RawURLEncoding.EncodeToString([]byte(testSecret)) + `","kid":"c"}]}`
	c = mustFromEnv(t, map[string]string{"PGRST_JWT_SECRET": set})
	if c.JWTKeys.Len() != 3 {
		t.Fatalf("JWKS: %d keys", c.JWTKeys.Len())
	}
	if _, ok := c.JWTKeys.LookupKeyID("b"); !ok {
		t.Fatal("kid b not found")
	}
	// Base64 of a JWK works too: decoding happens before parsing.
	c = mustFromEnv(t, map[string]string{"PGRST_JWT_SECRET": base64.StdEncoding.EncodeToString(one), "PGRST_JWT_SECRET_IS_BASE64": "true"})
	if k, _ := c.JWTKeys.Key(0); k.KeyType() != jwa.EC() {
		t.Fatal("base64 JWK not parsed as a JWK")
	}
}

func TestJWTSecretBrokenJWKIsAnError(t *testing.T) {
	for name, v := range map[string]string{
		"RSA without n": `{"kty":"RSA","e":"AQAB","alg":"RS256","use":"sig","kid":"some-long-key-id"}`,
		"empty set":     `{"keys":[]}`,
		"keys not list": `{"keys":"nope, this is not a list of keys"}`,
	} {
		_, err := FromEnv(env(map[string]string{"PGRST_JWT_SECRET": v}))
		if err == nil || !strings.Contains(err.Error(), "PGRST_JWT_SECRET") {
			t.Errorf("%s: accepted (%v); it must never become an HMAC secret", name, err)
		}
	}
	// JSON that is neither a JWK nor a JWKS is a text secret, as in PostgREST.
	c := mustFromEnv(t, map[string]string{"PGRST_JWT_SECRET": `{"just":"some json text, long enough"}`})
	symmetricBytes(t, c.JWTKeys)
}

func TestJWTAud(t *testing.T) {
	for _, ok := range []string{"youraudience", "https://api.example.com", "urn:example:aud", "api://default"} {
		if c, err := FromEnv(env(map[string]string{"PGRST_JWT_AUD": ok})); err != nil || c.JWTAud != ok {
			t.Errorf("%q: %v", ok, err)
		}
	}
	for _, bad := range []string{"http://%%localhorst.invalid", ":nope", "a b:c"} {
		_, err := FromEnv(env(map[string]string{"PGRST_JWT_AUD": bad}))
		if err == nil || !strings.Contains(err.Error(), "PGRST_JWT_AUD") {
			t.Errorf("%q accepted: %v", bad, err)
		}
	}
}

func TestJWTCacheJWKSURLAndGatewayFlags(t *testing.T) {
	c := mustFromEnv(t, map[string]string{
		"PGRST_JWT_CACHE_MAX_ENTRIES":    "0",
		"PGRST_JWT_JWKS_URL":             "https://cognito-idp.eu-west-1.amazonaws.com/pool/.well-known/jwks.json",
		"PGRST_JWT_TRUST_GATEWAY_CLAIMS": "true",
	})
	if c.JWTCacheMaxEntries != 0 || !c.JWTTrustGatewayClaims || !strings.HasPrefix(c.JWTJWKSURL, "https://cognito") {
		t.Fatalf("%+v", c.JWTSettings)
	}
	mustFromEnv(t, map[string]string{"PGRST_JWT_JWKS_URL": "http://127.0.0.1:9999/jwks"})
	mustFromEnv(t, map[string]string{"PGRST_JWT_JWKS_URL": "http://localhost/jwks"})
	for key, val := range map[string]string{
		"PGRST_JWT_CACHE_MAX_ENTRIES":    "-1",
		"PGRST_JWT_JWKS_URL":             "http://example.com/jwks",
		"PGRST_JWT_TRUST_GATEWAY_CLAIMS": "perhaps",
		"PGRST_JWT_SECRET_IS_BASE64":     "sure",
		"PGRST_JWT_ROLE_CLAIM_KEY":       "role.other",
	} {
		_, err := FromEnv(env(map[string]string{key: val}))
		if err == nil || !strings.Contains(err.Error(), key) {
			t.Errorf("%s=%q: %v", key, val, err)
		}
	}
	if _, err := FromEnv(env(map[string]string{"PGRST_JWT_JWKS_URL": "/relative"})); err == nil {
		t.Error("relative JWKS URL accepted")
	}
}

func TestJWTInDBSettings(t *testing.T) {
	base := mustFromEnv(t, map[string]string{
		"PGRST_JWT_SECRET":         testSecret,
		"PGRST_JWT_AUD":            "env-aud",
		"PGRST_JWT_ROLE_CLAIM_KEY": ".env_role",
	})
	other := strings.Repeat("x", 40)
	c, err := base.WithDBSettings(map[string]string{
		"jwt_secret":           base64.URLEncoding.EncodeToString([]byte(other)),
		"jwt_secret_is_base64": "true",
		"jwt_aud":              "db-aud",
		"jwt_role_claim_key":   `."https://x.io/claims".role`,
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := symmetricBytes(t, c.JWTKeys); string(got) != other {
		t.Fatalf("in-db base64 secret = %q", got)
	}
	if c.JWTAud != "db-aud" || c.JWTRoleClaimKey.String() != `."https://x.io/claims".role` {
		t.Fatalf("in-db values: %+v", c.JWTSettings)
	}
	if got := symmetricBytes(t, base.JWTKeys); string(got) != testSecret || base.JWTAud != "env-aud" {
		t.Fatal("receiver modified")
	}
	// Keys the database does not set keep the environment's value.
	c, err = base.WithDBSettings(map[string]string{"jwt_aud": "only-aud"})
	if err != nil {
		t.Fatal(err)
	}
	if got := symmetricBytes(t, c.JWTKeys); string(got) != testSecret || c.JWTRoleClaimKey.String() != ".env_role" {
		t.Fatalf("unset in-db keys changed: %+v", c.JWTSettings)
	}
	// An empty in-db value means the default, not the environment's.
	c, err = base.WithDBSettings(map[string]string{"jwt_secret": "", "jwt_role_claim_key": "", "jwt_aud": ""})
	if err != nil {
		t.Fatal(err)
	}
	if c.JWTKeys != nil || c.JWTRoleClaimKey.String() != ".role" || c.JWTAud != "" {
		t.Fatalf("empty in-db values: %+v", c.JWTSettings)
	}
	// @file works in the database too.
	path := filepath.Join(t.TempDir(), "s")
	if err := os.WriteFile(path, []byte(other), 0o600); err != nil {
		t.Fatal(err)
	}
	if c, err = base.WithDBSettings(map[string]string{"jwt_secret": "@" + path}); err != nil {
		t.Fatal(err)
	}
	if got := symmetricBytes(t, c.JWTKeys); string(got) != other {
		t.Fatalf("in-db @file secret = %q", got)
	}
	for key, val := range map[string]string{
		"jwt_secret":           "short",
		"jwt_secret_is_base64": "maybe",
		"jwt_aud":              "http://%%bad",
		"jwt_role_claim_key":   ".role##",
	} {
		if _, err := base.WithDBSettings(map[string]string{key: val}); err == nil || !strings.Contains(err.Error(), "pgrst."+key) {
			t.Errorf("pgrst.%s=%q: %v", key, val, err)
		}
	}
	// jwt_secret stays out of the fingerprint.
	a, _ := base.WithDBSettings(map[string]string{"jwt_secret": strings.Repeat("a", 32)})
	b, _ := base.WithDBSettings(map[string]string{"jwt_secret": strings.Repeat("b", 32)})
	if a.Fingerprint() != b.Fingerprint() {
		t.Fatal("the fingerprint depends on jwt_secret")
	}
}
