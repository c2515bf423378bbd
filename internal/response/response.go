// Package response turns a query result or an error into the HTTP
// response PostgREST would send: status, headers and body.
package response

import (
	"net/http"
	"strconv"

	"github.com/pgrest-lambda/pgrest-lambda/internal/pgrsterr"
	"github.com/pgrest-lambda/pgrest-lambda/internal/query"
)

// Response is a complete HTTP response.
type Response struct {
	Status  int
	Headers http.Header
	Body    []byte
}

// Write sends r to w.
func (r *Response) Write(w http.ResponseWriter) {
	for k, vs := range r.Headers {
		w.Header()[k] = vs
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(r.Body)))
	w.WriteHeader(r.Status)
	_, _ = w.Write(r.Body)
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

// Read is the response to a read of a relation or of a routine's result:
// 200 with the JSON body (none for HEAD) and PostgREST's Content-Range
// `first-last/*` (`*/*` when empty). offset is the requested offset (0 when none).
// A void routine (nil body) gives 204 without a body.
func Read(method string, res *query.Result, offset int64) *Response {
	h := http.Header{}
	if res.Body == nil {
		return &Response{Status: http.StatusNoContent, Headers: h}
	}
	h.Set("Content-Type", "application/json; charset=utf-8")
	rng := "*/*"
	if res.PageTotal > 0 {
		rng = strconv.FormatInt(offset, 10) + "-" + strconv.FormatInt(offset+res.PageTotal-1, 10) + "/*"
	}
	h.Set("Content-Range", rng)
	r := &Response{Status: http.StatusOK, Headers: h, Body: []byte(*res.Body)}
	if method == http.MethodHead {
		r.Body = nil
	}
	return r
}
