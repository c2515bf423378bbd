package auth

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwa"
)

// keyServer serves a JWKS over TLS that the test can change or break.
type keyServer struct {
	*httptest.Server
	mu    sync.Mutex
	body  string
	down  bool
	count atomic.Int32
}

func newKeyServer(t *testing.T, body string) *keyServer {
	ks := &keyServer{body: body}
	ks.Server = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ks.count.Add(1)
		ks.mu.Lock()
		defer ks.mu.Unlock()
		if ks.down {
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(ks.body))
	}))
	t.Cleanup(ks.Close)
	return ks
}

func (ks *keyServer) set(body string) { ks.mu.Lock(); ks.body = body; ks.mu.Unlock() }
func (ks *keyServer) setDown(d bool)  { ks.mu.Lock(); ks.down = d; ks.mu.Unlock() }

func ecKey(t *testing.T) *ecdsa.PrivateKey {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// jwksAuth builds an Authenticator on the key server's URL with a
// settable clock and the given extra variables.
func jwksAuth(t *testing.T, ks *keyServer, vars map[string]string) (*Authenticator, *clock) {
	t.Helper()
	env := map[string]string{"PGRST_JWT_JWKS_URL": ks.URL, "PGRST_DB_ANON_ROLE": "anon"}
	for k, v := range vars {
		env[k] = v
	}
	clk := &clock{t: t0}
	a, err := New(cfgFrom(t, env), Options{HTTPClient: ks.Client(), Now: clk.now, JWKSMinRefetch: 30 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return a, clk
}

func TestJWKSFetchedOnFirstUseAndCached(t *testing.T) {
	k1 := ecKey(t)
	ks := newKeyServer(t, jwks(publicJWK(t, k1, "k1", "")))
	a, _ := jwksAuth(t, ks, map[string]string{"PGRST_JWT_CACHE_MAX_ENTRIES": "0"})
	if ks.count.Load() != 0 {
		t.Fatal("fetched before first use")
	}
	authOK(t, a, "") // anonymous requests need no keys
	if ks.count.Load() != 0 {
		t.Fatal("fetched for an anonymous request")
	}
	for i := range 5 {
		tok := sign(t, jwa.ES256(), k1, "k1", fmt.Sprintf(`{"role":"author","i":%d}`, i))
		if r := authOK(t, a, "Bearer "+tok); r.Role != "author" {
			t.Fatalf("%+v", r)
		}
	}
	if n := ks.count.Load(); n != 1 {
		t.Fatalf("%d fetches for 5 tokens, want 1", n)
	}
	// A new Authenticator for a reloaded config keeps the fetched keys.
	b, err := a.Reconfigure(cfgFrom(t, map[string]string{"PGRST_JWT_JWKS_URL": ks.URL, "PGRST_DB_ANON_ROLE": "other"}))
	if err != nil {
		t.Fatal(err)
	}
	authOK(t, b, "Bearer "+sign(t, jwa.ES256(), k1, "k1", `{"role":"author"}`))
	if n := ks.count.Load(); n != 1 {
		t.Fatalf("Reconfigure refetched: %d fetches", n)
	}
}

func TestJWKSRotationToANewKid(t *testing.T) {
	k1, k2 := ecKey(t), ecKey(t)
	ks := newKeyServer(t, jwks(publicJWK(t, k1, "k1", "")))
	a, clk := jwksAuth(t, ks, nil)
	old := "Bearer " + sign(t, jwa.ES256(), k1, "k1", `{"role":"author"}`)
	authOK(t, a, old)

	// The issuer rotates: k2 is published, k1 withdrawn.
	ks.set(jwks(publicJWK(t, k2, "k2", "")))
	clk.set(t0.Add(31 * time.Second))
	tok := "Bearer " + sign(t, jwa.ES256(), k2, "k2", `{"role":"author"}`)
	if r := authOK(t, a, tok); r.Role != "author" {
		t.Fatalf("%+v", r)
	}
	if n := ks.count.Load(); n != 2 {
		t.Fatalf("%d fetches, want 2 (initial + unknown kid)", n)
	}
	// The cached k1 token was verified with withdrawn keys: not served from cache.
	_, perr := a.Authenticate(context.Background(), old)
	wantErr(t, perr, 401, "PGRST301", "No suitable key or wrong key type", detailNoKey, "")
}

func TestJWKSRefetchRateLimit(t *testing.T) {
	k1, k2 := ecKey(t), ecKey(t)
	ks := newKeyServer(t, jwks(publicJWK(t, k1, "k1", "")))
	a, clk := jwksAuth(t, ks, nil)
	authOK(t, a, "Bearer "+sign(t, jwa.ES256(), k1, "k1", `{"role":"author"}`))

	// A flood of made-up kids costs one fetch per interval.
	for i := range 20 {
		clk.set(t0.Add(time.Duration(i) * time.Second))
		tok := sign(t, jwa.ES256(), k1, "made-up", `{"role":"author"}`)
		_, perr := a.Authenticate(context.Background(), "Bearer "+tok)
		wantErr(t, perr, 401, "PGRST301", "No suitable key or wrong key type", detailNoKey, "")
	}
	if n := ks.count.Load(); n != 1 {
		t.Fatalf("%d fetches within 20 s, want 1 (the first; refetches wait 30 s)", n)
	}
	// k2 published now: within the interval it is not yet known ...
	ks.set(jwks(publicJWK(t, k1, "k1", ""), publicJWK(t, k2, "k2", "")))
	tok2 := "Bearer " + sign(t, jwa.ES256(), k2, "k2", `{"role":"author"}`)
	clk.set(t0.Add(29 * time.Second))
	if _, perr := a.Authenticate(context.Background(), tok2); perr == nil {
		t.Fatal("new kid accepted without a fetch")
	}
	// ... and once the interval has passed, one fetch finds it.
	clk.set(t0.Add(30 * time.Second))
	authOK(t, a, tok2)
	if n := ks.count.Load(); n != 2 {
		t.Fatalf("%d fetches, want 2", n)
	}
}

func TestJWKSServerDown(t *testing.T) {
	k1 := ecKey(t)
	ks := newKeyServer(t, jwks(publicJWK(t, k1, "k1", "")))
	a, clk := jwksAuth(t, ks, map[string]string{"PGRST_JWT_CACHE_MAX_ENTRIES": "0"})
	tok := "Bearer " + sign(t, jwa.ES256(), k1, "k1", `{"role":"author"}`)
	authOK(t, a, tok)

	ks.setDown(true)
	// Unknown kid while down: refetch fails, the last good keys stay.
	clk.set(t0.Add(time.Minute))
	_, perr := a.Authenticate(context.Background(), "Bearer "+sign(t, jwa.ES256(), k1, "k9", `{"role":"author"}`))
	wantErr(t, perr, 401, "PGRST301", "No suitable key or wrong key type", detailNoKey, "")
	authOK(t, a, tok)
	// Keys past their max age while down: still the last good set.
	clk.set(t0.Add(2 * time.Hour))
	authOK(t, a, tok)
	if ks.count.Load() < 3 {
		t.Fatalf("only %d fetches: the server was not asked again", ks.count.Load())
	}

	// Never fetched and down: the server has no key, 500 PGRST300.
	ks2 := newKeyServer(t, "")
	ks2.setDown(true)
	b, clk2 := jwksAuth(t, ks2, nil)
	_, perr = b.Authenticate(context.Background(), tok)
	wantErr(t, perr, 500, "PGRST300", "Server lacks JWT secret", "The JWKS URL could not be fetched", "-")
	// The failure is rate-limited too, then the server recovers.
	_, _ = b.Authenticate(context.Background(), tok)
	if n := ks2.count.Load(); n != 1 {
		t.Fatalf("%d fetches of a down server within the interval, want 1", n)
	}
	ks2.set(jwks(publicJWK(t, k1, "k1", "")))
	ks2.setDown(false)
	clk2.set(t0.Add(30 * time.Second))
	authOK(t, b, tok)
}

func TestJWKSWithStaticSecret(t *testing.T) {
	k1 := ecKey(t)
	ks := newKeyServer(t, jwks(publicJWK(t, k1, "k1", "")))
	a, _ := jwksAuth(t, ks, map[string]string{"PGRST_JWT_SECRET": secret})
	authOK(t, a, "Bearer "+hs256(t, `{"role":"author"}`))
	authOK(t, a, "Bearer "+sign(t, jwa.ES256(), k1, "k1", `{"role":"author"}`))
	// A bad JWKS body keeps the static key usable.
	ks2 := newKeyServer(t, `{"keys":"nope"}`)
	b, _ := jwksAuth(t, ks2, map[string]string{"PGRST_JWT_SECRET": secret})
	authOK(t, b, "Bearer "+hs256(t, `{"role":"author"}`))
	_, perr := b.Authenticate(context.Background(), "Bearer "+sign(t, jwa.ES256(), k1, "k1", `{"role":"author"}`))
	wantErr(t, perr, 401, "PGRST301", "No suitable key or wrong key type", detailNoKey, "")
}
