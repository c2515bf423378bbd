package pgrsterr

import (
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
)

// TestRaisedPTStatus holds RpcSpec's RAISE SQLSTATE 'PTnnn': the digits
// are the status, anything else (PT40A) is 500, and so is a number
// outside 100–599, which PostgREST would send as is.
func TestRaisedPTStatus(t *testing.T) {
	for code, want := range map[string]int{"PT402": 402, "PT40A": 500, "PT099": 500, "P0001": 400,
		"PT100": 100, "PT599": 599, "PT600": 500, "PT999": 500, "PT000": 500} {
		if e := FromPg(&pgconn.PgError{Code: code, Message: "Wrong"}, false); e.Status != want || e.Code != code {
			t.Errorf("%s: %d %s, want %d", code, e.Status, e.Code, want)
		}
	}
}
