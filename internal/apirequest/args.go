package apirequest

import (
	"bytes"
	"encoding/json"
	"mime"

	"github.com/pgrest-lambda/pgrest-lambda/internal/pgrsterr"
)

// invalidJSON is PostgREST's PGRST102 message for a body that is not the
// JSON a request needs.
const invalidJSON = "Empty or invalid json"

// stringArgs encodes text arguments as JSON: a string, or an array of
// strings when the name was given more than once.
func stringArgs(names []string, vals map[string][]string) map[string]json.RawMessage {
	args := make(map[string]json.RawMessage, len(names))
	for _, n := range names {
		var b []byte
		if vs := vals[n]; len(vs) == 1 {
			b, _ = json.Marshal(vs[0])
		} else {
			b, _ = json.Marshal(vs)
		}
		args[n] = b
	}
	return args
}

// parseRPCBody reads the body of POST /rpc/fn, as PostgREST's payload
// rules for routines:
//   - a JSON object: its keys with their raw values become Args; with
//     `Prefer: params=single-object` any JSON value is kept whole in
//     RawBody instead, for a routine taking one json or jsonb parameter;
//   - form-urlencoded fields become Args as strings;
//   - text/plain, text/xml and application/octet-stream bodies are kept in
//     RawBody, for a routine with a single unnamed text, xml or bytea
//     parameter.
//
// A JSON body is also kept in RawBody, for the fallback to a single
// unnamed json or jsonb parameter. An empty JSON body means no arguments
// (and an empty object for such a parameter). As PostgREST reads the
// arguments from the first row of the payload: an array of objects (with
// the same keys, else "All object keys must match") gives the first
// object's; any other JSON value none. A text/csv body is the array of its
// lines. With the `columns` parameter the arguments are those columns,
// other keys ignored and missing ones null. Other media types are PGRST102.
func parseRPCBody(req *Request, contentType string, body []byte) *pgrsterr.Error {
	mt := "application/json"
	if contentType != "" {
		var err error
		if mt, _, err = mime.ParseMediaType(contentType); err != nil {
			return pgrsterr.InvalidBody("Content-Type not acceptable: " + contentType)
		}
	}
	req.Args = map[string]json.RawMessage{}
	switch mt {
	case "application/x-www-form-urlencoded":
		var names []string
		vals := map[string][]string{}
		for _, p := range splitQuery(string(body)) {
			if _, seen := vals[p.key]; !seen {
				names = append(names, p.key)
			}
			vals[p.key] = append(vals[p.key], p.value)
		}
		req.Args, req.TextArgs = stringArgs(names, vals), true
		return nil
	case "text/plain", "text/xml", "application/octet-stream":
		req.RawBody = &RawBody{Type: rawBodyTypes[mt], Data: body}
		return nil
	case "text/csv":
		// PostgREST reads it as the JSON array of its lines.
		var lines Request
		if err := parseCSVPayload(&lines, body); err != nil {
			return err
		}
		body = lines.Payload.JSON
	case "application/json", "application/vnd.pgrst.object+json":
	default:
		return pgrsterr.InvalidBody("Content-Type not acceptable: " + contentType)
	}
	if len(body) == 0 {
		req.RawBody = &RawBody{Type: "json"}
		return nil
	}
	if req.Preferences.Params == "single-object" {
		if !json.Valid(body) {
			return pgrsterr.InvalidBody(invalidJSON)
		}
		req.RawBody = &RawBody{Type: "json", Data: body}
		return nil
	}
	obj, err := firstObject(req, body)
	if err != nil {
		return err
	}
	if req.Columns != nil {
		picked := make(map[string]json.RawMessage, len(req.Columns))
		for _, c := range req.Columns {
			if v, ok := obj[c]; ok {
				picked[c] = v
			} else {
				picked[c] = json.RawMessage("null")
			}
		}
		obj = picked
	}
	req.Args = obj
	req.RawBody = &RawBody{Type: "json", Data: body}
	return nil
}

// firstObject is the object a routine's arguments come from: the body
// itself, the first element of an array of objects, or none (an empty
// object) for an empty array or any other JSON value. Without `columns`
// the elements of an array must be objects with the same keys.
func firstObject(req *Request, body []byte) (map[string]json.RawMessage, *pgrsterr.Error) {
	trimmed := bytes.TrimSpace(body)
	if !json.Valid(trimmed) {
		return nil, pgrsterr.InvalidBody(invalidJSON)
	}
	obj := map[string]json.RawMessage{}
	switch trimmed[0] {
	case '{':
		if json.Unmarshal(trimmed, &obj) != nil {
			return nil, pgrsterr.InvalidBody(invalidJSON)
		}
	case '[':
		var elems []json.RawMessage
		if json.Unmarshal(trimmed, &elems) != nil {
			return nil, pgrsterr.InvalidBody(invalidJSON)
		}
		var keys []string
		for i, el := range elems {
			k, ok := objectKeys(el)
			switch {
			case !ok && req.Columns == nil:
				return nil, pgrsterr.InvalidBody(keysMismatch)
			case !ok:
				return nil, pgrsterr.InvalidBody(invalidJSON)
			case i == 0:
				keys = k
				if json.Unmarshal(el, &obj) != nil {
					return nil, pgrsterr.InvalidBody(invalidJSON)
				}
			case req.Columns == nil && !sameKeys(keys, k):
				return nil, pgrsterr.InvalidBody(keysMismatch)
			}
		}
	}
	return obj, nil
}

// rawBodyTypes maps a raw body's media type to the parameter type that
// receives it.
var rawBodyTypes = map[string]string{
	"text/plain":               "text",
	"text/xml":                 "xml",
	"application/octet-stream": "bytea",
}
