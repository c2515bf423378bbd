package app

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/pgrest-lambda/pgrest-lambda/internal/config"
	"github.com/pgrest-lambda/pgrest-lambda/internal/plan"
	"github.com/pgrest-lambda/pgrest-lambda/internal/query"
	sc "github.com/pgrest-lambda/pgrest-lambda/internal/schemacache"
)

// prepared is the outcome of Handler.prepare.
type prepared struct {
	a    *plan.Action
	q    query.Query
	perr string
}

func prepareWith(h *Handler, r *http.Request, cache *sc.SchemaCache, env plan.Env) prepared {
	a, q, perr := h.prepare(r.Context(), r, readBody(r), cache, env, nil)
	p := prepared{a: a, q: q}
	if perr != nil {
		p.perr = string(perr.Body())
	}
	return p
}

// fresh is what a handler that never saw a request makes of r.
func fresh(cfg *config.Config, r *http.Request, cache *sc.SchemaCache, env plan.Env) prepared {
	return prepareWith(New(cfg, nil, nil, nil), r, cache, env)
}

// TestPlanMemoMatchesFresh: every golden GET and HEAD, asked again with
// other headers, cookies and claims, is served from the memo (its plan is
// the first request's) and is exactly what a fresh handler makes of it,
// so the request's own claims, request.headers and request.cookies are
// never another request's.
func TestPlanMemoMatchesFresh(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "golden", "*.txt"))
	if err != nil {
		t.Fatal(err)
	}
	cache := fixtureCache()
	memoised := 0
	for _, file := range files {
		g, _ := loadGolden(t, file)
		first := buildRequest(t, g.get("request"))
		if first.Method != http.MethodGet && first.Method != http.MethodHead {
			continue
		}
		cfg := parseOptions(t, g.get("options"))
		h := New(cfg, nil, nil, nil)
		env := plan.Env{Config: cfg, Role: cfg.DBAnonRole}
		p1 := prepareWith(h, first, cache, env)

		second := buildRequest(t, g.get("request"))
		second.Header.Set("User-Agent", "other/1.0")
		second.Header.Set("Cookie", "session=zz_s; theme=dark")
		second.Header.Set("X-Request-Id", filepath.Base(file))
		env2 := env
		env2.Claims = `{"role":"web_anon","sub":"zz_sub"}`
		p2 := prepareWith(h, second, cache, env2)
		want := fresh(cfg, second, cache, env2)
		if !reflect.DeepEqual(p2, want) {
			t.Errorf("%s: from the memo\n%+v\nwant\n%+v", file, p2.a, want.a)
			continue
		}
		if p1.perr != "" {
			continue
		}
		if p2.a.Kind != plan.ActionRead && p2.a.Kind != plan.ActionCall {
			continue
		}
		if p2.a.Read != p1.a.Read || p2.a.Call != p1.a.Call || p2.q.Main.SQL != p1.q.Main.SQL {
			t.Errorf("%s: the second request was planned again, not served from the memo", file)
		}
		if p2.a.Tx.Headers == p1.a.Tx.Headers || p2.a.Tx.Claims == p1.a.Tx.Claims || p2.a.Tx.Cookies == p1.a.Tx.Cookies {
			t.Errorf("%s: the second request carries the first's headers, claims or cookies", file)
		}
		memoised++
	}
	if memoised < 40 {
		t.Errorf("%d golden reads and calls served from the memo, want at least 40", memoised)
	}
}

