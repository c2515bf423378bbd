package query

import (
	"testing"

	"github.com/pgrest-lambda/pgrest-lambda/internal/schemacache"
)

func TestHandlerBody(t *testing.T) {
	api := func(n string) schemacache.QI { return schemacache.QI{Schema: "api", Name: n} }
	for _, tc := range []struct {
		h    schemacache.MediaHandler
		sh   shape
		want string
	}{
		{schemacache.MediaHandler{Target: api("lines"), Aggregate: api("csv_agg")}, shapeRows,
			`"api"."csv_agg"(_postgrest_t::"api"."lines")::text`},
		{schemacache.MediaHandler{Aggregate: api("plain_agg")}, shapeRows, `"api"."plain_agg"(_postgrest_t)::text`},
		{schemacache.MediaHandler{Target: api("get_line"), Binary: true}, shapeScalar,
			`pg_catalog.encode((pg_catalog.array_agg(_postgrest_t.pgrst_scalar))[1]::bytea, 'base64')`},
		{schemacache.MediaHandler{Target: api("lines"), Aggregate: api("bin_agg"), Binary: true}, shapeRows,
			`pg_catalog.encode("api"."bin_agg"(_postgrest_t::"api"."lines")::bytea, 'base64')`},
	} {
		if got := handlerBody(tc.sh, &tc.h); got != tc.want {
			t.Errorf("%+v: %s, want %s", tc.h, got, tc.want)
		}
	}
}
