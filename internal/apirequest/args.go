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
// A JSON object body is also kept in RawBody, for the fallback to a single
// unnamed json or jsonb parameter. An empty JSON body means no arguments
// (and an empty object for such a parameter).
// Other JSON and other media types are PGRST102; arrays (bulk calls) are
// not supported.
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
	trimmed := bytes.TrimLeft(body, " \t\r\n")
	var obj map[string]json.RawMessage
	if len(trimmed) == 0 || trimmed[0] != '{' || json.Unmarshal(body, &obj) != nil {
		return pgrsterr.InvalidBody(invalidJSON)
	}
	req.Args = obj
	req.RawBody = &RawBody{Type: "json", Data: body}
	return nil
}

// rawBodyTypes maps a raw body's media type to the parameter type that
// receives it.
var rawBodyTypes = map[string]string{
	"text/plain":               "text",
	"text/xml":                 "xml",
	"application/octet-stream": "bytea",
}
