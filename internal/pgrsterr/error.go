package pgrsterr

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// Error is a client-facing error. Details and Hint are nil (JSON null) when
// absent; Details may also be a JSON array (PGRST201).
type Error struct {
	// Status is the HTTP status code.
	Status int
	// Code is a PGRST### code or a PostgreSQL SQLSTATE.
	Code    string
	Message string
	Details any
	Hint    any
	// Headers are extra response headers the error requires (Retry-After, WWW-Authenticate).
	Headers map[string]string
	// Cause is the underlying failure, for the server's log only: it is
	// never part of the response. nil for most errors.
	Cause error
}

// retryAfter is the Retry-After of a 503, in seconds: never 0, so
// clients that honour it do not retry in a tight loop.
const retryAfter = "1"

// Error implements error with "CODE: message".
func (e *Error) Error() string { return e.Code + ": " + e.Message }

// MarshalJSON encodes the body with PostgREST's key order.
func (e *Error) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteString(`{"code":`)
	writeJSON(&b, e.Code)
	b.WriteString(`,"details":`)
	writeJSON(&b, e.Details)
	b.WriteString(`,"hint":`)
	writeJSON(&b, e.Hint)
	b.WriteString(`,"message":`)
	writeJSON(&b, e.Message)
	b.WriteByte('}')
	return b.Bytes(), nil
}

// Body returns the JSON body of the error.
func (e *Error) Body() []byte {
	b, _ := e.MarshalJSON()
	return b
}

func writeJSON(b *bytes.Buffer, v any) {
	if s, ok := v.(*string); ok {
		if s == nil {
			v = nil
		} else {
			v = *s
		}
	}
	enc := json.NewEncoder(b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		b.WriteString("null")
		return
	}
	b.Truncate(b.Len() - 1) // Encode appends a newline
}

func newErr(status int, code, message string, details, hint any) *Error {
	return &Error{Status: status, Code: code, Message: message, Details: details, Hint: hint}
}

// ParseError is PGRST100 (400): the query string could not be parsed.
// message names what failed ("failed to parse select parameter (...)"),
// details points at the unexpected input.
func ParseError(message, details string) *Error {
	return newErr(400, "PGRST100", message, details, nil)
}

// InvalidRPCMethod is PGRST101 (405): /rpc/fn with a method other than GET, HEAD, POST or OPTIONS.
func InvalidRPCMethod(method string) *Error {
	return newErr(405, "PGRST101", fmt.Sprintf("Cannot use the %s method on RPC", method), nil, nil)
}

// InvalidBody is PGRST102 (400): the request body is not the JSON the request needs.
func InvalidBody(message string) *Error {
	return newErr(400, "PGRST102", message, nil, nil)
}

// BodyTooLarge is PGRST102 with status 413: the request body is longer
// than limit bytes. The body is refused whole, never truncated.
func BodyTooLarge(limit int) *Error {
	return newErr(413, "PGRST102", "Request body too large",
		fmt.Sprintf("The request body exceeds the limit of %d bytes", limit), nil)
}

// ResponseTooLarge is PGRSTX00 (500): the response body is longer than
// limit bytes (PGRST_LIMIT_RESPONSE_BYTES; Lambda's response payload
// limit), so it is not sent.
func ResponseTooLarge(size, limit int) *Error {
	return newErr(500, "PGRSTX00", "The response is too large",
		fmt.Sprintf("The response body has %d bytes; the limit is %d (PGRST_LIMIT_RESPONSE_BYTES)", size, limit),
		"Ask for fewer rows (limit, Range) or fewer columns (select)")
}

// UnacceptableSchema is PGRST106 (406): a profile header names a schema
// outside db-schemas. The message follows the seed documents (PostgREST
// ≤ 13.0.6 wording): "The schema must be one of the following: a, b".
func UnacceptableSchema(schemas []string) *Error {
	return newErr(406, "PGRST106", "The schema must be one of the following: "+join(schemas), nil, nil)
}

// UnsupportedMethod is PGRST117 (405): a method the target does not support.
func UnsupportedMethod(method string) *Error {
	return newErr(405, "PGRST117", "Unsupported HTTP method: "+method, nil, nil)
}

// InvalidPath is PGRST125 (404): a path that is not /, /{relation} or /rpc/{fn}.
func InvalidPath() *Error {
	return newErr(404, "PGRST125", "Invalid path specified in request URL", nil, nil)
}

// SchemaCacheEmpty is PGRST002 (503) with a Retry-After header: no schema
// cache could be loaded (PostgREST: "Could not query the database for the
// schema cache. Retrying.").
func SchemaCacheEmpty() *Error {
	e := newErr(503, "PGRST002", "Could not query the database for the schema cache. Retrying.", nil, nil)
	e.Headers = map[string]string{"Retry-After": retryAfter}
	return e
}

// ConnectionError is PGRST000 (503): the database could not be reached.
// details says what failed in words of its own, never the driver's
// message, which names the user, database, host and port; cause is kept
// for the log.
func ConnectionError(details string, cause error) *Error {
	e := newErr(503, "PGRST000", "Database connection error.", details, nil)
	e.Headers = map[string]string{"Retry-After": retryAfter}
	e.Cause = cause
	return e
}

// ClientError is PGRST001 (503): the connection failed while a request
// ran (closed, reset, a protocol error), as PostgREST's "Database client
// error". cause is kept for the log, never sent.
func ClientError(cause error) *Error {
	e := newErr(503, "PGRST001", "Database client error. Retrying the connection.", nil, nil)
	e.Headers = map[string]string{"Retry-After": retryAfter}
	e.Cause = cause
	return e
}

// AnonDisabled is PGRST302 (401): no credentials and no db-anon-role.
func AnonDisabled() *Error {
	e := newErr(401, "PGRST302", "Anonymous access is disabled", nil, nil)
	e.Headers = map[string]string{"WWW-Authenticate": "Bearer"}
	return e
}

// Internal is a 500 for failures that are neither the client's nor
// PostgreSQL's; the message is generic so no Go error string leaks.
func Internal(details string) *Error {
	return newErr(500, "PGRSTX00", "Internal server error", details, nil)
}

func join(ss []string) string {
	var b bytes.Buffer
	for i, s := range ss {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(s)
	}
	return b.String()
}

// OpenAPIDisabled is PGRST126 (404): the root endpoint serves no OpenAPI description.
func OpenAPIDisabled() *Error {
	return newErr(404, "PGRST126", "Root endpoint metadata is disabled", nil, nil)
}

// NotImplemented is PGRST127 (400): PostgREST syntax this server does not
// support; details names the feature.
func NotImplemented(feature string) *Error {
	return newErr(400, "PGRST127", "Feature not implemented", feature, nil)
}
