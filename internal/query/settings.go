package query

import (
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"sync"

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

// jsonArg is the bind parameter of a JSON object setting: v, or {} when
// v is empty. {} is the constant, which needs no allocation as an any.
func jsonArg(v string) any {
	if v == "" || v == "{}" {
		return "{}"
	}
	return v
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
// (see preQuery), with the search path quoted.
func PreQuery(s plan.TxSettings) (string, []any) {
	// ident of each schema, ", "-joined, built in one buffer.
	n := 0
	for _, p := range s.SearchPath {
		n += len(p) + 4
	}
	b := make([]byte, 0, n)
	for i, p := range s.SearchPath {
		if i > 0 {
			b = append(b, ", "...)
		}
		b = appendIdent(b, p)
	}
	return preQuery(s, string(b))
}

// preQuery is PostgREST's transaction-scoped settings statement: search
// path, the role's settings, the role, request.jwt.claims, request.method,
// request.path, request.headers, request.cookies and timezone, then the
// routine's hoisted settings and app.settings.*, every value a bind parameter.
func preQuery(s plan.TxSettings, searchPath string) (string, []any) {
	sh := preQueryShape{role: len(s.RoleSettings), fn: len(s.FuncSettings), app: len(s.AppSettings), tz: s.Timezone != ""}
	args := make([]any, 0, 1+len(requestSettings)+2*(sh.role+sh.fn+sh.app)+1)
	args = append(args, searchPath)
	if len(s.RoleSettings) > 0 {
		for _, k := range slices.Sorted(maps.Keys(s.RoleSettings)) {
			args = append(args, k, s.RoleSettings[k])
		}
	}
	args = append(args, s.Role, jsonArg(s.Claims), methodArg(s.Method), s.Path, jsonArg(s.Headers), jsonArg(s.Cookies))
	if sh.tz {
		args = append(args, s.Timezone)
	}
	for _, fs := range s.FuncSettings {
		args = append(args, fs.Name, fs.Value)
	}
	if len(s.AppSettings) > 0 {
		for _, k := range slices.Sorted(maps.Keys(s.AppSettings)) {
			args = append(args, k, s.AppSettings[k])
		}
	}
	return sh.text(), args
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
