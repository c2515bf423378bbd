package apirequest

import (
	"reflect"
	"strings"
	"testing"
)

// get parses GET /items?query.
func get(t *testing.T, query string) (*Request, int, string, string, string) {
	t.Helper()
	return do(t, "GET", "/items?"+query, "", nil)
}

func col(alias, name, cast string) SelectItem {
	return SelectItem{Alias: alias, Column: name, Cast: cast}
}

func emb(alias, target, hint string, inner bool, items ...SelectItem) SelectItem {
	if items == nil {
		items = []SelectItem{}
	}
	return SelectItem{Alias: alias, Embed: &Embed{Target: target, Hint: hint, Inner: inner, Select: items}}
}

func TestSelect(t *testing.T) {
	star := col("", "*", "")
	tests := []struct {
		query string
		want  []SelectItem
	}{
		{"", []SelectItem{star}},
		{"select=", []SelectItem{star}},
		{"select=*", []SelectItem{star}},
		{"select=id,name", []SelectItem{col("", "id", ""), col("", "name", "")}},
		{"select= id , name ", []SelectItem{col("", "id", ""), col("", "name", "")}},
		{"select=n:name,id::text,x:id::int", []SelectItem{col("n", "name", ""), col("", "id", "text"), col("x", "id", "int")}},
		{"select=first-name,Just%20A%20Model", []SelectItem{col("", "first-name", ""), col("", "Just A Model", "")}},
		{`select="a,b:(c)",x:"q""`, nil}, // unbalanced quote: error checked below
		{`select="a,b:(c)",x:"q\"r"`, []SelectItem{col("", "a,b:(c)", ""), col("x", `q"r`, "")}},
		{"select=été,$x,_1", []SelectItem{col("", "été", ""), col("", "$x", ""), col("", "_1", "")}},
		{"select=id,clients(*)", []SelectItem{col("", "id", ""), emb("", "clients", "", false, star)}},
		{"select=c:clients(id)", []SelectItem{emb("c", "clients", "", false, col("", "id", ""))}},
		{"select=clients!fk(id)", []SelectItem{emb("", "clients", "fk", false, col("", "id", ""))}},
		{"select=clients!inner(id)", []SelectItem{emb("", "clients", "", true, col("", "id", ""))}},
		{"select=clients!left(id)", []SelectItem{emb("", "clients", "", false, col("", "id", ""))}},
		{"select=clients!fk!inner(id)", []SelectItem{emb("", "clients", "fk", true, col("", "id", ""))}},
		{"select=clients!inner!fk(id)", []SelectItem{emb("", "clients", "fk", true, col("", "id", ""))}},
		{"select=clients()", []SelectItem{emb("", "clients", "", false)}},
		{"select=a(b(c(d(e,f:g::text))))", []SelectItem{emb("", "a", "", false,
			emb("", "b", "", false, emb("", "c", "", false, emb("", "d", "", false, col("", "e", ""), col("f", "g", "text")))))}},
		{"select=*,c:clients!fk!inner( id , p:projects(*) ),n", []SelectItem{star,
			emb("c", "clients", "fk", true, col("", "id", ""), emb("p", "projects", "", false, star)), col("", "n", "")}},
		{"select=a&select=b", []SelectItem{col("", "a", "")}},
	}
	for _, tt := range tests {
		req, status, code, msg, det := get(t, tt.query)
		if tt.want == nil {
			if code != "PGRST100" || status != 400 {
				t.Errorf("%s: got %d %s, want PGRST100", tt.query, status, code)
			}
			continue
		}
		if code != "" {
			t.Errorf("%s: unexpected error %s %s %s", tt.query, code, msg, det)
			continue
		}
		if !reflect.DeepEqual(req.Select, tt.want) {
			t.Errorf("%s:\n got %s\nwant %s", tt.query, showSel(req.Select), showSel(tt.want))
		}
	}
}

func showSel(items []SelectItem) string {
	var parts []string
	for _, it := range items {
		if it.Embed != nil {
			parts = append(parts, it.Alias+":"+it.Embed.Target+"!"+it.Embed.Hint+"("+showSel(it.Embed.Select)+")")
		} else {
			parts = append(parts, it.Alias+":"+it.Column+"::"+it.Cast)
		}
	}
	return strings.Join(parts, ",")
}

