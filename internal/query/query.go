package query

import (
	"fmt"

	"github.com/pgrest-lambda/pgrest-lambda/internal/apirequest"
	"github.com/pgrest-lambda/pgrest-lambda/internal/pgrsterr"
	"github.com/pgrest-lambda/pgrest-lambda/internal/plan"
	"github.com/pgrest-lambda/pgrest-lambda/internal/schemacache"
)

// Output says how a request wants its result.
type Output struct {
	// Media is the negotiated media type; never MediaAny.
	Media apirequest.MediaType
	// Head skips building the body, as PostgREST does for HEAD.
	Head bool
	// Count is the count preference (apirequest.CountExact, ...), "" for none.
	Count string
	// MaxRows is db-max-rows (0 = unlimited): an estimated count is exact up to it.
	MaxRows int
	// Handler is the custom media type handler making the body; nil for
	// the built-in representation of Media.
	Handler *schemacache.MediaHandler
}

// Query is what the transaction of one request runs.
type Query struct {
	// Scan says what Main returns and how it is read.
	Scan Scan
	// Main is the main statement: one row (total_result_set, page_total,
	// body, response_headers, response_status, response_inserted), the
	// EXPLAIN output rows, or the OpenAPI access row (see Scan).
	Main Statement
	// CountPlan is `EXPLAIN (FORMAT JSON)` of the unpaged rows, whose
	// "Plan Rows" is the planned and estimated count; nil otherwise.
	CountPlan *Statement
	// Void marks a routine returning void: the response has no body.
	Void bool
	// Count and MaxRows repeat the Output's, for the total (Execute).
	Count   string
	MaxRows int
	// BinaryBody marks a body of bytes, sent base64-encoded by the
	// statement and decoded by Execute.
	BinaryBody bool
}

// Scan is what a query's main statement returns.
type Scan int

const (
	// ScanMain is the one row of the outer query (see Query.Main).
	ScanMain Scan = iota
	// ScanPlan is EXPLAIN output, one line per row (application/vnd.pgrst.plan).
	ScanPlan
	// ScanAccess is the row of openAPIAccess.
	ScanAccess
	// ScanNone means there is no statement: OPTIONS is answered from the
	// schema cache alone.
	ScanNone
)

// Build builds the query of an action: the read, the call, the write, the
// OpenAPI access read, or nothing for OPTIONS. Its errors are those of
// rendering filters and logic trees (PGRST100 for an operator a column
// cannot take).
func Build(a *plan.Action) (Query, *pgrsterr.Error) {
	out := Output{Media: a.Media.Type, Head: a.Head, Count: a.Count, MaxRows: a.MaxRows, Handler: a.Media.Handler}
	var (
		q   Query
		err *pgrsterr.Error
	)
	switch a.Kind {
	case plan.ActionRead:
		q, err = readQuery(a.Read, out)
	case plan.ActionCall:
		q, err = callQuery(a.Call, out)
	case plan.ActionMutate:
		q, err = mutateQuery(a.Mutate, out)
	case plan.ActionInspect:
		return Query{Scan: ScanAccess, Main: openAPIAccess(a.Inspect.Schema, a.Inspect.Privileges)}, nil
	default:
		return Query{Scan: ScanNone}, nil
	}
	if err == nil && len(q.Main.Args) > maxParams {
		// PostgreSQL's protocol numbers parameters with 16 bits.
		return Query{}, pgrsterr.ParseError("The request exceeds a limit",
			fmt.Sprintf("The number of values is %d; one statement takes at most %d", len(q.Main.Args), maxParams))
	}
	return q, err
}

// maxParams is the most bind parameters one statement may have: the
// extended query protocol counts them in 16 bits.
const maxParams = 65535