// TestPlanMemoKeyInputs: a request that differs from a memoised one in a
// single input of planning gets its own plan. Each variant plans
// differently from the base (checked first), so leaving that input out of
// the key makes this test fail.
func TestPlanMemoKeyInputs(t *testing.T) {
	cache := fixtureCache()
	cfg := parseOptions(t, "")
	anon := plan.Env{Config: cfg, Role: cfg.DBAnonRole}
	get := func(target string, headers ...string) *http.Request {
		r := httptest.NewRequest(http.MethodGet, target, nil)
		for _, h := range headers {
			k, v, _ := strings.Cut(h, ": ")
			r.Header.Add(k, v)
		}
		return r
	}
	base := "/books?select=id,title&id=eq.1"
	type variant struct {
		name      string
		base, req *http.Request
		env       plan.Env
	}
	head := get(base)
	head.Method = http.MethodHead
	variants := []variant{
		{"query string", get(base), get("/books?select=id&id=eq.1"), anon},
		{"path", get("/books?select=id"), get("/authors?select=id"), anon},
		{"encoded path", get("/rpc/add?a=1&b=2"), get("/rpc%2Fadd?a=1&b=2"), anon},
		{"method", get(base), head, anon},
		{"Accept", get(base), get(base, "Accept: application/vnd.pgrst.object+json"), anon},
		{"second Accept", get(base, "Accept: text/csv;q=0.5", "Accept: application/json"),
			get(base, "Accept: text/csv;q=0.5", "Accept: application/vnd.pgrst.object+json"), anon},
		{"Prefer", get(base), get(base, "Prefer: count=exact"), anon},
		{"second Prefer", get(base, "Prefer: return=minimal", "Prefer: count=planned"),
			get(base, "Prefer: return=minimal", "Prefer: count=exact"), anon},
		{"Range", get(base), get(base, "Range: 1-3"), anon},
		{"Accept-Profile", get("/books?select=id"), get("/books?select=id", "Accept-Profile: extra"), anon},
		{"role", get(base), get(base), plan.Env{Config: cfg, Role: "author"}},
		{"authenticated", get(base), get(base), plan.Env{Config: cfg, Role: cfg.DBAnonRole, Authenticated: true}},
	}
	for _, v := range variants {
		t.Run(v.name, func(t *testing.T) {
			if v.req.URL.Path != v.base.URL.Path && v.name == "encoded path" {
				t.Fatalf("the encoded path decodes to %q, want the base's %q", v.req.URL.Path, v.base.URL.Path)
			}
			baseWant := fresh(cfg, v.base, cache, anon)
			want := fresh(cfg, v.req, cache, v.env)
			if reflect.DeepEqual(baseWant, want) {
				t.Fatalf("the variant plans as the base does; it tests nothing")
			}
			h := New(cfg, nil, nil, nil)
			if p := prepareWith(h, v.base, cache, anon); p.perr != "" {
				t.Fatalf("base: %s", p.perr)
			}
			if got := prepareWith(h, v.req, cache, v.env); !reflect.DeepEqual(got, want) {
				t.Errorf("got %+v (%s)\nwant %+v (%s)", got.a, got.perr, want.a, want.perr)
			}
		})
	}
}

// TestPlanMemoIdentity: a plan memoised on one schema cache and
// configuration serves neither another cache nor another configuration,
// and a plan for either replaces the memo's.
func TestPlanMemoIdentity(t *testing.T) {
	var m planMemo
	sc1, sc2 := &sc.SchemaCache{}, &sc.SchemaCache{}
	cfg1, cfg2 := &config.Config{}, &config.Config{}
	key := []byte("k")
	p := memoPlan{a: &plan.Action{Method: "GET"}}
	m.put(sc1, cfg1, key, p)
	if got, ok := m.get(sc1, cfg1, key); !ok || got.a != p.a {
		t.Fatal("a memoised plan is not found on its own cache and configuration")
	}
	if _, ok := m.get(sc2, cfg1, key); ok {
		t.Error("a plan served another schema cache")
	}
	if _, ok := m.get(sc1, cfg2, key); ok {
		t.Error("a plan served another configuration")
	}
	m.put(sc2, cfg1, []byte("other"), p)
	if _, ok := m.get(sc1, cfg1, key); ok || len(m.plans) != 1 {
		t.Errorf("plans of the replaced cache remain (%d plans)", len(m.plans))
	}
}

