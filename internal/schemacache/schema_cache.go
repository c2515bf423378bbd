package schemacache

import "sort"

// QI is a qualified identifier: schema and name, unquoted.
type QI struct {
	Schema string
	Name   string
}

// String renders "schema.name" as PostgREST prints it in messages.
func (q QI) String() string { return q.Schema + "." + q.Name }

// SchemaCache is the metadata of the exposed schemas. Slices are ordered
// (tables by schema and name, relationships by origin then PostgREST's
// relationship order, routine overloads by parameter count) because the order
// leaks into responses; the lookup indexes are rebuilt after decoding.
type SchemaCache struct {
	// Schemas are the exposed schemas the cache was built for, in db-schemas order.
	Schemas []string
	// PgVersion is server_version_num of the database, e.g. 150018.
	PgVersion int
	// Tables are the tables, views, materialized views and foreign tables.
	Tables []Table
	// Relationships are every relationship between exposed relations, in both directions.
	Relationships []Relationship
	// Routines are the callable functions; overloads appear as separate entries.
	Routines []Routine
	// MediaHandlers are the custom media type handlers of the exposed
	// schemas (PostgREST's built-in ones are not listed).
	MediaHandlers []MediaHandler
	// Representations are the domain representations: implicit casts
	// between domains and json or text.
	Representations []Representation
	// Timings are the durations of the introspection queries of the build, in ms, by query label.
	Timings map[string]float64

	tables   map[QI]*Table
	rels     map[QI][]*Relationship
	routines map[QI][]*Routine
	media    map[mediaKey]*MediaHandler
	reprs    map[reprKey]*Representation

	// lazy is set on a cache whose sections are loaded on demand
	// (NewLazy); Tables, Relationships and Routines are then empty.
	lazy *lazy
	// miss records what the accessors of a lazy cache asked for and found
	// not loaded (see View).
	miss *misses
}

// Table is a relation: table, view, materialized view or foreign table.
type Table struct {
	Schema      string
	Name        string
	Description string
	// IsView is true for views and materialized views.
	IsView bool
	// Insertable, Updatable and Deletable come from pg_relation_is_updatable
	// for views (INSTEAD OF triggers count) and are true for tables; they
	// drive the OPTIONS Allow header, not privileges.
	Insertable bool
	Updatable  bool
	Deletable  bool
	// PKCols are the primary key columns, sorted by name as PostgREST does.
	PKCols []string
	// Columns are ordered by attnum.
	Columns []Column
}

// QI returns the table's qualified identifier.
func (t *Table) QI() QI { return QI{Schema: t.Schema, Name: t.Name} }

// Column returns the named column, or nil.
func (t *Table) Column(name string) *Column {
	for i := range t.Columns {
		if t.Columns[i].Name == name {
			return &t.Columns[i]
		}
	}
	return nil
}

// Column is a column of a relation.
type Column struct {
	Name        string
	Description string
	Nullable    bool
	// Type is the type name as PostgREST reports it: the base type for
	// domains over pg_catalog types, without typmod for pg_catalog types,
	// format_type otherwise.
	Type string
	// NominalType is format_type(atttypid, atttypmod), the declared type.
	NominalType string
	// MaxLen is the character maximum length (varchar(n), char(n)), nil when unbounded.
	MaxLen *int32
	// Default is the default expression, nil when none.
	Default *string
	// Enum lists the labels of an enum type (or a domain over one) in sort order.
	Enum []string
}

// Cardinality is a relationship's cardinality, seen from its origin table.
type Cardinality string

// The cardinalities of PostgREST's Relationship type.
const (
	M2O Cardinality = "m2o"
	O2M Cardinality = "o2m"
	O2O Cardinality = "o2o"
	M2M Cardinality = "m2m"
	// Computed marks a computed relationship (see Relationship.Function).
	Computed Cardinality = "computed"
)

// ColumnPair maps a column of the origin to a column of the target.
type ColumnPair struct {
	Col  string
	FCol string
}

