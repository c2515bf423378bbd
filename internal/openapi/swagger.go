package openapi

import (
	"bytes"
	"encoding/json"
)

// The Swagger 2.0 objects the document is made of. Field order is the
// output order; optional fields are left out when empty.

type document struct {
	Swagger      string       `json:"swagger"`
	Info         info         `json:"info"`
	ExternalDocs externalDocs `json:"externalDocs"`
	Host         string       `json:"host"`
	BasePath     string       `json:"basePath"`
	Schemes      []string     `json:"schemes"`
	Consumes     []string     `json:"consumes"`
	Produces     []string     `json:"produces"`
	Paths        object       `json:"paths"`
	Definitions  object       `json:"definitions"`
	Parameters   object       `json:"parameters"`
	// SecurityDefinitions and Security are set with openapi-security-active.
	SecurityDefinitions map[string]securityScheme `json:"securityDefinitions,omitempty"`
	Security            []map[string][]string     `json:"security,omitempty"`
}

// securityScheme is a Swagger security scheme object.
type securityScheme struct {
	Description string `json:"description"`
	In          string `json:"in"`
	Name        string `json:"name"`
	Type        string `json:"type"`
}

type info struct {
	Description string `json:"description"`
	Title       string `json:"title"`
	Version     string `json:"version"`
}

type externalDocs struct {
	Description string `json:"description"`
	URL         string `json:"url"`
}

// schema is a Swagger schema object: a definition, a property, the items
// of an array, or a body.
type schema struct {
	Ref         string          `json:"$ref,omitempty"`
	Description string          `json:"description,omitempty"`
	Default     json.RawMessage `json:"default,omitempty"`
	Enum        []string        `json:"enum,omitempty"`
	Format      string          `json:"format,omitempty"`
	MaxLength   *int32          `json:"maxLength,omitempty"`
	Type        string          `json:"type,omitempty"`
	Items       *schema         `json:"items,omitempty"`
	Required    []string        `json:"required,omitempty"`
	Properties  object          `json:"properties,omitempty"`
}

// param is a Swagger parameter object.
type param struct {
	Name             string          `json:"name"`
	Description      string          `json:"description,omitempty"`
	Required         bool            `json:"required"`
	In               string          `json:"in"`
	Schema           *schema         `json:"schema,omitempty"`
	Type             string          `json:"type,omitempty"`
	Format           string          `json:"format,omitempty"`
	Items            *schema         `json:"items,omitempty"`
	CollectionFormat string          `json:"collectionFormat,omitempty"`
	Default          json.RawMessage `json:"default,omitempty"`
	Enum             []string        `json:"enum,omitempty"`
}

// ref is a reference to a definition or a shared parameter.
type ref struct {
	Ref string `json:"$ref"`
}

type operation struct {
	Tags        []string `json:"tags,omitempty"`
	Summary     string   `json:"summary,omitempty"`
	Description string   `json:"description,omitempty"`
	Produces    []string `json:"produces,omitempty"`
	// Parameters holds param and ref values.
	Parameters []any  `json:"parameters,omitempty"`
	Responses  object `json:"responses"`
}

type responseObj struct {
	Description string  `json:"description"`
	Schema      *schema `json:"schema,omitempty"`
}

type pathItem struct {
	Get    *operation `json:"get,omitempty"`
	Post   *operation `json:"post,omitempty"`
	Patch  *operation `json:"patch,omitempty"`
	Delete *operation `json:"delete,omitempty"`
}

// member is one key of an object.
type member struct {
	key   string
	value any
}

// object is a JSON object whose keys keep the order they were added in.
type object []member

func (o *object) add(key string, value any) { *o = append(*o, member{key, value}) }

// MarshalJSON writes the members in order, without HTML escaping.
func (o object) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, m := range o {
		if i > 0 {
			b.WriteByte(',')
		}
		k, err := marshal(m.key)
		if err != nil {
			return nil, err
		}
		v, err := marshal(m.value)
		if err != nil {
			return nil, err
		}
		b.Write(k)
		b.WriteByte(':')
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// marshal encodes v as encoding/json does, but leaves <, > and & as they
// are: the key notes (<pk/>, <fk .../>) stay readable, as in PostgREST.
func marshal(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}
