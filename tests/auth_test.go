package tests

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jwt"

	"github.com/pgrest-lambda/pgrest-lambda/internal/config"
)

// jwtSecret is the HS256 secret of the authentication tests.
const jwtSecret = "reallyreallyreallyreallyverysafe-secret"

// tenantSQL is PostgREST's tutorial shape for per-user data: notes and their
// comments belong to the user named by the token's sub claim, row level
// security hides everyone else's, and the anon role may use none of it.
const tenantSQL = `
CREATE TABLE api.notes (id int PRIMARY KEY, owner text NOT NULL
    DEFAULT current_setting('request.jwt.claims', true)::json->>'sub', body text);
CREATE TABLE api.comments (id int PRIMARY KEY, note_id int REFERENCES api.notes, owner text NOT NULL
    DEFAULT current_setting('request.jwt.claims', true)::json->>'sub', body text);
CREATE TABLE api.staff_only (id int);
ALTER TABLE api.notes ENABLE ROW LEVEL SECURITY;
ALTER TABLE api.comments ENABLE ROW LEVEL SECURITY;
CREATE POLICY own ON api.notes USING (owner = current_setting('request.jwt.claims', true)::json->>'sub');
CREATE POLICY own ON api.comments USING (owner = current_setting('request.jwt.claims', true)::json->>'sub');
REVOKE ALL ON api.notes, api.comments, api.staff_only FROM web_anon;
GRANT USAGE ON SCHEMA api TO app_user;
GRANT SELECT, INSERT, UPDATE, DELETE ON api.notes, api.comments TO app_user;
CREATE FUNCTION api.note_count() RETURNS bigint LANGUAGE sql STABLE AS 'SELECT count(*) FROM api.notes';
CREATE FUNCTION api.whoami() RETURNS json LANGUAGE sql STABLE AS
  $$ SELECT json_build_object('user', current_user, 'sub', current_setting('request.jwt.claims', true)::json->>'sub',
    'timeout', current_setting('statement_timeout')) $$;
GRANT EXECUTE ON FUNCTION api.note_count(), api.whoami() TO app_user, web_anon;
INSERT INTO api.notes VALUES (1, 'alice', 'a1'), (2, 'alice', 'a2'), (3, 'bob', 'b1');
INSERT INTO api.comments VALUES (1, 1, 'alice', 'on a1'), (2, 3, 'bob', 'on b1'), (3, 1, 'bob', 'bob on a1');`

