package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"github.com/pgrest-lambda/pgrest-lambda/cachestore"
)

// runReload asks the leading worker to reload: reload [schema|config]. It
// fails when no worker is subscribed, since the request is then lost.
func runReload(ctx context.Context, s *cachestore.Store, args []string, w io.Writer) error {
	pos, err := parseFlags(flag.NewFlagSet("reload", flag.ContinueOnError), args, 0, 1)
	if err != nil {
		return err
	}
	what := "schema"
	if len(pos) == 1 {
		what = pos[0]
	}
	if what != "schema" && what != "config" {
		return usageError{fmt.Sprintf("reload: %q is not schema or config", what)}
	}
	n, err := s.RequestReload(ctx, "reload "+what)
	if err != nil {
		return err
	}
	if n == 0 {
		return fmt.Errorf("no worker is listening on %s", s.ReloadChannel())
	}
	_, err = fmt.Fprintf(w, "reload %s received by %d worker(s) on %s\n", what, n, s.ReloadChannel())
	return err
}

// runPin makes a kept version current until the next publish or unpin:
// pin VERSION.
func runPin(ctx context.Context, s *cachestore.Store, args []string, w io.Writer) error {
	pos, err := parseFlags(flag.NewFlagSet("pin", flag.ContinueOnError), args, 1, 1)
	if err != nil {
		return err
	}
	v, err := parseVersion(pos[0])
	if err != nil {
		return err
	}
	if err := s.Pin(ctx, v); err != nil {
		return err
	}
	cur, err := s.Current(ctx)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "current: %d (pinned)\n", cur)
	return err
}

// runUnpin ends a pin, making the newest kept version current: unpin.
func runUnpin(ctx context.Context, s *cachestore.Store, args []string, w io.Writer) error {
	if _, err := parseFlags(flag.NewFlagSet("unpin", flag.ContinueOnError), args, 0, 0); err != nil {
		return err
	}
	cur, err := s.Unpin(ctx)
	if err != nil {
		return err
	}
	if cur == 0 {
		_, err = fmt.Fprintln(w, "current: none (no version kept)")
		return err
	}
	_, err = fmt.Fprintf(w, "current: %d\n", cur)
	return err
}
