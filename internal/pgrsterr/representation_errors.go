package pgrsterr

import (
	"strconv"
	"strings"
)

// The 416 details PostgREST gives for an unsatisfiable range.
const (
	rangeMessage = "Requested range not satisfiable"
	lowerGTUpper = "The lower boundary must be lower than or equal to the upper boundary in the Range header."
)

// RangeLowerGTUpper is PGRST103 (416): a Range header whose first item is
// past its last one.
func RangeLowerGTUpper() *Error {
	return newErr(416, "PGRST103", rangeMessage, lowerGTUpper, nil)
}

// RangeOutOfBounds is PGRST103 (416): an offset past the counted rows.
// PostgREST sends it as the body of an otherwise normal response, so only
// the body is used (see response.Read).
func RangeOutOfBounds(offset, total int64) *Error {
	return newErr(416, "PGRST103", rangeMessage,
		"An offset of "+strconv.FormatInt(offset, 10)+" was requested, but there are only "+
			strconv.FormatInt(total, 10)+" rows.", nil)
}

// MediaTypeUnavailable is PGRST107 (406): no entry of the Accept header can
// be produced. mimes are the requested media types in negotiation order.
func MediaTypeUnavailable(mimes []string) *Error {
	return newErr(406, "PGRST107", "None of these media types are available: "+strings.Join(mimes, ", "), nil, nil)
}

// NotSingular is PGRST116 (406): application/vnd.pgrst.object+json was
// requested but the result has rows rows.
func NotSingular(rows int64) *Error {
	return newErr(406, "PGRST116", "Cannot coerce the result to a single JSON object",
		"The result contains "+strconv.FormatInt(rows, 10)+" rows", nil)
}

// InvalidPreferences is PGRST122 (400): `Prefer: handling=strict` with
// preferences the server does not recognise.
func InvalidPreferences(prefs []string) *Error {
	return newErr(400, "PGRST122", "Invalid preferences given with handling=strict",
		"Invalid preferences: "+strings.Join(prefs, ", "), nil)
}

// InvalidGucHeaders is PGRST111 (500): the response.headers setting left
// by the statement is not a JSON array of one-key objects with string values.
func InvalidGucHeaders() *Error {
	return newErr(500, "PGRST111",
		"response.headers guc must be a JSON array composed of objects with a single key and a string value", nil, nil)
}

// InvalidGucStatus is PGRST112 (500): the response.status setting left by
// the statement is not a status code.
func InvalidGucStatus() *Error {
	return newErr(500, "PGRST112", "response.status guc must be a valid status code", nil, nil)
}