// TestParseErrors pins PGRST100 messages; most are PostgREST's own
// doctests and spec expectations.
func TestParseErrors(t *testing.T) {
	tests := []struct{ query, message, details string }{
		{"select=id,clients(name[])", `"failed to parse select parameter (id,clients(name[]))" (line 1, column 16)`,
			`unexpected '[' expecting letter, digit, "-", "->>", "->", "::", ".", ")", "," or end of input`},
		{"select=name!hint", `"failed to parse select parameter (name!hint)" (line 1, column 5)`,
			`unexpected '!' expecting letter, digit, "-", "->>", "->", "::", ".", ")", "," or end of input`},
		{"select=*!hint", `"failed to parse select parameter (*!hint)" (line 1, column 2)`, `unexpected '!' expecting ")", "," or end of input`},
		{"select=name::", `"failed to parse select parameter (name::)" (line 1, column 7)`, `unexpected end of input expecting letter or digit`},
		{"select=a,,b", `"failed to parse select parameter (a,,b)" (line 1, column 3)`, `unexpected "," expecting field name (* or [a..z0..9_$])`},
		{"select=a(b", `"failed to parse select parameter (a(b)" (line 1, column 4)`,
			`unexpected end of input expecting letter, digit, "-", "->>", "->", "::", ".", "," or ")"`},
		{"select=a(b(c)", `"failed to parse select parameter (a(b(c))" (line 1, column 7)`, `unexpected end of input expecting "," or ")"`},
		{"select=a)", `"failed to parse select parameter (a))" (line 1, column 2)`,
			`unexpected ')' expecting letter, digit, "-", "->>", "->", "::", ".", "," or end of input`},
		{"select=(a)", `"failed to parse select parameter ((a))" (line 1, column 1)`, `unexpected "(" expecting field name (* or [a..z0..9_$])`},
		{"select=%C3%A9!", `"failed to parse select parameter (\233!)" (line 1, column 2)`,
			`unexpected '!' expecting letter, digit, "-", "->>", "->", "::", ".", ")", "," or end of input`},
		{"id=0", `"failed to parse filter (0)" (line 1, column 1)`, `unexpected "0" expecting "not" or operator (eq, gt, ...)`},
		{"id=val", `"failed to parse filter (val)" (line 1, column 1)`, `unexpected "v" expecting "not" or operator (eq, gt, ...)`},
		{"a.b=noop.0", `"failed to parse filter (noop.0)" (line 1, column 1)`, `unexpected "o" expecting "not" or operator (eq, gt, ...)`},
		{"id=", `"failed to parse filter ()" (line 1, column 1)`, `unexpected end of input expecting "not" or operator (eq, gt, ...)`},
		{"id=fts().value", `"failed to parse filter (fts().value)" (line 1, column 5)`, `unexpected ")" expecting operator (eq, gt, ...)`},
		{"id=eq().value", `"failed to parse filter (eq().value)" (line 1, column 4)`, `unexpected ")" expecting operator (eq, gt, ...)`},
		{"id=is().value", `"failed to parse filter (is().value)" (line 1, column 3)`, `unexpected "(" expecting operator (eq, gt, ...)`},
		{"id=in().value", `"failed to parse filter (in().value)" (line 1, column 3)`, `unexpected "(" expecting operator (eq, gt, ...)`},
		{"id=not.xyz", `"failed to parse filter (not.xyz)" (line 1, column 5)`, `unexpected "x" expecting operator (eq, gt, ...)`},
		{"id=notx.1", `"failed to parse filter (notx.1)" (line 1, column 4)`, `unexpected "x" expecting delimiter (.)`},
		{"id=EQ.1", `"failed to parse filter (EQ.1)" (line 1, column 1)`, `unexpected "E" expecting "not" or operator (eq, gt, ...)`},
		{"id=is.nul", `"failed to parse filter (is.nul)" (line 1, column 7)`, `unexpected end of input expecting isVal: (null, not_null, true, false, unknown)`},
		{"id=is.maybe", `"failed to parse filter (is.maybe)" (line 1, column 4)`, `unexpected "m" expecting isVal: (null, not_null, true, false, unknown)`},
		{"id=in.1,2", `"failed to parse filter (in.1,2)" (line 1, column 4)`, `unexpected "1" expecting "("`},
		{"id=in.(1,2", `"failed to parse filter (in.(1,2)" (line 1, column 8)`, `unexpected end of input expecting "," or ")"`},
		// PostgREST's doctests and JsonOperatorSpec for malformed indexes and keys.
		{"select=data->>--34", `"failed to parse select parameter (data->>--34)" (line 1, column 9)`, `unexpected "-" expecting digit`},
		{"select=data->>-xy-4", `"failed to parse select parameter (data->>-xy-4)" (line 1, column 9)`, `unexpected "x" expecting digit`},
		{"select=data->>-78xy", `"failed to parse select parameter (data->>-78xy)" (line 1, column 11)`,
			`unexpected 'x' expecting digit, "->", "::", ".", "," or end of input`},
		// A JSON key is any run of characters but `(-:.,>)` (pJsonKeyName,
		// PostgREST 12.0.1 on): JsonOperatorSpec's reserved character.
		{"select=data->(!@%23$%25^%26*_d->>!@%23$%25^%26*_e::integer",
			`"failed to parse select parameter (data->(!@#$%^&*_d->>!@#$%^&*_e::integer)" (line 1, column 7)`,
			`unexpected "(" expecting "-", digit or any non reserved character different from: .,>()`},
		{"select=data->", `"failed to parse select parameter (data->)" (line 1, column 7)`,
			`unexpected end of input expecting "-", digit or any non reserved character different from: .,>()`},
		{"order=data->a(", `"failed to parse order (data->a()" (line 1, column 8)`,
			`unexpected '(' expecting "-", "->>", "->", delimiter (.), "," or end of input`},
		{"data->a)=eq.1", `"failed to parse tree path (data->a))" (line 1, column 8)`,
			`unexpected ')' expecting "-", "->>", "->" or end of input`},
		{"order=data->-x", `"failed to parse order (data->-x)" (line 1, column 8)`, `unexpected "x" expecting digit`},
		{"a@b=eq.1", `"failed to parse tree path (a@b)" (line 1, column 2)`,
			`unexpected '@' expecting letter, digit, "-", "->>", "->", delimiter (.) or end of input`},
		{"order=id.ac", `"failed to parse order (id.ac)" (line 1, column 4)`, `unexpected "c" expecting "asc", "desc", "nullsfirst" or "nullslast"`},
		{"order=id.descc", `"failed to parse order (id.descc)" (line 1, column 8)`, `unexpected 'c' expecting delimiter (.), "," or end of input`},
		{"order=id.nulsfist", `"failed to parse order (id.nulsfist)" (line 1, column 4)`, `unexpected "n" expecting "asc", "desc", "nullsfirst" or "nullslast"`},
		{"order=id.nullslasttt", `"failed to parse order (id.nullslasttt)" (line 1, column 13)`, `unexpected 't' expecting "," or end of input`},
		{"order=id.smth34", `"failed to parse order (id.smth34)" (line 1, column 4)`, `unexpected "s" expecting "asc", "desc", "nullsfirst" or "nullslast"`},
		{"order=id.asc.nlsfst", `"failed to parse order (id.asc.nlsfst)" (line 1, column 8)`, `unexpected "l" expecting "nullsfirst" or "nullslast"`},
		{"order=id.asc.nullslasttt", `"failed to parse order (id.asc.nullslasttt)" (line 1, column 17)`, `unexpected 't' expecting "," or end of input`},
		{"order=id.asc.smth34", `"failed to parse order (id.asc.smth34)" (line 1, column 8)`, `unexpected "s" expecting "nullsfirst" or "nullslast"`},
		{"order=clients(name,id)", `"failed to parse order (clients(name,id))" (line 1, column 13)`, `unexpected "," expecting ")"`},
		{"order=id,", `"failed to parse order (id,)" (line 1, column 4)`, `unexpected end of input expecting field name (* or [a..z0..9_$])`},
		{"columns=a,,b", `"failed to parse columns parameter (a,,b)" (line 1, column 3)`, `unexpected "," expecting field name (* or [a..z0..9_$])`},
		{"on_conflict=a;id=b", `"failed to parse filter (b)" (line 1, column 1)`, `unexpected "b" expecting "not" or operator (eq, gt, ...)`},
	}
	for _, tt := range tests {
		_, status, code, msg, det := get(t, tt.query)
		if status != 400 || code != "PGRST100" || msg != tt.message || det != tt.details {
			t.Errorf("%s:\n got %d %s %s | %s\nwant 400 PGRST100 %s | %s", tt.query, status, code, msg, det, tt.message, tt.details)
		}
	}
}

