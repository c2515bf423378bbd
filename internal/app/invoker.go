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
	// HTTP API (2.0) payloads are decoded once; anything else is looked at
	// again as a REST API payload.
	var v2 events.APIGatewayV2HTTPRequest
	if err := json.Unmarshal(raw, &v2); err == nil && v2.Version == "2.0" {
		return i.v2.ProxyWithContext(ctx, v2)
	}
	var v1 events.APIGatewayProxyRequest
	if err := json.Unmarshal(raw, &v1); err != nil {
		return nil, fmt.Errorf("decode event: %w", err)
	}
	if v1.HTTPMethod == "" {
		return nil, fmt.Errorf("unsupported event: neither an API Gateway REST API nor an HTTP API proxy event")
	}
	return i.v1.ProxyWithContext(ctx, v1)
}
