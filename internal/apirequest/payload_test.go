package apirequest

import (
	"reflect"
	"testing"
)

func TestParsePayload(t *testing.T) {
	cases := []struct {
		name, body string
		columns    []string
		keys       []string
		json       string
		err        string
	}{
		{name: "object", body: ` {"b":1,"a":"x"} `, keys: []string{"b", "a"}, json: `[{"b":1,"a":"x"}]`},
		{name: "array", body: `[{"a":1},{"a":2}]`, keys: []string{"a"}, json: `[{"a":1},{"a":2}]`},
		{name: "same keys any order", body: `[{"a":1,"b":2},{"b":3,"a":4}]`, keys: []string{"a", "b"}},
		{name: "empty array", body: `[]`, keys: []string{}, json: `[]`},
		{name: "columns pick keys", body: `[{"a":1},{"b":2}]`, columns: []string{"a"}, keys: []string{"a"}},
		{name: "empty", body: ``, err: "Empty or invalid json"},
		{name: "scalar", body: `1`, err: "Empty or invalid json"},
		{name: "array of scalars", body: `[1]`, err: "Empty or invalid json"},
		{name: "truncated", body: `{"a":`, err: "Empty or invalid json"},
		{name: "trailing data", body: `{"a":1} x`, err: "Empty or invalid json"},
		{name: "keys differ", body: `[{"a":1},{"b":2}]`, err: "All object keys must match"},
		{name: "key subset", body: `[{"a":1,"b":2},{"a":1}]`, err: "All object keys must match"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			req := &Request{Columns: c.columns}
			err := ParsePayload(req, []byte(c.body))
			if c.err != "" {
				if err == nil || err.Code != "PGRST102" || err.Message != c.err {
					t.Fatalf("err = %v, want PGRST102 %q", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(req.Payload.Keys, c.keys) {
				t.Errorf("keys = %q, want %q", req.Payload.Keys, c.keys)
			}
			if c.json != "" && string(req.Payload.JSON) != c.json {
				t.Errorf("json = %s, want %s", req.Payload.JSON, c.json)
			}
		})
	}
}
