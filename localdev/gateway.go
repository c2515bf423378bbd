package localdev

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/aws/aws-lambda-go/events"
)

// Invoke is a Lambda handler taking a raw event, such as app.Invoker.Invoke
// or RuntimeAPI.Invoke.
type Invoke func(ctx context.Context, raw json.RawMessage) (any, error)

// The two kinds of API Gateway in front of a Lambda proxy integration.
const (
	// HTTPAPI is an HTTP API: payload format 2.0 events.
	HTTPAPI = "http"
	// RESTAPI is a REST API: payload format 1.0 events.
	RESTAPI = "rest"
)

// Integration timeouts of API Gateway: 30 s for an HTTP API, 29 s for a
// REST API.
const (
	HTTPAPITimeout = 30 * time.Second
	RESTAPITimeout = 29 * time.Second
)

// Gateway serves HTTP the way API Gateway does in front of a Lambda proxy
// integration: each request becomes an event (marshalled to JSON, as Lambda
// delivers it), Invoke handles it, and the response document becomes the
// HTTP response. What it reproduces:
//
//   - HTTP API (2.0): lower-case headers, repeated ones comma-joined; the
//     Cookie header as the cookies array; bodies base64-encoded unless the
//     Content-Type is text (text/*, JSON, XML, JavaScript); in responses the
//     cookies array becomes Set-Cookie headers and multiValueHeaders are
//     ignored. A function error is a 500, a timeout a 503.
//   - REST API (1.0): headers and multiValueHeaders, queryStringParameters
//     and multiValueQueryStringParameters (decoded; the single-value maps
//     keep the last value); request bodies base64-encoded when their
//     Content-Type matches BinaryMediaTypes, response bodies decoded when
//     isBase64Encoded and the Accept header matches them; headers and
//     multiValueHeaders merged; Content-Type application/json when the
//     function sets none. A function error is a 502, a timeout a 504.
//   - Both: an event over 6 MB is a 413; no Content-Type is added to a
//     response that has none (HTTP API).
type Gateway struct {
	// Kind is HTTPAPI (the default) or RESTAPI.
	Kind string
	// Invoke handles the events.
	Invoke Invoke
	// Timeout is the integration timeout; 0 means HTTPAPITimeout or
	// RESTAPITimeout.
	Timeout time.Duration
	// BinaryMediaTypes of a REST API; nil means {"*/*"}, as in template.yaml.
	BinaryMediaTypes []string
	// Stage of a REST API; "" means "Prod", SAM's stage name.
	Stage string

	seq atomic.Int64
}

// GatewayHandler is an HTTP API Gateway in front of invoke.
func GatewayHandler(invoke Invoke) http.Handler {
	return &Gateway{Kind: HTTPAPI, Invoke: invoke}
}

func (g *Gateway) rest() bool { return g.Kind == RESTAPI }

// gatewayError writes one of API Gateway's own JSON error responses.
func gatewayError(w http.ResponseWriter, status int, message string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	b, _ := json.Marshal(map[string]string{"message": message})
	_, _ = w.Write(b)
}

func (g *Gateway) failed(w http.ResponseWriter) {
	if g.rest() {
		gatewayError(w, http.StatusBadGateway, "Internal server error")
	} else {
		gatewayError(w, http.StatusInternalServerError, "Internal Server Error")
	}
}

func (g *Gateway) timedOut(w http.ResponseWriter) {
	if g.rest() {
		gatewayError(w, http.StatusGatewayTimeout, "Endpoint request timed out")
	} else {
		gatewayError(w, http.StatusServiceUnavailable, "Service Unavailable")
	}
}

// ServeHTTP converts r to an event, invokes the function and writes its
// response.
func (g *Gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxPayload+1))
	if err != nil {
		gatewayError(w, http.StatusBadRequest, "Bad Request")
		return
	}
	if len(body) > MaxPayload {
		gatewayError(w, http.StatusRequestEntityTooLarge, "Request Entity Too Large")
		return
	}
	now := time.Now()
	reqID := now.UTC().Format("20060102T150405") + "-" + itoa(g.seq.Add(1))
	var ev any
	if g.rest() {
		ev = g.restEvent(r, body, reqID, now)
	} else {
		ev = httpEvent(r, body, reqID, now)
	}
	raw, err := json.Marshal(ev)
	if err != nil {
		g.failed(w)
		return
	}
	if len(raw) > MaxPayload {
		gatewayError(w, http.StatusRequestEntityTooLarge, "Request Entity Too Large")
		return
	}
	timeout := g.Timeout
	if timeout <= 0 {
		timeout = HTTPAPITimeout
		if g.rest() {
			timeout = RESTAPITimeout
		}
	}
	ctx, cancel := context.WithTimeout(r.Context(), timeout)
	defer cancel()
	type outcome struct {
		out any
		err error
	}
	ch := make(chan outcome, 1)
	go func() {
		out, err := g.Invoke(ctx, raw)
		ch <- outcome{out, err}
	}()
	var res outcome
	select {
	case res = <-ch:
	case <-ctx.Done():
		res.err = ctx.Err()
	}
	switch {
	case res.err == nil:
	case errors.Is(res.err, ErrPayloadTooLarge):
		gatewayError(w, http.StatusRequestEntityTooLarge, "Request Entity Too Large")
		return
	case errors.Is(res.err, context.DeadlineExceeded):
		g.timedOut(w)
		return
	default:
		g.failed(w)
		return
	}
	out, err := json.Marshal(res.out)
	if err != nil || len(out) > MaxPayload {
		g.failed(w)
		return
	}
	if g.rest() {
		var resp events.APIGatewayProxyResponse
		if json.Unmarshal(out, &resp) != nil || resp.StatusCode == 0 {
			g.failed(w)
			return
		}
		g.writeREST(w, r, &resp)
		return
	}
	var resp events.APIGatewayV2HTTPResponse
	if err := json.Unmarshal(out, &resp); err != nil || resp.StatusCode == 0 {
		// An HTTP API takes any other JSON output as a 200 body.
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(out)
		return
	}
	writeHTTP(w, &resp)
}

