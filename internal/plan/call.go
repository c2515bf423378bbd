package plan

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/pgrest-lambda/pgrest-lambda/internal/apirequest"
	"github.com/pgrest-lambda/pgrest-lambda/internal/pgrsterr"
	"github.com/pgrest-lambda/pgrest-lambda/internal/schemacache"
)

// planCall resolves /rpc/{fn} to one overload, as PostgREST's findProc: an
// overload fits when every required parameter is given and every argument
// names a parameter. One fit is called; several are PGRST203. With none, a
// POST falls back to an overload taking a single unnamed json/jsonb
// parameter, which receives the whole body; otherwise PGRST202.
func planCall(req *apirequest.Request, sc *schemacache.SchemaCache) (*CallPlan, *pgrsterr.Error) {
	qi := schemacache.QI{Schema: req.Schema, Name: req.Name}
	overloads := sc.Overloads(qi)
	var fits []*schemacache.Routine
	for _, r := range overloads {
		if fitsArgs(r, req.Args) {
			fits = append(fits, r)
		}
	}
	args := req.Args
	if len(fits) == 0 && req.Method == "POST" {
		for _, r := range overloads {
			if len(r.Params) == 1 && r.Params[0].Name == "" && (r.Params[0].Type == "json" || r.Params[0].Type == "jsonb") {
				fits = append(fits, r)
			}
		}
		if len(fits) == 1 {
			body, _ := json.Marshal(req.Args)
			args = map[string]json.RawMessage{"": body}
		}
	}
	switch {
	case len(fits) == 0:
		return nil, pgrsterr.FunctionNotFound(req.Schema, req.Name, argNames(req.Args), req.Method == "POST", suggestRoutine(sc, req.Schema, req.Name, overloads))
	case len(fits) > 1:
		sigs := make([]string, len(fits))
		for i, r := range fits {
			sigs[i] = signature(r)
		}
		return nil, pgrsterr.AmbiguousFunction(sigs)
	}
	r := fits[0]
	cp := &CallPlan{
		Routine:  r,
		Args:     args,
		ReadOnly: req.Method != "POST" || r.Volatility != schemacache.Volatile,
	}
	if r.Return.SetOf && !r.Return.Composite {
		cp.Limit, cp.Offset = req.Limit, req.Offset
	}
	if r.Return.Composite {
		b := &builder{sc: sc, schema: req.Schema}
		var (
			rp  *ReadPlan
			err *pgrsterr.Error
		)
		if sc.Table(r.Return.Type) != nil {
			rp, err = b.node(r.Return.Type, req.Name, req.Select)
		} else {
			rp, err = b.fieldsOnly(req.Name, req.Select)
		}
		if err != nil {
			return nil, err
		}
		if err := attach(rp, req); err != nil {
			return nil, err
		}
		cp.Result = rp
	}
	return cp, nil
}

// fieldsOnly plans a select list over a composite type that is not a
// relation (TABLE or OUT parameters): columns only, no embedding.
func (b *builder) fieldsOnly(alias string, sel []apirequest.SelectItem) (*ReadPlan, *pgrsterr.Error) {
	rp := &ReadPlan{Alias: alias}
	for _, it := range sel {
		if it.Embed != nil {
			return nil, pgrsterr.RelationshipNotFound(alias, it.Embed.Target, it.Embed.Hint, b.schema, "")
		}
		if err := checkCasts(it); err != nil {
			return nil, err
		}
		rp.Fields = append(rp.Fields, field(it))
	}
	return rp, nil
}

func fitsArgs(r *schemacache.Routine, args map[string]json.RawMessage) bool {
	names := make(map[string]bool, len(r.Params))
	for _, p := range r.Params {
		if p.Name == "" {
			return false
		}
		names[p.Name] = true
		if _, given := args[p.Name]; p.Required && !given {
			return false
		}
	}
	for k := range args {
		if !names[k] {
			return false
		}
	}
	return true
}

func argNames(args map[string]json.RawMessage) []string {
	out := make([]string, 0, len(args))
	for k := range args {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// signature renders an overload as in PostgREST's PGRST203 message:
// `s.f(a => integer, b => text)`.
func signature(r *schemacache.Routine) string {
	ps := make([]string, len(r.Params))
	for i, p := range r.Params {
		ps[i] = p.Name + " => " + p.Type
	}
	return fmt.Sprintf("%s.%s(%s)", r.Schema, r.Name, strings.Join(ps, ", "))
}
