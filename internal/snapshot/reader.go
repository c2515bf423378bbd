package snapshot

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"

	"github.com/pgrest-lambda/pgrest-lambda/internal/config"
	"github.com/pgrest-lambda/pgrest-lambda/internal/schemacache"
)

// errCorrupt is the error of every malformed body.
var errCorrupt = errors.New("corrupt schema cache body")

// reader decodes the positional msgpack body written by writer. It is a
// small hand-written parser over the byte slice: no reflection, strings
// sliced from one copy of the body (s) instead of allocated one by one, and
// every length checked against the bytes left before anything is
// allocated, so corrupt input fails cleanly instead of asking for
// gigabytes. The first error sticks; later reads return zero values.
type reader struct {
	b   []byte
	s   string // the same bytes as b, to slice strings from
	i   int
	err error
}

func (r *reader) fail(what string) {
	if r.err == nil {
		r.err = fmt.Errorf("%w: bad %s at byte %d", errCorrupt, what, r.i)
	}
}

func (r *reader) byte1() byte {
	if r.err != nil || r.i >= len(r.b) {
		r.fail("end of input")
		return 0
	}
	c := r.b[r.i]
	r.i++
	return c
}

// uint reads an n-byte big-endian unsigned integer.
func (r *reader) uint(n int) uint64 {
	if r.err != nil || len(r.b)-r.i < n {
		r.fail("length")
		return 0
	}
	var v uint64
	switch n {
	case 1:
		v = uint64(r.b[r.i])
	case 2:
		v = uint64(binary.BigEndian.Uint16(r.b[r.i:]))
	case 4:
		v = uint64(binary.BigEndian.Uint32(r.b[r.i:]))
	case 8:
		v = binary.BigEndian.Uint64(r.b[r.i:])
	}
	r.i += n
	return v
}

// length checks that n items of at least min bytes each can still follow.
func (r *reader) length(n uint64, min int) int {
	if r.err != nil {
		return 0
	}
	if n > uint64(len(r.b)-r.i)/uint64(min) {
		r.fail("length")
		return 0
	}
	return int(n)
}

// null consumes a nil and reports whether there was one.
func (r *reader) null() bool {
	if r.err == nil && r.i < len(r.b) && r.b[r.i] == 0xc0 {
		r.i++
		return true
	}
	return false
}

func (r *reader) arr() int {
	c := r.byte1()
	switch {
	case c >= 0x90 && c <= 0x9f:
		return r.length(uint64(c&0x0f), 1)
	case c == 0xdc:
		return r.length(r.uint(2), 1)
	case c == 0xdd:
		return r.length(r.uint(4), 1)
	}
	r.fail("array")
	return 0
}

// fields reads an array header and checks it has n elements.
func (r *reader) fields(n int, what string) bool {
	if got := r.arr(); got != n {
		r.fail(what)
		return false
	}
	return r.err == nil
}

func (r *reader) mapLen() int {
	c := r.byte1()
	switch {
	case c >= 0x80 && c <= 0x8f:
		return r.length(uint64(c&0x0f), 2)
	case c == 0xde:
		return r.length(r.uint(2), 2)
	case c == 0xdf:
		return r.length(r.uint(4), 2)
	}
	r.fail("map")
	return 0
}

func (r *reader) str() string {
	c := r.byte1()
	var n int
	switch {
	case c >= 0xa0 && c <= 0xbf:
		n = int(c & 0x1f)
	case c == 0xd9:
		n = r.length(r.uint(1), 1)
	case c == 0xda:
		n = r.length(r.uint(2), 1)
	case c == 0xdb:
		n = r.length(r.uint(4), 1)
	default:
		r.fail("string")
		return ""
	}
	if r.err != nil || len(r.b)-r.i < n {
		r.fail("string length")
		return ""
	}
	v := r.s[r.i : r.i+n]
	r.i += n
	return v
}

func (r *reader) boolean() bool {
	switch r.byte1() {
	case 0xc3:
		return true
	case 0xc2:
		return false
	}
	r.fail("bool")
	return false
}

func (r *reader) int() int64 {
	c := r.byte1()
	switch {
	case c <= 0x7f:
		return int64(c)
	case c >= 0xe0:
		return int64(int8(c))
	case c == 0xcc, c == 0xcd, c == 0xce:
		return int64(r.uint(1 << (c - 0xcc)))
	case c == 0xcf:
		v := r.uint(8)
		if v > math.MaxInt64 {
			r.fail("integer")
		}
		return int64(v)
	case c == 0xd0:
		return int64(int8(r.uint(1)))
	case c == 0xd1:
		return int64(int16(r.uint(2)))
	case c == 0xd2:
		return int64(int32(r.uint(4)))
	case c == 0xd3:
		return int64(r.uint(8))
	}
	r.fail("integer")
	return 0
}

func (r *reader) strs() []string {
	n := r.arr()
	if n == 0 {
		return nil
	}
	out := make([]string, n)
	for i := range out {
		out[i] = r.str()
	}
	return out
}

func (r *reader) strMap() map[string]string {
	if r.null() {
		return nil
	}
	n := r.mapLen()
	m := make(map[string]string, n)
	for range n {
		k := r.str()
		m[k] = r.str()
	}
	return m
}

func (r *reader) qi() schemacache.QI {
	if !r.fields(2, "qualified name") {
		return schemacache.QI{}
	}
	return schemacache.QI{Schema: r.str(), Name: r.str()}
}