// Relationship is a relationship from Table to ForeignTable, either of
// tables or of views exposing their key columns. For M2O, O2M and O2O,
// Constraint and Columns describe the foreign key (Columns map origin
// columns to target columns, named as in the origin and target, views
// included); for M2M, Junction does. A computed relationship (Cardinality
// Computed) has neither: Function, called with a row of Table, returns the
// rows of ForeignTable, and ToOne tells whether it returns at most one.
type Relationship struct {
	Table        QI
	ForeignTable QI
	IsSelf       bool
	Cardinality  Cardinality
	Constraint   string
	Columns      []ColumnPair
	// IsParent is set on the O2O side referenced by the foreign key.
	IsParent bool
	Junction *Junction
	// Function is the function of a computed relationship, zero otherwise.
	Function QI
	// ToOne is set on a computed relationship whose function is not SETOF
	// or is declared ROWS 1.
	ToOne bool
}

// IsToOne reports whether embedding the target yields one object (M2O, O2O,
// to-one computed) rather than an array.
func (r *Relationship) IsToOne() bool {
	return r.Cardinality == M2O || r.Cardinality == O2O || (r.Cardinality == Computed && r.ToOne)
}

// Junction is the table behind a many-to-many relationship: Constraint1
// references the origin (ColsSource: junction column → origin column) and
// Constraint2 the target (ColsTarget: junction column → target column).
type Junction struct {
	Table       QI
	Constraint1 string
	Constraint2 string
	ColsSource  []ColumnPair
	ColsTarget  []ColumnPair
}

// Volatility is a routine's volatility: "v" volatile, "s" stable, "i" immutable.
type Volatility string

// The provolatile values.
const (
	Volatile  Volatility = "v"
	Stable    Volatility = "s"
	Immutable Volatility = "i"
)

// Routine is a callable function (prokind 'f', not a trigger function).
type Routine struct {
	Schema      string
	Name        string
	Description string
	Params      []RoutineParam
	Return      ReturnType
	Volatility  Volatility
	HasVariadic bool
	// IsolationLevel is the lower-cased value of the function's
	// `SET default_transaction_isolation` clause, such as "serializable"
	// or "repeatable read", and "" without one (PostgREST's pdIsoLvl). A
	// call begins its transaction at this level, whatever the hoisted
	// settings: SET on the function itself would come too late to change it.
	IsolationLevel string
	// Settings are the function's other SET clauses (pg_proc.proconfig)
	// naming a setting of db-hoisted-tx-settings, in proconfig order
	// (PostgREST's pdFuncSettings); a call applies them to its transaction
	// before running the function. default_transaction_isolation is never
	// among them: it is IsolationLevel.
	Settings []Setting
}

// Setting is one `SET name = value` clause of a function, as PostgreSQL
// stores it in pg_proc.proconfig: Value is the text after the first "=".
type Setting struct {
	Name  string
	Value string
}

// QI returns the routine's qualified identifier.
func (r *Routine) QI() QI { return QI{Schema: r.Schema, Name: r.Name} }

// RoutineParam is an input parameter of a routine.
type RoutineParam struct {
	Name string
	// Type is the parameter type, schema-qualified outside pg_catalog (regtype text).
	Type string
	// Required is false when the parameter has a default.
	Required bool
	Variadic bool
}

// ReturnType is what a routine returns: a scalar or composite type, possibly SETOF.
type ReturnType struct {
	// SetOf is true for SETOF and TABLE returns.
	SetOf bool
	// Type is the returned type (for composites, the relation or composite type).
	Type QI
	// Composite is true for row types, TABLE and OUT-parameter returns.
	Composite bool
}

// IsRecord reports whether the routine returns the pseudo-type record
// without OUT parameters: an anonymous row, which PostgreSQL returns from
// a call in a select list but, in FROM, only with a column definition list.
func (r ReturnType) IsRecord() bool {
	return !r.Composite && r.Type.Schema == "pg_catalog" && r.Type.Name == "record"
}

// IsVoid reports whether the routine returns void.
func (r ReturnType) IsVoid() bool {
	return r.Type.Schema == "pg_catalog" && r.Type.Name == "void"
}

