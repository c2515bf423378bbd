package pgrsterr

import (
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
)

// TestRaisedPTStatus holds RpcSpec's RAISE SQLSTATE 'PTnnn': the digits
// are the status, anything else (PT40A) is 500.
func TestRaisedPTStatus(t *testing.T) {
	for code, want := range map[string]int{"PT402": 402, "PT40A": 500, "PT099": 500, "P0001": 400} {
		if e := FromPg(&pgconn.PgError{Code: code, Message: "Wrong"}, false); e.Status != want || e.Code != code {
			t.Errorf("%s: %d %s, want %d", code, e.Status, e.Code, want)
		}
	}
}
