package app

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
)

// TestInvokerAnswersUnconvertibleEvents: an event whose URL does not parse
// (a query string with a bare '%') is answered with a 400 PGRST100 of the
// event's own kind, not a failed invocation, and the handler is not run.
func TestInvokerAnswersUnconvertibleEvents(t *testing.T) {
	ran := false
	inv := NewInvoker(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { ran = true }))
	check := func(kind string, status int, body string) {
		t.Helper()
		var e struct{ Code, Message, Details string }
		if err := json.Unmarshal([]byte(body), &e); err != nil || status != 400 || e.Code != "PGRST100" ||
			e.Message != "Invalid request URL" || !strings.Contains(e.Details, `invalid URL escape "%"`) || strings.Contains(e.Details, "localhost") {
			t.Fatalf("%s: %d %s", kind, status, body)
		}
	}
	out, err := inv.Invoke(context.Background(), json.RawMessage(
		`{"version":"2.0","routeKey":"$default","rawPath":"/","rawQueryString":"#%","headers":{"host":"localhost"},`+
			`"requestContext":{"http":{"method":"GET","path":"/"}}}`))
	if err != nil {
		t.Fatal(err)
	}
	v2, ok := out.(events.APIGatewayV2HTTPResponse)
	if !ok {
		t.Fatalf("v2: %T", out)
	}
	check("v2", v2.StatusCode, v2.Body)
	if ran {
		t.Fatal("the handler ran")
	}
}
