package tests

import (
	"net/http"
	"testing"

	"github.com/pgrest-lambda/pgrest-lambda/internal/config"
)

// rpcSQL adds routines for the body kinds, variadic parameters, response
// GUCs and hoisted settings to the sample schema.
const rpcSQL = `
CREATE FUNCTION api.shout(text) RETURNS text LANGUAGE sql IMMUTABLE AS $$ SELECT upper($1) $$;
CREATE FUNCTION api.root_name(xml) RETURNS text LANGUAGE sql IMMUTABLE
  AS $$ SELECT (xpath('name(/*)', $1))[1]::text $$;
CREATE FUNCTION api.byte_sum(bytea) RETURNS int LANGUAGE sql IMMUTABLE
  AS $$ SELECT sum(get_byte($1, i))::int FROM generate_series(0, length($1) - 1) AS i $$;
CREATE FUNCTION api.key_list(payload jsonb) RETURNS text LANGUAGE sql IMMUTABLE
  AS $$ SELECT jsonb_typeof(payload) || ':' || coalesce((SELECT string_agg(k, ',' ORDER BY k)
        FROM jsonb_object_keys(CASE WHEN jsonb_typeof(payload) = 'object' THEN payload ELSE '{}' END) AS k), '') $$;
CREATE FUNCTION api.key_list(payload jsonb, extra int) RETURNS text LANGUAGE sql IMMUTABLE
  AS $$ SELECT 'two parameters' $$;
CREATE FUNCTION api.total(VARIADIC nums int[]) RETURNS int LANGUAGE sql IMMUTABLE
  AS $$ SELECT sum(n)::int FROM unnest(nums) AS n $$;
CREATE FUNCTION api.make_thing(name text) RETURNS json LANGUAGE plpgsql AS $$
BEGIN
  PERFORM set_config('response.status', '202', true);
  PERFORM set_config('response.headers', json_build_array(
    json_build_object('Location', '/things?name=eq.' || name),
    json_build_object('Cache-Control', 'no-store'),
    json_build_object('Content-Type', 'application/vnd.thing+json'))::text, true);
  RETURN json_build_object('name', name);
END $$;
CREATE FUNCTION api.bad_status() RETURNS int LANGUAGE plpgsql AS $$
BEGIN PERFORM set_config('response.status', 'teapot', true); RETURN 1; END $$;
CREATE FUNCTION api.bad_headers() RETURNS int LANGUAGE plpgsql AS $$
BEGIN PERFORM set_config('response.headers', '{"X-Not":"an array"}', true); RETURN 1; END $$;
CREATE FUNCTION api.pay() RETURNS int LANGUAGE plpgsql AS $$
BEGIN
  RAISE SQLSTATE 'PGRST' USING
    message = '{"code":"123","message":"Payment Required","details":"Quota exceeded","hint":"Upgrade your plan"}',
    detail = '{"status":402,"headers":{"X-Powered-By":"Nerd Rage"}}';
END $$;
CREATE FUNCTION api.pay_badly() RETURNS int LANGUAGE plpgsql AS $$
BEGIN RAISE SQLSTATE 'PGRST' USING message = '{"code":"123"}', detail = '{"status":402,"headers":{}}'; END $$;
CREATE FUNCTION api.teapot() RETURNS int LANGUAGE plpgsql AS $$
BEGIN RAISE SQLSTATE 'PT418' USING message = 'short and stout', hint = 'tip me over'; END $$;
CREATE FUNCTION api.isolation() RETURNS text LANGUAGE sql STABLE
  SET default_transaction_isolation = 'serializable'
  AS $$ SELECT current_setting('transaction_isolation') $$;
CREATE FUNCTION api.plain_isolation() RETURNS text LANGUAGE sql STABLE
  AS $$ SELECT current_setting('transaction_isolation') $$;
CREATE FUNCTION api.slow() RETURNS int LANGUAGE sql STABLE SET statement_timeout = '100ms'
  AS $$ SELECT 1 FROM pg_sleep(0.6) $$;
CREATE TABLE api.things (name text PRIMARY KEY);
CREATE FUNCTION api.stamp() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN PERFORM set_config('response.headers', '[{"X-Stamped": "yes"}]', true); RETURN NEW; END $$;
CREATE TRIGGER stamp BEFORE INSERT ON api.things FOR EACH ROW EXECUTE FUNCTION api.stamp();
GRANT SELECT, INSERT ON api.things TO web_anon;
CREATE FUNCTION api.hello(name text DEFAULT 'you', punct text DEFAULT '!') RETURNS text
  LANGUAGE sql IMMUTABLE AS $$ SELECT 'Hello, ' || name || punct $$;
CREATE FUNCTION api.book_stats() RETURNS TABLE (author_id int, books bigint) LANGUAGE sql STABLE
  AS $$ SELECT author_id, count(*) FROM api.books GROUP BY author_id $$;
CREATE FUNCTION api.split_name(full_name text, OUT first text, OUT last text) LANGUAGE sql IMMUTABLE
  AS $$ SELECT split_part(full_name, ' ', 1), split_part(full_name, ' ', 2) $$;
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA api TO web_anon;
`

