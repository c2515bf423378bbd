package apirequest

import (
	"strings"
	"testing"

	"github.com/pgrest-lambda/pgrest-lambda/internal/config"
)

// TestCheckLimits: every limit holds at its boundary and fails one past it,
// naming its setting; 0 turns a limit off.
func TestCheckLimits(t *testing.T) {
	nest := func(n int) string { // a(a(a(...id)))
		return strings.Repeat("a(", n) + "id" + strings.Repeat(")", n)
	}
	list := func(n int, item string) string { return strings.TrimSuffix(strings.Repeat(item+",", n), ",") }
	path := func(n int) string { return "data" + strings.Repeat("->a", n) }
	logic := func(depth int) string { // or=(and(or(...(id.eq.1))))
		s := "id.eq.1"
		for range depth - 1 {
			s = "and(" + s + ")"
		}
		return "(" + s + ")"
	}
	for _, c := range []struct {
		query string
		l     config.Limits
		env   string // "" = within the limits
	}{
		{"select=" + nest(3), config.Limits{EmbedDepth: 3}, ""},
		{"select=" + nest(4), config.Limits{EmbedDepth: 3}, "PGRST_LIMIT_EMBED_DEPTH"},
		{"select=" + nest(40), config.Limits{}, ""},
		{"select=" + list(5, "a(id)"), config.Limits{Embeds: 5}, ""},
		{"select=" + list(6, "a(id)"), config.Limits{Embeds: 5}, "PGRST_LIMIT_EMBEDS"},
		{"select=" + list(10, "id"), config.Limits{SelectItems: 10}, ""},
		{"select=" + list(11, "id"), config.Limits{SelectItems: 10}, "PGRST_LIMIT_SELECT_ITEMS"},
		{"select=id,a(" + list(9, "id") + ")", config.Limits{SelectItems: 10}, "PGRST_LIMIT_SELECT_ITEMS"},
		{"or=(" + list(20, "id.eq.1") + ")", config.Limits{LogicTerms: 20}, ""},
		{"or=(" + list(21, "id.eq.1") + ")", config.Limits{LogicTerms: 20}, "PGRST_LIMIT_LOGIC_TERMS"},
		{"or=(" + list(15, "id.eq.1") + ")&and=(" + list(6, "id.eq.1") + ")", config.Limits{LogicTerms: 20}, "PGRST_LIMIT_LOGIC_TERMS"},
		{"or=" + logic(5), config.Limits{LogicDepth: 5}, ""},
		{"or=" + logic(6), config.Limits{LogicDepth: 5}, "PGRST_LIMIT_LOGIC_DEPTH"},
		{"select=" + path(4), config.Limits{JSONPath: 4}, ""},
		{"select=" + path(5), config.Limits{JSONPath: 4}, "PGRST_LIMIT_JSON_PATH"},
		{path(5) + "=eq.1", config.Limits{JSONPath: 4}, "PGRST_LIMIT_JSON_PATH"},
		{"order=" + path(5), config.Limits{JSONPath: 4}, "PGRST_LIMIT_JSON_PATH"},
	} {
		req, status, code, msg, _ := do(t, "GET", "/items?"+c.query, "", nil)
		if status != 0 {
			t.Fatalf("%s: parse %d %s %s", c.query, status, code, msg)
		}
		err := CheckLimits(req, c.l)
		switch {
		case c.env == "" && err != nil:
			t.Errorf("%.60s: %v %v", c.query, err, err.Details)
		case c.env != "" && (err == nil || err.Code != "PGRST100" || err.Status != 400 ||
			!strings.Contains(err.Details.(string), c.env)):
			t.Errorf("%.60s: %v, want the %s limit", c.query, err, c.env)
		}
	}
}
