package query

import "testing"

// appendIdent, qi and PreQuery's search path quote as ident does.
func TestAppendIdentMatchesIdent(t *testing.T) {
	for _, s := range []string{"", "api", `we"ird`, "nul\x00byte", `""`, "é 日本", "\x00\"\x00"} {
		if got := string(appendIdent(nil, s)); got != ident(s) {
			t.Errorf("appendIdent(%q) = %s, want %s", s, got, ident(s))
		}
	}
}
