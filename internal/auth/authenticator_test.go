package auth

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jwk"
)

var withSecret = map[string]string{"PGRST_JWT_SECRET": secret, "PGRST_DB_ANON_ROLE": "web_anon"}

func TestAnonymousRequests(t *testing.T) {
	a, _ := newAuth(t, withSecret)
	for _, h := range []string{"", "Basic dXNlcjpwYXNz", "Token abc", "Bearerx abc"} {
		r := authOK(t, a, h)
		if r.Role != "web_anon" || string(r.Claims) != `{"role":"web_anon"}` || r.Authenticated {
			t.Errorf("%q: %+v (%s)", h, r, r.Claims)
		}
	}
	// No secret: anonymous requests still work.
	a, _ = newAuth(t, map[string]string{"PGRST_DB_ANON_ROLE": "web_anon"})
	if r := authOK(t, a, ""); r.Role != "web_anon" {
		t.Fatalf("%+v", r)
	}
	// No anon role: PGRST302 with a plain Bearer challenge.
	a, _ = newAuth(t, map[string]string{"PGRST_JWT_SECRET": secret})
	_, perr := a.Authenticate(context.Background(), "")
	wantErr(t, perr, 401, "PGRST302", "Anonymous access is disabled", nil, "Bearer")
	// ... and a token without a role claim gets the same answer.
	_, perr = a.Authenticate(context.Background(), "Bearer "+hs256(t, `{"sub":"x"}`))
	wantErr(t, perr, 401, "PGRST302", "Anonymous access is disabled", nil, "Bearer")
}

func TestServerLacksSecret(t *testing.T) {
	a, _ := newAuth(t, map[string]string{"PGRST_DB_ANON_ROLE": "web_anon"})
	for _, h := range []string{"Bearer " + hs256(t, `{"role":"x"}`), "Bearer ", "bearer garbage"} {
		_, perr := a.Authenticate(context.Background(), h)
		wantErr(t, perr, 500, "PGRST300", "Server lacks JWT secret", nil, "-")
	}
}

func TestBearerScheme(t *testing.T) {
	a, _ := newAuth(t, withSecret)
	tok := hs256(t, `{"role":"author"}`)
	for _, h := range []string{"Bearer " + tok, "bearer " + tok, "BEARER \t " + tok} {
		if r := authOK(t, a, h); r.Role != "author" || !r.Authenticated {
			t.Errorf("%q: %+v", truncate(h), r)
		}
	}
	for _, h := range []string{"Bearer", "Bearer ", "bearer    "} {
		_, perr := a.Authenticate(context.Background(), h)
		wantErr(t, perr, 401, "PGRST301", "Empty JWT is sent in Authorization header", nil, "")
	}
}

