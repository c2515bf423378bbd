package apirequest

import "strings"

// JSONStep is one step of a JSON path: `->key`, `->>key` or `->0`.
type JSONStep struct {
	// Text is true for `->>` (the result is text), false for `->` (json).
	Text bool
	// Key is the object key, or the array index as written when Index is true.
	Key string
	// Index is true when Key is an array index (an optionally negative integer).
	Index bool
}

// jsonKeyLabel is PostgREST's description of a JSON key (pJsonKeyName).
const jsonKeyLabel = "any non reserved character different from: .,>()"

// jsonKeyReserved are the characters that end an unquoted JSON key.
const jsonKeyReserved = "(-:.,>)"

// jsonPath parses the JSON path steps starting at i (PostgREST's pJsonPath):
// `->` or `->>` followed by an integer index or a key. An index is an
// optionally negative integer that `->`, `::`, `.`, `,` or the end of the
// input follows (pJIdx); anything else is a key (pJsonKeyName): a
// double-quoted key, or runs of any characters but `(-:.,>)`, each
// trimmed, joined by dashes that do not start an arrow, so keys such as
// `!@#$%^&*_d` or `@type` need no quotes. It returns the steps, the index
// after them and what could have continued the last step (for messages);
// ok is false after recording the failure in f.
func jsonPath(in []rune, i int, f *failure) (steps []JSONStep, end int, cont []string, ok bool) {
	for isJSONArrow(in, i) {
		st := JSONStep{}
		i += 2
		if i < len(in) && in[i] == '>' {
			st.Text, i = true, i+1
		}
		j := i
		if j < len(in) && in[j] == '-' {
			j++
		}
		k := j
		for k < len(in) && in[k] >= '0' && in[k] <= '9' {
			k++
		}
		if k > j && indexEnds(in, k) {
			st.Key, st.Index, i = string(in[i:k]), true, k
			steps, cont = append(steps, st), nil
			continue
		}
		// The index alternative failed: at the sign without digits, or
		// after the digits where none of its endings follows.
		var idx failure
		if k == j {
			idx.add(j, tok(in, j), "digit")
		} else {
			idx.add(k, tok(in, k), "digit", quote("->"), quote("::"), quote("."), quote(","))
			idx.addEOF(in, k)
		}
		if j > i {
			// A sign starts an index only; the key fails at the sign,
			// before the index's failure.
			f.merge(idx)
			return nil, 0, nil, false
		}
		var kf failure
		key, k, quoted, ok := jsonKeyName(in, i, &kf)
		if !ok {
			if kf.pos == i {
				var nf failure
				nf.add(i, tok(in, i), quote("-"))
				nf.merge(idx)
				nf.merge(kf)
				kf = nf
			}
			f.merge(kf)
			return nil, 0, nil, false
		}
		st.Key, i = key, k
		steps = append(steps, st)
		cont = nil
		if !quoted {
			cont = []string{quote("-")}
		}
	}
	return steps, i, cont, true
}

// indexEnds reports whether an array index may end at k: PostgREST's pJIdx
// takes digits as an index only when `->`, `::`, `.`, `,` or the end of
// the input follows.
func indexEnds(in []rune, k int) bool {
	if k == len(in) {
		return true
	}
	switch in[k] {
	case '.', ',':
		return true
	case '-':
		return k+1 < len(in) && in[k+1] == '>'
	case ':':
		return k+1 < len(in) && in[k+1] == ':'
	}
	return false
}

// jsonKeyName parses PostgREST's pJsonKeyName at i: a double-quoted key
// (backslash escapes), or runs of characters other than `(-:.,>)`, each
// trimmed, joined by dashes that do not start an arrow. It returns the
// key, the index after it and whether it was quoted; ok is false after
// recording the failure.
func jsonKeyName(in []rune, i int, f *failure) (key string, end int, quoted, ok bool) {
	if i < len(in) && in[i] == '"' {
		s, j, ok := quotedValue(in, i, f)
		return s, j, true, ok
	}
	var parts []string
	j := i
	for {
		k := j
		for k < len(in) && !strings.ContainsRune(jsonKeyReserved, in[k]) {
			k++
		}
		if k == j {
			if j == i {
				f.add(i, tok(in, i), jsonKeyLabel)
			} else {
				f.add(j, tok(in, j))
			}
			return "", j, false, false
		}
		parts = append(parts, strings.TrimSpace(string(in[j:k])))
		j = k
		// A dash goes on with the key unless it starts an arrow.
		if j < len(in) && in[j] == '-' && (j+1 == len(in) || in[j+1] != '>') {
			j++
			continue
		}
		break
	}
	return strings.Join(parts, "-"), j, false, true
}

// JSONKey is the output key PostgREST gives a JSON path selection: the
// path's last object key, even when indexes follow it (`data->c->>0` is
// "c"), or the column name when the path has indexes only.
func JSONKey(column string, steps []JSONStep) string {
	for i := len(steps) - 1; i >= 0; i-- {
		if !steps[i].Index {
			return steps[i].Key
		}
	}
	return column
}

// jsonPathString renders steps back to URL form, for messages.
func jsonPathString(steps []JSONStep) string {
	var b strings.Builder
	for _, s := range steps {
		if s.Text {
			b.WriteString("->>")
		} else {
			b.WriteString("->")
		}
		b.WriteString(s.Key)
	}
	return b.String()
}
