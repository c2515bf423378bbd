package plan

import (
	"net/http"
	"slices"
	"strings"

	"github.com/pgrest-lambda/pgrest-lambda/internal/apirequest"
	"github.com/pgrest-lambda/pgrest-lambda/internal/openapi"
	"github.com/pgrest-lambda/pgrest-lambda/internal/pgrsterr"
	"github.com/pgrest-lambda/pgrest-lambda/internal/schemacache"
)

// New turns a parsed request into its one action, as PostgREST's Plan
// stage: OPTIONS becomes ActionInfo, the root ActionInspect, a write on a
// relation ActionMutate, anything else ActionRead or ActionCall. Each is
// resolved against sc, then its media type is negotiated, then strict
// preferences are checked (PostgREST's order), and its transaction
// settings are set. req is not modified.
//
// Errors: those of resolving the target (PGRST200–205, PGRST118, PGRST123,
// PGRST100, and the write errors of [newMutate]), PGRST107 when no Accept
// entry is available, PGRST122 for invalid preferences under
// handling=strict, PGRST126 for the root with openapi-mode disabled.
func New(req *apirequest.Request, sc *schemacache.SchemaCache, env Env) (*Action, *pgrsterr.Error) {
	cfg := env.Config
	a := &Action{Method: req.Method, Prefs: settlePreferences(req.Preferences, env)}
	if len(cfg.DBSchemas) > 1 {
		a.ContentProfile = req.Schema
	}
	var err *pgrsterr.Error
	switch {
	case req.Method == http.MethodOptions:
		a.Kind = ActionInfo
		a.Allow, err = allow(req, sc)
		return a, err
	case req.Kind == apirequest.TargetRoot:
		a.Kind = ActionInspect
		err = a.inspect(req, sc, env)
	case req.Kind == apirequest.TargetRelation && isWrite(req.Method):
		a.Kind = ActionMutate
		err = a.mutate(req, sc, env)
	default:
		err = a.readOrCall(req, sc, env)
	}
	if err != nil {
		return nil, err
	}
	return a, nil
}

// isWrite reports whether method writes to a relation.
func isWrite(method string) bool {
	switch method {
	case http.MethodPost, http.MethodPatch, http.MethodPut, http.MethodDelete:
		return true
	}
	return false
}

// settlePreferences are the request's preferences as honoured: `tx=` only
// when db-tx-end allows overrides, `timezone=` only when PostgreSQL knows
// the zone (otherwise it counts as invalid, PGRST122 under
// handling=strict), as PostgREST.
func settlePreferences(p apirequest.Preferences, env Env) apirequest.Preferences {
	if _, honoured := env.Config.TxEnd(p.Tx); !honoured {
		p.Tx = ""
	}
	if tz := p.Timezone; tz != "" && !env.Zones[tz] {
		p.Timezone = ""
		p.Invalid = append(slices.Clip(p.Invalid), "timezone="+tz)
	}
	return p
}

// checkStrict is PGRST122 for invalid preferences under handling=strict.
func (a *Action) checkStrict() *pgrsterr.Error {
	if a.Prefs.Strict() && len(a.Prefs.Invalid) > 0 {
		return pgrsterr.InvalidPreferences(a.Prefs.Invalid)
	}
	return nil
}

// readOrCall plans a read of a relation or a routine call.
func (a *Action) readOrCall(req *apirequest.Request, sc *schemacache.SchemaCache, env Env) *pgrsterr.Error {
	cfg := env.Config
	p, err := planTarget(req, sc, options{MaxRows: cfg.DBMaxRows, AggregatesEnabled: cfg.DBAggregatesEnabled})
	if err != nil {
		return err
	}
	if a.Media, err = negotiateMedia(req, &p, sc, cfg.DBPlanEnabled); err != nil {
		return err
	}
	if err := a.checkStrict(); err != nil {
		return err
	}
	a.Head = req.Method == http.MethodHead
	a.Count, a.MaxRows = a.Prefs.Count, cfg.DBMaxRows
	if req.Offset != nil {
		a.Offset = *req.Offset
	}
	a.Tx = txSettings(req, a.Prefs, env)
	a.Tx.ReadOnly = true
	a.Checks.Singular = a.Media.Type.Kind == apirequest.MediaSingular
	if p.Read != nil {
		a.Kind, a.Read = ActionRead, p.Read
		a.Location = location(req.Name, req.RawQuery)
		return nil
	}
	a.Kind, a.Call = ActionCall, p.Call
	r := p.Call.Routine
	a.Tx.ReadOnly = p.Call.ReadOnly
	if r.IsolationLevel != "" {
		// A routine's own level overrides the role's.
		a.Tx.IsolationLevel = r.IsolationLevel
	}
	a.Tx.FuncSettings = r.Settings
	if a.Prefs.Strict() {
		a.Checks.MaxAffected = a.Prefs.MaxAffected
	}
	return nil
}

