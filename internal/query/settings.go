package query

import (
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/jackc/pgx/v5/pgtype"

	"github.com/pgrest-lambda/pgrest-lambda/internal/plan"
)

// Begin is the statement that starts the transaction of s: BEGIN with
// the isolation level and READ ONLY or READ WRITE.
func Begin(s plan.TxSettings) string {
	// The level is one of a fixed set: it cannot be a bind parameter. The
	// six statements are constants, so none is built per request.
	switch s.IsolationLevel {
	case "repeatable read":
		if s.ReadOnly {
			return "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"
		}
		return "BEGIN ISOLATION LEVEL REPEATABLE READ READ WRITE"
	case "serializable":
		if s.ReadOnly {
			return "BEGIN ISOLATION LEVEL SERIALIZABLE READ ONLY"
		}
		return "BEGIN ISOLATION LEVEL SERIALIZABLE READ WRITE"
	}
	if s.ReadOnly {
		return "BEGIN ISOLATION LEVEL READ COMMITTED READ ONLY"
	}
	return "BEGIN ISOLATION LEVEL READ COMMITTED READ WRITE"
}

// End is the statement that ends a successful transaction of s: COMMIT,
// or ROLLBACK under db-tx-end's rollback.
func End(s plan.TxSettings) string {
	if s.Rollback {
		return "ROLLBACK"
	}
	return "COMMIT"
}

// jsonArg is the bind parameter of a JSON object setting: the string at
// p, or {} when it is empty.
func jsonArg(p *string) any {
	if *p == "" {
		return "{}"
	}
	return ref(p)
}

// methodArg is the bind parameter of request.method: the methods the API
// serves are constants, which need no allocation as an any.
func methodArg(m string) any {
	switch m {
	case http.MethodGet:
		return http.MethodGet
	case http.MethodHead:
		return http.MethodHead
	case http.MethodPost:
		return http.MethodPost
	case http.MethodPatch:
		return http.MethodPatch
	case http.MethodPut:
		return http.MethodPut
	case http.MethodDelete:
		return http.MethodDelete
	case http.MethodOptions:
		return http.MethodOptions
	}
	return m
}

// PreQuery is the transaction-scoped settings statement run after BEGIN
// (see AppendPreQuery), its arguments in a slice of their own.
func PreQuery(s plan.TxSettings) (string, []any) {
	return AppendPreQuery(nil, &s)
}

// AppendPreQuery is PostgREST's transaction-scoped settings statement:
// search path, the role's settings, the role, request.jwt.claims,
// request.method, request.path, request.headers, request.cookies and
// timezone, then the routine's hoisted settings and app.settings.*, every
// value a bind parameter, appended to dst. The arguments refer to s's
// strings in place (see textArg): s must not change until the statement
// has been sent.
func AppendPreQuery(dst []any, s *plan.TxSettings) (string, []any) {
	sh := preQueryShape{role: len(s.RoleSettings), fn: len(s.FuncSettings), app: len(s.AppSettings), tz: s.Timezone != ""}
	args := slices.Grow(dst, 1+len(requestSettings)+2*(sh.role+sh.fn+sh.app)+1)
	args = append(args, searchPathArg(s.Schema, s.ExtraSearchPath))
	if len(s.RoleSettings) > 0 {
		for _, k := range slices.Sorted(maps.Keys(s.RoleSettings)) {
			args = append(args, k, s.RoleSettings[k])
		}
	}
	args = append(args, ref(&s.Role), jsonArg(&s.Claims), methodArg(s.Method), ref(&s.Path), jsonArg(&s.Headers),
		jsonArg(&s.Cookies))
	if sh.tz {
		args = append(args, ref(&s.Timezone))
	}
	for i := range s.FuncSettings {
		fs := &s.FuncSettings[i]
		args = append(args, ref(&fs.Name), ref(&fs.Value))
	}
	if len(s.AppSettings) > 0 {
		for _, k := range slices.Sorted(maps.Keys(s.AppSettings)) {
			args = append(args, k, s.AppSettings[k])
		}
	}
	return sh.text(), args
}

