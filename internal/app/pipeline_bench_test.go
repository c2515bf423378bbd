package app

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/pgrest-lambda/pgrest-lambda/internal/apirequest"
	"github.com/pgrest-lambda/pgrest-lambda/internal/maintx"
	"github.com/pgrest-lambda/pgrest-lambda/internal/plan"
	"github.com/pgrest-lambda/pgrest-lambda/internal/query"
	"github.com/pgrest-lambda/pgrest-lambda/internal/response"
	"github.com/pgrest-lambda/pgrest-lambda/internal/schemacache"
	"github.com/pgrest-lambda/pgrest-lambda/internal/snapshot"
)

// pipelineCases are the reference reads of the sample schema, with the
// body a real run returns for each.
var pipelineCases = []struct{ name, target, body string }{
	{"books", "/books?id=eq.1",
		`[{"id":1,"title":"The Left Hand of Darkness","author_id":1,"format":"paperback","published_year":1969,` +
			`"pages":304,"in_stock":true,"isbn":"9780441478125"}]`},
	{"authors", "/authors?select=name,books(title,tags(name))&id=eq.1",
		`[{"name":"Ursula K. Le Guin","books":[{"title":"The Left Hand of Darkness","tags":[{"name":"classic"},` +
			`{"name":"science fiction"}]},{"title":"A Wizard of Earthsea","tags":[{"name":"fantasy"}]}]}]`},
}

// discardWriter is a ResponseWriter that keeps nothing but its header map,
// cleared and reused, so only the allocations of Write itself count.
type discardWriter struct{ h http.Header }

func (w *discardWriter) Header() http.Header         { return w.h }
func (w *discardWriter) Write(b []byte) (int, error) { return len(b), nil }
func (w *discardWriter) WriteHeader(int)             {}

// BenchmarkPipelineAllocs runs what the handler does for a simple read,
// except the database, stage by stage and whole: authentication, parse,
// plan, query, the settings statement, and the response on a fixed
// result; and parse, plan and query together on a lazy cache, as from a
// snapshot in Redis, without and with the plan memo. Only allocs/op are
// of interest.
func BenchmarkPipelineAllocs(b *testing.B) {
	cfg := parseOptions(b, "")
	cfg.DBSchemas = []string{"api"}
	snap := &snapshot.Snapshot{Cache: fixtureCache()}
	h := New(cfg, staticCache{snap}, nil, nil)
	ctx := context.Background()
	// The fixture as a snapshot opened from Redis sees it: a lazy cache,
	// every section loaded.
	secs, _ := snap.Cache.Split(4)
	for _, s := range secs {
		s.Index()
	}
	lazy := schemacache.NewLazy(snap.Cache, len(secs), nil, secs)
	for _, c := range pipelineCases {
		r := httptest.NewRequest(http.MethodGet, c.target, nil)
		r.Header.Set("Accept", "*/*")
		r.Header.Set("User-Agent", "curl/8.5.0")
		res := &maintx.Result{PageTotal: 1, Body: []byte(c.body)}
		w := &discardWriter{h: http.Header{}}

		auth := func() plan.Env {
			cfg, authn := h.configFor(1, snap)
			who, perr := authenticate(ctx, r, cfg, authn)
			if perr != nil {
				b.Fatal(perr)
			}
			return plan.Env{Config: cfg, Role: who.Role, Claims: string(who.Claims), Authenticated: who.Authenticated,
				RoleSettings: snap.RoleSettings[who.Role]}
		}
		parse := func() *apirequest.Request {
			req, perr := apirequest.Parse(r, nil, cfg.DBSchemas)
			if perr == nil {
				perr = apirequest.CheckLimits(req, cfg.Limits)
			}
			if perr != nil {
				b.Fatal(perr)
			}
			return req
		}
		newPlan := func(req *apirequest.Request, env plan.Env) *plan.Action {
			a, perr := plan.New(req, snap.Cache, env)
			if perr != nil {
				b.Fatal(perr)
			}
			return a
		}
		build := func(a *plan.Action) query.Query {
			q, perr := query.Build(a)
			if perr != nil {
				b.Fatal(perr)
			}
			return q
		}
		respond := func(a *plan.Action) {
			clear(w.h)
			response.New(a, res).Write(w)
		}

		env := auth()
		req := parse()
		a := newPlan(req, env)
		build(a)
		b.Run(c.name, func(b *testing.B) {
			b.Run("auth", func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					auth()
				}
			})
			b.Run("parse", func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					parse()
				}
			})
			b.Run("plan", func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					newPlan(req, env)
				}
			})
			b.Run("prepare-lazy", func(b *testing.B) {
				// parse, the request's view of the lazy cache, plan and query
				b.ReportAllocs()
				for b.Loop() {
					if _, _, _, _, perr := h.prepareFresh(ctx, r, body{}, lazy, env, nil); perr != nil {
						b.Fatal(perr)
					}
				}
			})
			b.Run("prepare-memo", func(b *testing.B) {
				// the same, served from the plan memo
				b.ReportAllocs()
				for b.Loop() {
					if _, _, perr := h.prepare(ctx, r, body{}, lazy, env, nil); perr != nil {
						b.Fatal(perr)
					}
				}
			})
			b.Run("query", func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					build(a)
				}
			})
			var args [16]any
			b.Run("prequery", func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					query.AppendPreQuery(args[:0], &a.Tx)
				}
			})
			b.Run("response", func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					respond(a)
				}
			})
			b.Run("all", func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					a := newPlan(parse(), auth())
					build(a)
					query.AppendPreQuery(args[:0], &a.Tx)
					respond(a)
				}
			})
		})
	}
}