func itoa(n int64) string {
	b, _ := json.Marshal(n)
	return string(b)
}

// sourceIP is the client address of r without the port.
func sourceIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// mediaType is the lower-case type/subtype of a Content-Type or Accept item.
func mediaType(v string) string {
	if mt, _, err := mime.ParseMediaType(v); err == nil {
		return mt
	}
	mt, _, _ := strings.Cut(v, ";")
	return strings.ToLower(strings.TrimSpace(mt))
}

// textType reports whether an HTTP API passes a body of this Content-Type
// as text rather than base64.
func textType(contentType string) bool {
	mt := mediaType(contentType)
	switch {
	case mt == "":
		return false
	case strings.HasPrefix(mt, "text/"), mt == "application/json", mt == "application/javascript",
		mt == "application/xml", strings.HasSuffix(mt, "+json"), strings.HasSuffix(mt, "+xml"):
		return true
	}
	return false
}

// httpEvent is r as an HTTP API payload format 2.0 event.
func httpEvent(r *http.Request, body []byte, reqID string, now time.Time) events.APIGatewayV2HTTPRequest {
	headers := map[string]string{"host": r.Host}
	var cookies []string
	for k, vs := range r.Header {
		if strings.EqualFold(k, "Cookie") {
			for _, v := range vs {
				for _, c := range strings.Split(v, ";") {
					if c = strings.TrimSpace(c); c != "" {
						cookies = append(cookies, c)
					}
				}
			}
			continue
		}
		headers[strings.ToLower(k)] = strings.Join(vs, ",")
	}
	var query map[string]string
	if q := r.URL.Query(); len(q) > 0 {
		query = map[string]string{}
		for k, vs := range q {
			query[k] = strings.Join(vs, ",")
		}
	}
	routeKey, params := "ANY /{proxy+}", map[string]string{"proxy": strings.TrimPrefix(r.URL.Path, "/")}
	if r.URL.Path == "/" {
		routeKey, params = "ANY /", nil
	}
	ev := events.APIGatewayV2HTTPRequest{
		Version:               "2.0",
		RouteKey:              routeKey,
		RawPath:               r.URL.EscapedPath(),
		RawQueryString:        r.URL.RawQuery,
		Cookies:               cookies,
		Headers:               headers,
		QueryStringParameters: query,
		PathParameters:        params,
		RequestContext: events.APIGatewayV2HTTPRequestContext{
			AccountID:    "123456789012",
			APIID:        "localdev",
			DomainName:   r.Host,
			DomainPrefix: strings.Split(r.Host, ".")[0],
			RouteKey:     routeKey,
			Stage:        "$default",
			RequestID:    reqID,
			HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{
				Method: r.Method, Path: r.URL.Path, Protocol: r.Proto,
				SourceIP: sourceIP(r), UserAgent: r.UserAgent(),
			},
			Time:      now.UTC().Format("02/Jan/2006:15:04:05 -0700"),
			TimeEpoch: now.UnixMilli(),
		},
	}
	if len(body) > 0 {
		if textType(r.Header.Get("Content-Type")) {
			ev.Body = string(body)
		} else {
			ev.Body, ev.IsBase64Encoded = base64.StdEncoding.EncodeToString(body), true
		}
	}
	return ev
}

// writeBody writes status and body; a response without Content-Type keeps
// none (net/http would otherwise sniff one, even for an empty body).
func writeBody(w http.ResponseWriter, status int, body string, isBase64 bool) {
	if _, ok := w.Header()["Content-Type"]; !ok {
		w.Header()["Content-Type"] = nil
	}
	b := []byte(body)
	if isBase64 {
		if d, err := base64.StdEncoding.DecodeString(body); err == nil {
			b = d
		}
	}
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// writeHTTP writes an HTTP API response: headers (comma-joined values
// stay one header), each cookie as a Set-Cookie header; multiValueHeaders
// are not part of payload format 2.0.
func writeHTTP(w http.ResponseWriter, resp *events.APIGatewayV2HTTPResponse) {
	h := w.Header()
	for k, v := range resp.Headers {
		h.Set(k, v)
	}
	for _, c := range resp.Cookies {
		h.Add("Set-Cookie", c)
	}
	writeBody(w, resp.StatusCode, resp.Body, resp.IsBase64Encoded)
}
