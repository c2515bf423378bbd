package plan

import (
	"encoding/json"
	"maps"
	"slices"
	"testing"

	"github.com/pgrest-lambda/pgrest-lambda/internal/apirequest"
)

// sortedHeaders is h as apirequest.Request.Headers holds headers.
func sortedHeaders(h map[string]string) []apirequest.Header {
	var out []apirequest.Header
	for _, k := range slices.Sorted(maps.Keys(h)) {
		out = append(out, apirequest.Header{Name: k, Value: h[k]})
	}
	return out
}

// headersJSON must be byte for byte what json.Marshal gives for the map
// without its cookie entry.
func TestHeadersJSONMatchesMarshal(t *testing.T) {
	strs := []string{"", "a", "Accept", `q"uote`, `back\slash`, "<script>&amp;</script>", "tab\there", "nl\nr\r",
		"\b\f\x00\x01\x1f\x7f", "é ü 日本", "\u2028\u2029", "bad\xffutf8\xc3", "\xe2\x80", "x-forwarded-for"}
	check := func(h map[string]string) {
		t.Helper()
		want := map[string]string{}
		for k, v := range h {
			if k != "cookie" {
				want[k] = v
			}
		}
		b, _ := json.Marshal(want)
		if got := headersJSON(sortedHeaders(h)); got != string(b) {
			t.Fatalf("headersJSON(%q) = %s, want %s", h, got, b)
		}
	}
	check(nil)
	check(map[string]string{"cookie": "a=b"})
	for _, k := range strs {
		for _, v := range strs {
			check(map[string]string{k: v, "cookie": v, "z" + v: k})
		}
	}
	many := map[string]string{}
	for i := range 40 {
		many[string(rune('a'+i%26))+strs[i%len(strs)]] = strs[(i*7)%len(strs)]
	}
	check(many)
}

func FuzzHeadersJSON(f *testing.F) {
	f.Add("accept", "*/*", "user-agent", "x\u2028<")
	f.Fuzz(func(t *testing.T, k1, v1, k2, v2 string) {
		h := map[string]string{k1: v1, k2: v2}
		want := map[string]string{}
		for k, v := range h {
			if k != "cookie" {
				want[k] = v
			}
		}
		b, _ := json.Marshal(want)
		if got := headersJSON(sortedHeaders(h)); got != string(b) {
			t.Fatalf("headersJSON(%q) = %s, want %s", h, got, b)
		}
	})
}
