package main

import (
	"context"
	"encoding/json"
	"log/slog"
	"sync/atomic"

	"github.com/aws/aws-lambda-go/lambdacontext"
)

// invocationID is the AWS request id of the invocation being served. A
// Lambda container serves one invocation at a time, so it names the
// invocation of every line logged while it runs, including lines logged
// without its context.
var invocationID atomic.Pointer[string]

// withRequestID records each invocation's request id for the logger while
// it runs.
func withRequestID(invoke func(context.Context, json.RawMessage) (any, error)) func(context.Context, json.RawMessage) (any, error) {
	return func(ctx context.Context, raw json.RawMessage) (any, error) {
		id := ""
		if lc, ok := lambdacontext.FromContext(ctx); ok {
			id = lc.AwsRequestID
		}
		invocationID.Store(&id)
		defer invocationID.Store(nil)
		return invoke(ctx, raw)
	}
}

// requestIDHandler adds "requestId" (the key of Lambda's own JSON log
// lines) to every record logged during an invocation.
type requestIDHandler struct{ slog.Handler }

// Handle adds the request id of ctx, else of the invocation being served.
func (h requestIDHandler) Handle(ctx context.Context, r slog.Record) error {
	id := ""
	if lc, ok := lambdacontext.FromContext(ctx); ok {
		id = lc.AwsRequestID
	} else if p := invocationID.Load(); p != nil {
		id = *p
	}
	if id != "" {
		r.AddAttrs(slog.String("requestId", id))
	}
	return h.Handler.Handle(ctx, r)
}

// WithAttrs keeps adding the request id.
func (h requestIDHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return requestIDHandler{h.Handler.WithAttrs(attrs)}
}

// WithGroup keeps adding the request id.
func (h requestIDHandler) WithGroup(name string) slog.Handler {
	return requestIDHandler{h.Handler.WithGroup(name)}
}
