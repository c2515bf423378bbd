package app

import (
	"context"
	"mime"
	"net/http"

	"github.com/pgrest-lambda/pgrest-lambda/internal/apirequest"
	"github.com/pgrest-lambda/pgrest-lambda/internal/config"
	"github.com/pgrest-lambda/pgrest-lambda/internal/maintx"
	"github.com/pgrest-lambda/pgrest-lambda/internal/pgrsterr"
	"github.com/pgrest-lambda/pgrest-lambda/internal/plan"
	"github.com/pgrest-lambda/pgrest-lambda/internal/query"
	"github.com/pgrest-lambda/pgrest-lambda/internal/response"
	"github.com/pgrest-lambda/pgrest-lambda/internal/schemacache"
)

// isWrite reports whether req writes to a relation.
func isWrite(req *apirequest.Request) bool {
	if req.Kind != apirequest.TargetRelation {
		return false
	}
	switch req.Method {
	case http.MethodPost, http.MethodPatch, http.MethodPut, http.MethodDelete:
		return true
	}
	return false
}

// parseWriteBody reads the payload of POST, PATCH and PUT on a relation:
// JSON (no Content-Type counts as JSON) or CSV; any other type is PGRST102.
func parseWriteBody(req *apirequest.Request, contentType string, body []byte) *pgrsterr.Error {
	if !isWrite(req) || req.Method == http.MethodDelete {
		return nil
	}
	if contentType != "" {
		mt, _, err := mime.ParseMediaType(contentType)
		switch {
		case err == nil && mt == "text/csv":
			return apirequest.ParseCSVPayload(req, body)
		case err != nil || (mt != "application/json" && mt != "application/vnd.pgrst.object+json"):
			return pgrsterr.InvalidBody("Content-Type not acceptable: " + contentType)
		}
	}
	return apirequest.ParsePayload(req, body)
}

// mutate plans and runs a write on a relation in a READ WRITE transaction.
func (h *Handler) mutate(ctx context.Context, cfg *config.Config, req *apirequest.Request, path, role string,
	sc *schemacache.SchemaCache, rs config.RoleSettings) (*response.Response, *pgrsterr.Error) {
	mp, err := plan.NewMutate(req, sc)
	if err != nil {
		return nil, err
	}
	media, err := apirequest.Negotiate(req.Accept, false)
	if err != nil {
		return nil, err
	}
	if req.Preferences.Strict() && len(req.Preferences.Invalid) > 0 {
		return nil, pgrsterr.InvalidPreferences(req.Preferences.Invalid)
	}
	prefs := req.Preferences
	headersOnly := req.Method == http.MethodPost && prefs.Return == "headers-only"
	if headersOnly {
		// The body carries the primary keys the Location header is built from.
		keys := make([]plan.Field, len(mp.Table.PKCols))
		for i, c := range mp.Table.PKCols {
			keys[i] = plan.Field{Name: c}
		}
		mp.Read.Fields, mp.Read.Embeds = keys, nil
		media = apirequest.MediaType{Kind: apirequest.MediaJSON}
	}
	count := ""
	if prefs.Count == apirequest.CountExact {
		count = apirequest.CountExact
	}
	out := query.Output{Media: media, Head: prefs.Return != "representation" && !headersOnly, Count: count}
	q, err := query.Mutate(mp, out)
	if err != nil {
		return nil, err
	}
	settings := txSettings(cfg, req, path, role, rs)
	settings.ReadOnly = false
	prefs.Tx = req.Preferences.Tx
	res, err := maintx.ExecuteChecked(ctx, h.db, settings, q, mutationCheck(req, mp))
	if err != nil {
		return nil, err
	}
	return response.Mutation(response.MutationOutcome{
		Method: req.Method, Table: mp.Table.Name, Media: media, Prefs: prefs,
		Resolution: appliedResolution(req, mp), Result: res,
	}), nil
}

// appliedResolution is the resolution preference a POST upsert honoured.
func appliedResolution(req *apirequest.Request, mp *plan.MutatePlan) string {
	if req.Method != http.MethodPost {
		return ""
	}
	return mp.Resolution
}

// mutationCheck is what must hold before a write commits: PUT writes
// exactly the row its URL names (PGRST115) and, under strict handling,
// PATCH and DELETE touch at most max-affected rows (PGRST124), and a limited
// PATCH or DELETE at most its limit (PGRST110).
func mutationCheck(req *apirequest.Request, mp *plan.MutatePlan) func(*maintx.Result) *pgrsterr.Error {
	p := req.Preferences
	if mp.PutKey != nil {
		return func(r *maintx.Result) *pgrsterr.Error {
			if r.PageTotal != 1 || req.Payload == nil || req.Payload.Rows != 1 {
				return pgrsterr.PutPKMismatch()
			}
			return nil
		}
	}
	var checks []func(*maintx.Result) *pgrsterr.Error
	if (req.Method == http.MethodPatch || req.Method == http.MethodDelete) && p.Strict() && p.MaxAffected != nil {
		checks = append(checks, maxAffected(*p.MaxAffected))
	}
	if l := mp.Where.Limit; l != nil && mp.Kind != plan.MutateInsert {
		limit := *l
		checks = append(checks, func(r *maintx.Result) *pgrsterr.Error {
			if r.PageTotal > limit {
				return pgrsterr.LimitExceeded(r.PageTotal, limit)
			}
			return nil
		})
	}
	if len(checks) == 0 {
		return nil
	}
	return func(r *maintx.Result) *pgrsterr.Error {
		for _, c := range checks {
			if err := c(r); err != nil {
				return err
			}
		}
		return nil
	}
}

// maxAffected is `Prefer: handling=strict, max-affected=n` for writes and
// routine calls: more than n rows in the result is PGRST124, rolled back,
// as PostgREST counts them (the rows the statement returns).
func maxAffected(n int64) func(*maintx.Result) *pgrsterr.Error {
	return func(r *maintx.Result) *pgrsterr.Error {
		if r.PageTotal > n {
			return pgrsterr.MaxAffectedExceeded(r.PageTotal)
		}
		return nil
	}
}
