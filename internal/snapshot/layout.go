package snapshot

import (
	"github.com/pgrest-lambda/pgrest-lambda/internal/config"
	"github.com/pgrest-lambda/pgrest-lambda/internal/schemacache"
)

// The head and the sections of a blob are standard msgpack written positionally: every
// struct is an array of its fields in a fixed order, so decoding needs no
// field names and no reflection. The methods in this file are that layout,
// and the only place it is written: each walks one type's fields in order,
// and the codec writes or reads them. A nil optional value is msgpack nil,
// lists are arrays, maps have string keys. Any change here bumps
// FormatVersion.

// head is [schemas, pgVersion, mediaHandlers, representations,
// dbSettings map|nil, roleSettings map|nil, sealed map|nil, sections]: the
// cache's fields other than tables, relationships and routines, the
// in-database configuration, and the section table (the bucket sections
// in bucket order, then the names section).
func (c *codec) head(h *head) {
	if c.fields(8, "head") {
		c.strs(&h.Cache.Schemas)
		c.int(&h.Cache.PgVersion)
		list(c, &h.Cache.MediaHandlers, (*codec).mediaHandler)
		list(c, &h.Cache.Representations, (*codec).representation)
		dict(c, &h.DBSettings, (*codec).str)
		dict(c, &h.RoleSettings, (*codec).roleSettings)
		dict(c, &h.Sealed, (*codec).str)
		list(c, &h.Sections, (*codec).sectionRef)
	}
}

// sectionRef is [digest, length]: the SHA-256 of a section's bytes (a
// 32-byte string) and their count.
func (c *codec) sectionRef(r *sectionRef) {
	if c.fields(2, "section reference") {
		c.str(&r.Digest)
		c.int(&r.Len)
	}
}

// section is [tables, relationships, routines].
func (c *codec) section(s *schemacache.Section) {
	if c.fields(3, "section") {
		list(c, &s.Tables, (*codec).table)
		list(c, &s.Relationships, (*codec).relationship)
		list(c, &s.Routines, (*codec).routine)
	}
}

// names is [tables, routines, origins], lists of qualified names.
func (c *codec) names(n *schemacache.Names) {
	if c.fields(3, "names") {
		list(c, &n.Tables, (*codec).qi)
		list(c, &n.Routines, (*codec).qi)
		list(c, &n.Origins, (*codec).qi)
	}
}

// roleSettings is [settings map|nil, isolationLevel].
func (c *codec) roleSettings(rs *config.RoleSettings) {
	if c.fields(2, "role settings") {
		dict(c, &rs.Settings, (*codec).str)
		c.str(&rs.IsolationLevel)
	}
}

// table is [schema, name, description, isView, insertable, updatable,
// deletable, pkCols, columns].
func (c *codec) table(t *schemacache.Table) {
	if c.fields(9, "table") {
		c.str(&t.Schema)
		c.str(&t.Name)
		c.str(&t.Description)
		c.boolean(&t.IsView)
		c.boolean(&t.Insertable)
		c.boolean(&t.Updatable)
		c.boolean(&t.Deletable)
		c.strs(&t.PKCols)
		list(c, &t.Columns, (*codec).column)
	}
}

// column is [name, description, nullable, type, nominalType, maxLen|nil,
// default|nil, enum].
func (c *codec) column(col *schemacache.Column) {
	if c.fields(8, "column") {
		c.str(&col.Name)
		c.str(&col.Description)
		c.boolean(&col.Nullable)
		c.str(&col.Type)
		c.str(&col.NominalType)
		opt(c, &col.MaxLen, (*codec).int32)
		opt(c, &col.Default, (*codec).str)
		c.strs(&col.Enum)
	}
}

// relationship is [table, foreignTable, isSelf, cardinality, constraint,
// columns, isParent, junction|nil, function|nil, toOne].
func (c *codec) relationship(r *schemacache.Relationship) {
	if c.fields(10, "relationship") {
		c.qi(&r.Table)
		c.qi(&r.ForeignTable)
		c.boolean(&r.IsSelf)
		c.str((*string)(&r.Cardinality))
		c.str(&r.Constraint)
		list(c, &r.Columns, (*codec).columnPair)
		c.boolean(&r.IsParent)
		opt(c, &r.Junction, (*codec).junction)
		c.optQI(&r.Function)
		c.boolean(&r.ToOne)
	}
}

// columnPair is [col, fcol].
func (c *codec) columnPair(p *schemacache.ColumnPair) {
	if c.fields(2, "column pair") {
		c.str(&p.Col)
		c.str(&p.FCol)
	}
}

// junction is [table, constraint1, constraint2, colsSource, colsTarget].
func (c *codec) junction(j *schemacache.Junction) {
	if c.fields(5, "junction") {
		c.qi(&j.Table)
		c.str(&j.Constraint1)
		c.str(&j.Constraint2)
		list(c, &j.ColsSource, (*codec).columnPair)
		list(c, &j.ColsTarget, (*codec).columnPair)
	}
}

// routine is [schema, name, description, params, return, volatility,
// hasVariadic, isolationLevel, settings].
func (c *codec) routine(r *schemacache.Routine) {
	if c.fields(9, "routine") {
		c.str(&r.Schema)
		c.str(&r.Name)
		c.str(&r.Description)
		list(c, &r.Params, (*codec).routineParam)
		c.returnType(&r.Return)
		c.str((*string)(&r.Volatility))
		c.boolean(&r.HasVariadic)
		c.str(&r.IsolationLevel)
		list(c, &r.Settings, (*codec).setting)
	}
}

// routineParam is [name, type, required, variadic].
func (c *codec) routineParam(p *schemacache.RoutineParam) {
	if c.fields(4, "parameter") {
		c.str(&p.Name)
		c.str(&p.Type)
		c.boolean(&p.Required)
		c.boolean(&p.Variadic)
	}
}

// returnType is [setOf, type, composite].
func (c *codec) returnType(rt *schemacache.ReturnType) {
	if c.fields(3, "return type") {
		c.boolean(&rt.SetOf)
		c.qi(&rt.Type)
		c.boolean(&rt.Composite)
	}
}

// setting is [name, value].
func (c *codec) setting(s *schemacache.Setting) {
	if c.fields(2, "setting") {
		c.str(&s.Name)
		c.str(&s.Value)
	}
}

// mediaHandler is [media, target|nil, aggregate|nil, binary].
func (c *codec) mediaHandler(h *schemacache.MediaHandler) {
	if c.fields(4, "media handler") {
		c.str(&h.Media)
		c.optQI(&h.Target)
		c.optQI(&h.Aggregate)
		c.boolean(&h.Binary)
	}
}

// representation is [source, target, function].
func (c *codec) representation(r *schemacache.Representation) {
	if c.fields(3, "representation") {
		c.str(&r.Source)
		c.str(&r.Target)
		c.qi(&r.Function)
	}
}
