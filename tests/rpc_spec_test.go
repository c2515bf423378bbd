package tests

import "testing"

// TestRPCSpec holds RpcSpec's cases beyond the other RPC tests: the
// arguments of a JSON array body come from its first object, `columns`
// picks the arguments of a JSON body, a CSV body is the array of its
// lines, RAISE SQLSTATE 'PT' without a status is 500, and a text body
// that fits no function gets no suggestion.
func TestRPCSpec(t *testing.T) {
	t.Parallel()
	e := newEnv(t, `
CREATE FUNCTION api.add_them(a int, b int) RETURNS int LANGUAGE sql AS $$ SELECT a + b $$;
CREATE FUNCTION api.sayhello(name text) RETURNS text LANGUAGE sql AS $$ SELECT 'Hello, ' || name $$;
CREATE FUNCTION api.noparamsproc() RETURNS text LANGUAGE sql AS $$ SELECT 'Return value of no parameters procedure.' $$;
CREATE FUNCTION api.unnamed_int_param(int) RETURNS int LANGUAGE sql AS $$ SELECT $1 $$;
CREATE FUNCTION api.unnamed_text_param(text) RETURNS text LANGUAGE sql AS $$ SELECT $1 $$;
CREATE FUNCTION api.raise_bad_pt() RETURNS void LANGUAGE plpgsql AS $$ BEGIN RAISE sqlstate 'PT40A' USING message = 'Wrong'; END $$;
CREATE FUNCTION api.raise_pt(code text) RETURNS void LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION USING message = code, errcode = code; END $$;
CREATE FUNCTION api.raise_pt402() RETURNS void LANGUAGE plpgsql AS $$
  BEGIN RAISE sqlstate 'PT402' USING message = 'Payment Required', detail = 'Quota exceeded', hint = 'Upgrade your plan'; END $$;`, nil)
	for _, c := range []struct{ name, path, body, ctype, want string }{
		{"first object of an array", "/rpc/add_them", `[{"a":1,"b":2},{"a":4,"b":6},{"a":100,"b":200}]`, "application/json", `3`},
		{"columns pick the arguments", "/rpc/sayhello?columns=name", `{"name":"John","smth":"here","other":"stuff","fake_id":13}`, "application/json", `"Hello, John"`},
		{"csv lines", "/rpc/add_them", "a,b\n1,2\n4,6", "text/csv", `3`},
		{"another JSON value is no arguments", "/rpc/noparamsproc", `"x"`, "application/json", `"Return value of no parameters procedure."`},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := e.send("POST", c.path, c.body, "Content-Type", c.ctype)
			if r.Status != 200 || compact(t, r.Body) != c.want {
				t.Fatalf("got %d %s, want 200 %s", r.Status, r.Body, c.want)
			}
		})
	}
	t.Run("array elements of other keys", func(t *testing.T) {
		wantError(t, e.send("POST", "/rpc/add_them", `[{"a":1,"b":2},{"a":4}]`), 400, "PGRST102", "All object keys must match", "null", "null")
	})
	t.Run("RAISE PT with a status", func(t *testing.T) {
		wantError(t, e.get("/rpc/raise_pt402"), 402, "PT402", "Payment Required", "Quota exceeded", "Upgrade your plan")
	})
	t.Run("RAISE PT without a status", func(t *testing.T) {
		wantError(t, e.get("/rpc/raise_bad_pt"), 500, "PT40A", "Wrong", "null", "null")
	})
	t.Run("RAISE PT with a number that is no HTTP status", func(t *testing.T) {
		// PostgREST sends the number as is; here it is 500, as PT40A (see
		// CONFORMANCE.md: no status outside 100-599 passes every front end).
		for _, code := range []string{"PT099", "PT600", "PT999", "PT000"} {
			wantError(t, e.get("/rpc/raise_pt?code="+code), 500, code, code, "null", "null")
		}
		wantError(t, e.get("/rpc/raise_pt?code=PT599"), 599, "PT599", "PT599", "null", "null")
	})
	t.Run("json body without a fitting function", func(t *testing.T) {
		wantError(t, e.send("POST", "/rpc/unnamed_int_param", `{"x":1,"y":2}`), 404, "PGRST202",
			"Could not find the function api.unnamed_int_param(x, y) in the schema cache",
			"Searched for the function api.unnamed_int_param with parameters x, y or with a single unnamed json/jsonb parameter, but no matches were found in the schema cache.",
			"Perhaps you meant to call the function api.unnamed_text_param")
	})
	t.Run("text body without a fitting function", func(t *testing.T) {
		wantError(t, e.send("POST", "/rpc/unnamed_int_param", `a simple text`, "Content-Type", "text/plain"), 404, "PGRST202",
			"Could not find the function api.unnamed_int_param in the schema cache",
			"Searched for the function api.unnamed_int_param with a single unnamed text parameter, but no matches were found in the schema cache.",
			"If a new function was created in the database with this name and arguments, try reloading the schema cache.")
	})
}