// textArg is a text bind parameter read in place. A string stored in an
// any is copied to the heap; a pointer is not, and pgx encodes a
// pgtype.TextValuer as the text it returns, so the settings statement's
// values cost no allocation each.
type textArg string

// TextValue implements pgtype.TextValuer: the string t points to.
func (t *textArg) TextValue() (pgtype.Text, error) {
	return pgtype.Text{String: string(*t), Valid: true}, nil
}

// ref is the bind parameter of the string at p, which must not change
// until the statement has been sent.
func ref(p *string) any { return (*textArg)(p) }

// searchPaths memoises the search_path values (the quoted schema and
// db-extra-search-path, ", "-joined), each already an any: a deployment
// has one per exposed schema and configuration. The list is replaced
// whole when one is added, so reading it takes no lock, and holds at most
// maxSearchPaths; past that a value is built per request.
var searchPaths atomic.Pointer[[]searchPathValue]

const maxSearchPaths = 32

type searchPathValue struct {
	schema string
	extra  []string
	value  any
}

// searchPathArg is the bind parameter of search_path for schema followed
// by extra.
func searchPathArg(schema string, extra []string) any {
	cur := searchPaths.Load()
	var list []searchPathValue
	if cur != nil {
		list = *cur
	}
	for i := range list {
		if list[i].schema == schema && slices.Equal(list[i].extra, extra) {
			return list[i].value
		}
	}
	// ident of each schema, ", "-joined, built in one buffer.
	n := len(schema) + 2
	for _, p := range extra {
		n += len(p) + 4
	}
	b := appendIdent(make([]byte, 0, n), schema)
	for _, p := range extra {
		b = appendIdent(append(b, ", "...), p)
	}
	var v any = string(b)
	if len(list) < maxSearchPaths {
		// When another request added one meanwhile, this one is left
		// out: a later request adds it.
		next := append(slices.Clip(list), searchPathValue{schema: schema, extra: slices.Clone(extra), value: v})
		searchPaths.CompareAndSwap(cur, &next)
	}
	return v
}

// requestSettings are the settings every request sets, in order, after
// the role's own.
var requestSettings = [...]string{"role", "request.jwt.claims", "request.method", "request.path",
	"request.headers", "request.cookies"}

// preQueryShape is what the text of the settings statement depends on:
// how many name/value pairs each group has, and whether a zone is set.
type preQueryShape struct {
	role, fn, app int
	tz            bool
}

// preQueryTexts memoises the statement text per shape: requests of one
// deployment share a handful of shapes, and building the text is most of
// preQuery's allocations.
var preQueryTexts struct {
	sync.RWMutex
	m map[preQueryShape]string
}

// text is the settings statement for the shape, parameters numbered in
// preQuery's order.
func (sh preQueryShape) text() string {
	preQueryTexts.RLock()
	t, ok := preQueryTexts.m[sh]
	preQueryTexts.RUnlock()
	if ok {
		return t
	}
	var sb strings.Builder
	n := 1
	sb.WriteString("SELECT pg_catalog.set_config('search_path', $1, true)")
	pairs := func(count int) {
		for range count {
			fmt.Fprintf(&sb, ", pg_catalog.set_config($%d, $%d, true)", n+1, n+2)
			n += 2
		}
	}
	one := func(name string) {
		n++
		fmt.Fprintf(&sb, ", pg_catalog.set_config('%s', $%d, true)", name, n)
	}
	pairs(sh.role)
	for _, name := range requestSettings {
		one(name)
	}
	if sh.tz {
		one("timezone")
	}
	pairs(sh.fn)
	pairs(sh.app)
	t = sb.String()
	preQueryTexts.Lock()
	if preQueryTexts.m == nil {
		preQueryTexts.m = map[preQueryShape]string{}
	}
	preQueryTexts.m[sh] = t
	preQueryTexts.Unlock()
	return t
}
