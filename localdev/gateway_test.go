package localdev

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
)

// capture is an Invoke that records the event and answers resp.
func capture(ev *json.RawMessage, resp any) Invoke {
	return func(_ context.Context, raw json.RawMessage) (any, error) {
		*ev = append(json.RawMessage(nil), raw...)
		return resp, nil
	}
}

func do(t *testing.T, h http.Handler, req *http.Request) (*http.Response, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	res := rec.Result()
	b, _ := io.ReadAll(res.Body)
	return res, string(b)
}

func TestHTTPAPIEventsAndResponses(t *testing.T) {
	var raw json.RawMessage
	g := GatewayHandler(capture(&raw, events.APIGatewayV2HTTPResponse{
		StatusCode: 201, Headers: map[string]string{"Vary": "Accept,Prefer"},
		Cookies: []string{"a=1; Path=/", "b=2"},
	}))
	req := httptest.NewRequest("POST", "/books?id=eq.1&id=eq.2&select=id", strings.NewReader("\x00\xff"))
	req.Header.Add("X-Multi", "one")
	req.Header.Add("X-Multi", "two")
	req.Header.Set("Cookie", "session=abc; theme=dark")
	req.Header.Set("Content-Type", "application/octet-stream")
	res, body := do(t, g, req)
	var ev events.APIGatewayV2HTTPRequest
	if err := json.Unmarshal(raw, &ev); err != nil {
		t.Fatal(err)
	}
	if ev.Headers["x-multi"] != "one,two" || !reflect.DeepEqual(ev.Cookies, []string{"session=abc", "theme=dark"}) ||
		ev.QueryStringParameters["id"] != "eq.1,eq.2" || ev.RawQueryString != "id=eq.1&id=eq.2&select=id" ||
		!ev.IsBase64Encoded || ev.Body != "AP8=" || ev.RouteKey != "ANY /{proxy+}" || ev.PathParameters["proxy"] != "books" {
		t.Fatalf("event %s", raw)
	}
	if res.StatusCode != 201 || body != "" || !reflect.DeepEqual(res.Header.Values("Set-Cookie"), []string{"a=1; Path=/", "b=2"}) ||
		res.Header.Get("Vary") != "Accept,Prefer" {
		t.Fatalf("response %d %q %v", res.StatusCode, body, res.Header)
	}
	if len(res.Header["Content-Type"]) > 0 {
		t.Fatalf("empty body got Content-Type %q", res.Header.Get("Content-Type"))
	}

	// JSON bodies travel as text.
	req = httptest.NewRequest("POST", "/", strings.NewReader(`{"a":1}`))
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	do(t, g, req)
	if err := json.Unmarshal(raw, &ev); err != nil || ev.IsBase64Encoded || ev.Body != `{"a":1}` || ev.RouteKey != "ANY /" {
		t.Fatalf("event %s", raw)
	}
}

func TestRESTAPIEventsAndResponses(t *testing.T) {
	var raw json.RawMessage
	g := &Gateway{Kind: RESTAPI, BinaryMediaTypes: []string{"image/*"}, Invoke: capture(&raw, events.APIGatewayProxyResponse{
		StatusCode: 200, MultiValueHeaders: map[string][]string{"Set-Cookie": {"a=1", "b=2"}},
		Body: "AP8=", IsBase64Encoded: true,
	})}
	req := httptest.NewRequest("GET", "/tags?name=eq.a%2Bb%20c&id=gte.2&id=lte.3", nil)
	req.Header.Add("X-Multi", "one")
	req.Header.Add("X-Multi", "two")
	req.Header.Set("Accept", "image/png")
	res, body := do(t, g, req)
	var ev events.APIGatewayProxyRequest
	if err := json.Unmarshal(raw, &ev); err != nil {
		t.Fatal(err)
	}
	if ev.Headers["X-Multi"] != "two" || !reflect.DeepEqual(ev.MultiValueHeaders["X-Multi"], []string{"one", "two"}) ||
		ev.QueryStringParameters["name"] != "eq.a+b c" || ev.QueryStringParameters["id"] != "lte.3" ||
		!reflect.DeepEqual(ev.MultiValueQueryStringParameters["id"], []string{"gte.2", "lte.3"}) ||
		ev.Resource != "/{proxy+}" || ev.RequestContext.Path != "/Prod/tags" || ev.Body != "" {
		t.Fatalf("event %s", raw)
	}
	if body != "\x00\xff" || !reflect.DeepEqual(res.Header.Values("Set-Cookie"), []string{"a=1", "b=2"}) ||
		res.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("response %q %v", body, res.Header)
	}
	// Accept outside BinaryMediaTypes: the base64 text goes out as is.
	req.Header.Set("Accept", "application/json")
	if _, body = do(t, g, req); body != "AP8=" {
		t.Fatalf("body %q", body)
	}
	// Request bodies are base64 only for BinaryMediaTypes.
	req = httptest.NewRequest("POST", "/x", strings.NewReader("hi"))
	req.Header.Set("Content-Type", "text/plain")
	do(t, g, req)
	if err := json.Unmarshal(raw, &ev); err != nil || ev.IsBase64Encoded || ev.Body != "hi" {
		t.Fatalf("event %s", raw)
	}
}

func TestGatewayLimits(t *testing.T) {
	slow := func(ctx context.Context, _ json.RawMessage) (any, error) {
		<-ctx.Done()
		return nil, ctx.Err()
	}
	fail := func(context.Context, json.RawMessage) (any, error) { return nil, &FunctionError{Type: "x"} }
	for _, c := range []struct {
		g      *Gateway
		body   string
		status int
		msg    string
	}{
		{&Gateway{Kind: HTTPAPI, Invoke: slow, Timeout: 50 * time.Millisecond}, "", 503, "Service Unavailable"},
		{&Gateway{Kind: RESTAPI, Invoke: slow, Timeout: 50 * time.Millisecond}, "", 504, "Endpoint request timed out"},
		{&Gateway{Kind: HTTPAPI, Invoke: fail}, "", 500, "Internal Server Error"},
		{&Gateway{Kind: RESTAPI, Invoke: fail}, "", 502, "Internal server error"},
		{&Gateway{Kind: HTTPAPI, Invoke: fail}, strings.Repeat("x", MaxPayload+1), 413, "Request Entity Too Large"},
		// Under 6 MB of body, over 6 MB of event once base64-encoded.
		{&Gateway{Kind: RESTAPI, Invoke: fail}, strings.Repeat("x", MaxPayload*4/5), 413, "Request Entity Too Large"},
	} {
		res, body := do(t, c.g, httptest.NewRequest("POST", "/", strings.NewReader(c.body)))
		if res.StatusCode != c.status || body != `{"message":"`+c.msg+`"}` {
			t.Errorf("%s: %d %s, want %d %s", c.g.Kind, res.StatusCode, body, c.status, c.msg)
		}
	}
}
