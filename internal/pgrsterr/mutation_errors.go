package pgrsterr

import "fmt"

// InvalidPutFilters is PGRST105 (405): PUT filters are not exactly all
// primary key columns with `eq` (or the relation has no primary key).
func InvalidPutFilters() *Error {
	return newErr(405, "PGRST105", "Filters must include all and only primary key columns with 'eq' operators", nil, nil)
}

// PutRange is PGRST114 (400): PUT with limit or offset.
func PutRange() *Error {
	return newErr(400, "PGRST114", "limit/offset querystring parameters are not allowed for PUT", nil, nil)
}

// PutPKMismatch is PGRST115 (400): the body's primary key values differ
// from the ones in the URL.
func PutPKMismatch() *Error {
	return newErr(400, "PGRST115", "Payload values do not match URL in primary key column(s)", nil, nil)
}

// MaxAffectedExceeded is PGRST124 (400): with `handling=strict`, a write
// touched more rows than `max-affected` allows.
func MaxAffectedExceeded(rows int64) *Error {
	return newErr(400, "PGRST124", "Query result exceeds max-affected preference constraint",
		fmt.Sprintf("The query affects %d rows", rows), nil)
}

// ColumnNotFound is PGRST204 (400): a body key or `columns` entry is not a
// column of the relation. PostgREST names the relation without its schema.
func ColumnNotFound(table, column string) *Error {
	return newErr(400, "PGRST204",
		fmt.Sprintf("Could not find the '%s' column of '%s' in the schema cache", column, table), nil, nil)
}

// LimitWithoutOrder is PGRST109 (400): limit or offset on PATCH or DELETE
// without an order to say which rows.
func LimitWithoutOrder() *Error {
	return newErr(400, "PGRST109", "A 'limit' was applied without an explicit 'order'", nil,
		"Apply an 'order' using unique column(s)")
}

// LimitExceeded is PGRST110 (400): a limited PATCH or DELETE changed more
// rows than its limit, because its order columns are not unique; the
// write is rolled back.
func LimitExceeded(rows, limit int64) *Error {
	return newErr(400, "PGRST110", "The maximum number of rows allowed to change was surpassed",
		fmt.Sprintf("Results contain %d rows changed but the maximum number allowed is %d", rows, limit), nil)
}
