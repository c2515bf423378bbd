package plan

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"sort"
	"strings"

	"github.com/pgrest-lambda/pgrest-lambda/internal/apirequest"
	"github.com/pgrest-lambda/pgrest-lambda/internal/pgrsterr"
	"github.com/pgrest-lambda/pgrest-lambda/internal/schemacache"
)

// planCall resolves /rpc/{fn} to one overload, as PostgREST's findProc.
// With `Prefer: params=single-object` on POST, the overloads with one
// json/jsonb parameter fit. Otherwise an overload fits when every required
// parameter is given and every argument names a parameter (a routine
// without parameters does not take a raw text, xml or bytea body). One fit
// is called; several are PGRST203. With none, a POST falls back to the
// overloads with a single unnamed parameter of the body's type (json or
// jsonb for JSON), which receive the whole body; otherwise PGRST202.
func planCall(req *apirequest.Request, sc *schemacache.SchemaCache) (*CallPlan, *pgrsterr.Error) {
	qi := schemacache.QI{Schema: req.Schema, Name: req.Name}
	overloads := sc.Overloads(qi)
	raw := req.RawBody
	if req.Method != http.MethodPost {
		raw = nil
	}
	singleObject := raw != nil && req.Preferences.Params == "single-object"
	rawOnly := raw != nil && raw.Type != "json"
	var fits, whole []*schemacache.Routine
	for _, r := range overloads {
		switch {
		case singleObject:
			if len(r.Params) == 1 && isJSON(r.Params[0].Type) {
				fits = append(fits, r)
			}
		case len(r.Params) == 0 && !rawOnly && len(req.Args) == 0, len(r.Params) > 0 && fitsArgs(r, req.Args, rawOnly):
			fits = append(fits, r)
		case raw != nil && takesBody(r, raw.Type):
			whole = append(whole, r)
		}
	}
	byBody := singleObject
	if len(fits) == 0 && len(whole) > 0 {
		fits, byBody = whole, true
	}
	switch {
	case len(fits) == 0:
		bodyType := ""
		if raw != nil {
			bodyType = raw.Type
		}
		args := argNames(req.Args)
		hint := ""
		if !rawOnly {
			// PostgREST gives no suggestion for a text, xml or bytea body.
			hint = suggestRoutine(sc, req.Schema, req.Name, args, overloads)
		}
		return nil, pgrsterr.FunctionNotFound(req.Schema, req.Name, args, bodyType, hint)
	case len(fits) > 1:
		sigs := make([]string, len(fits))
		for i, r := range fits {
			sigs[i] = signature(r)
		}
		return nil, pgrsterr.AmbiguousFunction(sigs)
	}
	args := req.Args
	if !byBody {
		args = variadicArrays(fits[0], args)
		if req.TextArgs {
			args = lastValues(fits[0], args)
		}
	}
	r := fits[0]
	cp := &CallPlan{
		Routine:  r,
		Args:     args,
		ReadOnly: req.Method != "POST" || r.Volatility != schemacache.Volatile,
	}
	if byBody {
		cp.Whole = raw
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

// isJSON reports whether a parameter type is json or jsonb.
func isJSON(typ string) bool { return typ == "json" || typ == "jsonb" }

// takesBody reports whether r has a single unnamed parameter that takes a
// body of bodyType (json: json or jsonb).
func takesBody(r *schemacache.Routine, bodyType string) bool {
	if len(r.Params) != 1 || r.Params[0].Name != "" {
		return false
	}
	if bodyType == "json" {
		return isJSON(r.Params[0].Type)
	}
	return r.Params[0].Type == bodyType
}

// variadicArrays wraps a single value given to a variadic parameter in an
// array, as PostgREST passes `?v=1` to `VARIADIC v int[]`.
func variadicArrays(r *schemacache.Routine, args map[string]json.RawMessage) map[string]json.RawMessage {
	for _, p := range r.Params {
		v, ok := args[p.Name]
		if !p.Variadic || !ok {
			continue
		}
		if t := bytes.TrimLeft(v, " \t\r\n"); len(t) > 0 && t[0] == '[' {
			continue
		}
		out := maps.Clone(args)
		out[p.Name] = append(append(json.RawMessage("["), v...), ']')
		return out
	}
	return args
}

// lastValues keeps the last of the values given for a name repeated in
// the query string or a form body, as PostgREST does, for every parameter
// but a variadic one (which takes them all as its array).
func lastValues(r *schemacache.Routine, args map[string]json.RawMessage) map[string]json.RawMessage {
	var out map[string]json.RawMessage
	for _, p := range r.Params {
		v, ok := args[p.Name]
		if p.Variadic || !ok || len(v) == 0 || v[0] != '[' {
			continue
		}
		var vals []json.RawMessage
		if json.Unmarshal(v, &vals) != nil || len(vals) == 0 {
			continue
		}
		if out == nil {
			out = maps.Clone(args)
		}
		out[p.Name] = vals[len(vals)-1]
	}
	if out == nil {
		return args
	}
	return out
}

// fitsArgs reports whether r takes exactly the named args: every required
// parameter given, every argument a parameter. An unnamed parameter fits
// only when it has a default and no raw body is waiting for it (rawBody).
func fitsArgs(r *schemacache.Routine, args map[string]json.RawMessage, rawBody bool) bool {
	names := make(map[string]bool, len(r.Params))
	for _, p := range r.Params {
		if p.Name == "" {
			// No argument can name it: it fits only when it has a default.
			if p.Required || rawBody {
				return false
			}
			continue
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
