package main

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/pgrest-lambda/pgrest-lambda/internal/logging"
)

func TestLogLinesCarryTheRequestID(t *testing.T) {
	var buf bytes.Buffer
	logger := slog.New(requestIDHandler{logging.New(&buf, "info").Handler()}).With("component", "test")
	invoke := withRequestID(func(ctx context.Context, _ json.RawMessage) (any, error) {
		logger.Info("inside, without the context")
		return nil, nil
	})
	ctx := lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{AwsRequestID: "req-1"})
	if _, err := invoke(ctx, nil); err != nil {
		t.Fatal(err)
	}
	ctx2 := lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{AwsRequestID: "req-2"})
	logger.InfoContext(ctx2, "with the context")

	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	want := []string{"req-1", "req-2"}
	if len(lines) != len(want) {
		t.Fatalf("log = %q", buf.String())
	}
	for i, l := range lines {
		var rec map[string]any
		if err := json.Unmarshal([]byte(l), &rec); err != nil {
			t.Fatal(err)
		}
		if rec["requestId"] != want[i] || rec["component"] != "test" {
			t.Errorf("line %d = %s, want requestId %q and component test", i, l, want[i])
		}
	}
}
