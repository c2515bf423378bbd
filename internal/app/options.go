package app

import (
	"net/http"
	"strings"

	"github.com/pgrest-lambda/pgrest-lambda/internal/apirequest"
	"github.com/pgrest-lambda/pgrest-lambda/internal/pgrsterr"
	"github.com/pgrest-lambda/pgrest-lambda/internal/plan"
	"github.com/pgrest-lambda/pgrest-lambda/internal/response"
	"github.com/pgrest-lambda/pgrest-lambda/internal/schemacache"
)

// options answers OPTIONS from the schema cache alone, as PostgREST does:
// 200 with an empty body and the methods the target allows. A table or
// view allows POST when insertable, PUT when insertable, updatable and
// keyed, PATCH when updatable and DELETE when deletable (the flags come
// from pg_relation_is_updatable, so INSTEAD OF triggers count); a volatile
// function only POST; the root GET and HEAD.
func options(req *apirequest.Request, sc *schemacache.SchemaCache) (*response.Response, *pgrsterr.Error) {
	methods := []string{"OPTIONS", "GET", "HEAD"}
	switch req.Kind {
	case apirequest.TargetRelation:
		t := sc.Table(schemacache.QI{Schema: req.Schema, Name: req.Name})
		if t == nil {
			return nil, pgrsterr.TableNotFound(req.Schema, req.Name, "")
		}
		if t.Insertable {
			methods = append(methods, "POST")
		}
		if t.Insertable && t.Updatable && len(t.PKCols) > 0 {
			methods = append(methods, "PUT")
		}
		if t.Updatable {
			methods = append(methods, "PATCH")
		}
		if t.Deletable {
			methods = append(methods, "DELETE")
		}
	case apirequest.TargetRoutine:
		// Resolved like a GET with the query-string arguments.
		get := *req
		get.Method = http.MethodGet
		p, err := plan.New(&get, sc, plan.Options{})
		if err != nil {
			return nil, err
		}
		if p.Call.Routine.Volatility == schemacache.Volatile {
			methods = []string{"OPTIONS", "POST"}
		} else {
			methods = append(methods, "POST")
		}
	}
	h := http.Header{}
	h.Set("Allow", strings.Join(methods, ","))
	h.Set("Access-Control-Allow-Origin", "*")
	return &response.Response{Status: http.StatusOK, Headers: h}, nil
}
