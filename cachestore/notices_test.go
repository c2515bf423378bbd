package cachestore_test

import (
	"testing"
	"time"

	"github.com/pgrest-lambda/pgrest-lambda/cachestore"
)

// TestReaderUntouched: with Notices, the memo is trusted from the check
// that confirmed it until a notice of a newer version of its own prefix,
// a new listening connection, or ListenTrust; notices of other prefixes,
// of versions already held and payloads that do not parse change nothing.
func TestReaderUntouched(t *testing.T) {
	s, _ := newStore(t)
	v1 := publishBlob(t, s, cacheBlob(t, "a"))
	n := cachestore.NewNotices(s.Prefix(), nil)
	r := cachestore.NewReaderWithOptions(s, cachestore.ReaderOptions{Notices: n, ListenTrust: time.Minute})
	if _, _, _, ok := r.Untouched(); ok {
		t.Fatal("untouched before the first check")
	}
	current(t, r)
	snap, v, gen, ok := r.Untouched()
	if !ok || v != v1 || snap == nil || r.Touched(gen) {
		t.Fatalf("after a check: v%d ok=%v, want v%d ok", v, ok, v1)
	}
	// Memo stays never fresh by time alone: a write still asks Redis.
	if _, _, fresh := r.Memo(); fresh {
		t.Fatal("the memo of a listening reader is fresh by time")
	}
	for _, p := range []string{
		cachestore.NoticePayload(s.Prefix(), v1),
		cachestore.NoticePayload(s.Prefix(), v1-1),
		cachestore.NoticePayload("other", v1+1),
		s.Prefix() + " x",
		s.Prefix(),
		"",
	} {
		n.Observe(p)
		if _, _, _, ok := r.Untouched(); !ok {
			t.Fatalf("notice %q touched the memo", p)
		}
	}
	for name, touch := range map[string]func(){
		"a newer version": func() { n.Observe(cachestore.NoticePayload(s.Prefix(), v1+1)) },
		"a new listener":  n.Listening,
	} {
		_, _, gen, _ := r.Untouched()
		touch()
		if _, _, _, ok := r.Untouched(); ok || !r.Touched(gen) {
			t.Fatalf("%s: memo still untouched", name)
		}
		current(t, r)
		if _, _, _, ok := r.Untouched(); !ok {
			t.Fatalf("%s: memo not trusted after a check", name)
		}
	}
	v2 := publishBlob(t, s, cacheBlob(t, "b"))
	n.Observe(cachestore.NoticePayload(s.Prefix(), v2))
	current(t, r)
	if _, v, _, ok := r.Untouched(); !ok || v != v2 {
		t.Fatalf("after the check of v%d: v%d ok=%v", v2, v, ok)
	}
	// The same notice from another connection changes nothing now.
	n.Observe(cachestore.NoticePayload(s.Prefix(), v2))
	if _, _, _, ok := r.Untouched(); !ok {
		t.Fatal("a notice of the held version touched the memo")
	}

	short := cachestore.NewReaderWithOptions(s, cachestore.ReaderOptions{Notices: n, ListenTrust: 20 * time.Millisecond})
	current(t, short)
	time.Sleep(40 * time.Millisecond)
	if _, _, _, ok := short.Untouched(); ok {
		t.Fatal("memo trusted past ListenTrust")
	}
	if _, _, _, ok := cachestore.NewReader(s, nil).Untouched(); ok {
		t.Fatal("a reader without notices reported an untouched memo")
	}
}