func TestRPCBodies(t *testing.T) {
	t.Parallel()
	e := sampleEnvWith(t, rpcSQL, nil)
	ct := func(v string) []string { return []string{"Content-Type", v} }

	t.Run("text/plain to a single unnamed text parameter", func(t *testing.T) {
		want(t, e.send("POST", "/rpc/shout", "hello {not json}", ct("text/plain")...), 200, `"HELLO {NOT JSON}"`, "0-0/*", "")
	})
	t.Run("text/xml to a single unnamed xml parameter", func(t *testing.T) {
		want(t, e.send("POST", "/rpc/root_name", "<book><t>x</t></book>", ct("text/xml")...), 200, `"book"`, "0-0/*", "")
	})
	t.Run("octet-stream to a single unnamed bytea parameter", func(t *testing.T) {
		want(t, e.send("POST", "/rpc/byte_sum", "\x00\x01\xff", ct("application/octet-stream")...), 200, `256`, "0-0/*", "")
	})
	t.Run("raw body with no such routine", func(t *testing.T) {
		wantError(t, e.send("POST", "/rpc/add", "1 2", ct("text/plain")...), 404, "PGRST202",
			"Could not find the function api.add in the schema cache",
			"Searched for the function api.add with a single unnamed text parameter, but no matches were found in the schema cache.", "")
	})
	t.Run("unknown body type", func(t *testing.T) {
		wantError(t, e.send("POST", "/rpc/shout", "x", ct("image/png")...), 400, "PGRST102",
			"Content-Type not acceptable: image/png", "null", "null")
	})
	t.Run("params=single-object passes the whole body", func(t *testing.T) {
		single := []string{"Prefer", "params=single-object"}
		want(t, e.send("POST", "/rpc/key_list", `{"b": 1, "a": [2]}`, single...), 200, `"object:a,b"`, "0-0/*", "")
		want(t, e.send("POST", "/rpc/key_list", `[1, 2]`, single...), 200, `"array:"`, "0-0/*", "")
		// Without the preference the keys are argument names.
		want(t, e.send("POST", "/rpc/key_list", `{"payload": {"x": 1}}`), 200, `"object:x"`, "0-0/*", "")
		wantError(t, e.send("POST", "/rpc/key_list", `{"b": 1}`), 404, "PGRST202", "", "", "")
		wantError(t, e.send("POST", "/rpc/key_list", `{"b":`, single...), 400, "PGRST102", "Empty or invalid json", "null", "null")
	})
	t.Run("variadic", func(t *testing.T) {
		want(t, e.get("/rpc/total?nums=1&nums=2&nums=4"), 200, `7`, "0-0/*", "")
		want(t, e.get("/rpc/total?nums=5"), 200, `5`, "0-0/*", "")
		want(t, e.send("POST", "/rpc/total", `{"nums": [1, 2, 3]}`), 200, `6`, "0-0/*", "")
		want(t, e.send("POST", "/rpc/total", `{"nums": 9}`), 200, `9`, "0-0/*", "")
	})
}

