package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"

	"github.com/aws/aws-lambda-go/events"
	"github.com/awslabs/aws-lambda-go-api-proxy/httpadapter"

	"github.com/pgrest-lambda/pgrest-lambda/internal/pgrsterr"
)

// Invoker answers API Gateway proxy events with an http.Handler. One
// function serves both REST API (payload format 1.0) and HTTP API (2.0)
// integrations; the payload's "version" field tells them apart.
type Invoker struct {
	v1 *httpadapter.HandlerAdapter
	v2 *httpadapter.HandlerAdapterV2
}

// NewInvoker returns an Invoker over h.
func NewInvoker(h http.Handler) *Invoker {
	return &Invoker{v1: httpadapter.New(h), v2: httpadapter.NewV2(h)}
}

// Invoke handles one raw event: an events.APIGatewayProxyRequest (v1) or an
// events.APIGatewayV2HTTPRequest (v2), returning the matching response type.
// An event that cannot become an HTTP request (a query string that is not
// a valid URL, say) is answered with a 400 PGRST100, not a failed
// invocation (which API Gateway would turn into its own 500). It returns
// an error only for a payload that is neither kind of event.
func (i *Invoker) Invoke(ctx context.Context, raw json.RawMessage) (any, error) {
	// HTTP API (2.0) payloads are decoded once; anything else is looked at
	// again as a REST API payload.
	var v2 events.APIGatewayV2HTTPRequest
	if err := json.Unmarshal(raw, &v2); err == nil && v2.Version == "2.0" {
		resp, err := i.v2.ProxyWithContext(ctx, v2)
		if err != nil {
			e := invalidRequest(err)
			return events.APIGatewayV2HTTPResponse{StatusCode: e.Status, Body: string(e.Body()),
				Headers: map[string]string{"Content-Type": "application/json; charset=utf-8"}}, nil
		}
		return resp, nil
	}
	var v1 events.APIGatewayProxyRequest
	if err := json.Unmarshal(raw, &v1); err != nil {
		return nil, fmt.Errorf("decode event: %w", err)
	}
	if v1.HTTPMethod == "" {
		return nil, fmt.Errorf("unsupported event: neither an API Gateway REST API nor an HTTP API proxy event")
	}
	resp, err := i.v1.ProxyWithContext(ctx, v1)
	if err != nil {
		e := invalidRequest(err)
		return events.APIGatewayProxyResponse{StatusCode: e.Status, Body: string(e.Body()),
			Headers: map[string]string{"Content-Type": "application/json; charset=utf-8"}}, nil
	}
	return resp, nil
}

// invalidRequest is the error for an event the adapter could not turn
// into an HTTP request: the URL it names does not parse. The details name
// what is wrong in it, not the whole URL.
func invalidRequest(err error) *pgrsterr.Error {
	var uerr *url.Error
	if errors.As(err, &uerr) {
		err = uerr.Err
	}
	return pgrsterr.ParseError("Invalid request URL", err.Error())
}
