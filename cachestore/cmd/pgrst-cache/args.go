package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/pgrest-lambda/pgrest-lambda/cachestore"
)

// usageError is a malformed invocation; it exits with status 2.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

// parseFlags parses a command's flags, which may come before, between or
// after its positional arguments, and checks the number of positionals.
func parseFlags(fs *flag.FlagSet, args []string, minArgs, maxArgs int) ([]string, error) {
	fs.SetOutput(io.Discard)
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, usageError{fs.Name() + ": " + err.Error()}
		}
		args = fs.Args()
		if len(args) == 0 {
			break
		}
		pos, args = append(pos, args[0]), args[1:]
	}
	switch {
	case len(pos) < minArgs:
		return nil, usageError{fmt.Sprintf("%s: missing argument", fs.Name())}
	case len(pos) > maxArgs:
		return nil, usageError{fmt.Sprintf("%s: unexpected argument %q", fs.Name(), pos[maxArgs])}
	}
	return pos, nil
}

// parseVersion reads a version number, "42" or "v42".
func parseVersion(s string) (int64, error) {
	v, err := strconv.ParseInt(strings.TrimPrefix(s, "v"), 10, 64)
	if err != nil || v <= 0 {
		return 0, usageError{fmt.Sprintf("%q is not a version number", s)}
	}
	return v, nil
}

// namespace renders the store's hash tag, e.g. "{pgrst}".
func namespace(s *cachestore.Store) string { return strings.TrimSuffix(s.Key(""), ":") }

// current returns the current version, or an error naming the namespace
// when nothing was published.
func current(ctx context.Context, s *cachestore.Store) (int64, error) {
	v, err := s.Current(ctx)
	if err != nil {
		return 0, err
	}
	if v == 0 {
		return 0, fmt.Errorf("no schema cache published in %s", namespace(s))
	}
	return v, nil
}

// blob returns a kept version's blob, with a message that says so when
// the version is not kept.
func blob(ctx context.Context, s *cachestore.Store, v int64) ([]byte, error) {
	b, err := s.Blob(ctx, v)
	if errors.Is(err, cachestore.ErrNoCache) {
		return nil, fmt.Errorf("version %d is not kept in %s (see: pgrst-cache versions)", v, namespace(s))
	}
	return b, err
}

// writeJSON writes v indented, with a final newline.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// metaInt and metaFloat read numeric metadata fields; absent or malformed
// ones read as zero, since older publishers may lack a field.
func metaInt(m map[string]string, k string) int {
	n, _ := strconv.Atoi(m[k])
	return n
}

func metaFloat(m map[string]string, k string) float64 {
	f, _ := strconv.ParseFloat(m[k], 64)
	return f
}