func TestMalformedTokens(t *testing.T) {
	a, _ := newAuth(t, withSecret)
	good := hs256(t, `{"role":"author"}`)
	parts := strings.Split(good, ".")
	hdr := `{"alg":"HS256","typ":"JWT"}`
	for _, tc := range []struct {
		name, token, message string
		details              any
	}{
		{"two parts", "ey9zdGdyZXN0X3Rlc3RfYXV0aG9yIiwiaWQiOiJqZG9lIn0.y4vZuu1dDdwAl0-S00MCRWRYMlJ5YAMSir6Es6WtWx0", "Expected 3 parts in JWT; got 2", nil},
		{"one part", "abc", "Expected 3 parts in JWT; got 1", nil},
		{"five parts (JWE)", "a.b.c.d.e", "Expected 3 parts in JWT; got 5", nil},
		{"truncated after the payload", parts[0] + "." + parts[1], "Expected 3 parts in JWT; got 2", nil},
		{"header not base64", "!!!." + parts[1] + "." + parts[2], pgrstBadCrypto, nil},
		{"padded base64", parts[0] + "=." + parts[1] + "." + parts[2], pgrstBadCrypto, nil},
		{"header not JSON", unsigned("not json", `{}`, "x"), pgrstBadCrypto, nil},
		{"header is an array", unsigned(`["HS256"]`, `{}`, "x"), pgrstBadCrypto, nil},
		{"header without alg", unsigned(`{"typ":"JWT"}`, `{}`, "x"), pgrstBadCrypto, nil},
		{"alg not a string", unsigned(`{"alg":256}`, `{}`, "x"), pgrstBadCrypto, nil},
		{"unknown alg", unsigned(`{"alg":"HS1"}`, `{}`, "x"), pgrstBadCrypto, nil},
		{"JWE header", unsigned(`{"alg":"dir","enc":"A128GCM"}`, `{}`, "x"), pgrstBadCrypto, nil},
		{"payload not base64", parts[0] + ".@@@." + parts[2], pgrstBadCrypto, nil},
		{"signature not base64", parts[0] + "." + parts[1] + ".%%%", pgrstBadCrypto, nil},
		{"alg none", unsigned(`{"alg":"none"}`, `{"role":"postgres"}`, ""), "Wrong or unsupported encoding algorithm", detailUnsecured},
		{"alg none with a signature", unsigned(`{"alg":"none","typ":"JWT"}`, `{"role":"postgres"}`, "sig"), "Wrong or unsupported encoding algorithm", detailUnsecured},
		{"bad signature", parts[0] + "." + parts[1] + "." + base64.RawURLEncoding.EncodeToString([]byte("forged-signature-of-32-bytes....")), "No suitable key or wrong key type", detailNoneWorked},
		{"truncated signature", parts[0] + "." + parts[1] + "." + parts[2][:20], "No suitable key or wrong key type", detailNoneWorked},
		{"other secret", sign(t, jwa.HS256(), []byte(strings.Repeat("z", 32)), "", `{"role":"author"}`), "No suitable key or wrong key type", detailNoneWorked},
		{"payload swapped", parts[0] + "." + base64.RawURLEncoding.EncodeToString([]byte(`{"role":"postgres"}`)) + "." + parts[2], "No suitable key or wrong key type", detailNoneWorked},
		{"RS256 against a text secret", unsigned(`{"alg":"RS256"}`, `{}`, "sig"), "No suitable key or wrong key type", detailNoKey},
		{"text secret is HS256 only", sign(t, jwa.HS512(), []byte(secret), "", `{"role":"author"}`), "No suitable key or wrong key type", detailNoKey},
		{"kid against a text secret", sign(t, jwa.HS256(), []byte(secret), "k1", `{"role":"author"}`), "No suitable key or wrong key type", detailNoKey},
		{"signed header " + hdr + " with no key", unsigned(`{"alg":"ES256"}`, `{}`, "sig"), "No suitable key or wrong key type", detailNoKey},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, perr := a.Authenticate(context.Background(), "Bearer "+tc.token)
			wantErr(t, perr, 401, "PGRST301", tc.message, tc.details, "")
		})
	}
}

const pgrstBadCrypto = "JWT cryptographic operation failed"

func TestOversizedToken(t *testing.T) {
	a, _ := newAuth(t, withSecret)
	big := hs256(t, `{"role":"author","pad":"`+strings.Repeat("x", MaxTokenBytes)+`"}`)
	_, perr := a.Authenticate(context.Background(), "Bearer "+big)
	wantErr(t, perr, 401, "PGRST301", "JWT couldn't be decoded", "The JWT is longer than 16384 bytes", "")
	huge := strings.Repeat("a", 10<<20) // not even split: rejected on length
	_, perr = a.Authenticate(context.Background(), "Bearer "+huge)
	wantErr(t, perr, 401, "PGRST301", "JWT couldn't be decoded", "The JWT is longer than 16384 bytes", "")
	// Just under the bound is decoded as usual.
	ok := hs256(t, `{"role":"author","pad":"`+strings.Repeat("x", 10000)+`"}`)
	authOK(t, a, "Bearer "+ok)
}

func TestClaimsMustBeAnObject(t *testing.T) {
	a, _ := newAuth(t, withSecret)
	for _, payload := range []string{`not json`, `["role","author"]`, `"author"`, `null`, `42`, `{"role":"a"} trailing`, `{"role":`} {
		_, perr := a.Authenticate(context.Background(), "Bearer "+hs256(t, payload))
		wantErr(t, perr, 401, "PGRST303", "Parsing claims failed", nil, "")
	}
	// An empty object is valid: the anon role.
	if r := authOK(t, a, "Bearer "+hs256(t, `{}`)); r.Role != "web_anon" || r.Authenticated {
		t.Fatalf("%+v", r)
	}
}