func (r *reader) pairs() []schemacache.ColumnPair {
	n := r.arr()
	if n == 0 {
		return nil
	}
	out := make([]schemacache.ColumnPair, n)
	for i := range out {
		if r.fields(2, "column pair") {
			out[i] = schemacache.ColumnPair{Col: r.str(), FCol: r.str()}
		}
	}
	return out
}

// decodeBody parses a body; it returns errCorrupt (wrapped) for anything
// but exactly one well-formed body.
func decodeBody(b []byte) (*body, error) {
	r := &reader{b: b, s: string(b)}
	out := &body{}
	if r.fields(3, "body") {
		out.Cache = r.cache()
		out.DBSettings = r.strMap()
		if !r.null() {
			n := r.mapLen()
			out.RoleSettings = make(map[string]config.RoleSettings, n)
			for range n {
				role := r.str()
				if r.fields(2, "role settings") {
					out.RoleSettings[role] = config.RoleSettings{Settings: r.strMap(), IsolationLevel: r.str()}
				}
			}
		}
	}
	if r.err == nil && r.i != len(b) {
		r.fail("trailing data")
	}
	if r.err != nil {
		return nil, r.err
	}
	return out, nil
}

func (r *reader) cache() *schemacache.SchemaCache {
	sc := &schemacache.SchemaCache{}
	if !r.fields(7, "cache") {
		return sc
	}
	sc.Schemas = r.strs()
	sc.PgVersion = int(r.int())
	if n := r.arr(); n > 0 {
		sc.Tables = make([]schemacache.Table, n)
		for i := range sc.Tables {
			r.table(&sc.Tables[i])
		}
	}
	if n := r.arr(); n > 0 {
		sc.Relationships = make([]schemacache.Relationship, n)
		for i := range sc.Relationships {
			r.rel(&sc.Relationships[i])
		}
	}
	if n := r.arr(); n > 0 {
		sc.Routines = make([]schemacache.Routine, n)
		for i := range sc.Routines {
			r.routine(&sc.Routines[i])
		}
	}
	if n := r.arr(); n > 0 {
		sc.MediaHandlers = make([]schemacache.MediaHandler, n)
		for i := range sc.MediaHandlers {
			if h := &sc.MediaHandlers[i]; r.fields(4, "media handler") {
				h.Media, h.Target, h.Aggregate, h.Binary = r.str(), r.optQI(), r.optQI(), r.boolean()
			}
		}
	}
	if n := r.arr(); n > 0 {
		sc.Representations = make([]schemacache.Representation, n)
		for i := range sc.Representations {
			if rp := &sc.Representations[i]; r.fields(3, "representation") {
				rp.Source, rp.Target, rp.Function = r.str(), r.str(), r.qi()
			}
		}
	}
	return sc
}

// optQI reads a qualified name written by writer.optQI: nil is the zero one.
func (r *reader) optQI() schemacache.QI {
	if r.null() {
		return schemacache.QI{}
	}
	return r.qi()
}

func (r *reader) table(t *schemacache.Table) {
	if !r.fields(9, "table") {
		return
	}
	t.Schema, t.Name, t.Description = r.str(), r.str(), r.str()
	t.IsView, t.Insertable, t.Updatable, t.Deletable = r.boolean(), r.boolean(), r.boolean(), r.boolean()
	t.PKCols = r.strs()
	n := r.arr()
	if n == 0 {
		return
	}
	t.Columns = make([]schemacache.Column, n)
	for i := range t.Columns {
		c := &t.Columns[i]
		if !r.fields(8, "column") {
			return
		}
		c.Name, c.Description, c.Nullable, c.Type, c.NominalType = r.str(), r.str(), r.boolean(), r.str(), r.str()
		if !r.null() {
			v := int32(r.int())
			c.MaxLen = &v
		}
		if !r.null() {
			v := r.str()
			c.Default = &v
		}
		c.Enum = r.strs()
	}
}

func (r *reader) rel(rel *schemacache.Relationship) {
	if !r.fields(10, "relationship") {
		return
	}
	rel.Table, rel.ForeignTable, rel.IsSelf = r.qi(), r.qi(), r.boolean()
	rel.Cardinality, rel.Constraint = schemacache.Cardinality(r.str()), r.str()
	rel.Columns, rel.IsParent = r.pairs(), r.boolean()
	if !r.null() && r.fields(5, "junction") {
		rel.Junction = &schemacache.Junction{Table: r.qi(), Constraint1: r.str(), Constraint2: r.str(), ColsSource: r.pairs(), ColsTarget: r.pairs()}
	}
	rel.Function, rel.ToOne = r.optQI(), r.boolean()
}

func (r *reader) routine(rt *schemacache.Routine) {
	if !r.fields(9, "routine") {
		return
	}
	rt.Schema, rt.Name, rt.Description = r.str(), r.str(), r.str()
	if n := r.arr(); n > 0 {
		rt.Params = make([]schemacache.RoutineParam, n)
		for i := range rt.Params {
			if r.fields(4, "parameter") {
				rt.Params[i] = schemacache.RoutineParam{Name: r.str(), Type: r.str(), Required: r.boolean(), Variadic: r.boolean()}
			}
		}
	}
	if r.fields(3, "return type") {
		rt.Return = schemacache.ReturnType{SetOf: r.boolean(), Type: r.qi(), Composite: r.boolean()}
	}
	rt.Volatility, rt.HasVariadic = schemacache.Volatility(r.str()), r.boolean()
	rt.IsolationLevel = r.str()
	if n := r.arr(); n > 0 {
		rt.Settings = make([]schemacache.Setting, n)
		for i := range rt.Settings {
			if r.fields(2, "setting") {
				rt.Settings[i] = schemacache.Setting{Name: r.str(), Value: r.str()}
			}
		}
	}
}