// location is the Content-Location of a read of the relation name: its
// path, then `?` and the canonical query string when there is one, built
// in one buffer.
func location(name, rawQuery string) string {
	var b strings.Builder
	// Room for the query string with a few characters percent-encoded.
	b.Grow(2 + len(name) + 2*len(rawQuery))
	b.WriteByte('/')
	b.WriteString(name)
	apirequest.WriteCanonicalQuery(&b, "?", rawQuery)
	return b.String()
}

// mutate plans a write on a relation. With `return=headers-only` a POST
// reads back only the primary keys, in JSON, for the Location header.
func (a *Action) mutate(req *apirequest.Request, sc *schemacache.SchemaCache, env Env) *pgrsterr.Error {
	mp, err := newMutate(req, sc)
	if err != nil {
		return err
	}
	if a.Media, err = negotiateMutation(req.Accept, env.Config.DBPlanEnabled); err != nil {
		return err
	}
	if err := a.checkStrict(); err != nil {
		return err
	}
	isPlan := a.Media.Type.Kind == apirequest.MediaPlan
	headersOnly := req.Method == http.MethodPost && a.Prefs.Return == "headers-only" && !isPlan
	if headersOnly {
		keys := make([]Field, len(mp.Table.PKCols))
		for i, c := range mp.Table.PKCols {
			keys[i] = Field{Name: c}
		}
		mp.Read.Fields, mp.Read.Embeds = keys, nil
		a.Media = Media{Type: apirequest.MediaType{Kind: apirequest.MediaJSON}}
	}
	a.Kind, a.Mutate = ActionMutate, mp
	a.Head = a.Prefs.Return != "representation" && !headersOnly
	if a.Prefs.Count == apirequest.CountExact {
		// Writes count only exactly, as PostgREST.
		a.Count = apirequest.CountExact
	}
	a.Tx = txSettings(req, a.Prefs, env)
	if isPlan {
		// The plan is the EXPLAIN of the write, in a transaction that ends
		// as any write's (committed unless tx=rollback or db-tx-end says
		// otherwise; only `analyze` executes the statement). PostgREST
		// checks no row counts of a plan (singular, PUT's key,
		// max-affected, limited writes).
		return nil
	}
	a.Checks = mutationChecks(req, a.Prefs, mp)
	a.Checks.Singular = a.Media.Type.Kind == apirequest.MediaSingular
	return nil
}

// mutationChecks is what must hold before a write commits: PUT writes
// exactly the row its URL names (PGRST115) and, under strict handling,
// PATCH and DELETE touch at most max-affected rows (PGRST124), and a
// limited PATCH or DELETE at most its limit (PGRST110).
func mutationChecks(req *apirequest.Request, p apirequest.Preferences, mp *MutatePlan) Checks {
	if mp.PutKey != nil {
		return Checks{PutRow: true}
	}
	var c Checks
	if (req.Method == http.MethodPatch || req.Method == http.MethodDelete) && p.Strict() {
		c.MaxAffected = p.MaxAffected
	}
	if mp.Kind != MutateInsert {
		c.Limit = mp.Where.Limit
	}
	return c
}

// inspect plans the OpenAPI description of the request's schema:
// PGRST107 unless Accept allows application/openapi+json, application/json
// or */*, then PGRST126 with openapi-mode disabled. It reads the schema
// comment and privileges in a read-only transaction as the request's role.
func (a *Action) inspect(req *apirequest.Request, sc *schemacache.SchemaCache, env Env) *pgrsterr.Error {
	cfg := env.Config
	var err *pgrsterr.Error
	if a.Media, err = negotiateOpenAPI(req.Accept); err != nil {
		return err
	}
	if cfg.OpenAPIMode == "disabled" {
		return pgrsterr.OpenAPIDisabled()
	}
	a.Inspect = &InspectPlan{Cache: sc, Schema: req.Schema,
		Privileges: cfg.OpenAPIMode == "follow-privileges", Server: openapi.ServerFor(cfg),
		SecurityActive: cfg.OpenAPISecurityActive}
	a.Head = req.Method == http.MethodHead
	// The description reads as the role, with its settings and the
	// request's search path only.
	a.Tx = TxSettings{Role: env.Role, RoleSettings: env.RoleSettings.Settings, Authenticated: env.Authenticated,
		Schema: req.Schema, ExtraSearchPath: cfg.DBExtraSearchPath, Method: req.Method, Path: req.Path, ReadOnly: true}
	return nil
}
