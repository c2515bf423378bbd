package schemacache

import (
	"fmt"
	"regexp"
)

// typeNameRe is the shape of a type name as format_type and regtype print
// it: one or more words (identifiers or double-quoted identifiers with
// doubled quotes inside), optionally schema-qualified, each word with an
// optional type modifier of numbers, and array brackets at the end —
// `integer`, `character varying(20)[]`, `timestamp(3) with time zone`,
// `api."my type"`.
var typeNameRe = regexp.MustCompile(`^` +
	`(?:"(?:[^"]|"")+"|[A-Za-z_][A-Za-z0-9_$]*)(?:\.(?:"(?:[^"]|"")+"|[A-Za-z_][A-Za-z0-9_$]*))?` +
	`(?:\([0-9]+(?:,[0-9]+)*\))?` +
	`(?: [A-Za-z_][A-Za-z0-9_$]*(?:\([0-9]+(?:,[0-9]+)*\))?)*` +
	`(?:\[\])*$`)

// ValidTypeName reports whether s has the shape of a type name as
// PostgreSQL prints one (see typeNameRe), so that it can stand in SQL text
// without quoting.
func ValidTypeName(s string) bool { return len(s) <= 512 && typeNameRe.MatchString(s) }

// Validate checks the strings of the cache that the query stage writes
// into SQL text as they are — column and parameter types, column defaults —
// as a second line of defence behind the snapshot's signature: every type
// must be a type name (ValidTypeName), and every default an expression
// whose literals, quoted identifiers and parentheses are closed and that
// holds no statement separator or comment outside them. Names are always
// quoted and values always bound, so they need no check. It returns the
// first offending string.
func (sc *SchemaCache) Validate() error {
	if err := validateTables(sc.Tables); err != nil {
		return err
	}
	return validateRoutines(sc.Routines)
}

// validateTables checks the column types and defaults of ts (see Validate).
func validateTables(ts []Table) error {
	// A catalog has few distinct types: each is matched once.
	valid := map[string]bool{}
	for i := range ts {
		t := &ts[i]
		for _, c := range t.Columns {
			for _, typ := range [2]string{c.Type, c.NominalType} {
				if typ == "" || valid[typ] {
					continue
				}
				if valid[typ] = ValidTypeName(typ); !valid[typ] {
					return fmt.Errorf("column %s.%s.%s: invalid type %q", t.Schema, t.Name, c.Name, typ)
				}
			}
			if c.Default != nil && !closedExpression(*c.Default) {
				return fmt.Errorf("column %s.%s.%s: invalid default %q", t.Schema, t.Name, c.Name, *c.Default)
			}
		}
	}
	return nil
}

// validateRoutines checks the parameter types of rs (see Validate).
func validateRoutines(rs []Routine) error {
	for i := range rs {
		r := &rs[i]
		for _, p := range r.Params {
			if !ValidTypeName(p.Type) {
				return fmt.Errorf("routine %s.%s parameter %q: invalid type %q", r.Schema, r.Name, p.Name, p.Type)
			}
		}
	}
	return nil
}

// closedExpression reports whether expr, a default as pg_get_expr prints
// it, keeps to itself when written inside a function call's argument
// list: string literals ('…', E'…', with doubled quotes) and quoted
// identifiers are closed, parentheses and brackets balance, and no `;`,
// `--` or `/*` appears outside them.
func closedExpression(expr string) bool {
	depth := 0
	for i := 0; i < len(expr); i++ {
		switch c := expr[i]; c {
		case '\'', '"':
			// E'…' literals escape with backslashes too.
			escapes := c == '\'' && i > 0 && (expr[i-1] == 'E' || expr[i-1] == 'e')
			j := i + 1
			for ; j < len(expr); j++ {
				if escapes && expr[j] == '\\' {
					j++
					continue
				}
				if expr[j] == c {
					if j+1 < len(expr) && expr[j+1] == c {
						j++
						continue
					}
					break
				}
			}
			if j >= len(expr) {
				return false
			}
			i = j
		case '(', '[':
			depth++
		case ')', ']':
			if depth--; depth < 0 {
				return false
			}
		case ';':
			return false
		case '-', '/':
			if i+1 < len(expr) && ((c == '-' && expr[i+1] == '-') || (c == '/' && expr[i+1] == '*')) {
				return false
			}
		}
	}
	return depth == 0
}