func TestRPCReturnsAndDefaults(t *testing.T) {
	t.Parallel()
	e := sampleEnvWith(t, rpcSQL, nil)

	t.Run("defaults", func(t *testing.T) {
		want(t, e.get("/rpc/hello"), 200, `"Hello, you!"`, "0-0/*", "")
		want(t, e.get("/rpc/hello?name=Ann"), 200, `"Hello, Ann!"`, "0-0/*", "")
		want(t, e.send("POST", "/rpc/hello", `{"punct": "?"}`), 200, `"Hello, you?"`, "0-0/*", "")
	})
	t.Run("TABLE return with filters, order and select", func(t *testing.T) {
		want(t, e.get("/rpc/book_stats?books=gt.1&order=author_id.desc&select=author_id"), 200,
			`[{"author_id":2},{"author_id":1}]`, "0-1/*", "")
		want(t, e.get("/rpc/book_stats?order=books,author_id&limit=1"), 200, `[{"author_id":3,"books":1}]`, "0-0/*", "")
	})
	t.Run("OUT parameters make one composite", func(t *testing.T) {
		want(t, e.get("/rpc/split_name?full_name=Ada+Lovelace"), 200, `{"first":"Ada","last":"Lovelace"}`, "0-0/*", "")
		want(t, e.get("/rpc/split_name?full_name=Ada+Lovelace&select=last"), 200, `{"last":"Lovelace"}`, "0-0/*", "")
	})
}

func TestResponseGUCs(t *testing.T) {
	t.Parallel()
	e := sampleEnvWith(t, rpcSQL, nil)

	t.Run("status and headers from a routine", func(t *testing.T) {
		r := e.send("POST", "/rpc/make_thing", `{"name": "kettle"}`)
		if r.Status != 202 || r.Body != `{"name" : "kettle"}` {
			t.Fatalf("got %d %s", r.Status, r.Body)
		}
		for k, v := range map[string]string{"Location": "/things?name=eq.kettle", "Cache-Control": "no-store",
			"Content-Type": "application/vnd.thing+json"} {
			if got := r.Header.Values(k); len(got) != 1 || got[0] != v {
				t.Errorf("%s = %q, want %q", k, got, v)
			}
		}
	})
	t.Run("headers from a trigger on a write", func(t *testing.T) {
		r := e.send("POST", "/things", `{"name": "mug"}`)
		if r.Status != http.StatusCreated || r.Header.Get("X-Stamped") != "yes" {
			t.Fatalf("got %d %v", r.Status, r.Header)
		}
	})
	t.Run("invalid settings", func(t *testing.T) {
		wantError(t, e.do("POST", "/rpc/bad_status", ""), 500, "PGRST112",
			"response.status guc must be a valid status code", "null", "null")
		wantError(t, e.do("POST", "/rpc/bad_headers", ""), 500, "PGRST111",
			"response.headers guc must be a JSON array composed of objects with a single key and a string value", "null", "null")
	})
	t.Run("custom errors", func(t *testing.T) {
		r := e.do("POST", "/rpc/pay", "")
		wantError(t, r, 402, "123", "Payment Required", "Quota exceeded", "Upgrade your plan")
		if h := r.Header.Get("X-Powered-By"); h != "Nerd Rage" {
			t.Errorf("X-Powered-By = %q", h)
		}
		wantError(t, e.do("POST", "/rpc/pay_badly", ""), 500, "PGRST121",
			`Could not parse JSON in the "RAISE SQLSTATE 'PGRST'" error`,
			`Invalid JSON value for MESSAGE: '{"code":"123"}'`,
			"MESSAGE must be a JSON object with obligatory keys: 'code', 'message' and optional keys: 'details', 'hint'.")
		wantError(t, e.do("POST", "/rpc/teapot", ""), 418, "PT418", "short and stout", "null", "tip me over")
	})
	t.Run("settings do not leak into the next request", func(t *testing.T) {
		for range 4 {
			if r := e.get("/rpc/add?a=1&b=1"); r.Status != 200 || r.Header.Get("Cache-Control") != "" {
				t.Fatalf("got %d %v", r.Status, r.Header)
			}
		}
	})
}

func TestHoistedSettings(t *testing.T) {
	t.Parallel()
	e := sampleEnvWith(t, rpcSQL, nil)

	t.Run("isolation level from the routine", func(t *testing.T) {
		want(t, e.get("/rpc/isolation"), 200, `"serializable"`, "0-0/*", "")
		want(t, e.do("POST", "/rpc/isolation", ""), 200, `"serializable"`, "0-0/*", "")
		want(t, e.get("/rpc/plain_isolation"), 200, `"read committed"`, "0-0/*", "")
	})
	t.Run("statement_timeout is hoisted", func(t *testing.T) {
		// Set inside the function only, the timeout would not stop the
		// statement already running; hoisted, it applies to the whole call.
		r := e.get("/rpc/slow")
		wantError(t, r, 500, "57014", "canceling statement due to statement timeout", "null", "null")
	})

	custom := sampleEnvWith(t, rpcSQL, func(c *config.Config) { c.DBHoistedTxSettings = []string{"work_mem"} })
	t.Run("a custom hoisted list", func(t *testing.T) {
		want(t, custom.get("/rpc/slow"), 200, `1`, "0-0/*", "")
		want(t, custom.get("/rpc/isolation"), 200, `"serializable"`, "0-0/*", "")
	})
}

