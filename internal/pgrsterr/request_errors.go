package pgrsterr

// NegativeLimit is PGRST103 (416): a `limit` query parameter below zero.
// PostgREST 13 reports it as an unsatisfiable range with the details
// "Limit should be greater than or equal to zero.".
func NegativeLimit() *Error {
	return newErr(416, "PGRST103", "Requested range not satisfiable",
		"Limit should be greater than or equal to zero.", nil)
}
