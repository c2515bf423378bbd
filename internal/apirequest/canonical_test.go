package apirequest

import "testing"

func TestCanonicalQuery(t *testing.T) {
	for _, c := range []struct{ raw, want string }{
		// PostgREST's doctest of qsCanonical and QuerySpec's "Canonical location".
		{"a=1&c=3&b=2&d", "a=1&b=2&c=3&d="},
		{"b=eq.1&a=eq.1", "a=eq.1&b=eq.1"},
		{"", ""},
		{"?select=id,name&order=id.desc", "order=id.desc&select=id%2Cname"},
		// Repeated names are joined with commas (Network.HTTP's urlEncodeVars).
		{"id=gt.1&select=id&id=lt.5", "id=gt.1,lt.5&select=id"},
		{"name=eq.a+b&x=%2a;y=1", "name=eq.a%20b&x=%2A&y=1"},
		{"a=%zz", "a=%25zz"},
		// A decoded byte above 0x7F is encoded as a Latin-1 character.
		{"name=eq.%C3%A9", "name=eq.%C3%83%C2%A9"},
		{"&&a=1&", "a=1"},
	} {
		if got := CanonicalQuery(c.raw); got != c.want {
			t.Errorf("CanonicalQuery(%q) = %q, want %q", c.raw, got, c.want)
		}
	}
}