// TestRequestSettings: every transaction sees request.jwt.claims,
// request.headers, request.cookies, request.method and request.path, and
// db-pre-request runs first, able to refuse the request or set response
// headers, as PostgREST.
func TestRequestSettings(t *testing.T) {
	t.Parallel()
	e := sampleEnvWith(t, `
CREATE SCHEMA hooks; GRANT USAGE ON SCHEMA hooks TO web_anon;
CREATE FUNCTION hooks.check() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  IF current_setting('request.headers', true)::json->>'x-blocked' = 'yes' THEN
    RAISE SQLSTATE 'PT403' USING message = 'blocked by the pre-request function';
  END IF;
  PERFORM set_config('response.headers', '[{"X-Pre-Request": "ran"}]', true);
END $$;
GRANT EXECUTE ON FUNCTION hooks.check() TO web_anon;
CREATE FUNCTION api.request_info() RETURNS json LANGUAGE sql STABLE AS $$
  SELECT json_build_object(
    'claims', current_setting('request.jwt.claims')::json,
    'agent', current_setting('request.headers')::json->>'x-agent',
    'session', current_setting('request.cookies')::json->>'session',
    'cookie_header', current_setting('request.headers')::jsonb ? 'cookie',
    'method', current_setting('request.method'),
    'path', current_setting('request.path'),
    'greeting', current_setting('app.settings.greeting')) $$;
GRANT EXECUTE ON FUNCTION api.request_info() TO web_anon;`,
		func(c *config.Config) {
			c.DBPreRequest = "hooks.check"
			c.AppSettings = map[string]string{"app.settings.greeting": "hello"}
		})

	r := e.send("GET", "/rpc/request_info", "", "X-Agent", "tests/1.0", "Cookie", "session=abc123; theme=dark")
	want(t, r, 200, `{"claims":{"role":"web_anon"},"agent":"tests/1.0","session":"abc123","cookie_header":false,"method":"GET","path":"/rpc/request_info","greeting":"hello"}`, "0-0/*", "")
	if h := r.Header.Get("X-Pre-Request"); h != "ran" {
		t.Errorf("X-Pre-Request = %q", h)
	}
	// The same read again, planned alike (from the plan memo), sees its
	// own headers and cookies, never the first request's.
	r = e.send("GET", "/rpc/request_info", "", "X-Agent", "tests/2.0", "Cookie", "session=zz_other")
	want(t, r, 200, `{"claims":{"role":"web_anon"},"agent":"tests/2.0","session":"zz_other","cookie_header":false,"method":"GET","path":"/rpc/request_info","greeting":"hello"}`, "0-0/*", "")
	r = e.send("GET", "/rpc/request_info", "")
	want(t, r, 200, `{"claims":{"role":"web_anon"},"agent":null,"session":null,"cookie_header":false,"method":"GET","path":"/rpc/request_info","greeting":"hello"}`, "0-0/*", "")
	wantError(t, e.send("GET", "/books?select=id", "", "X-Blocked", "yes"), 403, "PT403",
		"blocked by the pre-request function", "null", "null")
	wantError(t, e.send("POST", "/rpc/add", `{"a":1,"b":2}`, "X-Blocked", "yes"), 403, "PT403", "", "", "")
	if r := e.get("/books?select=id&id=eq.1"); r.Status != 200 || r.Header.Get("X-Pre-Request") != "ran" {
		t.Fatalf("a read after the refusals: %d %v", r.Status, r.Header)
	}
}

