package auth

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jwk"
	"github.com/lestrrat-go/jwx/v3/jws"

	"github.com/pgrest-lambda/pgrest-lambda/internal/config"
	"github.com/pgrest-lambda/pgrest-lambda/internal/pgrsterr"
)

const secret = "reallyreallyreallyreallyverysafe"

// t0 is the fixed "now" of most tests.
var t0 = time.Unix(1_700_000_000, 0)

// clock is a settable clock for Options.Now.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) set(t time.Time) { c.mu.Lock(); c.t = t; c.mu.Unlock() }

// cfgFrom builds a Config from PGRST_* variables.
func cfgFrom(t *testing.T, vars map[string]string) *config.Config {
	t.Helper()
	c, err := config.FromEnv(func(k string) string { return vars[k] })
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// newAuth builds an Authenticator at t0 (the returned clock moves it).
func newAuth(t *testing.T, vars map[string]string) (*Authenticator, *clock) {
	t.Helper()
	clk := &clock{t: t0}
	a, err := New(cfgFrom(t, vars), Options{Now: clk.now})
	if err != nil {
		t.Fatal(err)
	}
	return a, clk
}

// sign makes a compact JWS of payload (a JSON text) with key (raw Go key
// or jwk.Key) under alg; kid is set in the header when not empty.
func sign(t *testing.T, alg jwa.SignatureAlgorithm, key any, kid, payload string) string {
	t.Helper()
	hdr := jws.NewHeaders()
	if kid != "" {
		_ = hdr.Set(jws.KeyIDKey, kid)
	}
	_ = hdr.Set(jws.TypeKey, "JWT")
	b, err := jws.Sign([]byte(payload), jws.WithKey(alg, key, jws.WithProtectedHeaders(hdr)))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// hs256 signs payload with the shared test secret.
func hs256(t *testing.T, payload string) string {
	return sign(t, jwa.HS256(), []byte(secret), "", payload)
}

// unsigned builds header.payload.signature from JSON texts, base64url
// encoding each (signature given raw).
func unsigned(header, payload, sig string) string {
	enc := base64.RawURLEncoding.EncodeToString
	return enc([]byte(header)) + "." + enc([]byte(payload)) + "." + enc([]byte(sig))
}

// wantErr checks an error's status, code, message, details and
// WWW-Authenticate header (wwwAuth "" means the invalid_token header built
// from the message; "-" means no header).
func wantErr(t *testing.T, perr *pgrsterr.Error, status int, code, message string, details any, wwwAuth string) {
	t.Helper()
	if perr == nil {
		t.Fatalf("no error; want %s %q", code, message)
	}
	if perr.Status != status || perr.Code != code || perr.Message != message {
		t.Fatalf("got %d %s %q; want %d %s %q", perr.Status, perr.Code, perr.Message, status, code, message)
	}
	if details != perr.Details {
		t.Fatalf("%s: details %#v; want %#v", message, perr.Details, details)
	}
	if wwwAuth == "" {
		wwwAuth = `Bearer error="invalid_token", error_description="` + message + `"`
	}
	got, has := perr.Headers["WWW-Authenticate"]
	switch {
	case wwwAuth == "-" && has:
		t.Fatalf("%s: unexpected WWW-Authenticate %q", message, got)
	case wwwAuth != "-" && got != wwwAuth:
		t.Fatalf("%s: WWW-Authenticate %q; want %q", message, got, wwwAuth)
	}
	var body map[string]any
	if err := json.Unmarshal(perr.Body(), &body); err != nil || body["code"] != code || body["message"] != message {
		t.Fatalf("body %s", perr.Body())
	}
}

// authOK authenticates header and fails the test on error.
func authOK(t *testing.T, a *Authenticator, header string) Result {
	t.Helper()
	r, perr := a.Authenticate(context.Background(), header)
	if perr != nil {
		t.Fatalf("%s: %s %s (%v)", truncate(header), perr.Code, perr.Message, perr.Details)
	}
	return r
}

func truncate(s string) string {
	if len(s) > 60 {
		return s[:60] + "…"
	}
	return s
}

// claimsOf decodes Result.Claims.
func claimsOf(t *testing.T, r Result) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.Claims, &m); err != nil {
		t.Fatalf("claims %q: %v", r.Claims, err)
	}
	return m
}

// publicJWK returns the JSON of the public JWK of priv with kid and alg
// (alg "" leaves it unset).
func publicJWK(t *testing.T, priv any, kid, alg string) string {
	t.Helper()
	k, err := jwk.PublicKeyOf(priv)
	if err != nil {
		t.Fatal(err)
	}
	if kid != "" {
		_ = k.Set(jwk.KeyIDKey, kid)
	}
	if alg != "" {
		_ = k.Set(jwk.AlgorithmKey, alg)
	}
	b, err := json.Marshal(k)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func jwks(keys ...string) string { return `{"keys":[` + strings.Join(keys, ",") + `]}` }