// Index builds the lookup indexes; call it after decoding or building.
func (sc *SchemaCache) Index() {
	sc.tables, sc.rels, sc.routines = index(sc.Tables, sc.Relationships, sc.Routines)
	sc.indexMediaHandlers()
	sc.indexRepresentations()
}

// index builds the lookup indexes of tables, relationships (by origin) and
// routines (by name), pointing into the slices.
func index(ts []Table, rs []Relationship, ros []Routine) (map[QI]*Table, map[QI][]*Relationship, map[QI][]*Routine) {
	tables := make(map[QI]*Table, len(ts))
	for i := range ts {
		t := &ts[i]
		tables[t.QI()] = t
	}
	rels := make(map[QI][]*Relationship)
	for i := range rs {
		r := &rs[i]
		rels[r.Table] = append(rels[r.Table], r)
	}
	routines := make(map[QI][]*Routine)
	for i := range ros {
		r := &ros[i]
		routines[r.QI()] = append(routines[r.QI()], r)
	}
	return tables, rels, routines
}

// Table returns the relation named qi, or nil. On a lazy cache whose
// section of qi is not loaded it returns nil and records the miss (see
// View).
func (sc *SchemaCache) Table(qi QI) *Table {
	if sc.lazy != nil {
		if s := sc.section(qi); s != nil {
			return s.tables[qi]
		}
		return nil
	}
	if sc.tables == nil {
		sc.Index()
	}
	return sc.tables[qi]
}

// RelationshipsFrom returns the relationships whose origin is qi, in cache
// order. On a lazy cache it records a miss as Table does.
func (sc *SchemaCache) RelationshipsFrom(qi QI) []*Relationship {
	if sc.lazy != nil {
		if s := sc.section(qi); s != nil {
			return s.rels[qi]
		}
		return nil
	}
	if sc.rels == nil {
		sc.Index()
	}
	return sc.rels[qi]
}

// Overloads returns the routines named qi, fewer parameters first. On a
// lazy cache it records a miss as Table does.
func (sc *SchemaCache) Overloads(qi QI) []*Routine {
	if sc.lazy != nil {
		if s := sc.section(qi); s != nil {
			return s.routines[qi]
		}
		return nil
	}
	if sc.routines == nil {
		sc.Index()
	}
	return sc.routines[qi]
}

// TableNames returns the names of the relations in schema, sorted. On a
// lazy cache whose names section is not loaded it returns nil and records
// the miss.
func (sc *SchemaCache) TableNames(schema string) []string {
	if sc.lazy != nil {
		if n := sc.names(); n != nil {
			return sortedNames(n.Tables, schema)
		}
		return nil
	}
	var out []string
	for i := range sc.Tables {
		if sc.Tables[i].Schema == schema {
			out = append(out, sc.Tables[i].Name)
		}
	}
	sort.Strings(out)
	return out
}

// RelationOrigins returns the names of the relations in schema that have
// relationships (the origins of Relationships), sorted, without
// duplicates: the parents PGRST200's hint chooses from. On a lazy cache it
// records a miss as TableNames does.
func (sc *SchemaCache) RelationOrigins(schema string) []string {
	if sc.lazy != nil {
		if n := sc.names(); n != nil {
			return sortedNames(n.Origins, schema)
		}
		return nil
	}
	qis := make([]QI, len(sc.Relationships))
	for i := range sc.Relationships {
		qis[i] = sc.Relationships[i].Table
	}
	return sortedNames(qis, schema)
}

// RoutineNames returns the names of the routines in schema, sorted,
// without duplicates. On a lazy cache it records a miss as TableNames does.
func (sc *SchemaCache) RoutineNames(schema string) []string {
	if sc.lazy != nil {
		if n := sc.names(); n != nil {
			return sortedNames(n.Routines, schema)
		}
		return nil
	}
	seen := map[string]bool{}
	var out []string
	for i := range sc.Routines {
		r := &sc.Routines[i]
		if r.Schema == schema && !seen[r.Name] {
			seen[r.Name] = true
			out = append(out, r.Name)
		}
	}
	sort.Strings(out)
	return out
}
