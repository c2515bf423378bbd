package response

import (
	"encoding/json"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/pgrest-lambda/pgrest-lambda/internal/apirequest"
	"github.com/pgrest-lambda/pgrest-lambda/internal/maintx"
)

// mutationOutcome is a successful write, with what the response depends on.
type mutationOutcome struct {
	// Method is POST, PATCH, PUT or DELETE.
	Method string
	// Table is the relation written, for the Location header.
	Table string
	// Media is the negotiated media type of a representation.
	Media apirequest.MediaType
	// Prefs are the request's preferences.
	Prefs apirequest.Preferences
	// Resolution is the upsert resolution applied, "" when none.
	Resolution string
	// Result is what the transaction produced; with return=headers-only
	// its body is the JSON array of the written rows' primary keys.
	Result *maintx.Result
}

// mutationResponse is the response to a write, as PostgREST's actionResponse for
// mutations: 201 for POST (200 for a merging upsert that inserted no row);
// 200 with return=representation, else 204, for PATCH, PUT and DELETE (201
// for a PUT that inserted its row). The body is sent only with return=representation;
// return=headers-only on POST gives a Location header when exactly one row
// was inserted. Content-Range is `*/total` for POST and DELETE (PostgREST's
// contentRangeH 1 0) and `first-last/total` for PATCH, none for PUT (`*`
// for total without an exact count). The response.status and
// response.headers settings then apply (withGUCs).
func mutationResponse(o mutationOutcome) *Response {
	return withGUCs(mutation(o), o.Result)
}

func mutation(o mutationOutcome) *Response {
	h := http.Header{}
	res := o.Result
	total := "*"
	if res.Total != nil {
		total = strconv.FormatInt(*res.Total, 10)
	}
	status := http.StatusNoContent
	switch o.Method {
	case http.MethodPost:
		status = http.StatusCreated
		if (res.Inserted != nil && *res.Inserted <= 0) || (o.Resolution == "merge-duplicates" && res.PageTotal == 0) {
			// A merging upsert that only updated, or wrote nothing (`[]`),
			// as PostgREST.
			status = http.StatusOK
		}
		h.Set("Content-Range", "*/"+total)
		if o.Prefs.Return == "headers-only" && res.PageTotal == 1 && res.Body != nil {
			if loc := location(o.Table, string(res.Body)); loc != "" {
				h.Set("Location", loc)
			}
		}
	case http.MethodDelete:
		h.Set("Content-Range", "*/"+total)
	case http.MethodPatch:
		rng := "*"
		if res.PageTotal > 0 {
			rng = "0-" + strconv.FormatInt(res.PageTotal-1, 10)
		}
		h.Set("Content-Range", rng+"/"+total)
	}
	if applied := mutationApplied(o); applied != "" {
		h.Set("Preference-Applied", applied)
	}
	if o.Prefs.Return != "representation" {
		return &Response{Status: status, Headers: h}
	}
	if status == http.StatusNoContent {
		status = http.StatusOK
		if o.Method == http.MethodPut && res.Inserted != nil && *res.Inserted > 0 {
			status = http.StatusCreated
		}
	}
	h.Set("Content-Type", o.Media.ContentType())
	return withBody(o.Method, &Response{Status: status, Headers: h}, res.Body)
}

// location is `/table?pk=eq.value&...` from the one row of a JSON array of
// primary key values; "" when there is none.
func location(table, body string) string {
	var rows []map[string]any
	if json.Unmarshal([]byte(body), &rows) != nil || len(rows) != 1 || len(rows[0]) == 0 {
		return ""
	}
	keys := make([]string, 0, len(rows[0]))
	for k := range rows[0] {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		v := "is.null"
		switch x := rows[0][k].(type) {
		case nil:
		case string:
			v = "eq." + x
		default:
			b, _ := json.Marshal(x)
			v = "eq." + string(b)
		}
		parts[i] = url.QueryEscape(k) + "=" + url.QueryEscape(v)
	}
	return "/" + table + "?" + strings.Join(parts, "&")
}

// mutationApplied is the Preference-Applied header of a write, in
// PostgREST's order: resolution, missing, return, count, tx, handling,
// timezone and, under strict handling, max-affected.
func mutationApplied(o mutationOutcome) string {
	p := o.Prefs
	var out []string
	if o.Resolution != "" {
		out = append(out, "resolution="+o.Resolution)
	}
	if p.Missing != "" {
		out = append(out, "missing="+p.Missing)
	}
	if p.Return != "" {
		out = append(out, "return="+p.Return)
	}
	count := ""
	if p.Count == apirequest.CountExact {
		count = p.Count
	}
	out = p.AppliedTail(out, count, true)
	return strings.Join(out, ", ")
}