// TestNonIntegerRangesIgnored holds PostgREST's reading of limit and
// offset with readMaybe: a value that is not an integer leaves the range
// whole, and the later of two keys wins.
func TestNonIntegerRangesIgnored(t *testing.T) {
	for _, q := range []string{"limit=abc", "limit=", "limit=1.5", "limit=1e3", "offset=5x", "offset=-",
		"limit=3&limit=abc", "offset=--3", "limit=%2B3", "clients.limit=x&clients.offset=2.0"} {
		req, _, code, msg, det := get(t, q)
		if code != "" {
			t.Errorf("%s: got %s %s %s", q, code, msg, det)
			continue
		}
		if req.Limit != nil || req.Offset != nil {
			t.Errorf("%s: limit %v offset %v, want none", q, req.Limit, req.Offset)
		}
		for _, r := range req.EmbedRanges {
			if r.Limit != nil || r.Offset != nil {
				t.Errorf("%s: embedded range %+v, want none", q, r)
			}
		}
	}
}

// TestHaskellIntegerRanges: the integers Haskell's readMaybe reads.
func TestHaskellIntegerRanges(t *testing.T) {
	for q, want := range map[string]int64{
		"limit=3": 3, "limit=%203%20": 3, "limit=+3": 3, "limit=(3)": 3, "limit=((%207))": 7, "limit=0x10": 16,
		"limit=0o17": 15, "limit=007": 7, "limit=abc&limit=4": 4,
	} {
		req, _, code, msg, _ := get(t, q)
		if code != "" || req.Limit == nil || *req.Limit != want {
			t.Errorf("%s: got %v %s %s, want %d", q, req.Limit, code, msg, want)
		}
	}
	req, _, code, _, _ := get(t, "offset=(-%204)")
	if code != "" || req.Offset == nil || *req.Offset != 0 {
		t.Errorf("offset=(- 4): got %v %s, want 0", req.Offset, code)
	}
	_, status, code, msg, _ := get(t, "limit=99999999999999999999")
	if status != 400 || code != "22003" || msg != "bigint out of range" {
		t.Errorf("huge limit: got %d %s %s", status, code, msg)
	}
}

func TestNegativeLimit(t *testing.T) {
	for _, q := range []string{"limit=-1", "clients.limit=-5", "limit=-%201", "limit=-99999999999999999999"} {
		_, status, code, msg, det := get(t, q)
		if status != 416 || code != "PGRST103" || msg != "Requested range not satisfiable" ||
			det != "Limit should be greater than or equal to zero." {
			t.Errorf("%s: got %d %s %q %q", q, status, code, msg, det)
		}
	}
}

// TestNegativeOffset holds RangeSpec's "succeeds if offset is negative as
// a no-op": the offset is 0, at the top level and on an embedding.
func TestNegativeOffset(t *testing.T) {
	req, _, code, msg, det := get(t, "offset=-4&clients.offset=-1")
	if code != "" {
		t.Fatalf("got %s %s %s", code, msg, det)
	}
	if req.Offset == nil || *req.Offset != 0 {
		t.Errorf("offset = %v, want 0", req.Offset)
	}
	if len(req.EmbedRanges) != 1 || req.EmbedRanges[0].Offset == nil || *req.EmbedRanges[0].Offset != 0 {
		t.Errorf("embedded ranges = %+v", req.EmbedRanges)
	}
}
