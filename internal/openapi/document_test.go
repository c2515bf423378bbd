package openapi_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/go-openapi/spec"

	"github.com/pgrest-lambda/pgrest-lambda/internal/openapi"
)

var update = flag.Bool("update", false, "rewrite testdata/sample.json from the current output")

func ptr[T any](v T) *T { return &v }

// sampleDoc is the document of the sample schema as a request in
// ignore-privileges mode behind https://api.example.com/v1 gets it.
func sampleDoc(t *testing.T) []byte {
	t.Helper()
	body, err := openapi.Document(sampleCache(t), openapi.Options{
		Schema: "api",
		Server: openapi.Server{Scheme: "https", Host: "api.example.com", Port: 443, BasePath: "/v1"},
		Access: &openapi.Access{SchemaDescription: ptr("Sample bookshop API served by pgrest-lambda")},
	})
	if err != nil {
		t.Fatal(err)
	}
	return body
}

func TestSampleDocumentGolden(t *testing.T) {
	body := sampleDoc(t)
	var pretty bytes.Buffer
	if err := json.Indent(&pretty, body, "", "  "); err != nil {
		t.Fatalf("document is not JSON: %v", err)
	}
	pretty.WriteByte('\n')
	const golden = "testdata/sample.json"
	if *update {
		if err := os.WriteFile(golden, pretty.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -run TestSampleDocumentGolden -update to create it)", err)
	}
	if !bytes.Equal(pretty.Bytes(), want) {
		t.Fatalf("document differs from %s (rerun with -update after checking the change):\n%s", golden, firstDiff(pretty.String(), string(want)))
	}
	// The same input gives the same bytes.
	if again := sampleDoc(t); !bytes.Equal(again, body) {
		t.Fatal("document is not deterministic")
	}
}

// firstDiff shows the first differing line of got and want.
func firstDiff(got, want string) string {
	g, w := strings.Split(got, "\n"), strings.Split(want, "\n")
	for i := 0; i < len(g) || i < len(w); i++ {
		var gl, wl string
		if i < len(g) {
			gl = g[i]
		}
		if i < len(w) {
			wl = w[i]
		}
		if gl != wl {
			return "line " + strconv.Itoa(i+1) + ":\n got:  " + gl + "\n want: " + wl
		}
	}
	return ""
}