func TestTimeClaims(t *testing.T) {
	a, _ := newAuth(t, withSecret)
	now := t0.Unix()
	for _, tc := range []struct {
		claims  string
		message string // "" = accepted
		details any
	}{
		{fmt.Sprintf(`{"exp":%d}`, now+1), "", nil},
		{fmt.Sprintf(`{"exp":%d}`, now-30), "", nil},
		{fmt.Sprintf(`{"exp":%d}`, now-31), "JWT expired", "Invalid by 31 seconds"},
		{`{"exp":1446678149}`, "JWT expired", fmt.Sprintf("Invalid by %d seconds", now-1446678149)},
		{fmt.Sprintf(`{"exp":%d.5}`, now+1000), "JWT expired", fmt.Sprintf("Invalid by %d seconds", now)}, // not an integer: 0
		{`{"exp":1e30}`, "JWT expired", fmt.Sprintf("Invalid by %d seconds", now)},                        // out of range: 0
		{fmt.Sprintf(`{"exp":%de0}`, now+100), "", nil},                                                   // an integer written with an exponent
		{`{"exp":null}`, "", nil},
		{`{"exp":"invalid"}`, "The JWT 'exp' claim must be a number", nil},
		{`{"exp":true}`, "The JWT 'exp' claim must be a number", nil},
		{fmt.Sprintf(`{"nbf":%d}`, now+30), "", nil},
		{fmt.Sprintf(`{"nbf":%d}`, now+31), "JWT not yet valid", "Invalid by 31 seconds"},
		{`{"nbf":"invalid"}`, "The JWT 'nbf' claim must be a number", nil},
		{fmt.Sprintf(`{"iat":%d}`, now), "", nil},
		{fmt.Sprintf(`{"iat":%d}`, now+30), "", nil},
		{fmt.Sprintf(`{"iat":%d}`, now+45), "JWT issued at future", "Invalid by 45 seconds"},
		{`{"iat":"invalid"}`, "The JWT 'iat' claim must be a number", nil},
		// The first failure in the order exp, nbf, iat, aud wins.
		{fmt.Sprintf(`{"iat":"x","nbf":%d,"exp":%d}`, now+100, now-100), "JWT expired", "Invalid by 100 seconds"},
		{fmt.Sprintf(`{"iat":"x","nbf":%d}`, now+100), "JWT not yet valid", "Invalid by 100 seconds"},
		{`{"aud":{"a":1},"iat":"x"}`, "The JWT 'iat' claim must be a number", nil},
	} {
		_, perr := a.Authenticate(context.Background(), "Bearer "+hs256(t, tc.claims))
		if tc.message == "" {
			if perr != nil {
				t.Errorf("%s: %s %s", tc.claims, perr.Message, perr.Details)
			}
			continue
		}
		t.Run(tc.claims, func(t *testing.T) { wantErr(t, perr, 401, "PGRST303", tc.message, tc.details, "") })
	}
}

func TestClockReadOnEveryCall(t *testing.T) {
	for _, cache := range []string{"0", "1000"} {
		a, clk := newAuth(t, map[string]string{"PGRST_JWT_SECRET": secret, "PGRST_JWT_CACHE_MAX_ENTRIES": cache})
		tok := "Bearer " + hs256(t, fmt.Sprintf(`{"role":"author","exp":%d,"nbf":%d}`, t0.Unix()+100, t0.Unix()-100))
		clk.set(t0.Add(-200e9)) // frozen container thawed with an old clock? no: nbf in the future
		_, perr := a.Authenticate(context.Background(), tok)
		wantErr(t, perr, 401, "PGRST303", "JWT not yet valid", "Invalid by 100 seconds", "")
		clk.set(t0)
		authOK(t, a, tok)
		clk.set(t0.Add(130e9))
		authOK(t, a, tok) // within the 30 s leeway
		clk.set(t0.Add(131e9))
		_, perr = a.Authenticate(context.Background(), tok)
		wantErr(t, perr, 401, "PGRST303", "JWT expired", "Invalid by 31 seconds", "")
	}
}

