package openapi

import "strings"

// Access is what the OpenAPI description of one schema reads from the
// database at request time, as the request's role.
type Access struct {
	// SchemaDescription is the schema's comment, nil when it has none.
	SchemaDescription *string
	// Privileges tells whether Tables and Routines were read; when false
	// they are nil and every cached object counts as accessible.
	Privileges bool
	// Tables are the names of the schema's relations the role may use in
	// some way (owner, any table privilege or any column privilege), sorted.
	Tables []string
	// Routines are the schema's functions the role may execute, each as
	// RoutineSignature renders it, sorted.
	Routines []string
}

// RoutineSignature is how Access.Routines names a function: its name and
// its input argument types (format_type without typmod) as
// `name(type,type)`, which tells overloads apart.
func RoutineSignature(name string, types []string) string {
	return name + "(" + strings.Join(types, ",") + ")"
}
