package app

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/aws/aws-lambda-go/events"
	"github.com/awslabs/aws-lambda-go-api-proxy/httpadapter"
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
// It returns an error only for a payload that is neither.
func (i *Invoker) Invoke(ctx context.Context, raw json.RawMessage) (any, error) {
	var probe struct {
		Version    string `json:"version"`
		HTTPMethod string `json:"httpMethod"`
	}
	if err := json.Unmarshal(raw, &probe); err != nil {
		return nil, fmt.Errorf("decode event: %w", err)
	}
	switch {
	case probe.Version == "2.0":
		var ev events.APIGatewayV2HTTPRequest
		if err := json.Unmarshal(raw, &ev); err != nil {
			return nil, fmt.Errorf("decode HTTP API event: %w", err)
		}
		return i.v2.ProxyWithContext(ctx, ev)
	case probe.HTTPMethod != "":
		var ev events.APIGatewayProxyRequest
		if err := json.Unmarshal(raw, &ev); err != nil {
			return nil, fmt.Errorf("decode REST API event: %w", err)
		}
		return i.v1.ProxyWithContext(ctx, ev)
	}
	return nil, fmt.Errorf("unsupported event: neither an API Gateway REST API nor an HTTP API proxy event")
}
