package snapshot

import (
	"bytes"
	"reflect"
	"slices"
	"sync"

	"github.com/vmihailenco/msgpack/v5"

	"github.com/pgrest-lambda/pgrest-lambda/internal/schemacache"
)

// codec walks a body in the order of its layout (layout.go) and either
// writes each value (w set: encoding) or reads it into place (r set:
// decoding), so the layout is written once for both directions. Every
// method takes a pointer to the value: read from when encoding, stored
// into when decoding.
type codec struct {
	w *writer
	r *reader
}

// decode parses b as exactly one value coded by each into v; it returns
// errCorrupt (wrapped) for anything else.
func decode[T any](b []byte, v *T, each func(*codec, *T)) error {
	r := &reader{b: b, s: string(b)}
	each(&codec{r: r}, v)
	if r.err == nil && r.i != len(b) {
		r.fail("trailing data")
	}
	return r.err
}

// encode writes v coded by each as msgpack.
func encode[T any](v *T, each func(*codec, *T)) ([]byte, error) {
	var bb bytes.Buffer
	enc := msgpack.NewEncoder(&bb)
	enc.UseCompactInts(true)
	w := &writer{enc: enc}
	each(&codec{w: w}, v)
	if w.err != nil {
		return nil, w.err
	}
	return bb.Bytes(), nil
}

// fields starts a struct: an array of n fields. When decoding, it checks
// the count and reports false on a mismatch (the error sticks in r), so
// the caller can skip the fields.
func (c *codec) fields(n int, what string) bool {
	if c.w != nil {
		c.w.arr(n)
		return true
	}
	r := c.r
	// A fixarray of n elements (every struct has fewer than 16) is read
	// here; anything else goes to reader.fields, which fails.
	if r.err == nil && r.i < len(r.b) && r.b[r.i] == 0x90|byte(n&0x0f) && n < 16 && n <= len(r.b)-r.i-1 {
		r.i++
		return true
	}
	return r.fields(n, what)
}

// str codes a string. Decoding takes the short strings (fixstr) that make
// up most of a body here, sliced from the body without a further call;
// the rest, and every error, go to reader.str.
func (c *codec) str(p *string) {
	if c.w != nil {
		c.w.str(*p)
		return
	}
	r := c.r
	if i := r.i; r.err == nil && i < len(r.b) {
		if b := r.b[i]; b >= 0xa0 && b <= 0xbf {
			if j := i + 1 + int(b&0x1f); j <= len(r.b) {
				r.i = j
				*p = r.s[i+1 : j]
				return
			}
		}
	}
	*p = r.str()
}

// boolean codes a bool; decoding reads it here, errors go to reader.boolean.
func (c *codec) boolean(p *bool) {
	if c.w != nil {
		c.w.boolean(*p)
		return
	}
	r := c.r
	if r.err == nil && r.i < len(r.b) {
		switch r.b[r.i] {
		case 0xc3:
			r.i++
			*p = true
			return
		case 0xc2:
			r.i++
			*p = false
			return
		}
	}
	*p = r.boolean()
}

func (c *codec) int(p *int) {
	if c.w != nil {
		c.w.int(int64(*p))
	} else {
		*p = int(c.r.int())
	}
}

func (c *codec) int32(p *int32) {
	if c.w != nil {
		c.w.int(int64(*p))
	} else {
		*p = int32(c.r.int())
	}
}

// strs is a list of strings; an empty list decodes as nil.
func (c *codec) strs(p *[]string) {
	if c.w != nil {
		c.w.strs(*p)
	} else {
		*p = c.r.strs()
	}
}

// qi is a qualified name: [schema, name].
func (c *codec) qi(q *schemacache.QI) {
	if c.fields(2, "qualified name") {
		c.str(&q.Schema)
		c.str(&q.Name)
	}
}

// optQI is a qualified name, or nil for the zero one.
func (c *codec) optQI(q *schemacache.QI) {
	if c.w != nil && *q == (schemacache.QI{}) {
		c.w.null()
		return
	}
	if c.r != nil && c.r.null() {
		*q = schemacache.QI{}
		return
	}
	c.qi(q)
}

// list is an array of elements, each coded by each; an empty array
// decodes as nil. The reader checks the length against the bytes left
// before allocating, counting the fewest bytes an element can take
// (minSize), so a slice is never larger than the elements the remaining
// bytes can actually encode.
func list[T any](c *codec, p *[]T, each func(*codec, *T)) {
	if c.w != nil {
		s := *p
		c.w.arr(len(s))
		for i := range s {
			each(c, &s[i])
		}
		return
	}
	n := c.r.arrOf(minSize(each))
	if n == 0 {
		*p = nil
		return
	}
	s := make([]T, n)
	for i := range s {
		each(c, &s[i])
	}
	*p = s
}

// opt is a value that may be absent: nil, or the value coded by each.
func opt[T any](c *codec, p **T, each func(*codec, *T)) {
	if c.w != nil {
		if *p == nil {
			c.w.null()
		} else {
			each(c, *p)
		}
		return
	}
	if c.r.null() {
		*p = nil
		return
	}
	v := new(T)
	each(c, v)
	*p = v
}

// dict is a map with string keys, or nil for a nil map. Keys are written
// sorted, so equal maps give equal bytes.
func dict[V any](c *codec, p *map[string]V, each func(*codec, *V)) {
	if c.w != nil {
		m := *p
		if m == nil {
			c.w.null()
			return
		}
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		c.w.mapLen(len(keys))
		for _, k := range keys {
			v := m[k]
			c.w.str(k)
			each(c, &v)
		}
		return
	}
	if c.r.null() {
		*p = nil
		return
	}
	n := c.r.mapOf(1 + minSize(each))
	// The hint is capped: a map's buckets cost several times the bytes of
	// the entries they are sized for, so it grows as entries arrive.
	m := make(map[string]V, min(n, 8))
	for range n {
		k := c.r.str()
		var v V
		each(c, &v)
		m[k] = v
	}
	*p = m
}

// minSizes memoises minSize by element type.
var minSizes sync.Map // reflect.Type -> int

// minSize returns the fewest bytes one element coded by each can take:
// the encoding of its zero value, in which every string is empty, every
// list empty and every optional value nil.
func minSize[T any](each func(*codec, *T)) int {
	key := reflect.TypeFor[T]()
	if n, ok := minSizes.Load(key); ok {
		return n.(int)
	}
	var bb bytes.Buffer
	enc := msgpack.NewEncoder(&bb)
	enc.UseCompactInts(true)
	var zero T
	each(&codec{w: &writer{enc: enc}}, &zero)
	n := max(bb.Len(), 1)
	minSizes.Store(key, n)
	return n
}
