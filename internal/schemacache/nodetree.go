package schemacache

import "strconv"

// target is one output column of a view as its query tree records it: view
// column resno comes from column col of relation rel (resorigtbl,
// resorigcol), rel 0 when it is computed or comes from a set operation.
type target struct {
	resno int16
	rel   uint32
	col   int16
}

// parseTargetList reads the output columns of a view from the text of its
// SELECT rule's query tree (pg_rewrite.ev_action, a list holding one QUERY
// node). Only the top-level QUERY's :targetList counts: subqueries, CTEs
// and sublinks nested in it have target lists of their own, one brace
// level deeper. Junk entries (sort columns not in the output) are skipped.
//
// The format is outNode's: `{NODE :field value ...}` with lists in
// parentheses; within tokens, spaces, parentheses, braces and backslashes
// are escaped with a backslash, so an unescaped " :" always starts a field.
func parseTargetList(tree string) []target {
	var out []target
	depth := 0
	inList := false // inside the top QUERY's :targetList
	junk := false
	for i := 0; i < len(tree); i++ {
		switch tree[i] {
		case '\\':
			i++ // the escaped character is part of a token
		case '{':
			depth++
			if inList && depth == 2 {
				out = append(out, target{})
				junk = false
			}
		case '}':
			depth--
			if inList && depth == 1 && junk {
				out = out[:len(out)-1]
			}
			if depth == 0 {
				return out
			}
		case ' ':
			if i+1 >= len(tree) || tree[i+1] != ':' {
				continue
			}
			key, val, next := field(tree, i+2)
			switch {
			case depth == 1:
				if inList {
					return out // the field after :targetList
				}
				inList = key == "targetList"
			case depth == 2 && inList:
				e := &out[len(out)-1]
				switch key {
				case "resno":
					e.resno = int16(atoi(val))
				case "resorigtbl":
					e.rel = uint32(atoi(val))
				case "resorigcol":
					e.col = int16(atoi(val))
				case "resjunk":
					junk = val == "true"
				}
			}
			i = next - 1
		}
	}
	return out
}

// field splits ` :key value` starting at the key (i just past the colon):
// the value is the token after the key, unless a node or list opens there.
// next is where scanning resumes: the end of the value token, or the
// opening brace or parenthesis, which the caller must see.
func field(s string, i int) (key, val string, next int) {
	start := i
	for i < len(s) && s[i] != ' ' && s[i] != ')' && s[i] != '}' {
		i++
	}
	key = s[start:i]
	if i >= len(s) || s[i] != ' ' {
		return key, "", i
	}
	i++
	start = i
	if i < len(s) && (s[i] == '{' || s[i] == '(') {
		return key, "", i
	}
	for i < len(s) && s[i] != ' ' && s[i] != ')' && s[i] != '}' {
		if s[i] == '\\' {
			i++
		}
		i++
	}
	return key, s[start:min(i, len(s))], i
}

// atoi parses a non-negative decimal, 0 for anything else (such as <>).
func atoi(s string) int64 {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		return 0
	}
	return n
}
