package schemacache

import "testing"

func TestValidTypeName(t *testing.T) {
	for s, ok := range map[string]bool{
		"integer": true, "character varying(20)": true, "character varying(20)[]": true, "numeric(10,2)": true,
		"timestamp(3) with time zone": true, "double precision": true, "api.book_format": true,
		`api."my type"`: true, `"Quoted ""x"""[]`: true, "interval year to month": true, "bit(8)": true,
		"": false, "integer)": false, "int; DROP TABLE x": false, "integer), LATERAL (SELECT 1": false,
		"text --": false, `"unclosed`: false, "a..b": false, "integer[1]": false, "x(1)(2)": false,
	} {
		if got := ValidTypeName(s); got != ok {
			t.Errorf("ValidTypeName(%q) = %v, want %v", s, got, ok)
		}
	}
}

func TestClosedExpression(t *testing.T) {
	for s, ok := range map[string]bool{
		"nextval('api.t_id_seq'::regclass)": true, "now()": true, "'it''s'::text": true,
		`E'a\'b'::text`: true, "(1 + 2) * 3": true, "ARRAY[1, 2]": true, `'x;y'::text`: true,
		`'a--b'::text`: true, `"col"`: true,
		"1) || (SELECT 1": false, "1; DROP TABLE x": false, "1 -- x": false, "1 /* x */": false,
		"'unclosed": false, "(1": false, "1)": false, `E'a\'`: false,
	} {
		if got := closedExpression(s); got != ok {
			t.Errorf("closedExpression(%q) = %v, want %v", s, got, ok)
		}
	}
}

// TestValidate: a cache of well-formed strings passes; a tampered
// parameter type, column type or default is named.
func TestValidate(t *testing.T) {
	def := "nextval('t_id_seq'::regclass)"
	good := func() *SchemaCache {
		return &SchemaCache{
			Tables: []Table{{Schema: "api", Name: "t", Columns: []Column{
				{Name: "id", Type: "integer", NominalType: "integer", Default: &def}}}},
			Routines: []Routine{{Schema: "api", Name: "add", Params: []RoutineParam{{Name: "a", Type: "integer"}}}},
		}
	}
	if err := good().Validate(); err != nil {
		t.Fatal(err)
	}
	bad := "1) || (SELECT 1"
	for name, tamper := range map[string]func(*SchemaCache){
		"parameter type": func(sc *SchemaCache) {
			sc.Routines[0].Params[0].Type = "integer), LATERAL (SELECT set_config('role', 'x', true)) AS y(z"
		},
		"column type":    func(sc *SchemaCache) { sc.Tables[0].Columns[0].NominalType = "integer); DROP TABLE t; --" },
		"column default": func(sc *SchemaCache) { sc.Tables[0].Columns[0].Default = &bad },
	} {
		sc := good()
		tamper(sc)
		if err := sc.Validate(); err == nil {
			t.Errorf("%s: tampered cache validated", name)
		}
	}
}
