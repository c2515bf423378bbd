package snapshot

import (
	"sort"

	"github.com/vmihailenco/msgpack/v5"

	"github.com/pgrest-lambda/pgrest-lambda/internal/schemacache"
)

// The body of a blob is standard msgpack written positionally: every struct
// is an array of its fields in a fixed order, so decoding needs no field
// names and no reflection (see reader.go, which reads exactly this
// layout). Any change to the layout bumps FormatVersion.
//
//	body     = [cache, dbSettings map|nil, roleSettings map|nil]
//	cache    = [schemas, pgVersion, tables, relationships, routines, mediaHandlers, representations]
//	table    = [schema, name, description, isView, insertable, updatable, deletable, pkCols, columns]
//	column   = [name, description, nullable, type, nominalType, maxLen|nil, default|nil, enum]
//	rel      = [table, foreignTable, isSelf, cardinality, constraint, columns, isParent, junction|nil, function|nil, toOne]
//	junction = [table, constraint1, constraint2, colsSource, colsTarget]
//	routine  = [schema, name, description, params, return, volatility, hasVariadic, isolationLevel, settings]
//	param    = [name, type, required, variadic]
//	setting  = [name, value]
//	return   = [setOf, type, composite]
//	handler  = [media, target|nil, aggregate|nil, binary]
//	repr     = [source, target, function]
//	qi       = [schema, name];  pair = [col, fcol];  role = [settings map, isolationLevel]

// writer wraps a msgpack encoder and keeps its first error.
type writer struct {
	enc *msgpack.Encoder
	err error
}

func (w *writer) do(err error) {
	if w.err == nil {
		w.err = err
	}
}

func (w *writer) arr(n int)      { w.do(w.enc.EncodeArrayLen(n)) }
func (w *writer) str(s string)   { w.do(w.enc.EncodeString(s)) }
func (w *writer) boolean(b bool) { w.do(w.enc.EncodeBool(b)) }
func (w *writer) int(n int64)    { w.do(w.enc.EncodeInt(n)) }
func (w *writer) null()          { w.do(w.enc.EncodeNil()) }

func (w *writer) strs(ss []string) {
	w.arr(len(ss))
	for _, s := range ss {
		w.str(s)
	}
}

func (w *writer) strPtr(s *string) {
	if s == nil {
		w.null()
		return
	}
	w.str(*s)
}

func (w *writer) strMap(m map[string]string) {
	if m == nil {
		w.null()
		return
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	w.do(w.enc.EncodeMapLen(len(keys)))
	for _, k := range keys {
		w.str(k)
		w.str(m[k])
	}
}

func (w *writer) qi(q schemacache.QI) {
	w.arr(2)
	w.str(q.Schema)
	w.str(q.Name)
}

func (w *writer) pairs(ps []schemacache.ColumnPair) {
	w.arr(len(ps))
	for _, p := range ps {
		w.arr(2)
		w.str(p.Col)
		w.str(p.FCol)
	}
}

func (w *writer) body(b *body) {
	w.arr(3)
	w.cache(b.Cache)
	w.strMap(b.DBSettings)
	if b.RoleSettings == nil {
		w.null()
		return
	}
	roles := make([]string, 0, len(b.RoleSettings))
	for r := range b.RoleSettings {
		roles = append(roles, r)
	}
	sort.Strings(roles)
	w.do(w.enc.EncodeMapLen(len(roles)))
	for _, r := range roles {
		rs := b.RoleSettings[r]
		w.str(r)
		w.arr(2)
		w.strMap(rs.Settings)
		w.str(rs.IsolationLevel)
	}
}

func (w *writer) cache(sc *schemacache.SchemaCache) {
	w.arr(7)
	w.strs(sc.Schemas)
	w.int(int64(sc.PgVersion))
	w.arr(len(sc.Tables))
	for i := range sc.Tables {
		w.table(&sc.Tables[i])
	}
	w.arr(len(sc.Relationships))
	for i := range sc.Relationships {
		w.rel(&sc.Relationships[i])
	}
	w.arr(len(sc.Routines))
	for i := range sc.Routines {
		w.routine(&sc.Routines[i])
	}
	w.arr(len(sc.MediaHandlers))
	for _, h := range sc.MediaHandlers {
		w.arr(4)
		w.str(h.Media)
		w.optQI(h.Target)
		w.optQI(h.Aggregate)
		w.boolean(h.Binary)
	}
	w.arr(len(sc.Representations))
	for _, r := range sc.Representations {
		w.arr(3)
		w.str(r.Source)
		w.str(r.Target)
		w.qi(r.Function)
	}
}

// optQI writes a qualified name, or nil for the zero one.
func (w *writer) optQI(q schemacache.QI) {
	if q == (schemacache.QI{}) {
		w.null()
		return
	}
	w.qi(q)
}

func (w *writer) table(t *schemacache.Table) {
	w.arr(9)
	w.str(t.Schema)
	w.str(t.Name)
	w.str(t.Description)
	w.boolean(t.IsView)
	w.boolean(t.Insertable)
	w.boolean(t.Updatable)
	w.boolean(t.Deletable)
	w.strs(t.PKCols)
	w.arr(len(t.Columns))
	for i := range t.Columns {
		c := &t.Columns[i]
		w.arr(8)
		w.str(c.Name)
		w.str(c.Description)
		w.boolean(c.Nullable)
		w.str(c.Type)
		w.str(c.NominalType)
		if c.MaxLen == nil {
			w.null()
		} else {
			w.int(int64(*c.MaxLen))
		}
		w.strPtr(c.Default)
		w.strs(c.Enum)
	}
}

func (w *writer) rel(r *schemacache.Relationship) {
	w.arr(10)
	w.qi(r.Table)
	w.qi(r.ForeignTable)
	w.boolean(r.IsSelf)
	w.str(string(r.Cardinality))
	w.str(r.Constraint)
	w.pairs(r.Columns)
	w.boolean(r.IsParent)
	if j := r.Junction; j == nil {
		w.null()
	} else {
		w.arr(5)
		w.qi(j.Table)
		w.str(j.Constraint1)
		w.str(j.Constraint2)
		w.pairs(j.ColsSource)
		w.pairs(j.ColsTarget)
	}
	w.optQI(r.Function)
	w.boolean(r.ToOne)
}

func (w *writer) routine(r *schemacache.Routine) {
	w.arr(9)
	w.str(r.Schema)
	w.str(r.Name)
	w.str(r.Description)
	w.arr(len(r.Params))
	for _, p := range r.Params {
		w.arr(4)
		w.str(p.Name)
		w.str(p.Type)
		w.boolean(p.Required)
		w.boolean(p.Variadic)
	}
	w.arr(3)
	w.boolean(r.Return.SetOf)
	w.qi(r.Return.Type)
	w.boolean(r.Return.Composite)
	w.str(string(r.Volatility))
	w.boolean(r.HasVariadic)
	w.str(r.IsolationLevel)
	w.arr(len(r.Settings))
	for _, st := range r.Settings {
		w.arr(2)
		w.str(st.Name)
		w.str(st.Value)
	}
}
