package plan

import (
	"github.com/pgrest-lambda/pgrest-lambda/internal/apirequest"
	"github.com/pgrest-lambda/pgrest-lambda/internal/pgrsterr"
	"github.com/pgrest-lambda/pgrest-lambda/internal/schemacache"
)

// Media is the negotiated representation of a read or a call: the media
// type of the response and, for a custom media type handler, the handler
// that makes the body.
type Media struct {
	// Type is the response's media type.
	Type apirequest.MediaType
	// Handler is the custom handler; nil for a built-in representation.
	Handler *schemacache.MediaHandler
}

// negotiateMedia picks the representation of p's result for the request's
// Accept entries, as PostgREST's negotiateContent. The vendored types
// (object, stripped array, plan) are built in and cannot be overridden.
// For any other entry, in Accept order, the first handler found wins,
// looked up as PostgREST does:
//
//  1. the "*/*" handler of the target;
//  2. the handler of the target for the entry's media type;
//  3. the handler of any relation (an aggregate over anyelement) for it,
//     else the built-in one (JSON, CSV, GeoJSON; JSON for "*/*").
//
// The target's handlers (1, 2) apply only with the default select (`*`):
// they take whole rows of the relation.
//
// The target is the relation read, the table a routine returns rows of,
// or the routine itself. A plan (application/vnd.pgrst.plan) describes the
// handler its `for` type resolves to, when planEnabled (db-plan-enabled).
// Nothing acceptable is PGRST107.
func negotiateMedia(req *apirequest.Request, p *target, sc *schemacache.SchemaCache, planEnabled bool) (Media, *pgrsterr.Error) {
	t := mediaTarget(p, sc)
	def := defaultSelect(req.Select)
	return negotiate(req.Accept, func(m apirequest.MediaType) (Media, bool) {
		switch m.Kind {
		case apirequest.MediaSingular, apirequest.MediaArrayStrip:
			return Media{Type: m}, true
		case apirequest.MediaPlan:
			if !planEnabled {
				return Media{}, false
			}
			inner := m.Body()
			if inner.Kind == apirequest.MediaSingular || inner.Kind == apirequest.MediaArrayStrip {
				return Media{Type: m}, true
			}
			got, ok := lookupMedia(sc, t, def, inner)
			return Media{Type: m, Handler: got.Handler}, ok
		}
		return lookupMedia(sc, t, def, m)
	})
}

// negotiateMutation picks the representation of a write's rows: the
// vendored object and stripped-array types, or a built-in one (JSON, CSV,
// GeoJSON; JSON for "*/*"). Custom handlers do not apply. A plan
// (application/vnd.pgrst.plan) of the write is served when planEnabled
// (db-plan-enabled) and its `for` type is one of those, as PostgREST's
// negotiation, which offers the plan for writes as for reads.
func negotiateMutation(accepts []apirequest.MediaType, planEnabled bool) (Media, *pgrsterr.Error) {
	return negotiate(accepts, func(m apirequest.MediaType) (Media, bool) {
		switch m.Kind {
		case apirequest.MediaSingular, apirequest.MediaArrayStrip:
			return Media{Type: m}, true
		case apirequest.MediaPlan:
			if !planEnabled {
				return Media{}, false
			}
			switch inner := m.Body(); inner.Kind {
			case apirequest.MediaSingular, apirequest.MediaArrayStrip:
				return Media{Type: m}, true
			default:
				_, ok := builtinMedia(inner)
				return Media{Type: m}, ok
			}
		}
		return builtinMedia(m)
	})
}

// negotiateOpenAPI accepts what PostgREST's inspect plan produces:
// application/openapi+json, application/json or */*, all answered with
// the OpenAPI document.
func negotiateOpenAPI(accepts []apirequest.MediaType) (Media, *pgrsterr.Error) {
	return negotiate(accepts, func(m apirequest.MediaType) (Media, bool) {
		switch m.Kind {
		case apirequest.MediaOpenAPI, apirequest.MediaJSON, apirequest.MediaAny:
			return Media{Type: apirequest.MediaType{Kind: apirequest.MediaOpenAPI}}, true
		}
		return Media{}, false
	})
}

// negotiate returns the first Accept entry that accept takes, in
// negotiation order; with none, PGRST107 lists every entry.
func negotiate(accepts []apirequest.MediaType, accept func(apirequest.MediaType) (Media, bool)) (Media, *pgrsterr.Error) {
	for _, m := range accepts {
		if got, ok := accept(m); ok {
			return got, nil
		}
	}
	mimes := make([]string, len(accepts))
	for i, m := range accepts {
		mimes[i] = m.Mime()
	}
	return Media{}, pgrsterr.MediaTypeUnavailable(mimes)
}

// lookupMedia finds the handler of m for target (see NegotiateMedia).
func lookupMedia(sc *schemacache.SchemaCache, target schemacache.QI, def bool, m apirequest.MediaType) (Media, bool) {
	// The target's handlers take its whole rows (or result): with a select
	// list only the anyelement and built-in handlers apply.
	usable := func(h *schemacache.MediaHandler) bool { return h != nil && def }
	if h := sc.MediaHandlerFor(target, "*/*"); usable(h) {
		return custom(h), true
	}
	if h := sc.MediaHandlerFor(target, m.Mime()); usable(h) {
		return custom(h), true
	}
	if h := sc.MediaHandlerFor(schemacache.QI{}, m.Mime()); h != nil {
		return custom(h), true
	}
	return builtinMedia(m)
}

// builtinMedia is the built-in representation of m, for any relation or
// routine result (PostgREST's initial media handlers): JSON (also for
// "*/*"), CSV and GeoJSON.
func builtinMedia(m apirequest.MediaType) (Media, bool) {
	switch m.Kind {
	case apirequest.MediaAny:
		return Media{Type: apirequest.MediaType{Kind: apirequest.MediaJSON}}, true
	case apirequest.MediaJSON, apirequest.MediaCSV, apirequest.MediaGeoJSON:
		return Media{Type: m}, true
	}
	return Media{}, false
}

// custom is the representation a handler gives: its own media type, with
// "*/*" answered as application/octet-stream (a handler sets another
// Content-Type through response.headers).
func custom(h *schemacache.MediaHandler) Media {
	t := apirequest.DecodeMediaType(h.Media)
	if t.Kind == apirequest.MediaAny {
		t = apirequest.MediaType{Kind: apirequest.MediaOctetStream}
	}
	return Media{Type: t, Handler: h}
}

// mediaTarget is what handlers are looked up for: the relation read, the
// relation a routine returns rows of, or the routine.
func mediaTarget(p *target, sc *schemacache.SchemaCache) schemacache.QI {
	if p.Read != nil {
		return p.Read.Table
	}
	r := p.Call.Routine
	if r.Return.Composite && sc.Table(r.Return.Type) != nil {
		return r.Return.Type
	}
	return r.QI()
}

// defaultSelect reports whether the select list is the default `*`:
// custom aggregates take whole rows of the target.
func defaultSelect(sel []apirequest.SelectItem) bool {
	if len(sel) != 1 {
		return len(sel) == 0
	}
	s := sel[0]
	return s.Column == "*" && s.Alias == "" && s.Cast == "" && s.Embed == nil && len(s.JSONPath) == 0 && s.Aggregate == ""
}
