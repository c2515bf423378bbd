package pgrsterr

import (
	"encoding/json"
	"strings"
)

// raisedPGRST is the error of `RAISE SQLSTATE 'PGRST' USING message = m,
// detail = d`, as PostgREST: m is the JSON error body
// (`{"code","message"}` required, `"details","hint"` optional) and d gives
// the HTTP side (`{"status": N, "headers": {...}}`; PostgREST's optional
// "status_text" is accepted but unused, API Gateway keeps its own reason
// phrases). JSON that does not fit is PGRST121 (500), saying which part.
func raisedPGRST(m, d string) *Error {
	var msg struct {
		Code    *string `json:"code"`
		Message *string `json:"message"`
		Details *string `json:"details"`
		Hint    *string `json:"hint"`
	}
	if json.Unmarshal([]byte(m), &msg) != nil || msg.Code == nil || msg.Message == nil {
		return raiseParseError("Invalid JSON value for MESSAGE: '"+m+"'",
			"MESSAGE must be a JSON object with obligatory keys: 'code', 'message' and optional keys: 'details', 'hint'.")
	}
	const detHint = "DETAIL must be a JSON object with obligatory keys: 'status', 'headers' and optional key: 'status_text'."
	if d == "" {
		return raiseParseError("DETAIL is missing in the RAISE statement", detHint)
	}
	var det struct {
		Status     *int              `json:"status"`
		StatusText *string           `json:"status_text"`
		Headers    map[string]string `json:"headers"`
	}
	if json.Unmarshal([]byte(d), &det) != nil || det.Status == nil || det.Headers == nil || !safeHeaders(det.Headers) || *det.Status < 100 || *det.Status > 599 {
		return raiseParseError("Invalid JSON value for DETAIL: '"+d+"'", detHint)
	}
	e := &Error{Status: *det.Status, Code: *msg.Code, Message: *msg.Message}
	if msg.Details != nil {
		e.Details = *msg.Details
	}
	if msg.Hint != nil {
		e.Hint = *msg.Hint
	}
	if len(det.Headers) > 0 {
		e.Headers = det.Headers
	}
	return e
}

// safeHeaders reports whether every header of h is ValidHeader.
func safeHeaders(h map[string]string) bool {
	for k, v := range h {
		if !ValidHeader(k, v) {
			return false
		}
	}
	return true
}

// ValidHeader reports whether name is an HTTP token and value has no line
// break or NUL that would split or end the header: what a header set from
// SQL (response.headers, a PGRST error's detail) must be to be sent.
func ValidHeader(name, value string) bool {
	if name == "" || strings.ContainsAny(value, "\r\n\x00") {
		return false
	}
	for i := 0; i < len(name); i++ {
		if c := name[i]; c <= ' ' || c >= 0x7f || strings.IndexByte(`"(),/:;<=>?@[\]{}`, c) >= 0 {
			return false
		}
	}
	return true
}

func raiseParseError(details, hint string) *Error {
	return newErr(500, "PGRST121", `Could not parse JSON in the "RAISE SQLSTATE 'PGRST'" error`, details, hint)
}
