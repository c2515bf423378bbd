package schemacache

import (
	"fmt"
	"strconv"
	"strings"
)

// attnums scans a comma-separated list of attnums ("1,3"; array_to_string
// of an int2[]) into []int16; NULL and "" scan as nil.
type attnums []int16

// Scan implements sql.Scanner for pgx: src is the text, or nil for NULL.
func (a *attnums) Scan(src any) error {
	var text string
	switch v := src.(type) {
	case nil:
		*a = nil
		return nil
	case string:
		text = v
	case []byte:
		text = string(v)
	default:
		return fmt.Errorf("attnums: cannot scan %T", src)
	}
	if text == "" {
		*a = nil
		return nil
	}
	out := make([]int16, 0, strings.Count(text, ",")+1)
	for f := range strings.SplitSeq(text, ",") {
		n, err := strconv.ParseInt(f, 10, 16)
		if err != nil {
			return fmt.Errorf("attnums: %q: %w", text, err)
		}
		out = append(out, int16(n))
	}
	*a = out
	return nil
}