func TestSampleDocumentIsSwagger(t *testing.T) {
	body := sampleDoc(t)
	var sw spec.Swagger
	if err := json.Unmarshal(body, &sw); err != nil {
		t.Fatalf("not a Swagger 2.0 document: %v", err)
	}
	if sw.Swagger != "2.0" || sw.Host != "api.example.com:443" || sw.BasePath != "/v1" ||
		!reflect.DeepEqual(sw.Schemes, []string{"https"}) {
		t.Fatalf("swagger %q host %q basePath %q schemes %v", sw.Swagger, sw.Host, sw.BasePath, sw.Schemes)
	}
	if sw.Info == nil || sw.Info.Title != "Sample bookshop API served by pgrest-lambda" || sw.Info.Version != openapi.Version {
		t.Fatalf("info = %+v", sw.Info)
	}

	wantPaths := []string{"/", "/author_profiles", "/authors", "/book_summaries", "/book_tags", "/books", "/tags",
		"/rpc/add", "/rpc/add_tag", "/rpc/books_by_author", "/rpc/greet", "/rpc/ping"}
	if got := keys(sw.Paths.Paths); !reflect.DeepEqual(got, sorted(wantPaths)) {
		t.Fatalf("paths = %v\nwant %v", got, sorted(wantPaths))
	}
	wantDefs := []string{"author_profiles", "authors", "book_summaries", "book_tags", "books", "tags"}
	if got := keys(sw.Definitions); !reflect.DeepEqual(got, wantDefs) {
		t.Fatalf("definitions = %v", got)
	}

	// Tables take writes; the join view does not.
	books := sw.Paths.Paths["/books"]
	if books.Get == nil || books.Post == nil || books.Patch == nil || books.Delete == nil {
		t.Fatalf("/books operations: %+v", books.PathItemProps)
	}
	if v := sw.Paths.Paths["/book_summaries"]; v.Get == nil || v.Post != nil || v.Patch != nil || v.Delete != nil {
		t.Fatalf("/book_summaries operations: %+v", v.PathItemProps)
	}
	if books.Get.Summary != "Books in the catalogue" || books.Get.Tags[0] != "books" {
		t.Fatalf("/books GET summary %q tags %v", books.Get.Summary, books.Get.Tags)
	}
	if items := books.Get.Responses.StatusCodeResponses[200].Schema.Items.Schema; items.Ref.String() != "#/definitions/books" {
		t.Fatalf("/books GET 200 items = %v", items.Ref.String())
	}
	// Volatile functions are POST only; the others take GET too.
	if p := sw.Paths.Paths["/rpc/add_tag"]; p.Get != nil || p.Post == nil {
		t.Fatalf("/rpc/add_tag: %+v", p.PathItemProps)
	}
	add := sw.Paths.Paths["/rpc/add"]
	if add.Get == nil || len(add.Get.Parameters) != 2 || add.Get.Parameters[0].Name != "a" ||
		add.Get.Parameters[0].Type != "integer" || add.Get.Parameters[0].Format != "integer" || !add.Get.Parameters[0].Required {
		t.Fatalf("/rpc/add GET parameters: %+v", add.Get)
	}
	// Overloads share a path: the one with the most parameters describes it.
	if greet := sw.Paths.Paths["/rpc/greet"].Post.Parameters[0].Schema; len(greet.Properties) != 1 || greet.Properties["name"].Format != "text" {
		t.Fatalf("/rpc/greet body = %+v", greet)
	}

	b := sw.Definitions["books"]
	if !reflect.DeepEqual(b.Required, []string{"id", "title", "author_id", "format", "in_stock"}) {
		t.Fatalf("books required = %v", b.Required)
	}
	if id := b.Properties["id"]; id.Description != "Note:\nThis is a Primary Key.<pk/>" || !id.Type.Contains("integer") {
		t.Fatalf("books.id = %+v", id)
	}
	if a := b.Properties["author_id"]; a.Description != "Note:\nThis is a Foreign Key to `authors.id`.<fk table='authors' column='id'/>" {
		t.Fatalf("books.author_id description = %q", a.Description)
	}
	if f := b.Properties["format"]; f.Default != "paperback" || len(f.Enum) != 4 || f.Format != "api.book_format" || !f.Type.Contains("string") {
		t.Fatalf("books.format = %+v", f)
	}
	if ti := b.Properties["title"]; ti.MaxLength == nil || *ti.MaxLength != 200 || ti.Format != "character varying" {
		t.Fatalf("books.title = %+v", ti)
	}
	if s := b.Properties["in_stock"]; s.Default != true || !s.Type.Contains("boolean") {
		t.Fatalf("books.in_stock = %+v", s)
	}
	// One-to-one: the key is both primary and foreign.
	if p := sw.Definitions["author_profiles"].Properties["author_id"]; !strings.Contains(p.Description, "<pk/>") ||
		!strings.Contains(p.Description, "<fk table='authors' column='id'/>") {
		t.Fatalf("author_profiles.author_id = %q", p.Description)
	}
	if by := sw.Definitions["authors"].Properties["birth_year"]; by.Description != "Unknown for some authors" {
		t.Fatalf("authors.birth_year = %q", by.Description)
	}
	checkRefs(t, body)
}

// checkRefs resolves every $ref of the document against its definitions
// and parameters.
func checkRefs(t *testing.T, body []byte) {
	t.Helper()
	var doc map[string]any
	if err := json.Unmarshal(body, &doc); err != nil {
		t.Fatal(err)
	}
	n := 0
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, x := range v {
				if k != "$ref" {
					walk(x)
					continue
				}
				n++
				parts := strings.SplitN(strings.TrimPrefix(x.(string), "#/"), "/", 2)
				section, _ := doc[parts[0]].(map[string]any)
				if len(parts) != 2 || section[parts[1]] == nil {
					t.Errorf("dangling $ref %v", x)
				}
			}
		case []any:
			for _, x := range v {
				walk(x)
			}
		}
	}
	walk(doc["paths"])
	walk(doc["parameters"])
	if n == 0 {
		t.Fatal("no $ref found")
	}
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func sorted(s []string) []string {
	out := append([]string(nil), s...)
	sort.Strings(out)
	return out
}
