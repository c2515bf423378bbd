package apirequest

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"io"
	"unicode/utf8"

	"github.com/pgrest-lambda/pgrest-lambda/internal/pgrsterr"
)

// keysMismatch is PostgREST's PGRST102 message for a JSON array whose
// objects do not all have the same keys.
const keysMismatch = "All object keys must match"

// parsePayload reads the JSON body of a write into req.Payload, as
// PostgREST's payload parsing (payloadAttributes): a JSON object or an
// array of objects; an empty array is no rows. Without the `columns`
// parameter every element of an array must be an object with the same keys
// ("All object keys must match"), and any other JSON value is no rows, as
// PostgREST truncates it to an empty array. Input that is not JSON is
// PGRST102 "Empty or invalid json". With `columns`, the keys are those
// columns, other keys of the objects are ignored and the body must be an
// object or an array of objects.
func parsePayload(req *Request, body []byte) *pgrsterr.Error {
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
		if req.Columns != nil || !json.Valid(trimmed) {
			return pgrsterr.InvalidBody(invalidJSON)
		}
		objs = []json.RawMessage{}
	}
	var keys []string
	for i, raw := range objs {
		k, ok := objectKeys(raw)
		if !ok {
			if req.Columns == nil && trimmed[0] == '[' {
				// An element that is not an object (the array is valid JSON).
				return pgrsterr.InvalidBody(keysMismatch)
			}
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

// fieldsMismatch is PostgREST's PGRST102 message for a CSV body whose rows
// do not all have the same fields.
const fieldsMismatch = "All lines must have same number of fields"

// parseCSVPayload reads a text/csv body of a write into req.Payload as the
// JSON array PostgREST turns it into: the first line names the columns and
// each following line is an object of those columns. Every value is a
// string except the unquoted or quoted literal NULL, which is null; an
// empty field is the empty string. A repeated name keeps its last field.
// Every line must have exactly the header's number of fields, else
// PGRST102 "All lines must have same number of fields": a short line
// would write defaults the client did not send and a long one lose
// values. Bytes that are not UTF-8 are PGRST102 too, as in JSON bodies,
// rather than stored as U+FFFD. Quoting follows RFC 4180 and empty lines
// are skipped. A header with no lines is no rows. The `columns` parameter
// does not apply to CSV.
func parseCSVPayload(req *Request, body []byte) *pgrsterr.Error {
	if !utf8.Valid(body) {
		return pgrsterr.InvalidBody("parse error (the body is not valid UTF-8)")
	}
	r := csv.NewReader(bytes.NewReader(body))
	r.FieldsPerRecord = -1
	header, err := r.Read()
	if errors.Is(err, io.EOF) {
		return pgrsterr.InvalidBody("parse error (not enough input)")
	}
	if err != nil {
		return pgrsterr.InvalidBody("parse error (" + err.Error() + ")")
	}
	var keys []string
	var arr bytes.Buffer
	arr.WriteByte('[')
	rows := 0
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return pgrsterr.InvalidBody("parse error (" + err.Error() + ")")
		}
		if len(rec) != len(header) {
			return pgrsterr.InvalidBody(fieldsMismatch)
		}
		rowKeys, obj := csvObject(header, rec)
		switch {
		case rows == 0:
			keys = rowKeys
		case !sameKeys(keys, rowKeys):
			return pgrsterr.InvalidBody(fieldsMismatch)
		}
		if rows > 0 {
			arr.WriteByte(',')
		}
		arr.Write(obj)
		rows++
	}
	arr.WriteByte(']')
	if keys == nil {
		keys = []string{}
	}
	req.Payload = &Payload{Keys: keys, JSON: arr.Bytes(), Rows: rows}
	return nil
}

// csvObject pairs a CSV line's fields with the header's names and returns
// the names it gives, in header order, and the line as a JSON object.
func csvObject(header, rec []string) (keys []string, obj []byte) {
	n := min(len(header), len(rec))
	last := make(map[string]int, n)
	keys = make([]string, 0, n)
	for i := range n {
		if _, seen := last[header[i]]; !seen {
			keys = append(keys, header[i])
		}
		last[header[i]] = i
	}
	var b bytes.Buffer
	b.WriteByte('{')
	for i, k := range keys {
		if i > 0 {
			b.WriteByte(',')
		}
		name, _ := json.Marshal(k)
		b.Write(name)
		b.WriteByte(':')
		v := rec[last[k]]
		if v == "NULL" {
			b.WriteString("null")
			continue
		}
		val, _ := json.Marshal(v)
		b.Write(val)
	}
	b.WriteByte('}')
	return keys, b.Bytes()
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

// parseFormPayload reads an application/x-www-form-urlencoded body of a
// write into req.Payload as PostgREST does: one row whose values are the
// fields' text, a name given more than once keeping its last value. An
// empty form is one row without columns.
func parseFormPayload(req *Request, body []byte) *pgrsterr.Error {
	if !utf8.Valid(body) {
		return pgrsterr.InvalidBody(invalidJSON)
	}
	var keys []string
	vals := map[string]string{}
	for _, p := range splitQuery(string(body)) {
		if _, seen := vals[p.key]; !seen {
			keys = append(keys, p.key)
		}
		vals[p.key] = p.value
	}
	var b bytes.Buffer
	b.WriteString("[{")
	for i, k := range keys {
		if i > 0 {
			b.WriteByte(',')
		}
		name, _ := json.Marshal(k)
		val, _ := json.Marshal(vals[k])
		b.Write(name)
		b.WriteByte(':')
		b.Write(val)
	}
	b.WriteString("}]")
	if keys == nil {
		keys = []string{}
	}
	req.Payload = &Payload{Keys: keys, JSON: b.Bytes(), Rows: 1}
	return nil
}
