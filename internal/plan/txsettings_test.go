package plan

import "testing"

func TestRequestVars(t *testing.T) {
	if got := anonClaims(`web"anon`); got != `{"role":"web\"anon"}` {
		t.Errorf("claims %s", got)
	}
	if got := headersJSON(sortedHeaders(map[string]string{"accept": "*/*", "cookie": "a=1", "x-forwarded-for": "1.2.3.4"})); got != `{"accept":"*/*","x-forwarded-for":"1.2.3.4"}` {
		t.Errorf("headers %s", got)
	}
	for header, want := range map[string]string{
		"":                        "{}",
		"a=1; b=two":              `{"a":"1","b":"two"}`,
		`a=1; bad"name=x; c="q"`:  `{"a":"1","c":"q"}`,
		"session=abc;theme=dark ": `{"session":"abc","theme":"dark"}`,
	} {
		if got := cookiesJSON(header); got != want {
			t.Errorf("cookies %q: %s, want %s", header, got, want)
		}
	}
}
