package apirequest

import (
	"strings"
	"testing"
)

func TestLowerNameIsToLower(t *testing.T) {
	for _, k := range []string{"Accept", "Accept-Encoding", "Accept-Language", "Accept-Profile", "Authorization",
		"Connection", "Content-Length", "Content-Profile", "Content-Type", "Host", "Origin", "Prefer", "Range",
		"Referer", "User-Agent", "X-Forwarded-For", "X-Forwarded-Port", "X-Forwarded-Proto", "X-Amzn-Trace-Id",
		"X-Custom", "already-lower", ""} {
		if got := lowerName(k); got != strings.ToLower(k) {
			t.Errorf("lowerName(%q) = %q", k, got)
		}
	}
}