// TestTimezonePreference: `Prefer: timezone=` sets the transaction's
// zone when PostgreSQL knows it and is ignored (PGRST122 when strict)
// otherwise, as PostgREST.
func TestTimezonePreference(t *testing.T) {
	t.Parallel()
	e := sampleEnvWith(t, `
CREATE FUNCTION api.zone() RETURNS text LANGUAGE sql STABLE AS $$ SELECT current_setting('timezone') $$;
CREATE FUNCTION api.noon() RETURNS timestamptz LANGUAGE sql STABLE AS $$ SELECT '2026-06-01 12:00:00+00'::timestamptz $$;
GRANT EXECUTE ON FUNCTION api.zone(), api.noon() TO web_anon;`, nil)
	plain := e.get("/rpc/zone").Body

	r := e.send("GET", "/rpc/zone", "", "Prefer", "timezone=America/Los_Angeles")
	want(t, r, 200, `"America/Los_Angeles"`, "0-0/*", "timezone=America/Los_Angeles")
	r = e.send("GET", "/rpc/noon", "", "Prefer", "timezone=Asia/Tokyo")
	want(t, r, 200, `"2026-06-01T21:00:00+09:00"`, "0-0/*", "timezone=Asia/Tokyo")
	r = e.send("GET", "/rpc/zone", "", "Prefer", "timezone=Mars/Olympus_Mons")
	want(t, r, 200, plain, "0-0/*", "")
	wantError(t, e.send("GET", "/rpc/zone", "", "Prefer", "handling=strict, timezone=Mars/Olympus_Mons"), 400, "PGRST122",
		"Invalid preferences given with handling=strict", "Invalid preferences: timezone=Mars/Olympus_Mons", "null")
	// The zone does not outlive its transaction.
	want(t, e.get("/rpc/zone"), 200, plain, "0-0/*", "")
}

// TestRPCMaxAffected: `handling=strict, max-affected=n` rolls back a call
// whose result has more than n rows (PGRST124), as PostgREST.
func TestRPCMaxAffected(t *testing.T) {
	t.Parallel()
	e := sampleEnvWith(t, `
CREATE FUNCTION api.add_tags(n int) RETURNS SETOF api.tags LANGUAGE sql
  AS $$ INSERT INTO api.tags (name) SELECT 'bulk ' || i FROM generate_series(1, n) AS i RETURNING * $$;
GRANT EXECUTE ON FUNCTION api.add_tags(int) TO web_anon;
GRANT INSERT ON api.tags TO web_anon;`, nil)
	strict := []string{"Prefer", "handling=strict, max-affected=2"}
	wantError(t, e.send("POST", "/rpc/add_tags?select=name", `{"n": 3}`, strict...), 400, "PGRST124",
		"Query result exceeds max-affected preference constraint", "The query affects 3 rows", "null")
	if n := rowCount(t, e, `SELECT count(*) FROM api.tags WHERE name LIKE 'bulk %'`); n != 0 {
		t.Fatalf("the refused call left %d rows", n)
	}
	r := e.send("POST", "/rpc/add_tags?select=name", `{"n": 2}`, strict...)
	want(t, r, 200, `[{"name":"bulk 1"},{"name":"bulk 2"}]`, "0-1/*", "handling=strict, max-affected=2")
	// Without handling=strict the limit is only a preference.
	mustExec(t, e.db, `DELETE FROM api.tags WHERE name LIKE 'bulk %'`)
	r = e.send("POST", "/rpc/add_tags?select=name", `{"n": 3}`, "Prefer", "max-affected=2")
	if r.Status != 200 {
		t.Fatalf("lenient: %d %s", r.Status, r.Body)
	}
}

// TestRPCTypmodParameters: parameters declared char(n) and bit(n) take
// values of their full length (their types carry no length in the catalog,
// and bare character and bit mean a length of 1).
func TestRPCTypmodParameters(t *testing.T) {
	t.Parallel()
	e := newEnv(t, `CREATE FUNCTION api.pad(c char(3)) RETURNS text LANGUAGE sql IMMUTABLE AS $$ SELECT c::text || '|' $$;
CREATE FUNCTION api.bits(b bit(4), bs bit(2)[] DEFAULT '{01}') RETURNS text LANGUAGE sql IMMUTABLE AS $$ SELECT b::text || bs::text $$;`, nil)
	for _, c := range []struct{ path, want string }{
		{"/rpc/pad?c=abc", `"abc|"`},
		{"/rpc/bits?b=1010", `"1010{01}"`},
		{"/rpc/bits?b=1010&bs={10,11}", `"1010{10,11}"`},
	} {
		if r := e.get(c.path); r.Status != 200 || r.Body != c.want {
			t.Errorf("%s: %d %s, want %s", c.path, r.Status, r.Body, c.want)
		}
	}
}
