package response

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"

	"github.com/pgrest-lambda/pgrest-lambda/internal/maintx"
	"github.com/pgrest-lambda/pgrest-lambda/internal/pgrsterr"
)

// withGUCs applies the response.status and response.headers settings a
// routine or trigger left, as PostgREST's overrideStatusHeaders: the status
// replaces r's, and each header named in the settings replaces r's headers
// of that name. Invalid settings give PGRST111 or PGRST112 instead.
func withGUCs(r *Response, res *maintx.Result) *Response {
	if res.GucStatus == nil && res.GucHeaders == nil {
		return r
	}
	if res.GucStatus != nil {
		code, err := strconv.Atoi(strings.TrimSpace(*res.GucStatus))
		if err != nil || code < 100 || code > 599 {
			return Error(pgrsterr.InvalidGucStatus())
		}
		r.Status = code
	}
	if res.GucHeaders != nil {
		hs, ok := parseGucHeaders(*res.GucHeaders)
		if !ok {
			return Error(pgrsterr.InvalidGucHeaders())
		}
		for _, kv := range hs {
			r.Headers.Del(kv[0])
		}
		for _, kv := range hs {
			r.Headers.Add(kv[0], kv[1])
		}
	}
	return r
}

// parseGucHeaders reads `[{"Name": "value"}, ...]`; false when the text
// has any other shape.
func parseGucHeaders(text string) ([][2]string, bool) {
	var objs []map[string]json.RawMessage
	if json.Unmarshal([]byte(text), &objs) != nil {
		return nil, false
	}
	out := make([][2]string, 0, len(objs))
	for _, o := range objs {
		if len(o) != 1 {
			return nil, false
		}
		for k, raw := range o {
			var v string
			if json.Unmarshal(raw, &v) != nil || !pgrsterr.ValidHeader(k, v) {
				return nil, false
			}
			out = append(out, [2]string{http.CanonicalHeaderKey(k), v})
		}
	}
	return out, true
}
