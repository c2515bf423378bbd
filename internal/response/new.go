package response

import (
	"net/http"
	"strings"

	"github.com/pgrest-lambda/pgrest-lambda/internal/apirequest"
	"github.com/pgrest-lambda/pgrest-lambda/internal/maintx"
	"github.com/pgrest-lambda/pgrest-lambda/internal/openapi"
	"github.com/pgrest-lambda/pgrest-lambda/internal/pgrsterr"
	"github.com/pgrest-lambda/pgrest-lambda/internal/plan"
)

// New is the response to action a whose execution gave res, as
// PostgREST's Response stage: OPTIONS gets 200 with Allow; the root the
// OpenAPI document; a read or call [readResponse]'s response; a write
// [mutationResponse]'s. With several exposed schemas the response names its
// schema in Content-Profile, and Vary names what selects the
// representation (Accept, Prefer, Range and the profile header) unless the
// response set its own.
func New(a *plan.Action, res *maintx.Result) *Response {
	vary := "Accept, Prefer, Range"
	if a.ContentProfile != "" {
		vary += ", " + profileHeader(a.Method)
	}
	var r *Response
	switch a.Kind {
	case plan.ActionInfo:
		h := http.Header{}
		h.Set("Allow", strings.Join(a.Allow, ","))
		h.Set("Access-Control-Allow-Origin", "*")
		r = &Response{Status: http.StatusOK, Headers: h}
	case plan.ActionInspect:
		r = inspect(a, res)
	case plan.ActionMutate:
		if a.Media.Type.Kind == apirequest.MediaPlan {
			// The plan of a write is answered as a read's plan: 200 with
			// the EXPLAIN output.
			r = readResponse(outcome{Method: a.Method, Media: a.Media.Type, Prefs: a.Prefs, Vary: vary, Result: res})
			break
		}
		r = mutationResponse(mutationOutcome{
			Method: a.Method, Table: a.Mutate.Table.Name, Media: a.Media.Type, Prefs: a.Prefs,
			Resolution: appliedResolution(a), Result: res,
		})
	default:
		r = readResponse(outcome{
			Method: a.Method, Media: a.Media.Type, Prefs: a.Prefs, Call: a.Kind == plan.ActionCall,
			Void: a.Kind == plan.ActionCall && a.Call.Routine.Return.IsVoid(), Offset: a.Offset, Location: a.Location,
			Vary: vary, Result: res,
		})
	}
	if a.ContentProfile != "" {
		r.Headers.Set("Content-Profile", a.ContentProfile)
	}
	if r.Headers.Get("Vary") == "" {
		// Caches in front of the API (API Gateway, CloudFront) must key on
		// what selects the representation, as PostgREST's Vary does. A
		// read sets it first, so that response.headers may replace it.
		r.Headers.Set("Vary", vary)
	}
	return r
}

// inspect is the OpenAPI document of the action's schema; HEAD gets the
// headers only.
func inspect(a *plan.Action, res *maintx.Result) *Response {
	ip := a.Inspect
	body, err := openapi.Document(ip.Cache, openapi.Options{Schema: ip.Schema, Server: ip.Server, Access: res.Access,
		SecurityActive: ip.SecurityActive})
	if err != nil {
		return Error(pgrsterr.Internal("the OpenAPI document could not be encoded"))
	}
	h := http.Header{}
	h.Set("Content-Type", openapi.ContentType)
	if a.Head {
		body = nil
	}
	return &Response{Status: http.StatusOK, Headers: h, Body: body}
}

// appliedResolution is the resolution preference a POST upsert honoured.
func appliedResolution(a *plan.Action) string {
	if a.Method != http.MethodPost {
		return ""
	}
	return a.Mutate.Resolution
}

// profileHeader is the request header that selects the schema for method.
func profileHeader(method string) string {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return "Accept-Profile"
	}
	return "Content-Profile"
}
