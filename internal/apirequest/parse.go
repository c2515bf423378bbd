package apirequest

import (
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/pgrest-lambda/pgrest-lambda/internal/pgrsterr"
)

// Parse turns an HTTP request into a Request, following PostgREST 13's
// ApiRequest stage and its order of checks: path (PGRST125), profile
// schema (PGRST106), method (PGRST101, PGRST117), query string (PGRST100,
// PGRST103, with the Range header), then the body (PGRST102).
//
// schemas is db-schemas; the first one is the default. The schema comes
// from Accept-Profile for GET, HEAD and OPTIONS (and unknown methods) and
// from Content-Profile for POST, PATCH, PUT and DELETE. body is read for
// POST /rpc/fn, whose JSON object (or form fields) become Args, and for
// POST, PATCH and PUT on a relation, whose JSON or CSV rows become the
// Payload (see parseWriteBody).
func Parse(r *http.Request, body []byte, schemas []string) (*Request, *pgrsterr.Error) {
	req := &Request{Method: r.Method, Path: r.URL.Path, RawQuery: r.URL.RawQuery, Headers: LowerHeaders(r.Header)}
	var err *pgrsterr.Error
	if req.Kind, req.Name, err = parsePath(r.URL); err != nil {
		return nil, err
	}
	if req.Schema, err = profileSchema(r, schemas); err != nil {
		return nil, err
	}
	if err = checkMethod(req.Kind, req.Method); err != nil {
		return nil, err
	}
	// OPTIONS resolves a routine like a GET, with the query-string arguments.
	rpcRead := req.Kind == TargetRoutine && (req.Method == http.MethodGet || req.Method == http.MethodHead || req.Method == http.MethodOptions)
	if err = parseQuery(req, r.URL.RawQuery, rpcRead); err != nil {
		return nil, err
	}
	req.Preferences = ParsePreferences(r.Header)
	req.Accept = ParseAccept(r.Header.Values("Accept"))
	if err = applyRange(req, r.Header); err != nil {
		return nil, err
	}
	contentType := r.Header.Get("Content-Type")
	switch {
	case req.Kind == TargetRoutine && req.Method == http.MethodPost:
		err = parseRPCBody(req, contentType, body)
	case req.Kind == TargetRelation:
		err = parseWriteBody(req, contentType, body)
	}
	if err != nil {
		return nil, err
	}
	return req, nil
}

// parseWriteBody reads the payload of POST, PATCH and PUT on a relation:
// JSON (no Content-Type counts as JSON), CSV or a form
// (application/x-www-form-urlencoded: one row of text values); any other
// type is PGRST102.
func parseWriteBody(req *Request, contentType string, body []byte) *pgrsterr.Error {
	switch req.Method {
	case http.MethodPost, http.MethodPatch, http.MethodPut:
	default:
		return nil
	}
	if contentType != "" {
		mt, _, err := mime.ParseMediaType(contentType)
		switch {
		case err == nil && mt == "text/csv":
			return parseCSVPayload(req, body)
		case err == nil && mt == "application/x-www-form-urlencoded":
			return parseFormPayload(req, body)
		case err != nil || (mt != "application/json" && mt != "application/vnd.pgrst.object+json"):
			return pgrsterr.InvalidBody("Content-Type not acceptable: " + contentType)
		}
	}
	return parsePayload(req, body)
}

// parsePath maps `/`, `/{name}` and `/rpc/{name}` to a target; segments are
// percent-decoded individually, so `%2F` stays inside a name. Anything
// else, including empty names and trailing slashes, is PGRST125.
func parsePath(u *url.URL) (TargetKind, string, *pgrsterr.Error) {
	raw := u.EscapedPath()
	if raw == "" || raw == "/" {
		return TargetRoot, "", nil
	}
	first, second, two := strings.Cut(strings.TrimPrefix(raw, "/"), "/")
	if two && strings.Contains(second, "/") {
		return 0, "", pgrsterr.InvalidPath()
	}
	name, ok := pathSegment(first)
	if !ok {
		return 0, "", pgrsterr.InvalidPath()
	}
	if !two {
		return TargetRelation, name, nil
	}
	if fn, ok := pathSegment(second); ok && name == "rpc" {
		return TargetRoutine, fn, nil
	}
	return 0, "", pgrsterr.InvalidPath()
}