func TestAudience(t *testing.T) {
	a, _ := newAuth(t, map[string]string{"PGRST_JWT_SECRET": secret, "PGRST_JWT_AUD": "youraudience", "PGRST_DB_ANON_ROLE": "anon"})
	for claims, want := range map[string]string{
		`{"aud":"youraudience"}`:                       "",
		`{"aud":"notyouraudience"}`:                    "JWT not in audience",
		`{"aud":""}`:                                   "JWT not in audience",
		`{"aud":["youraudience"]}`:                     "",
		`{"aud":["no","youraudience","other"]}`:        "",
		`{"aud":["notyouraudience"]}`:                  "JWT not in audience",
		`{"aud":["a","b"]}`:                            "JWT not in audience",
		`{"aud":[]}`:                                   "",
		`{"aud":null}`:                                 "",
		`{}`:                                           "",
		`{"aud":{"invalid":"value"}}`:                  "The JWT 'aud' claim must be a string or an array of strings",
		`{"aud":[{"invalid":"value"},"youraudience"]}`: "The JWT 'aud' claim must be a string or an array of strings",
		`{"aud":5}`:                                    "The JWT 'aud' claim must be a string or an array of strings",
	} {
		_, perr := a.Authenticate(context.Background(), "Bearer "+hs256(t, claims))
		if want == "" {
			if perr != nil {
				t.Errorf("%s: %s", claims, perr.Message)
			}
			continue
		}
		t.Run(claims, func(t *testing.T) { wantErr(t, perr, 401, "PGRST303", want, nil, "") })
	}
	// Without jwt-aud any string or array passes, but the type is still checked.
	a, _ = newAuth(t, withSecret)
	for _, claims := range []string{`{"aud":"x"}`, `{"aud":""}`, `{"aud":["x","y"]}`, `{"aud":[]}`} {
		if _, perr := a.Authenticate(context.Background(), "Bearer "+hs256(t, claims)); perr != nil {
			t.Errorf("%s: %s", claims, perr.Message)
		}
	}
	_, perr := a.Authenticate(context.Background(), "Bearer "+hs256(t, `{"aud":{"a":1}}`))
	wantErr(t, perr, 401, "PGRST303", "The JWT 'aud' claim must be a string or an array of strings", nil, "")
}

func TestRoleClaim(t *testing.T) {
	for _, tc := range []struct {
		key, claims, role string
	}{
		{"", `{"role":"author"}`, "author"},
		{".postgrest.a_role", `{"postgrest":{"a_role":"author"},"other":"claims"}`, "author"},
		{".customObject.manyRoles[1]", `{"customObject":{"manyRoles":["other","author"]}}`, "author"},
		{`."https://www.example.com/roles"[0].value`, `{"https://www.example.com/roles":[{"value":"author"}]}`, "author"},
		{".myDomain[3]", `{"myDomain":["other","author"]}`, "web_anon"},
		{".myRole", `{"role":"author"}`, "web_anon"},
		{`.realm_access.roles[?(@ ^== "aut")]`, `{"realm_access":{"roles":["other","author"]}}`, "author"},
		{`.realm_access.roles[?(@ == "string")]`, `{"realm_access":{"roles":[{"obj_key":"obj_value"}]}}`, "web_anon"},
		{"$.app_metadata.role", `{"app_metadata":{"role":"author"}}`, "author"},
		{"", `{"role":5}`, "5"},
		{"", `{"role":1.50}`, "1.50"},
		{"", `{"role":true}`, "true"},
		{"", `{"role":null}`, "null"},
		{"", `{"role":["a","b"]}`, `["a","b"]`},
		{"", `{"role":{"b":1,"a":"<x>"}}`, `{"a":"<x>","b":1}`},
		{"", `{"role":"web_anon"}`, "web_anon"},
	} {
		a, _ := newAuth(t, map[string]string{"PGRST_JWT_SECRET": secret, "PGRST_DB_ANON_ROLE": "web_anon", "PGRST_JWT_ROLE_CLAIM_KEY": tc.key})
		r := authOK(t, a, "Bearer "+hs256(t, tc.claims))
		if r.Role != tc.role {
			t.Errorf("%s on %s: role %q; want %q", tc.key, tc.claims, r.Role, tc.role)
		}
		if got := claimsOf(t, r)["role"]; got != tc.role {
			t.Errorf("%s on %s: claims role %v; want %q", tc.key, tc.claims, got, tc.role)
		}
		if r.Authenticated != (tc.role != "web_anon") {
			t.Errorf("%s on %s: Authenticated %v", tc.key, tc.claims, r.Authenticated)
		}
	}
}

