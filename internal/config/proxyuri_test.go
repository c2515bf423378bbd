package config

import (
	"strings"
	"testing"
)

func TestFromEnvOpenAPIServerProxyURI(t *testing.T) {
	c, err := FromEnv(env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if c.OpenAPIServerProxyURI != "" {
		t.Fatalf("default = %q, want unset", c.OpenAPIServerProxyURI)
	}
	c, err = FromEnv(env(map[string]string{"PGRST_OPENAPI_SERVER_PROXY_URI": " https://api.example.com:8443/v1 "}))
	if err != nil {
		t.Fatal(err)
	}
	if c.OpenAPIServerProxyURI != "https://api.example.com:8443/v1" {
		t.Fatalf("got %q", c.OpenAPIServerProxyURI)
	}
}

func TestCheckProxyURI(t *testing.T) {
	for _, ok := range []string{
		"", "http://example.com", "https://example.com/", "HTTPS://example.com:443/api/v1",
		"http://localhost:3000", "https://[::1]:8443/base",
	} {
		if err := CheckProxyURI(ok); err != nil {
			t.Errorf("%q: %v", ok, err)
		}
	}
	for _, bad := range []string{
		"example.com", "/api", "ftp://example.com", "https://", "https://:8443/x",
		"https://example.com?x=1", "https://example.com/#top", "https://example.com:0",
		"https://example.com:70000", "https://example.com:port", "https://example.com:/x",
		"mailto:someone@example.com",
	} {
		err := CheckProxyURI(bad)
		if err == nil || !strings.Contains(err.Error(), "malformed proxy URI") {
			t.Errorf("%q: error %v, want a malformed proxy URI error", bad, err)
		}
	}
	_, err := FromEnv(env(map[string]string{"PGRST_OPENAPI_SERVER_PROXY_URI": "ftp://x"}))
	if err == nil || !strings.Contains(err.Error(), "PGRST_OPENAPI_SERVER_PROXY_URI") {
		t.Fatalf("error %v does not name the variable", err)
	}
}
