package pgrsterr

// NegativeLimit is PGRST103 (416): a `limit` query parameter below zero.
// PostgREST 13 reports it as an unsatisfiable range with the details
// "Limit should be greater than or equal to zero.".
func NegativeLimit() *Error {
	return newErr(416, "PGRST103", "Requested range not satisfiable",
		"Limit should be greater than or equal to zero.", nil)
}

// BigintOutOfRange is the 22003 (400) PostgreSQL answers PostgREST for a
// `limit` or `offset` beyond bigint, which PostgREST writes into the query
// as a literal.
func BigintOutOfRange() *Error {
	return newErr(400, "22003", "bigint out of range", nil, nil)
}
