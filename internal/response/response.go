package response

import (
	"net/http"
	"strconv"

	"github.com/pgrest-lambda/pgrest-lambda/internal/apirequest"
	"github.com/pgrest-lambda/pgrest-lambda/internal/maintx"
	"github.com/pgrest-lambda/pgrest-lambda/internal/pgrsterr"
)

// Response is a complete HTTP response.
type Response struct {
	Status  int
	Headers http.Header
	Body    []byte

	// length holds the Content-Length value Write sets, so that its
	// one-value slice needs no allocation of its own.
	length [1]string
}

// Write sends r to w. An empty body is not written at all, so no
// Content-Type is sniffed in for it (the API Gateway adapter would add
// text/plain to a 201 or 204), as PostgREST sends none.
func (r *Response) Write(w http.ResponseWriter) {
	for k, vs := range r.Headers {
		w.Header()[k] = vs
	}
	r.length[0] = strconv.Itoa(len(r.Body))
	w.Header()["Content-Length"] = r.length[:1:1]
	w.WriteHeader(r.Status)
	if len(r.Body) > 0 {
		_, _ = w.Write(r.Body)
	}
}

// Error is the response for a PostgREST error: its status, the JSON body,
// `Content-Type: application/json; charset=utf-8`, PostgREST's
// `Proxy-Status: PostgREST; error=<code>` and any headers the error requires.
func Error(e *pgrsterr.Error) *Response {
	h := http.Header{}
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Proxy-Status", "PostgREST; error="+e.Code)
	for k, v := range e.Headers {
		h.Set(k, v)
	}
	return &Response{Status: e.Status, Headers: h, Body: e.Body()}
}

// outcome is a successful read of a relation or routine call, with what
// the response depends on.
type outcome struct {
	// Method is the HTTP method; HEAD responses have no body.
	Method string
	// Media is the negotiated media type.
	Media apirequest.MediaType
	// Prefs are the request's preferences (for Preference-Applied).
	Prefs apirequest.Preferences
	// Call is true for a routine call; Void for one returning void.
	Call, Void bool
	// Offset is the first row requested (0 when none).
	Offset int64
	// Location is the Content-Location of a relation read, "" for a call.
	Location string
	// Vary is the Vary header, "" for none (New sets it then).
	Vary string
	// Result is what the transaction produced.
	Result *maintx.Result
}

// readResponse is the response to a read or a call, as PostgREST's actionResponse:
// the body in the negotiated media type with its Content-Type,
// Content-Range `first-last/total` (`*` for an unknown total, `*/total` for
// an empty page), a relation's canonical Content-Location, status 206 when a known total is larger than the page,
// 416 with the PGRST103 body when the offset is past a known total, and
// Preference-Applied with the honoured preferences. A void routine gives
// 204 without a body; a plan (application/vnd.pgrst.plan) is 200 with the
// EXPLAIN output only. The response.status and response.headers settings
// then override status and headers (withGUCs).
func readResponse(o outcome) *Response {
	return withGUCs(read(o), o.Result)
}

func read(o outcome) *Response {
	// One allocation for the response and the values of its headers.
	st := &struct {
		r    Response
		vals [6]string
	}{}
	r := &st.r
	h := headers{h: make(http.Header, len(st.vals)), vals: st.vals[:0]}
	r.Headers = h.h
	if o.Vary != "" {
		h.set("Vary", o.Vary)
	}
	res := o.Result
	if o.Media.Kind == apirequest.MediaPlan {
		h.set("Content-Type", o.Media.ContentType())
		r.Status = http.StatusOK
		return withBody(o.Method, r, res.Body)
	}
	lower := o.Offset
	upper := lower + res.PageTotal - 1
	status := http.StatusOK
	// first-last/total, built in one buffer.
	var buf [64]byte
	rng := buf[:0]
	if (res.Total == nil || *res.Total != 0) && lower <= upper {
		rng = strconv.AppendInt(rng, lower, 10)
		rng = append(rng, '-')
		rng = strconv.AppendInt(rng, upper, 10)
	} else {
		rng = append(rng, '*')
	}
	rng = append(rng, '/')
	if res.Total == nil {
		rng = append(rng, '*')
	} else {
		t := *res.Total
		rng = strconv.AppendInt(rng, t, 10)
		switch {
		case lower > t:
			status = http.StatusRequestedRangeNotSatisfiable
		case 1+upper-lower < t:
			status = http.StatusPartialContent
		}
	}
	h.set("Content-Range", string(rng))
	if o.Location != "" {
		h.set("Content-Location", o.Location)
	}
	if applied := o.Prefs.Applied(o.Call); applied != "" {
		h.set("Preference-Applied", applied)
	}
	if o.Void {
		r.Status = http.StatusNoContent
		return r
	}
	h.set("Content-Type", o.Media.ContentType())
	r.Status = status
	if status == http.StatusRequestedRangeNotSatisfiable {
		// PostgREST answers with its error body but otherwise a normal response.
		return withBody(o.Method, r, pgrsterr.RangeOutOfBounds(lower, *res.Total).Body())
	}
	return withBody(o.Method, r, res.Body)
}

// headers is a header map being filled: the one-value slices of the
// headers set through it share one array, so a response's few headers
// cost one allocation together rather than one each.
type headers struct {
	h    http.Header
	vals []string
}

// set sets the header key, a canonical name, to the single value v.
func (hs *headers) set(key, v string) {
	// Past the array's capacity append moves on to a new one; the
	// slices already handed out keep the old.
	hs.vals = append(hs.vals, v)
	n := len(hs.vals)
	hs.h[key] = hs.vals[n-1 : n : n]
}

// withBody sets the body of r, none for HEAD.
func withBody(method string, r *Response, body []byte) *Response {
	if method != http.MethodHead && body != nil {
		r.Body = body
	}
	return r
}