func TestClaimsKeepEveryClaim(t *testing.T) {
	a, _ := newAuth(t, withSecret)
	payload := `{"sub":"fun","exp":9999999999,"n":12345678901234567890,"f":1.0e2,"http://postgrest.com/foo":true,"nested":{"a":[1,{"b":null}]},"html":"<&>","role":"author"}`
	r := authOK(t, a, "Bearer "+hs256(t, payload))
	want := `{"exp":9999999999,"f":1.0e2,"html":"<&>","http://postgrest.com/foo":true,"n":12345678901234567890,"nested":{"a":[1,{"b":null}]},"role":"author","sub":"fun"}`
	if string(r.Claims) != want {
		t.Fatalf("claims\n got %s\nwant %s", r.Claims, want)
	}
	// The role claim key's value replaces "role" in the claims, as PostgREST does.
	a, _ = newAuth(t, map[string]string{"PGRST_JWT_SECRET": secret, "PGRST_JWT_ROLE_CLAIM_KEY": ".app.r"})
	r = authOK(t, a, "Bearer "+hs256(t, `{"app":{"r":"author"},"role":"ignored"}`))
	if string(r.Claims) != `{"app":{"r":"author"},"role":"author"}` || !r.Authenticated {
		t.Fatalf("%s %+v", r.Claims, r)
	}
}

func TestAsymmetricAlgorithmsAndKidSelection(t *testing.T) {
	rsaKey, _ := rsa.GenerateKey(rand.Reader, 2048)
	rsaOther, _ := rsa.GenerateKey(rand.Reader, 2048)
	ec256, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	ec384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	ec521, _ := ecdsa.GenerateKey(elliptic.P521(), rand.Reader)
	_, edKey, _ := ed25519.GenerateKey(rand.Reader)
	set := jwks(
		publicJWK(t, rsaKey, "rsa", ""),
		publicJWK(t, rsaOther, "rsa-other", "RS256"),
		publicJWK(t, ec256, "ec256", ""),
		publicJWK(t, ec384, "ec384", ""),
		publicJWK(t, ec521, "ec521", ""),
		publicJWK(t, edKey, "ed", ""),
		`{"kty":"oct","k":"`+base64.RawURLEncoding.EncodeToString([]byte(secret))+`","kid":"hmac"}`,
		`{"kty":"oct","k":"`+base64.RawURLEncoding.EncodeToString([]byte("encryption-only-key-of-32-bytes!"))+`","kid":"enc","use":"enc"}`,
	)
	a, _ := newAuth(t, map[string]string{"PGRST_JWT_SECRET": set})
	for _, tc := range []struct {
		alg jwa.SignatureAlgorithm
		key any
		kid string
	}{
		{jwa.RS256(), rsaKey, "rsa"}, {jwa.RS384(), rsaKey, "rsa"}, {jwa.RS512(), rsaKey, "rsa"},
		{jwa.PS256(), rsaKey, "rsa"}, {jwa.PS384(), rsaKey, "rsa"}, {jwa.PS512(), rsaKey, "rsa"},
		{jwa.ES256(), ec256, "ec256"}, {jwa.ES384(), ec384, "ec384"}, {jwa.ES512(), ec521, "ec521"},
		{jwa.EdDSA(), edKey, "ed"},
		{jwa.HS256(), []byte(secret), "hmac"}, {jwa.HS384(), []byte(secret), "hmac"}, {jwa.HS512(), []byte(secret), "hmac"},
		{jwa.RS256(), rsaKey, ""}, {jwa.ES256(), ec256, ""}, {jwa.EdDSA(), edKey, ""}, {jwa.HS512(), []byte(secret), ""},
	} {
		tok := sign(t, tc.alg, tc.key, tc.kid, `{"role":"author"}`)
		if r := authOK(t, a, "Bearer "+tok); r.Role != "author" {
			t.Errorf("%s kid %q: %+v", tc.alg, tc.kid, r)
		}
	}
	for _, tc := range []struct {
		name    string
		alg     jwa.SignatureAlgorithm
		key     any
		kid     string
		details string
	}{
		{"kid names another key", jwa.RS256(), rsaKey, "rsa-other", detailNoneWorked},
		{"unknown kid", jwa.RS256(), rsaKey, "nope", detailNoKey},
		{"key alg is RS256", jwa.RS512(), rsaOther, "rsa-other", detailNoKey},
		{"curve does not match alg", jwa.ES256(), ec384, "ec384", detailNoneWorked},
		{"encryption key", jwa.HS256(), []byte("encryption-only-key-of-32-bytes!"), "enc", detailNoKey},
		{"unknown signer", jwa.RS256(), mustRSA(t), "", detailNoneWorked},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, perr := a.Authenticate(context.Background(), "Bearer "+sign(t, tc.alg, tc.key, tc.kid, `{"role":"author"}`))
			wantErr(t, perr, 401, "PGRST301", "No suitable key or wrong key type", tc.details, "")
		})
	}
}

