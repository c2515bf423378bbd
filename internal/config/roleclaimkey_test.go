package config

import (
	"encoding/json"
	"testing"
)

// TestRoleClaimKeyEval runs PostgREST's role claim cases
// (test/io/fixtures.yaml roleclaims and jwtaudroleclaims) plus the RFC 9535
// forms, on the claims as JSON.
func TestRoleClaimKeyEval(t *testing.T) {
	for _, tc := range []struct {
		key, claims string
		want        any // nil: no value
	}{
		{".role", `{"role":"author"}`, "author"},
		{".postgrest.a_role", `{"postgrest":{"a_role":"author"},"other":"claims"}`, "author"},
		{".customObject.manyRoles[1]", `{"customObject":{"manyRoles":["other","author"]},"other":{}}`, "author"},
		{`."https://www.example.com/roles"[0].value`, `{"https://www.example.com/roles":[{"value":"author"}],"other":666}`, "author"},
		{".myDomain[3]", `{"myDomain":["other","author"]}`, nil},
		{".myRole", `{"role":"author"}`, nil},
		{`.realm_access.roles[?(@ == "author")]`, `{"realm_access":{"roles":["other","author"]}}`, "author"},
		{`.realm_access.roles[?(@ != "other")]`, `{"realm_access":{"roles":["other","author"]}}`, "author"},
		{`.realm_access.roles[?(@ ^== "aut")]`, `{"realm_access":{"roles":["other","author"]}}`, "author"},
		{`.realm_access.roles[?(@ ==^ "hor")]`, `{"realm_access":{"roles":["other","author"]}}`, "author"},
		{`.realm_access.roles[?(@ *== "tho")]`, `{"realm_access":{"roles":["other","author"]}}`, "author"},
		{`.realm_access.roles[?(@=="author")]`, `{"realm_access":{"roles":["other","author"]}}`, "author"},
		{`.realm_access.roles[?(@ == "string")]`, `{"realm_access":{"roles":[{"obj_key":"obj_value"}]}}`, nil},
		{".aud[1]", `{"aud":["a","b"]}`, "b"},
		{".role", `{"role":null}`, "<null>"},
		{".role", `{"role":5}`, 5.0},
		{".role[0]", `{"role":"notarray"}`, nil},
		{".$weird@key_1", `{"$weird@key_1":"x"}`, "x"},
		{"$.role", `{"role":"author"}`, "author"},
		{"$['https://x.io/claims'].roles[0]", `{"https://x.io/claims":{"roles":["author"]}}`, "author"},
		{`$["a b"][-1]`, `{"a b":["x","last"]}`, "last"},
		{`$.roles[?@ == 'author']`, `{"roles":["x","author"]}`, "author"},
		{`$.roles[?(@ != "x")]`, `{"roles":["x","author"]}`, "author"},
		{"$.roles[5]", `{"roles":["x"]}`, nil},
	} {
		k, err := ParseRoleClaimKey(tc.key)
		if err != nil {
			t.Errorf("%s: %v", tc.key, err)
			continue
		}
		var claims any
		if err := json.Unmarshal([]byte(tc.claims), &claims); err != nil {
			t.Fatal(err)
		}
		got, ok := k.Eval(claims)
		switch {
		case tc.want == nil:
			if ok {
				t.Errorf("%s on %s = %v, want nothing", tc.key, tc.claims, got)
			}
		case tc.want == "<null>":
			if !ok || got != nil {
				t.Errorf("%s on %s = %v, %v; want a present null", tc.key, tc.claims, got, ok)
			}
		default:
			if !ok || got != tc.want {
				t.Errorf("%s on %s = %v, %v; want %v", tc.key, tc.claims, got, ok, tc.want)
			}
		}
	}
}

// TestRoleClaimKeyInvalid has PostgREST's invalidroleclaimkeys and more.
func TestRoleClaimKeyInvalid(t *testing.T) {
	for _, key := range []string{
		"role.other", ".role##", ".my_role;;domain", ".#$$%&$%/", "1234", ".role[?(@ =)]",
		".", ".a[", ".a[x]", `."unterminated`, `.a[?(@ == "x")].b`, `.a[?(@ == x)]`, "$.", "$[", "$..a", "$.a[?@ < 'x']",
	} {
		if _, err := ParseRoleClaimKey(key); err == nil {
			t.Errorf("%q accepted", key)
		}
	}
	if k, err := ParseRoleClaimKey(""); err != nil || k.String() != ".role" {
		t.Errorf("empty key: %v, %v", k, err)
	}
}
