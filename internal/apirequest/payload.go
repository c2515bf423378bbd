package apirequest

import (
	"bytes"
	"encoding/json"

	"github.com/pgrest-lambda/pgrest-lambda/internal/pgrsterr"
)

// keysMismatch is PostgREST's PGRST102 message for a JSON array whose
// objects do not all have the same keys.
const keysMismatch = "All object keys must match"

// ParsePayload reads the JSON body of a write into req.Payload, as
// PostgREST's payload parsing: a JSON object or an array of objects; an
// empty array is no rows. Without the `columns` parameter every object must
// have the same keys ("All object keys must match"); anything else is
// PGRST102 "Empty or invalid json". With `columns`, the keys are those
// columns and other keys of the objects are ignored.
func ParsePayload(req *Request, body []byte) *pgrsterr.Error {
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 {
		return pgrsterr.InvalidBody(invalidJSON)
	}
	var objs []json.RawMessage
	switch trimmed[0] {
	case '{':
		objs = []json.RawMessage{trimmed}
	case '[':
		if json.Unmarshal(trimmed, &objs) != nil {
			return pgrsterr.InvalidBody(invalidJSON)
		}
	default:
		return pgrsterr.InvalidBody(invalidJSON)
	}
	var keys []string
	for i, raw := range objs {
		k, ok := objectKeys(raw)
		if !ok {
			return pgrsterr.InvalidBody(invalidJSON)
		}
		switch {
		case req.Columns != nil:
		case i == 0:
			keys = k
		case !sameKeys(keys, k):
			return pgrsterr.InvalidBody(keysMismatch)
		}
	}
	if req.Columns != nil {
		keys = req.Columns
	}
	arr, err := json.Marshal(objs)
	if err != nil {
		return pgrsterr.InvalidBody(invalidJSON)
	}
	if keys == nil {
		keys = []string{}
	}
	req.Payload = &Payload{Keys: keys, JSON: arr, Rows: len(objs)}
	return nil
}

// objectKeys returns the keys of a JSON object in document order (the
// first occurrence of a repeated key); ok is false when raw is not an object.
func objectKeys(raw json.RawMessage) (keys []string, ok bool) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil, false
	}
	seen := map[string]bool{}
	keys = []string{}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return nil, false
		}
		k, isStr := t.(string)
		if !isStr {
			return nil, false
		}
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, false
		}
		if !seen[k] {
			seen[k] = true
			keys = append(keys, k)
		}
	}
	if t, err := dec.Token(); err != nil || t != json.Delim('}') {
		return nil, false
	}
	if _, err := dec.Token(); err == nil {
		return nil, false // trailing data after the object
	}
	return keys, true
}

// sameKeys reports whether a and b hold the same set of keys.
func sameKeys(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	set := make(map[string]bool, len(a))
	for _, k := range a {
		set[k] = true
	}
	for _, k := range b {
		if !set[k] {
			return false
		}
	}
	return true
}