func mustRSA(t *testing.T) *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// TestAlgorithmConfusion signs HS256 tokens with every public form of an
// RSA key configured as a JWK: none may pass as an HMAC secret.
func TestAlgorithmConfusion(t *testing.T) {
	priv := mustRSA(t)
	pubJWK := publicJWK(t, priv, "", "")
	for _, secretCfg := range []string{pubJWK, jwks(pubJWK)} {
		a, _ := newAuth(t, map[string]string{"PGRST_JWT_SECRET": secretCfg})
		der, _ := x509.MarshalPKIXPublicKey(&priv.PublicKey)
		for name, hmacKey := range map[string][]byte{
			"JWK JSON": []byte(pubJWK),
			"DER":      der,
			"modulus":  priv.N.Bytes(),
			"PEM-ish":  []byte("-----BEGIN PUBLIC KEY-----\n" + base64.StdEncoding.EncodeToString(der) + "\n-----END PUBLIC KEY-----\n"),
		} {
			for _, alg := range []jwa.SignatureAlgorithm{jwa.HS256(), jwa.HS384(), jwa.HS512()} {
				_, perr := a.Authenticate(context.Background(), "Bearer "+sign(t, alg, hmacKey, "", `{"role":"postgres"}`))
				if perr == nil {
					t.Fatalf("%s as %s secret accepted", name, alg)
				}
				wantErr(t, perr, 401, "PGRST301", "No suitable key or wrong key type", detailNoKey, "")
			}
		}
		// The real signature passes.
		authOK(t, a, "Bearer "+sign(t, jwa.RS256(), priv, "", `{"role":"author"}`))
	}
}

func TestSingleJWKSecret(t *testing.T) {
	ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	a, _ := newAuth(t, map[string]string{"PGRST_JWT_SECRET": publicJWK(t, ec, "", "")})
	authOK(t, a, "Bearer "+sign(t, jwa.ES256(), ec, "", `{"role":"author"}`))
	// A JWK without kid does not match a token naming one (jose-jwt's rule).
	_, perr := a.Authenticate(context.Background(), "Bearer "+sign(t, jwa.ES256(), ec, "k", `{"role":"author"}`))
	wantErr(t, perr, 401, "PGRST301", "No suitable key or wrong key type", detailNoKey, "")
	// A private JWK works through its public half.
	pk, _ := jwk.Import(ec)
	b, _ := json.Marshal(pk)
	a, _ = newAuth(t, map[string]string{"PGRST_JWT_SECRET": string(b)})
	authOK(t, a, "Bearer "+sign(t, jwa.ES256(), ec, "", `{"role":"author"}`))
}