// mint signs claims with jwtSecret (HS256); exp is an hour ahead unless set.
func mint(t *testing.T, claims map[string]any) string {
	t.Helper()
	tok := jwt.New()
	if _, ok := claims["exp"]; !ok {
		claims["exp"] = time.Now().Add(time.Hour).Unix()
	}
	for k, v := range claims {
		if err := tok.Set(k, v); err != nil {
			t.Fatal(err)
		}
	}
	b, err := jwt.Sign(tok, jwt.WithKey(jwa.HS256(), []byte(jwtSecret)))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// withJWT configures the stack with jwtSecret plus extra variables.
func withJWT(t *testing.T, extra ...string) func(*config.Config) {
	return func(c *config.Config) {
		j := configFrom(t, map[string]string{"PGRST_DB_URI": c.DBURI},
			append([]string{"PGRST_JWT_SECRET", jwtSecret}, extra...)...)
		c.JWTSettings = j.JWTSettings
	}
}

func bearer(tok string) []string { return []string{"Authorization", "Bearer " + tok} }

// TestRowLevelSecurityPerUser: each user sees, counts, embeds, changes and
// calls into their own rows only, through every kind of endpoint, and the
// anon role is refused with 401.
func TestRowLevelSecurityPerUser(t *testing.T) {
	t.Parallel()
	e := newEnv(t, tenantSQL, withJWT(t))
	alice := bearer(mint(t, map[string]any{"role": "app_user", "sub": "alice"}))
	bob := bearer(mint(t, map[string]any{"role": "app_user", "sub": "bob"}))

	r := e.send("GET", "/notes", "")
	wantError(t, r, 401, "42501", "permission denied for table notes", "", "")
	if r.Header.Get("WWW-Authenticate") != "Bearer" {
		t.Errorf("anon 42501: WWW-Authenticate %q", r.Header.Get("WWW-Authenticate"))
	}
	check := func(name string, r response, status int, body string) {
		t.Helper()
		if r.Status != status || (body != "" && compact(t, r.Body) != body) {
			t.Errorf("%s: %d %s, want %d %s", name, r.Status, r.Body, status, body)
		}
	}
	check("alice reads", e.send("GET", "/notes?select=id,body&order=id", "", alice...), 200, `[{"id":1,"body":"a1"},{"id":2,"body":"a2"}]`)
	r = e.send("GET", "/notes?select=id", "", append(bob, "Prefer", "count=exact")...)
	check("bob counts", r, 200, `[{"id":3}]`)
	if cr := r.Header.Get("Content-Range"); cr != "0-0/1" {
		t.Errorf("bob's Content-Range %q", cr)
	}
	r = e.send("HEAD", "/notes", "", append(alice, "Prefer", "count=exact")...)
	if r.Status != 200 || r.Header.Get("Content-Range") != "0-1/2" {
		t.Errorf("alice HEAD: %d %q", r.Status, r.Header.Get("Content-Range"))
	}
	check("alice embeds her comments only", e.send("GET", "/notes?select=id,comments(body)&id=eq.1", "", alice...),
		200, `[{"id":1,"comments":[{"body":"on a1"}]}]`)
	check("bob cannot embed alice's note", e.send("GET", "/comments?select=id,notes(id)&order=id", "", bob...),
		200, `[{"id":2,"notes":{"id":3}},{"id":3,"notes":null}]`)
	check("rpc counts own rows", e.send("GET", "/rpc/note_count", "", bob...), 200, `1`)
	// The role's own settings (ALTER ROLE app_user SET statement_timeout) apply.
	check("rpc sees the claims", e.send("GET", "/rpc/whoami", "", alice...), 200, `{"user":"app_user","sub":"alice","timeout":"123s"}`)
	check("anon rpc runs as the anon role", e.send("GET", "/rpc/whoami", ""), 200, `{"user":"web_anon","sub":null,"timeout":"0"}`)

	// Writes: bob's PATCH and DELETE on alice's rows touch nothing.
	json := []string{"Content-Type", "application/json"}
	r = e.send("PATCH", "/notes?id=eq.1", `{"body":"hacked"}`, append(append(bob, json...), "Prefer", "count=exact")...)
	if r.Status != 204 || r.Header.Get("Content-Range") != "*/0" {
		t.Errorf("bob's PATCH of alice's note: %d %q", r.Status, r.Header.Get("Content-Range"))
	}
	r = e.send("DELETE", "/notes?id=eq.2", "", append(bob, "Prefer", "return=representation")...)
	check("bob's DELETE of alice's note", r, 200, `[]`)
	check("bob inserts as himself", e.send("POST", "/notes?select=id,owner", `{"id":4,"body":"b2"}`,
		append(append(bob, json...), "Prefer", "return=representation")...), 201, `[{"id":4,"owner":"bob"}]`)
	r = e.send("POST", "/notes", `{"id":1,"body":"taken over"}`,
		append(append(bob, json...), "Prefer", "resolution=merge-duplicates")...)
	if r.Status < 400 {
		t.Errorf("bob's upsert over alice's note succeeded: %d %s", r.Status, r.Body)
	}
	check("alice's rows are intact", e.send("GET", "/notes?select=id,body&order=id", "", alice...),
		200, `[{"id":1,"body":"a1"},{"id":2,"body":"a2"}]`)

	// 42501 for an authenticated role is 403, without WWW-Authenticate.
	r = e.send("GET", "/staff_only", "", alice...)
	wantError(t, r, 403, "42501", "", "", "")
	if h := r.Header.Get("WWW-Authenticate"); h != "" {
		t.Errorf("403 with WWW-Authenticate %q", h)
	}

	// OpenAPI under follow-privileges lists what the role may use.
	anonDoc, aliceDoc := e.send("GET", "/", ""), e.send("GET", "/", "", alice...)
	if strings.Contains(anonDoc.Body, `"/notes"`) || !strings.Contains(aliceDoc.Body, `"/notes"`) {
		t.Errorf("OpenAPI paths: anon lists notes %v, alice lists notes %v",
			strings.Contains(anonDoc.Body, `"/notes"`), strings.Contains(aliceDoc.Body, `"/notes"`))
	}
}

// TestJWTErrors: every authentication error as PostgREST answers it, with
// its status, code and WWW-Authenticate header, including hostile tokens.
func TestJWTErrors(t *testing.T) {
	t.Parallel()
	e := newEnv(t, tenantSQL, withJWT(t, "PGRST_JWT_AUD", "https://api.example.com"))
	noSecret := newEnv(t, "", nil)
	noAnon := newEnv(t, "", func(c *config.Config) { withJWT(t)(c); c.DBAnonRole = "" })
	aud := "https://api.example.com"
	none := func(claims string) string { // alg: none, unsigned
		enc := func(s string) string { return strings.TrimRight(b64url(s), "=") }
		return enc(`{"alg":"none","typ":"JWT"}`) + "." + enc(claims) + "."
	}
	for _, c := range []struct {
		name   string
		e      *env
		header string
		status int
		code   string
		www    string // "" = any invalid_token challenge
	}{
		{"token without a secret", noSecret, "Bearer " + mint(t, map[string]any{"role": "app_user"}), 500, "PGRST300", "-"},
		{"no token and no anon role", noAnon, "", 401, "PGRST302", "Bearer"},
		{"garbage", e, "Bearer garbage", 401, "PGRST301", ""},
		{"empty bearer", e, "Bearer ", 401, "PGRST301", ""},
		{"two parts", e, "Bearer a.b", 401, "PGRST301", ""},
		{"alg none", e, "Bearer " + none(`{"role":"app_user","aud":"`+aud+`"}`), 401, "PGRST301", ""},
		{"bad signature", e, "Bearer " + mint(t, map[string]any{"role": "app_user", "aud": aud})[:40] + "x.e30.c2ln", 401, "PGRST301", ""},
		{"oversized", e, "Bearer " + strings.Repeat("a", 20000) + ".b.c", 401, "PGRST301", ""},
		{"expired", e, "Bearer " + mint(t, map[string]any{"role": "app_user", "aud": aud, "exp": time.Now().Add(-time.Minute).Unix()}), 401, "PGRST303", ""},
		{"not yet valid", e, "Bearer " + mint(t, map[string]any{"role": "app_user", "aud": aud, "nbf": time.Now().Add(time.Hour).Unix()}), 401, "PGRST303", ""},
		{"other audience", e, "Bearer " + mint(t, map[string]any{"role": "app_user", "aud": "https://other.example.com"}), 401, "PGRST303", ""},
		{"missing role", e, "Bearer " + mint(t, map[string]any{"role": "no_such_role", "aud": aud}), 401, "22023", "Bearer"},
	} {
		var h []string
		if c.header != "" {
			h = []string{"Authorization", c.header}
		}
		r := c.e.send("GET", "/rpc/whoami", "", h...)
		wantError(t, r, c.status, c.code, "", "", "")
		www := r.Header.Get("WWW-Authenticate")
		switch c.www {
		case "-":
		case "":
			if !strings.HasPrefix(www, `Bearer error="invalid_token", error_description=`) {
				t.Errorf("%s: WWW-Authenticate %q", c.name, www)
			}
		default:
			if www != c.www {
				t.Errorf("%s: WWW-Authenticate %q, want %q", c.name, www, c.www)
			}
		}
	}
	// Within the 30 s leeway an expired token still passes.
	r := e.send("GET", "/rpc/whoami", "", bearer(mint(t, map[string]any{"role": "app_user", "sub": "s", "aud": aud,
		"exp": time.Now().Add(-10 * time.Second).Unix()}))...)
	if r.Status != 200 {
		t.Errorf("token expired 10 s ago: %d %s", r.Status, r.Body)
	}
}

// TestJWTThroughLambdaEvents: the token reaches the function in v1 and v2
// events, and with PGRST_JWT_TRUST_GATEWAY_CLAIMS an HTTP API JWT
// authorizer's claims are used without a token.
func TestJWTThroughLambdaEvents(t *testing.T) {
	t.Parallel()
	e := newEnv(t, tenantSQL, withJWT(t, "PGRST_JWT_TRUST_GATEWAY_CLAIMS", "true"))
	tok := mint(t, map[string]any{"role": "app_user", "sub": "bob"})
	r := invokeV1(t, e, "GET", "/notes?select=id", "", "Authorization", "Bearer "+tok)
	if r.Status != 200 || compact(t, r.Body) != `[{"id":3}]` {
		t.Errorf("v1 with a token: %d %s", r.Status, r.Body)
	}
	for _, c := range []struct {
		name   string
		claims map[string]string
		header string
		want   string
	}{
		{"v2 with a token", nil, "Bearer " + tok, `[{"id":3}]`},
		{"v2 with authorizer claims", map[string]string{"role": "app_user", "sub": "alice"}, "", `[{"id":1},{"id":2}]`},
		{"authorizer claims win over the header", map[string]string{"role": "app_user", "sub": "alice"}, "Bearer garbage", `[{"id":1},{"id":2}]`},
	} {
		ev := events.APIGatewayV2HTTPRequest{Version: "2.0", RouteKey: "$default", RawPath: "/notes",
			RawQueryString: "select=id&order=id", Headers: map[string]string{},
			RequestContext: events.APIGatewayV2HTTPRequestContext{Stage: "$default",
				HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: "GET", Path: "/notes"}}}
		if c.header != "" {
			ev.Headers["authorization"] = c.header
		}
		if c.claims != nil {
			ev.RequestContext.Authorizer = &events.APIGatewayV2HTTPRequestContextAuthorizerDescription{
				JWT: &events.APIGatewayV2HTTPRequestContextAuthorizerJWTDescription{Claims: c.claims}}
		}
		raw, _ := json.Marshal(ev)
		out, err := e.stack.Invoker.Invoke(context.Background(), raw)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := json.Marshal(out)
		var res events.APIGatewayV2HTTPResponse
		_ = json.Unmarshal(b, &res)
		if res.StatusCode != 200 || compact(t, res.Body) != c.want {
			t.Errorf("%s: %d %s, want %s", c.name, res.StatusCode, res.Body, c.want)
		}
	}
	// Without the setting, authorizer claims are ignored.
	plain := newEnv(t, tenantSQL, withJWT(t))
	ev := events.APIGatewayV2HTTPRequest{Version: "2.0", RouteKey: "$default", RawPath: "/notes", Headers: map[string]string{},
		RequestContext: events.APIGatewayV2HTTPRequestContext{Stage: "$default",
			HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: "GET", Path: "/notes"},
			Authorizer: &events.APIGatewayV2HTTPRequestContextAuthorizerDescription{
				JWT: &events.APIGatewayV2HTTPRequestContextAuthorizerJWTDescription{Claims: map[string]string{"role": "app_user", "sub": "alice"}}}}}
	raw, _ := json.Marshal(ev)
	out, err := plain.stack.Invoker.Invoke(context.Background(), raw)
	if err != nil {
		t.Fatal(err)
	}
	if res, ok := out.(events.APIGatewayV2HTTPResponse); !ok || res.StatusCode != http.StatusUnauthorized {
		t.Errorf("untrusted authorizer claims: %#v", out)
	}
}

// b64url is base64url of s.
func b64url(s string) string { return base64.URLEncoding.EncodeToString([]byte(s)) }
