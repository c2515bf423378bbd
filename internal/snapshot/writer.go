package snapshot

import "github.com/vmihailenco/msgpack/v5"

// writer writes the msgpack values the codec (codec.go) asks for: a
// msgpack encoder that keeps its first error.
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
func (w *writer) mapLen(n int)   { w.do(w.enc.EncodeMapLen(n)) }

func (w *writer) strs(ss []string) {
	w.arr(len(ss))
	for _, s := range ss {
		w.str(s)
	}
}
