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

// jsonPath parses the JSON path steps starting at i (PostgREST's pJsonPath):
// `->` or `->>` followed by a key or an integer index. It returns the steps
// and the index after them; ok is false after recording the failure in f.
func jsonPath(in []rune, i int, f *failure) ([]JSONStep, int, bool) {
	var steps []JSONStep
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
		if k > j && (k == len(in) || !isIdentChar(in[k])) {
			st.Key, st.Index, i = string(in[i:k]), true, k
			steps = append(steps, st)
			continue
		}
		if j > i {
			// A sign starts an index only (PostgREST's pJIdx); the key
			// alternative fails earlier, at the sign.
			if k == j {
				f.add(j, tok(in, j), "digit")
			} else {
				f.add(k, tok(in, k), "digit", quote("->"), quote("::"), quote("."), quote(","))
				f.addEOF(in, k)
			}
			return nil, 0, false
		}
		var kf failure
		name, k, _, ok := fieldName(in, i, &kf)
		if !ok {
			if kf.pos == i {
				// Neither an index (a sign or a digit) nor a key.
				var nf failure
				nf.add(i, tok(in, i), quote("-"), "digit")
				nf.merge(kf)
				kf = nf
			}
			f.merge(kf)
			return nil, 0, false
		}
		st.Key, i = name, k
		steps = append(steps, st)
	}
	return steps, i, true
}

// JSONKey is the output key PostgREST gives a JSON path selection: its
// last object key, or the column name when the path ends with an index.
func JSONKey(column string, steps []JSONStep) string {
	if n := len(steps); n > 0 && !steps[n-1].Index {
		return steps[n-1].Key
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
