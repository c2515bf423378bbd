package apirequest

import (
	"strings"
	"unicode/utf8"

	"github.com/pgrest-lambda/pgrest-lambda/internal/pgrsterr"
)

// fieldNameLabel is PostgREST's description of a field name.
const fieldNameLabel = "field name (* or [a..z0..9_$])"

// identCont are the expectations after an unquoted name, which could have
// gone on.
var identCont = []string{"letter", "digit", `"-"`}

// nameCont is what could have continued a field and its JSON path where
// they end: the field name's characters when there is no path and the
// name was not quoted, else what could have continued the path's last
// step (pathCont, from jsonPath). The result is a new slice.
func nameCont(quoted bool, steps []JSONStep, pathCont []string) []string {
	return appendNameCont(nil, quoted, steps, pathCont)
}

// appendNameCont appends nameCont(quoted, steps, pathCont) to dst.
func appendNameCont(dst []string, quoted bool, steps []JSONStep, pathCont []string) []string {
	switch {
	case len(steps) > 0:
		return append(dst, pathCont...)
	case !quoted:
		return append(dst, identCont...)
	}
	return dst
}

// asciiSource is s when it is all ASCII, else "". A rune index into
// []rune(s) is then a byte offset into it, so a parser can slice names out
// of it instead of converting runes back to a new string.
func asciiSource(s string) string {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return ""
		}
	}
	return s
}

// runeText is string(in[i:j]), sliced from src (asciiSource of the input)
// when the input is ASCII.
func runeText(in []rune, src string, i, j int) string {
	if src != "" {
		return src[i:j]
	}
	return string(in[i:j])
}

// fieldName parses PostgREST's pFieldName at i: a double-quoted name (with
// backslash escapes) or identifiers of letters, digits, `_`, `$` and
// spaces joined by dashes, trimmed. src is asciiSource of the input. It
// returns the name, the index after it and whether it was quoted; ok is
// false after recording the failure.
func fieldName(in []rune, src string, i int, f *failure) (name string, end int, quoted, ok bool) {
	if i < len(in) && in[i] == '"' {
		s, j, ok := quotedValue(in, i, f)
		return s, j, true, ok
	}
	// name is the parts read so far, "-"-joined; most names have one.
	j := i
	for {
		k := j
		for k < len(in) && isIdentChar(in[k]) {
			k++
		}
		if k == j {
			if j == i {
				f.add(i, tok(in, i), fieldNameLabel)
			} else {
				f.add(j, tok(in, j), "letter", "digit")
			}
			return "", j, false, false
		}
		if part := strings.TrimSpace(runeText(in, src, j, k)); j == i {
			name = part
		} else {
			name += "-" + part
		}
		j = k
		// A dash continues the name unless it starts a JSON arrow.
		if j+1 < len(in) && in[j] == '-' && in[j+1] != '>' {
			j++
			continue
		}
		if j+1 == len(in) && in[j] == '-' {
			j++
			continue
		}
		break
	}
	if name == "" {
		f.add(i, tok(in, i), fieldNameLabel)
		return "", j, false, false
	}
	return name, j, false, true
}

// quotedValue parses `"..."` at i, where a backslash escapes any character.
func quotedValue(in []rune, i int, f *failure) (string, int, bool) {
	var b strings.Builder
	j := i + 1
	for {
		if j >= len(in) {
			f.add(j, "", `"\\"`, `"\""`)
			return "", j, false
		}
		switch in[j] {
		case '"':
			return b.String(), j + 1, true
		case '\\':
			if j+1 >= len(in) {
				f.add(j+1, "")
				return "", j + 1, false
			}
			b.WriteRune(in[j+1])
			j += 2
		default:
			b.WriteRune(in[j])
			j++
		}
	}
}

// identifier parses PostgREST's pIdentifier (casts, text search
// configurations): one or more identifier characters, trimmed. src is
// asciiSource of the input.
func identifier(in []rune, src string, i int, f *failure) (string, int, bool) {
	j := i
	for j < len(in) && isIdentChar(in[j]) {
		j++
	}
	if j == i {
		f.add(i, tok(in, i), "letter", "digit")
		return "", i, false
	}
	return strings.TrimSpace(runeText(in, src, i, j)), j, true
}

// isJSONArrow reports whether a JSON path operator (-> or ->>) starts at i.
func isJSONArrow(in []rune, i int) bool {
	return i+1 < len(in) && in[i] == '-' && in[i+1] == '>'
}

// parseTreePath parses a query parameter key `rel.sub.field` into its
// embed path and field (PostgREST's pTreePath). Unlike PostgREST, trailing
// input is rejected rather than ignored.
func parseTreePath(key string) ([]string, string, *pgrsterr.Error) {
	path, field, steps, err := parseFilterKey(key)
	if err == nil && len(steps) > 0 {
		in := []rune(key)
		return nil, "", unsupported("failed to parse tree path ("+key+")", in, len(in)-len([]rune(jsonPathString(steps))), "JSON paths in this parameter are")
	}
	return path, field, err
}

// parseFilterKey parses a filter's key `rel.sub.field[->a->>b]`: the embed
// path, the field and the JSON path into it.
func parseFilterKey(key string) ([]string, string, []JSONStep, *pgrsterr.Error) {
	in, src := []rune(key), asciiSource(key)
	fail := func(f *failure) *pgrsterr.Error { return f.toError("failed to parse tree path ("+key+")", in) }
	// path holds the names before the last; most keys have one name only.
	var path []string
	i := 0
	for {
		var f failure
		name, j, quoted, ok := fieldName(in, src, i, &f)
		if !ok {
			return nil, "", nil, fail(&f)
		}
		if isJSONArrow(in, j) {
			steps, k, pathCont, ok := jsonPath(in, j, &f)
			if !ok {
				return nil, "", nil, fail(&f)
			}
			if k < len(in) {
				f.add(k, tok(in, k), append(pathCont, `"->>"`, `"->"`)...)
				f.addEOF(in, k)
				return nil, "", nil, fail(&f)
			}
			return path, name, steps, nil
		}
		if j < len(in) && in[j] == '.' {
			path = append(path, name)
			i = j + 1
			continue
		}
		if j < len(in) {
			if !quoted {
				f.add(j, tok(in, j), identCont...)
			}
			f.add(j, tok(in, j), `"->>"`, `"->"`, "delimiter (.)")
			f.addEOF(in, j)
			return nil, "", nil, fail(&f)
		}
		return path, name, nil, nil
	}
}

// parseColumns parses the `columns` and `on_conflict` lists: field names
// separated by commas (PostgREST's pColumns).
func parseColumns(param, raw string) ([]string, *pgrsterr.Error) {
	what := "failed to parse " + param + " parameter (" + raw + ")"
	in, src := []rune(raw), asciiSource(raw)
	var cols []string
	i := skipWS(in, 0)
	for {
		var f failure
		name, j, quoted, ok := fieldName(in, src, i, &f)
		if !ok {
			return nil, f.toError(what, in)
		}
		cols = append(cols, name)
		j = skipWS(in, j)
		if j < len(in) && in[j] == ',' {
			i = skipWS(in, j+1)
			continue
		}
		if j < len(in) {
			if !quoted {
				f.add(j, tok(in, j), identCont...)
			}
			f.add(j, tok(in, j), `","`)
			f.addEOF(in, j)
			return nil, f.toError(what, in)
		}
		return cols, nil
	}
}
