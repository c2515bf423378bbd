package plan

import (
	"net/http"

	"github.com/pgrest-lambda/pgrest-lambda/internal/apirequest"
	"github.com/pgrest-lambda/pgrest-lambda/internal/pgrsterr"
	"github.com/pgrest-lambda/pgrest-lambda/internal/schemacache"
)

// allow is what OPTIONS answers from the schema cache alone, as PostgREST
// does: the methods the target allows. A table or view allows POST when
// insertable, PUT when insertable, updatable and keyed, PATCH when
// updatable and DELETE when deletable (the flags come from
// pg_relation_is_updatable, so INSTEAD OF triggers count); a volatile
// function only POST; the root GET and HEAD. An unknown relation is
// PGRST205, a routine that a GET with the same arguments would not find
// PGRST202 or PGRST203.
func allow(req *apirequest.Request, sc *schemacache.SchemaCache) ([]string, *pgrsterr.Error) {
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
		call, err := planCall(&get, sc)
		if err != nil {
			return nil, err
		}
		if call.Routine.Volatility == schemacache.Volatile {
			return []string{"OPTIONS", "POST"}, nil
		}
		methods = append(methods, "POST")
	}
	return methods, nil
}
