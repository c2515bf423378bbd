package tests

import "testing"

// TestFuzzyHints holds the hints of RpcSpec and QuerySpec built by
// PostgREST's fuzzy search: the closest function name, the closest
// parameter list of a known function (names sorted), and for an embedding
// the closest relation the parent leads to, or, for a parent without
// relationships, the closest relation that has some (noRelBetweenHint's
// suggestParent); without a close candidate the hint is the reload hint.
func TestFuzzyHints(t *testing.T) {
	t.Parallel()
	e := newEnv(t, `
CREATE FUNCTION api.sayhello(name text) RETURNS text LANGUAGE sql AS $$ SELECT 'Hello, ' || name $$;
CREATE FUNCTION api.add_them(a int, b int) RETURNS int LANGUAGE sql AS $$ SELECT a + b $$;
CREATE FUNCTION api.overloaded() RETURNS int LANGUAGE sql AS $$ SELECT 1 $$;
CREATE FUNCTION api.overloaded(a int, b int) RETURNS int LANGUAGE sql AS $$ SELECT a + b $$;
CREATE FUNCTION api.overloaded(a int, b int, c int) RETURNS int LANGUAGE sql AS $$ SELECT a + b + c $$;
CREATE TABLE api.car_models (id int PRIMARY KEY, name text);
CREATE TABLE api.car_model_sales (id int PRIMARY KEY, car_model_id int REFERENCES api.car_models);
CREATE TABLE api.car_models_default (id int PRIMARY KEY);
CREATE TABLE api.car_model (id int PRIMARY KEY);
CREATE TABLE api.car_models_defaults (id int PRIMARY KEY);
CREATE TABLE api.qq (id int PRIMARY KEY);
GRANT SELECT ON ALL TABLES IN SCHEMA api TO web_anon;`, nil)
	const reload = "If a new function was created in the database with this name and arguments, try reloading the schema cache."
	for _, c := range []struct{ path, message, hint string }{
		{"/rpc/sayhell", "Could not find the function api.sayhell without parameters in the schema cache",
			"Perhaps you meant to call the function api.sayhello"},
		{"/rpc/sayhello?nam=Peter", "Could not find the function api.sayhello(nam) in the schema cache",
			"Perhaps you meant to call the function api.sayhello(name)"},
		{"/rpc/add_them?a=1&b=2&smthelse=blabla", "Could not find the function api.add_them(a, b, smthelse) in the schema cache",
			"Perhaps you meant to call the function api.add_them(a, b)"},
		{"/rpc/overloaded?wrong_arg=value", "Could not find the function api.overloaded(wrong_arg) in the schema cache", reload},
		{"/rpc/overloaded?a=1&b=2&wrong_arg=value", "Could not find the function api.overloaded(a, b, wrong_arg) in the schema cache",
			"Perhaps you meant to call the function api.overloaded(a, b, c)"},
	} {
		wantError(t, e.get(c.path), 404, "PGRST202", c.message, "", c.hint)
	}
	wantError(t, e.get("/car_model_sales?select=id,car_models_default(id)"), 400, "PGRST200",
		"Could not find a relationship between 'car_model_sales' and 'car_models_default' in the schema cache",
		"Searched for a foreign key relationship between 'car_model_sales' and 'car_models_default' in the schema 'api', but no matches were found.",
		"Perhaps you meant 'car_models' instead of 'car_models_default'.")
	for _, c := range []struct{ parent, hint string }{
		{"car_model", "Perhaps you meant 'car_models' instead of 'car_model'."},
		// Only relations with relationships are candidates: car_models_default
		// is the closest name (0.95) but has none; car_model_sales (0.68)
		// beats car_models (0.53).
		{"car_models_defaults", "Perhaps you meant 'car_model_sales' instead of 'car_models_defaults'."},
		{"qq", "If a new foreign key between these entities was created in the database, try reloading the schema cache."},
	} {
		wantError(t, e.get("/"+c.parent+"?select=id,car_model_sales(id)"), 400, "PGRST200",
			"Could not find a relationship between '"+c.parent+"' and 'car_model_sales' in the schema cache",
			"Searched for a foreign key relationship between '"+c.parent+"' and 'car_model_sales' in the schema 'api', but no matches were found.",
			c.hint)
	}
}
