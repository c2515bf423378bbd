package snapshot

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
)

// errCorrupt is the error of every malformed body.
var errCorrupt = errors.New("corrupt schema cache body")

// reader reads the msgpack values the codec (codec.go) asks for. It is a
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

func (r *reader) arr() int { return r.arrOf(1) }

// arrOf reads an array header whose elements take at least min bytes each.
func (r *reader) arrOf(min int) int {
	c := r.byte1()
	switch {
	case c >= 0x90 && c <= 0x9f:
		return r.length(uint64(c&0x0f), min)
	case c == 0xdc:
		return r.length(r.uint(2), min)
	case c == 0xdd:
		return r.length(r.uint(4), min)
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

// mapOf reads a map header whose entries take at least min bytes each.
func (r *reader) mapOf(min int) int {
	c := r.byte1()
	switch {
	case c >= 0x80 && c <= 0x8f:
		return r.length(uint64(c&0x0f), min)
	case c == 0xde:
		return r.length(r.uint(2), min)
	case c == 0xdf:
		return r.length(r.uint(4), min)
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

// MaxAllocPerByte bounds what DecodeWith allocates per blob byte, whatever
// the bytes claim; MaxDecodeAlloc adds the fixed part. Every list and map
// is sized from its length only after checking that the bytes left can
// hold that many elements of the element's smallest encoding (minSize),
// so memory follows what the bytes actually encode. The worst cases are
// lists of empty elements: a 1-byte empty string becomes a 16-byte string
// header (16 to 17.5 bytes per byte on 1 MiB crafted bodies), a 3-byte
// empty name in the names section a 32-byte one plus its entry in the map
// that restores the cache order (35.7), and a 10-byte empty table is
// decoded in its section and copied into the whole cache (27.8).
// Opening a head (Open) and loading one section allocate at most as much
// per byte of each. FuzzDecode checks the bound on every input.
const MaxAllocPerByte = 48

// MaxDecodeAlloc returns the most bytes DecodeWith allocates for a blob of
// n bytes: MaxAllocPerByte per byte plus 64 KiB.
func MaxDecodeAlloc(n int) int { return MaxAllocPerByte*n + 64<<10 }