func TestBase64AndFileSecrets(t *testing.T) {
	raw := []byte("\x00\x01binary secret bytes, more than 32\xff")
	tok := "Bearer " + sign(t, jwa.HS256(), raw, "", `{"role":"author"}`)
	a, _ := newAuth(t, map[string]string{"PGRST_JWT_SECRET": base64.URLEncoding.EncodeToString(raw), "PGRST_JWT_SECRET_IS_BASE64": "true"})
	authOK(t, a, tok)
	path := filepath.Join(t.TempDir(), "jwt.secret")
	if err := os.WriteFile(path, []byte(base64.StdEncoding.EncodeToString(raw)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	a, _ = newAuth(t, map[string]string{"PGRST_JWT_SECRET": "@" + path, "PGRST_JWT_SECRET_IS_BASE64": "true"})
	authOK(t, a, tok)
	// Not decoded, the base64 text is another secret.
	a, _ = newAuth(t, map[string]string{"PGRST_JWT_SECRET": "@" + path})
	if _, perr := a.Authenticate(context.Background(), tok); perr == nil {
		t.Fatal("base64 text used as the raw secret verified the token")
	}
}

func TestTokenCache(t *testing.T) {
	a, clk := newAuth(t, map[string]string{"PGRST_JWT_SECRET": secret, "PGRST_JWT_CACHE_MAX_ENTRIES": "2"})
	exp := t0.Unix() + 100
	tok := "Bearer " + hs256(t, fmt.Sprintf(`{"role":"author","exp":%d}`, exp))
	r1 := authOK(t, a, tok)
	if a.cache.len() != 1 {
		t.Fatalf("cache len %d after one token", a.cache.len())
	}
	r2 := authOK(t, a, tok)
	if &r1.Claims[0] != &r2.Claims[0] {
		t.Fatal("second call did not hit the cache")
	}
	// A hit never outlives exp (+ leeway): the entry is dropped.
	clk.set(time.Unix(exp+31, 0))
	_, perr := a.Authenticate(context.Background(), tok)
	wantErr(t, perr, 401, "PGRST303", "JWT expired", "Invalid by 31 seconds", "")
	if a.cache.len() != 0 {
		t.Fatalf("expired entry kept (len %d)", a.cache.len())
	}
	// Bounded: three tokens, two entries.
	clk.set(t0)
	for i := range 3 {
		authOK(t, a, "Bearer "+hs256(t, fmt.Sprintf(`{"role":"r%d"}`, i)))
	}
	if a.cache.len() != 2 {
		t.Fatalf("cache len %d, max 2", a.cache.len())
	}
	// Failures are not cached.
	authOK(t, a, "Bearer "+hs256(t, `{"role":"r0"}`))
	for range 3 {
		if _, perr := a.Authenticate(context.Background(), "Bearer "+hs256(t, `{"exp":"soon"}`)); perr == nil {
			t.Fatal("invalid exp accepted")
		}
	}
	// Disabled with 0.
	a, _ = newAuth(t, map[string]string{"PGRST_JWT_SECRET": secret, "PGRST_JWT_CACHE_MAX_ENTRIES": "0"})
	authOK(t, a, tok)
	if a.cache != nil {
		t.Fatal("cache enabled with PGRST_JWT_CACHE_MAX_ENTRIES=0")
	}
}

func TestConcurrentUse(t *testing.T) {
	a, _ := newAuth(t, map[string]string{"PGRST_JWT_SECRET": secret, "PGRST_JWT_CACHE_MAX_ENTRIES": "8"})
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 50 {
				role := fmt.Sprintf("r%d", (g*50+i)%20)
				r, perr := a.Authenticate(context.Background(), "Bearer "+hs256(t, `{"role":"`+role+`"}`))
				if perr != nil || r.Role != role {
					t.Errorf("%s: %+v %v", role, r, perr)
					return
				}
			}
		}()
	}
	wg.Wait()
}

func TestGatewayClaims(t *testing.T) {
	a, _ := newAuth(t, map[string]string{"PGRST_DB_ANON_ROLE": "anon"})
	_, perr := a.AuthenticateClaims([]byte(`{"role":"author"}`))
	if perr == nil || perr.Status != 500 || perr.Code != "PGRSTX00" {
		t.Fatalf("untrusted gateway claims: %v", perr)
	}

	a, _ = newAuth(t, map[string]string{"PGRST_DB_ANON_ROLE": "anon", "PGRST_JWT_TRUST_GATEWAY_CLAIMS": "true",
		"PGRST_JWT_ROLE_CLAIM_KEY": `."custom:role"`})
	// HTTP API authorizers pass claims as strings, exp included: not re-checked.
	r, perr := a.AuthenticateClaims([]byte(`{"sub":"u1","custom:role":"author","exp":"1000"}`))
	if perr != nil || r.Role != "author" || !r.Authenticated || claimsOf(t, r)["sub"] != "u1" || claimsOf(t, r)["role"] != "author" {
		t.Fatalf("%+v %v", r, perr)
	}
	for _, empty := range []string{"", "null", "{}"} {
		if r, perr := a.AuthenticateClaims([]byte(empty)); perr != nil || r.Role != "anon" || r.Authenticated {
			t.Errorf("%q: %+v %v", empty, r, perr)
		}
	}
	_, perr = a.AuthenticateClaims([]byte(`["not","an","object"]`))
	wantErr(t, perr, 401, "PGRST303", "Parsing claims failed", nil, "")
}

func TestBearerToken(t *testing.T) {
	for h, want := range map[string]string{
		"Bearer abc": "abc", "bearer abc": "abc", "bEaReR \t\n abc ": "abc ", "Bearer": "", "Bearer a b": "a b",
	} {
		if got, ok := bearerToken(h); !ok || got != want {
			t.Errorf("%q: %q, %v", h, got, ok)
		}
	}
	for _, h := range []string{"", "Basic abc", "Bearerabc", " Bearer abc"} {
		if _, ok := bearerToken(h); ok {
			t.Errorf("%q taken as bearer", h)
		}
	}
}
