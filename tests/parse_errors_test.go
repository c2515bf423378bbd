package tests

import (
	"net/http"
	"testing"
)

// TestParseErrorDetails holds PGRST100 messages and details to PostgREST's
// spec expectations for common malformed parameters (QuerySpec's order
// syntax errors, JsonOperatorSpec's malformed indexes, InsertSpec's blank
// columns, AndOrParamsSpec's empty tree, and a logic tree's missing
// parenthesis as PostgREST reports it).
func TestParseErrorDetails(t *testing.T) {
	t.Parallel()
	e := newEnv(t, `
		CREATE TABLE api.items (id int PRIMARY KEY, data jsonb);
		GRANT SELECT, INSERT ON api.items TO web_anon;`, nil)
	cases := []struct{ name, method, path, message, details string }{
		{"misspelled asc", http.MethodGet, "/items?order=id.ac", `"failed to parse order (id.ac)" (line 1, column 4)`,
			`unexpected "c" expecting "asc", "desc", "nullsfirst" or "nullslast"`},
		{"misspelled desc", http.MethodGet, "/items?order=id.descc", `"failed to parse order (id.descc)" (line 1, column 8)`,
			`unexpected 'c' expecting delimiter (.), "," or end of input`},
		{"double minus index", http.MethodGet, "/items?select=data->>--34", `"failed to parse select parameter (data->>--34)" (line 1, column 9)`,
			`unexpected "-" expecting digit`},
		{"minus before a key", http.MethodGet, "/items?select=data->>-xy-4", `"failed to parse select parameter (data->>-xy-4)" (line 1, column 9)`,
			`unexpected "x" expecting digit`},
		{"index followed by letters", http.MethodGet, "/items?select=data->>-78xy", `"failed to parse select parameter (data->>-78xy)" (line 1, column 11)`,
			`unexpected 'x' expecting digit, "->", "::", ".", "," or end of input`},
		{"blank columns", http.MethodPost, "/items?columns=", `"failed to parse columns parameter ()" (line 1, column 1)`,
			`unexpected end of input expecting field name (* or [a..z0..9_$])`},
		{"operator instead of a tree", http.MethodGet, "/items?or=eq.(id.eq.1,id.eq.2)", `"failed to parse logic tree (eq.(id.eq.1,id.eq.2))" (line 1, column 3)`,
			`unexpected "e" expecting "("`},
		{"empty tree", http.MethodGet, "/items?or=()", `"failed to parse logic tree (())" (line 1, column 4)`,
			`unexpected ")" expecting field name (* or [a..z0..9_$]), negation operator (not) or logic operator (and, or)`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			body := ""
			if c.method == http.MethodPost {
				body = `[{"id":1}]`
			}
			wantError(t, e.do(c.method, c.path, body), 400, "PGRST100", c.message, c.details, "null")
		})
	}
}
