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

// parseRPCBody sets Args from the body of POST /rpc/fn: the keys of a JSON
// object with their raw values, or the fields of a form-urlencoded body.
// An empty body means no arguments. Anything else is PGRST102; arrays
// (bulk calls) are not supported yet.
func parseRPCBody(req *Request, contentType string, body []byte) *pgrsterr.Error {
	if mt, _, err := mime.ParseMediaType(contentType); err == nil && mt == "application/x-www-form-urlencoded" {
		var names []string
		vals := map[string][]string{}
		for _, p := range splitQuery(string(body)) {
			if _, seen := vals[p.key]; !seen {
				names = append(names, p.key)
			}
			vals[p.key] = append(vals[p.key], p.value)
		}
		req.Args = stringArgs(names, vals)
		return nil
	}
	if len(body) == 0 {
		req.Args = map[string]json.RawMessage{}
		return nil
	}
	trimmed := bytes.TrimLeft(body, " \t\r\n")
	var obj map[string]json.RawMessage
	if len(trimmed) == 0 || trimmed[0] != '{' || json.Unmarshal(body, &obj) != nil {
		return pgrsterr.InvalidBody(invalidJSON)
	}
	req.Args = obj
	return nil
}
