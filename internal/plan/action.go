package plan

import (
	"github.com/pgrest-lambda/pgrest-lambda/internal/apirequest"
	"github.com/pgrest-lambda/pgrest-lambda/internal/config"
	"github.com/pgrest-lambda/pgrest-lambda/internal/openapi"
	"github.com/pgrest-lambda/pgrest-lambda/internal/schemacache"
)

// ActionKind is what a request does, as PostgREST's Action.
type ActionKind int

const (
	// ActionRead reads a relation: GET or HEAD /{relation}.
	ActionRead ActionKind = iota
	// ActionCall calls a routine: GET, HEAD or POST /rpc/{fn}.
	ActionCall
	// ActionMutate writes to a relation: POST, PATCH, PUT or DELETE /{relation}.
	ActionMutate
	// ActionInspect describes the exposed schema: GET or HEAD / (OpenAPI).
	ActionInspect
	// ActionInfo answers OPTIONS from the schema cache alone.
	ActionInfo
)

// Action is the plan of one request: exactly one action, with everything
// the later stages need, decided once. The query stage builds its SQL from
// it, the execution stage runs it with Tx and checks Checks, and the
// response stage renders the result with Media and Prefs. Planning never
// modifies the parsed request.
type Action struct {
	Kind ActionKind
	// Method is the request's HTTP method.
	Method string
	// Read, Call, Mutate and Inspect are the plan of the action's kind;
	// the others are nil. ActionInfo has only Allow.
	Read    *ReadPlan
	Call    *CallPlan
	Mutate  *MutatePlan
	Inspect *InspectPlan
	// Allow is the Allow header of ActionInfo: the methods the target takes.
	Allow []string
	// Media is the negotiated representation; zero for ActionInfo.
	Media Media
	// Prefs are the request's preferences as honoured: tx only when
	// db-tx-end allows it, timezone only when PostgreSQL knows the zone
	// (else it is among Invalid). Preference-Applied reports them.
	Prefs apirequest.Preferences
	// Head means the body is not built (HEAD, or a write without
	// return=representation).
	Head bool
	// Count is the count the query computes (apirequest.CountExact, ...),
	// "" for none.
	Count string
	// MaxRows is db-max-rows (0 = unlimited), for estimated counts.
	MaxRows int
	// Offset is the first row requested (0 when none), for Content-Range.
	Offset int64
	// Location is the Content-Location of a relation read, PostgREST's
	// `/relation?canonical query` (apirequest.CanonicalQuery); "" otherwise.
	Location string
	// Tx are the transaction-scoped settings of the request.
	Tx TxSettings
	// Checks are what must hold before the transaction ends.
	Checks Checks
	// ContentProfile is the schema named in Content-Profile when several
	// schemas are exposed, "" otherwise.
	ContentProfile string
}

// Checks are the conditions on a result that roll the transaction back
// with a PostgREST error instead of ending it, checked in this order.
type Checks struct {
	// Singular requires exactly one row (application/vnd.pgrst.object+json):
	// PGRST116.
	Singular bool
	// PutRow requires a PUT to write exactly the one row its URL names:
	// PGRST115. Payload rows with another key are not written, so a
	// payload of several rows puts the one the URL names, as PostgREST's
	// (UpsertSpec: "only puts the first element").
	PutRow bool
	// MaxAffected is `Prefer: handling=strict, max-affected=n` on PATCH,
	// DELETE and calls: PGRST124 above n rows; nil for none.
	MaxAffected *int64
	// Limit is the limit of a limited PATCH or DELETE: PGRST110 when the
	// order columns touch more rows; nil for none.
	Limit *int64
}

// Any reports whether a result must be checked before the transaction ends.
func (c Checks) Any() bool {
	return c.Singular || c.PutRow || c.MaxAffected != nil || c.Limit != nil
}

// InspectPlan is the OpenAPI description of one exposed schema.
type InspectPlan struct {
	// Cache is the schema cache the document describes.
	Cache *schemacache.SchemaCache
	// Schema is the exposed schema described (Accept-Profile).
	Schema string
	// Privileges reads the role's privileges and leaves out what it cannot
	// use (openapi-mode follow-privileges).
	Privileges bool
	// Server is where the document says the API is.
	Server openapi.Server
	// SecurityActive adds the JWT security definition
	// (openapi-security-active).
	SecurityActive bool
}

// Env is what planning needs beyond the request and the schema cache: the
// effective configuration, who the request runs as, and the zone names
// PostgreSQL knows.
type Env struct {
	// Config is the effective configuration (environment overlaid with
	// in-database settings).
	Config *config.Config
	// Role is the role the request runs as; RoleSettings its settings.
	Role         string
	RoleSettings config.RoleSettings
	// Claims is request.jwt.claims, a JSON object; "" gives the anon
	// role's claims ({"role": Role}).
	Claims string
	// Authenticated is true when Role is not the anon role (PostgREST's
	// meaning): a 42501 is then 403 rather than 401.
	Authenticated bool
	// Zones are the names of pg_timezone_names, needed only when the
	// request has `Prefer: timezone=`; nil knows no zone.
	Zones map[string]bool
}
