package main

import (
	"context"
	"strings"
	"testing"
	"time"
)

func TestPinUnpin(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	v1 := publishSnap(t, s, newSnapshot(baseCache(), nil), "startup")
	v2 := publishSnap(t, s, newSnapshot(changedCache(), nil), "notify")

	if out := mustCall(t, runPin, s, itoa(v1)); out != "current: "+itoa(v1)+" (pinned)\n" {
		t.Errorf("pin = %q", out)
	}
	if cur, _ := s.Current(ctx); cur != v1 {
		t.Errorf("after pin current = %d, want %d", cur, v1)
	}
	if p, _ := s.Pinned(ctx); p != v1 {
		t.Errorf("after pin pinned = %d, want %d", p, v1)
	}
	if out := mustCall(t, runUnpin, s); out != "current: "+itoa(v2)+"\n" {
		t.Errorf("unpin = %q", out)
	}
	if cur, _ := s.Current(ctx); cur != v2 {
		t.Errorf("after unpin current = %d, want %d", cur, v2)
	}
	if p, _ := s.Pinned(ctx); p != 0 {
		t.Errorf("after unpin pinned = %d", p)
	}
	if _, err := call(t, runPin, s, "1"); err == nil || isUsage(err) {
		t.Errorf("pin of a version not kept: err = %v", err)
	}
	if cur, _ := s.Current(ctx); cur != v2 {
		t.Errorf("a failed pin moved current to %d", cur)
	}
	if _, err := call(t, runPin, s); !isUsage(err) {
		t.Errorf("pin without a version: err = %v, want a usage error", err)
	}
	if out := mustCall(t, runUnpin, newStore(t)); out != "current: none (no version kept)\n" {
		t.Errorf("unpin of an empty namespace = %q", out)
	}
}

func TestReload(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	if _, err := call(t, runReload, s); err == nil || err.Error() != "no worker is listening on "+s.ReloadChannel() {
		t.Fatalf("reload without a worker: err = %v", err)
	}
	if _, err := call(t, runReload, s, "everything"); !isUsage(err) {
		t.Errorf("reload everything: err = %v, want a usage error", err)
	}

	sub := s.Redis().Subscribe(ctx, s.ReloadChannel())
	t.Cleanup(func() { _ = sub.Close() })
	if _, err := sub.Receive(ctx); err != nil { // the subscription confirmation
		t.Fatal(err)
	}
	for _, tc := range []struct{ arg, payload string }{{"", "reload schema"}, {"config", "reload config"}} {
		var args []string
		if tc.arg != "" {
			args = []string{tc.arg}
		}
		out := mustCall(t, runReload, s, args...)
		if !strings.Contains(out, "received by 1 worker(s)") {
			t.Errorf("reload %v = %q", args, out)
		}
		rctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		msg, err := sub.ReceiveMessage(rctx)
		cancel()
		if err != nil {
			t.Fatal(err)
		}
		if msg.Payload != tc.payload {
			t.Errorf("reload %v published %q, want %q", args, msg.Payload, tc.payload)
		}
	}
}
