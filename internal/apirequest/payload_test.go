package apirequest

import (
	"encoding/json"
	"reflect"
	"strings"
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
		// As PostgREST's payloadAttributes: any other JSON value is no rows,
		// an element that is not an object a key mismatch (InsertSpec).
		{name: "scalar", body: `1`, keys: []string{}, json: `[]`},
		{name: "null", body: ` null `, keys: []string{}, json: `[]`},
		{name: "invalid scalar", body: `1x`, err: "Empty or invalid json"},
		{name: "array of scalars", body: `[1]`, err: "All object keys must match"},
		{name: "objects and scalars", body: `[{"id":100,"body":"x"},123,"xxxx",{"id":111,"body":"y"}]`, err: "All object keys must match"},
		{name: "scalar with columns", body: `1`, columns: []string{"a"}, err: "Empty or invalid json"},
		{name: "array of scalars with columns", body: `[{"a":1},2]`, columns: []string{"a"}, err: "Empty or invalid json"},
		{name: "truncated", body: `{"a":`, err: "Empty or invalid json"},
		{name: "trailing data", body: `{"a":1} x`, err: "Empty or invalid json"},
		{name: "keys differ", body: `[{"a":1},{"b":2}]`, err: "All object keys must match"},
		{name: "key subset", body: `[{"a":1,"b":2},{"a":1}]`, err: "All object keys must match"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			req := &Request{Columns: c.columns}
			err := parsePayload(req, []byte(c.body))
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

func TestParseCSVPayload(t *testing.T) {
	cases := []struct {
		name, body string
		columns    []string
		keys       []string
		json       string
		rows       int
		err        string
	}{
		{name: "rows", body: "id,name\n1,Xenix\n2,Windows NT\n", keys: []string{"id", "name"},
			json: `[{"id":"1","name":"Xenix"},{"id":"2","name":"Windows NT"}]`, rows: 2},
		{name: "crlf without final newline", body: "a,b\r\n1,2\r\n3,4", keys: []string{"a", "b"},
			json: `[{"a":"1","b":"2"},{"a":"3","b":"4"}]`, rows: 2},
		{name: "NULL is null, empty is empty string", body: "a,b,c\nNULL,,\"NULL\"\n", keys: []string{"a", "b", "c"},
			json: `[{"a":null,"b":"","c":null}]`, rows: 1},
		{name: "null in another case is text", body: "a\nnull\n", keys: []string{"a"}, json: `[{"a":"null"}]`, rows: 1},
		{name: "quoted commas, quotes and newlines", body: "a,b\n\"x,y\",\"he said \"\"hi\"\"\"\n\"line\nbreak\",z\n",
			keys: []string{"a", "b"}, json: `[{"a":"x,y","b":"he said \"hi\""},{"a":"line\nbreak","b":"z"}]`, rows: 2},
		{name: "spaces are data", body: "a\n x \n", keys: []string{"a"}, json: `[{"a":" x "}]`, rows: 1},
		{name: "empty lines skipped", body: "a\n\nx\n\n", keys: []string{"a"}, json: `[{"a":"x"}]`, rows: 1},
		{name: "header only", body: "a,b\n", keys: []string{}, json: `[]`, rows: 0},
		{name: "extra fields are refused, not dropped", body: "a,b\n1,2,3\n", err: "All lines must have same number of fields"},
		{name: "a short first line is refused, not filled with defaults", body: "a,b\n1\n", err: "All lines must have same number of fields"},
		{name: "not UTF-8", body: "a\n\xff\xfe\n", err: "parse error (the body is not valid UTF-8)"},
		{name: "repeated name keeps the last field", body: "a,a\n1,2\n", keys: []string{"a"}, json: `[{"a":"2"}]`, rows: 1},
		{name: "columns do not apply", body: "a,b\n1,2\n", columns: []string{"a"}, keys: []string{"a", "b"},
			json: `[{"a":"1","b":"2"}]`, rows: 1},
		{name: "too few fields", body: "a,b\nfoo,bar\nbaz", err: "All lines must have same number of fields"},
		{name: "first line short", body: "a,b\nfoo\nbar,baz\n", err: "All lines must have same number of fields"},
		{name: "empty", body: "", err: "parse error (not enough input)"},
		{name: "bare quote", body: "a\nx\"y\n", err: "parse error ("},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			req := &Request{Columns: c.columns}
			err := parseCSVPayload(req, []byte(c.body))
			if c.err != "" {
				if err == nil || err.Code != "PGRST102" || !strings.HasPrefix(err.Message, c.err) {
					t.Fatalf("err = %v, want PGRST102 %q", err, c.err)
				}
				if req.Payload != nil {
					t.Fatalf("payload set on error: %+v", req.Payload)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			p := req.Payload
			if !reflect.DeepEqual(p.Keys, c.keys) {
				t.Errorf("keys = %q, want %q", p.Keys, c.keys)
			}
			if string(p.JSON) != c.json {
				t.Errorf("json = %s, want %s", p.JSON, c.json)
			}
			if !json.Valid(p.JSON) {
				t.Errorf("json %s is not valid", p.JSON)
			}
			if p.Rows != c.rows {
				t.Errorf("rows = %d, want %d", p.Rows, c.rows)
			}
		})
	}
}

func TestParseFormPayload(t *testing.T) {
	for _, c := range []struct{ body, json string }{
		{"id=1&name=Xenix+OS", `[{"id":"1","name":"Xenix OS"}]`},
		{"a=1&a=2&b=%C3%A9", `[{"a":"2","b":"é"}]`},
		{"", `[{}]`},
	} {
		req := &Request{}
		if err := parseFormPayload(req, []byte(c.body)); err != nil {
			t.Fatalf("%q: %v", c.body, err)
		}
		if string(req.Payload.JSON) != c.json || req.Payload.Rows != 1 {
			t.Errorf("%q: %s (%d rows), want %s", c.body, req.Payload.JSON, req.Payload.Rows, c.json)
		}
	}
}
