package pgrsterr

import (
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
)

// FromPg maps a PostgreSQL error to a response as PostgREST's mapSQLtoHTTP
// does: the SQLSTATE is the code, PostgreSQL's message, detail and hint are
// passed through, and the status follows the SQLSTATE. authenticated tells
// whether the request ran as a role other than the anon role (42501 is then
// 403 rather than 401). SQLSTATE PGRST is a custom error (raisedPGRST).
func FromPg(pe *pgconn.PgError, authenticated bool) *Error {
	if pe.Code == "PGRST" {
		return raisedPGRST(pe.Message, pe.Detail)
	}
	e := &Error{Status: pgStatus(pe, authenticated), Code: pe.Code, Message: pe.Message}
	if pe.Detail != "" {
		e.Details = pe.Detail
	}
	if pe.Hint != "" {
		e.Hint = pe.Hint
	}
	switch {
	case e.Status == 503:
		e.Headers = map[string]string{"Retry-After": retryAfter}
	case e.Status == 401:
		e.Headers = map[string]string{"WWW-Authenticate": "Bearer"}
	}
	return e
}

// pgStatus is PostgREST's SQLSTATE → HTTP status table.
func pgStatus(pe *pgconn.PgError, authenticated bool) int {
	c := pe.Code
	switch c {
	case "23503", "23505": // foreign_key_violation, unique_violation
		return 409
	case "25006": // read_only_sql_transaction: a mutating function called with GET
		return 405
	case "42883": // undefined_function
		if strings.HasPrefix(pe.Message, "function xmlagg(") {
			return 406
		}
		return 404
	case "42P01": // undefined_table
		return 404
	case "42P17": // invalid_object_definition
		return 500
	case "42501": // insufficient_privilege
		if authenticated {
			return 403
		}
		return 401
	case "21000": // cardinality_violation; pg-safeupdate's message ends "requires a WHERE clause"
		if strings.HasSuffix(pe.Message, "requires a WHERE clause") {
			return 400
		}
		return 500
	case "22023": // invalid_parameter_value; a missing role is an authentication problem
		if strings.HasPrefix(pe.Message, "role ") && strings.HasSuffix(pe.Message, " does not exist") {
			return 401
		}
		return 400
	case "53400": // configuration_limit_exceeded
		return 500
	case "57P01": // admin_shutdown
		return 503
	case "P0001": // raise_exception
		return 400
	}
	switch {
	case strings.HasPrefix(c, "08"): // connection exceptions
		return 503
	case strings.HasPrefix(c, "09"): // triggered action exception
		return 500
	case strings.HasPrefix(c, "0L"), strings.HasPrefix(c, "0P"): // invalid grantor, invalid role specification
		return 403
	case strings.HasPrefix(c, "25"): // invalid transaction state
		return 500
	case strings.HasPrefix(c, "28"): // invalid authorization specification
		return 403
	case strings.HasPrefix(c, "2D"), strings.HasPrefix(c, "38"), strings.HasPrefix(c, "39"),
		strings.HasPrefix(c, "3B"), strings.HasPrefix(c, "40"): // transaction/routine/savepoint/rollback errors
		return 500
	case strings.HasPrefix(c, "53"): // insufficient resources
		return 503
	case strings.HasPrefix(c, "54"), strings.HasPrefix(c, "55"), strings.HasPrefix(c, "57"),
		strings.HasPrefix(c, "58"), strings.HasPrefix(c, "F0"), strings.HasPrefix(c, "HV"),
		strings.HasPrefix(c, "XX"), strings.HasPrefix(c, "P0"):
		return 500
	case len(c) == 5 && strings.HasPrefix(c, "PT"): // RAISE SQLSTATE 'PTnnn' sets the status
		if n := atoi3(c[2:]); n >= 100 && n <= 599 {
			return n
		}
		// Not a status (PT40A): PostgREST answers 500, as for an
		// unknown internal error. A number outside 100–599 PostgREST
		// sends as is; here it is 500 too: Go's net/http panics on a
		// status outside 100–999, and no API Gateway or function URL
		// documentation says a 6xx–9xx statusCode reaches the client.
		return 500
	}
	return 400
}

func atoi3(s string) int {
	n := 0
	for _, r := range s {
		if r < '0' || r > '9' {
			return 0
		}
		n = n*10 + int(r-'0')
	}
	return n
}
