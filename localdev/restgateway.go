package localdev

import (
	"encoding/base64"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
)

// binary reports whether a Content-Type or Accept value matches one of
// the REST API's BinaryMediaTypes ("*/*", "type/*" or "type/subtype").
// Accept may list several types; any match counts. An absent value only
// matches "*/*".
func (g *Gateway) binary(v string) bool {
	types := g.BinaryMediaTypes
	if types == nil {
		types = []string{"*/*"}
	}
	items := strings.Split(v, ",")
	for _, item := range items {
		mt := mediaType(item)
		for _, b := range types {
			b = strings.ToLower(b)
			switch {
			case b == "*/*":
				return true
			case mt == "":
			case strings.HasSuffix(b, "/*") && strings.HasPrefix(mt, strings.TrimSuffix(b, "*")):
				return true
			case b == mt:
				return true
			}
		}
	}
	return false
}

// restEvent is r as a REST API payload format 1.0 event for the routes
// "/" and "/{proxy+}" of template.yaml.
func (g *Gateway) restEvent(r *http.Request, body []byte, reqID string, now time.Time) events.APIGatewayProxyRequest {
	stage := g.Stage
	if stage == "" {
		stage = "Prod"
	}
	headers := map[string]string{"Host": r.Host}
	multi := map[string][]string{"Host": {r.Host}}
	for k, vs := range r.Header {
		headers[k] = vs[len(vs)-1]
		multi[k] = append([]string(nil), vs...)
	}
	var query map[string]string
	var multiQuery map[string][]string
	if q := r.URL.Query(); len(q) > 0 {
		query, multiQuery = map[string]string{}, map[string][]string{}
		for k, vs := range q {
			query[k] = vs[len(vs)-1]
			multiQuery[k] = vs
		}
	}
	resource, params := "/{proxy+}", map[string]string{"proxy": strings.TrimPrefix(r.URL.Path, "/")}
	if r.URL.Path == "/" {
		resource, params = "/", nil
	}
	ev := events.APIGatewayProxyRequest{
		Resource:                        resource,
		Path:                            r.URL.Path,
		HTTPMethod:                      r.Method,
		Headers:                         headers,
		MultiValueHeaders:               multi,
		QueryStringParameters:           query,
		MultiValueQueryStringParameters: multiQuery,
		PathParameters:                  params,
		RequestContext: events.APIGatewayProxyRequestContext{
			AccountID:         "123456789012",
			ResourceID:        "localdev",
			Stage:             stage,
			RequestID:         reqID,
			ExtendedRequestID: reqID,
			Identity: events.APIGatewayRequestIdentity{
				SourceIP: sourceIP(r), UserAgent: r.UserAgent(),
			},
			ResourcePath:     resource,
			HTTPMethod:       r.Method,
			Path:             "/" + stage + r.URL.Path,
			Protocol:         r.Proto,
			RequestTime:      now.UTC().Format("02/Jan/2006:15:04:05 -0700"),
			RequestTimeEpoch: now.UnixMilli(),
			APIID:            "localdev",
			DomainName:       r.Host,
		},
	}
	if len(body) > 0 {
		if g.binary(r.Header.Get("Content-Type")) {
			ev.Body, ev.IsBase64Encoded = base64.StdEncoding.EncodeToString(body), true
		} else {
			ev.Body = string(body)
		}
	}
	return ev
}

// writeREST writes a REST API response: headers and multiValueHeaders
// merged (multiValueHeaders win for the same name), Content-Type
// application/json when there is none, and a base64 body decoded only
// when the request's Accept matches BinaryMediaTypes.
func (g *Gateway) writeREST(w http.ResponseWriter, r *http.Request, resp *events.APIGatewayProxyResponse) {
	h := w.Header()
	for k, v := range resp.Headers {
		h.Set(k, v)
	}
	for k, vs := range resp.MultiValueHeaders {
		h.Del(k)
		for _, v := range vs {
			h.Add(k, v)
		}
	}
	if h.Get("Content-Type") == "" {
		h.Set("Content-Type", "application/json")
	}
	writeBody(w, resp.StatusCode, resp.Body, resp.IsBase64Encoded && g.binary(r.Header.Get("Accept")))
}