// pathSegment percent-decodes one path segment; false when it is not
// valid or decodes to nothing.
func pathSegment(s string) (string, bool) {
	d, err := url.PathUnescape(s)
	return d, err == nil && d != ""
}

// profileSchema picks the schema named by the profile header, or the
// default one; a schema outside db-schemas is PGRST106.
func profileSchema(r *http.Request, schemas []string) (string, *pgrsterr.Error) {
	header := "Accept-Profile"
	switch r.Method {
	case http.MethodPost, http.MethodPatch, http.MethodPut, http.MethodDelete:
		header = "Content-Profile"
	}
	vals := r.Header.Values(header)
	if len(vals) == 0 {
		if len(schemas) == 0 {
			return "", nil
		}
		return schemas[0], nil
	}
	for _, s := range schemas {
		if s == vals[0] {
			return s, nil
		}
	}
	return "", pgrsterr.UnacceptableSchema(schemas)
}

// checkMethod rejects methods the target cannot serve: routines take GET,
// HEAD, POST and OPTIONS (else PGRST101); relations also PATCH, PUT and
// DELETE; the root only GET, HEAD and OPTIONS (else PGRST117).
func checkMethod(kind TargetKind, m string) *pgrsterr.Error {
	switch kind {
	case TargetRoutine:
		switch m {
		case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodOptions:
			return nil
		}
		return pgrsterr.InvalidRPCMethod(m)
	case TargetRelation:
		switch m {
		case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPatch,
			http.MethodPut, http.MethodDelete, http.MethodOptions:
			return nil
		}
	default:
		switch m {
		case http.MethodGet, http.MethodHead, http.MethodOptions:
			return nil
		}
	}
	return pgrsterr.UnsupportedMethod(m)
}

// LowerHeaders gives each header one value under its lower-case name,
// sorted by name (Request.Headers, and what LookupHeader searches):
// repeated headers are ", "-joined as HTTP combines them (RFC 9110 §5.3),
// which also restores a value API Gateway's adapter split at its commas
// (`X-Forwarded-For: a, b`); cookie headers are "; "-joined. The adapter's
// own X-GoLambdaProxy-* headers, which carry the event's request context,
// are not the client's and are left out.
func LowerHeaders(h http.Header) []Header {
	out := make([]Header, 0, len(h))
	for k, v := range h {
		switch {
		case len(v) == 0 || strings.HasPrefix(k, "X-Golambdaproxy-"):
		case k == "Cookie":
			// HTTP/2 clients and API Gateway HTTP API events send one
			// header per cookie; as one header they are "; "-joined.
			out = append(out, Header{Name: "cookie", Value: strings.Join(v, "; ")})
		default:
			out = append(out, Header{Name: lowerName(k), Value: strings.Join(v, ", ")})
		}
	}
	slices.SortFunc(out, func(a, b Header) int { return strings.Compare(a.Name, b.Name) })
	// Names net/http did not canonicalise may differ only in case: one of
	// them stands for the name, as when the headers were a map.
	return slices.CompactFunc(out, func(a, b Header) bool { return a.Name == b.Name })
}

// lowerName is strings.ToLower(k), a constant for the header names most
// requests carry (as net/http canonicalises them) so they cost nothing.
func lowerName(k string) string {
	switch k {
	case "Accept":
		return "accept"
	case "Accept-Encoding":
		return "accept-encoding"
	case "Accept-Language":
		return "accept-language"
	case "Accept-Profile":
		return "accept-profile"
	case "Authorization":
		return "authorization"
	case "Connection":
		return "connection"
	case "Content-Length":
		return "content-length"
	case "Content-Profile":
		return "content-profile"
	case "Content-Type":
		return "content-type"
	case "Host":
		return "host"
	case "Origin":
		return "origin"
	case "Prefer":
		return "prefer"
	case "Range":
		return "range"
	case "Referer":
		return "referer"
	case "User-Agent":
		return "user-agent"
	case "X-Forwarded-For":
		return "x-forwarded-for"
	case "X-Forwarded-Port":
		return "x-forwarded-port"
	case "X-Forwarded-Proto":
		return "x-forwarded-proto"
	case "X-Amzn-Trace-Id":
		return "x-amzn-trace-id"
	}
	return strings.ToLower(k)
}
