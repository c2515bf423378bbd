package tests

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"testing"

	"github.com/aws/aws-lambda-go/events"
)

// binarySQL echoes a raw bytea body back as application/octet-stream.
const binarySQL = `
CREATE DOMAIN api."application/octet-stream" AS bytea;
CREATE FUNCTION api.echo_bytes(bytea) RETURNS api."application/octet-stream" LANGUAGE sql IMMUTABLE AS 'SELECT $1';
GRANT EXECUTE ON FUNCTION api.echo_bytes(bytea) TO web_anon;`

// TestBinaryBodiesRoundTrip: every byte value sent as an octet-stream body
// comes back unchanged through REST API (v1) and HTTP API (v2) events, with
// isBase64Encoded on the way in and out, as API Gateway carries binary.
func TestBinaryBodiesRoundTrip(t *testing.T) {
	t.Parallel()
	e := newEnv(t, binarySQL, nil)
	payload := make([]byte, 256)
	for i := range payload {
		payload[i] = byte(i)
	}
	body := base64.StdEncoding.EncodeToString(payload)
	headers := map[string]string{"Content-Type": "application/octet-stream", "Accept": "application/octet-stream"}
	v1 := events.APIGatewayProxyRequest{Resource: "/{proxy+}", Path: "/rpc/echo_bytes", HTTPMethod: "POST",
		Headers: headers, Body: body, IsBase64Encoded: true,
		RequestContext: events.APIGatewayProxyRequestContext{Stage: "prod", HTTPMethod: "POST", Path: "/prod/rpc/echo_bytes"}}
	v2 := events.APIGatewayV2HTTPRequest{Version: "2.0", RouteKey: "$default", RawPath: "/rpc/echo_bytes",
		Headers: headers, Body: body, IsBase64Encoded: true,
		RequestContext: events.APIGatewayV2HTTPRequestContext{Stage: "$default",
			HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: "POST", Path: "/rpc/echo_bytes"}}}
	for name, ev := range map[string]any{"v1": v1, "v2": v2} {
		raw, _ := json.Marshal(ev)
		out, err := e.stack.Invoker.Invoke(context.Background(), raw)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		b, _ := json.Marshal(out)
		var res struct {
			StatusCode      int    `json:"statusCode"`
			Body            string `json:"body"`
			IsBase64Encoded bool   `json:"isBase64Encoded"`
		}
		if err := json.Unmarshal(b, &res); err != nil {
			t.Fatal(err)
		}
		got, err := base64.StdEncoding.DecodeString(res.Body)
		if res.StatusCode != 200 || !res.IsBase64Encoded || err != nil || !bytes.Equal(got, payload) {
			t.Errorf("%s: %d base64=%v %v: %q", name, res.StatusCode, res.IsBase64Encoded, err, res.Body)
		}
	}
}