// TestPlanMemoBounds: the memo never holds more than its bounds, and
// requests it does not take (writes, a body, a long key, a time zone) are
// planned afresh every time.
func TestPlanMemoBounds(t *testing.T) {
	var m planMemo
	cache, cfg := &sc.SchemaCache{}, &config.Config{}
	for i := range 3 * planMemoMaxEntries {
		m.put(cache, cfg, []byte(strconv.Itoa(i)), memoPlan{a: &plan.Action{}})
		if len(m.plans) > planMemoMaxEntries {
			t.Fatalf("%d plans after %d puts, bound %d", len(m.plans), i+1, planMemoMaxEntries)
		}
	}
	big := memoPlan{q: query.Query{Main: query.Statement{SQL: strings.Repeat("x", planMemoMaxBytes/4)}}}
	for i := range 10 {
		m.put(cache, cfg, []byte("big"+strconv.Itoa(i)), big)
		if m.bytes > planMemoMaxBytes {
			t.Fatalf("%d bytes memoised, bound %d", m.bytes, planMemoMaxBytes)
		}
	}

	env := plan.Env{Config: cfg, Role: "anon"}
	for _, r := range []*http.Request{
		httptest.NewRequest(http.MethodPost, "/books", nil),
		httptest.NewRequest(http.MethodGet, "/books", strings.NewReader("{}")),
		httptest.NewRequest(http.MethodGet, "/books?select="+strings.Repeat("id,", planKeyMaxBytes/3), nil),
		manyAccepts(),
	} {
		if _, ok := planKey(nil, r, readBody(r), env); ok {
			t.Errorf("%s %.40s… with a %d-byte body is memoised", r.Method, r.URL, r.ContentLength)
		}
	}

	fixture := fixtureCache()
	fcfg := parseOptions(t, "")
	// The zone names cannot be read: the preference is dropped, and the
	// plan, which a later read of them would change, is not memoised.
	h := New(fcfg, nil, noPool{}, nil)
	r := httptest.NewRequest(http.MethodGet, "/books?select=id", nil)
	r.Header.Set("Prefer", "timezone=Europe/Paris")
	fenv := plan.Env{Config: fcfg, Role: fcfg.DBAnonRole}
	if p := prepareWith(h, r, fixture, fenv); p.perr != "" || len(p.a.Prefs.Invalid) != 1 {
		t.Fatalf("timezone=Europe/Paris planned as %+v (%s)", p.a, p.perr)
	}
	if len(h.plans.plans) != 0 {
		t.Error("a plan depending on the zone names was memoised")
	}
	r.Header.Del("Prefer")
	if prepareWith(h, r, fixture, fenv); len(h.plans.plans) != 1 {
		t.Error("the same read without the preference was not memoised")
	}
}

// manyAccepts is a GET whose Accept values, together, are over the key's
// bound though each is short.
func manyAccepts() *http.Request {
	r := httptest.NewRequest(http.MethodGet, "/books", nil)
	for range planKeyMaxBytes / 16 {
		r.Header.Add("Accept", "application/json")
	}
	return r
}

// noPool is a database that cannot be reached.
type noPool struct{}

func (noPool) Acquire(context.Context) (*pgxpool.Conn, error) { return nil, errors.New("no database") }

// TestPlanMemoConcurrent: requests served at once from one memo, some
// memoised and some not, each get exactly what a fresh handler makes of
// them (run with -race to check that nothing memoised is written).
func TestPlanMemoConcurrent(t *testing.T) {
	cache := fixtureCache()
	cfg := parseOptions(t, "")
	h := New(cfg, nil, nil, nil)
	targets := []string{"/books?id=eq.1", "/authors?select=name,books(title)", "/rpc/add?a=1&b=2", "/books?select=id&limit=2"}
	want := make([]prepared, len(targets))
	for i, target := range targets {
		want[i] = fresh(cfg, httptest.NewRequest(http.MethodGet, target, nil), cache, plan.Env{Config: cfg, Role: cfg.DBAnonRole})
	}
	done := make(chan error)
	for g := range 8 {
		go func() {
			var err error
			for i := range 200 {
				k := (g + i) % len(targets)
				r := httptest.NewRequest(http.MethodGet, targets[k], nil)
				env := plan.Env{Config: cfg, Role: cfg.DBAnonRole}
				if i%7 == 0 {
					// Another snapshot's identity replaces the memo's now and then.
					r2 := httptest.NewRequest(http.MethodGet, targets[k], nil)
					prepareWith(h, r2, fixtureCache(), env)
				}
				if got := prepareWith(h, r, cache, env); err == nil && !reflect.DeepEqual(got, want[k]) {
					err = errors.New(targets[k] + " differs from a fresh plan")
				}
			}
			done <- err
		}()
	}
	for range 8 {
		if err := <-done; err != nil {
			t.Error(err)
		}
	}
}
