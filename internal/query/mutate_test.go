package query

import (
	"strings"
	"testing"

	"github.com/pgrest-lambda/pgrest-lambda/internal/apirequest"
	"github.com/pgrest-lambda/pgrest-lambda/internal/plan"
	"github.com/pgrest-lambda/pgrest-lambda/internal/schemacache"
)

func TestMutationSQL(t *testing.T) {
	def := "nextval('api.t_id_seq'::regclass)"
	tbl := &schemacache.Table{Schema: "api", Name: "t", PKCols: []string{"id"}, Columns: []schemacache.Column{
		{Name: "id", Type: "integer", NominalType: "integer", Default: &def},
		{Name: "na\"me", Type: "text", NominalType: "character varying(20)"},
	}}
	where := &plan.ReadPlan{Table: tbl.QI(), Alias: "t", Filters: []apirequest.Filter{{Field: "id", Op: "eq", Value: "1; DROP"}}}
	payload := []byte(`[{"id":1,"na\"me":"x"}]`)
	two := int64(2)
	limitedWhere := &plan.ReadPlan{Table: tbl.QI(), Alias: "t", Filters: where.Filters, Limit: &two,
		Order: []apirequest.OrderTerm{{Column: "id", Desc: true}, {Column: "id"}}}
	cases := []struct {
		name string
		mp   plan.MutatePlan
		want string
		args int
	}{
		{"insert", plan.MutatePlan{Kind: plan.MutateInsert, Table: tbl, Columns: tbl.Columns, Payload: payload, Where: &plan.ReadPlan{Alias: "t"}},
			`INSERT INTO "api"."t" AS "t" ("id", "na""me") SELECT pgrst_body."id", pgrst_body."na""me" FROM (SELECT * FROM pg_catalog.json_to_recordset($1::json) AS _("id" integer, "na""me" character varying(20))) AS pgrst_body RETURNING "t".*`, 1},
		{"upsert with defaults", plan.MutatePlan{Kind: plan.MutateInsert, Table: tbl, Columns: tbl.Columns[:1], Payload: payload, ApplyDefaults: true,
			OnConflict: []string{"id"}, Resolution: "merge-duplicates", Where: &plan.ReadPlan{Alias: "t"}},
			`INSERT INTO "api"."t" AS "t" ("id") SELECT pgrst_body."id" FROM (SELECT * FROM pg_catalog.jsonb_to_recordset((SELECT coalesce(pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object($1::text, nextval('api.t_id_seq'::regclass)) || pgrst_elem), '[]') FROM pg_catalog.jsonb_array_elements($2::jsonb) AS pgrst_elem)) AS _("id" integer)) AS pgrst_body WHERE ` + insertedBump + ` ON CONFLICT ("id") DO UPDATE SET "id" = EXCLUDED."id" WHERE ` + insertedDrop + ` RETURNING "t".*`, 2},
		{"update", plan.MutatePlan{Kind: plan.MutateUpdate, Table: tbl, Columns: tbl.Columns[1:], Payload: payload, Where: where},
			`UPDATE "api"."t" AS "t" SET "na""me" = pgrst_body."na""me" FROM (SELECT * FROM pg_catalog.json_to_recordset($1::json) AS _("na""me" character varying(20)) LIMIT 1) AS pgrst_body WHERE "t"."id" = $2 RETURNING "t".*`, 2},
		{"limited delete", plan.MutatePlan{Kind: plan.MutateDelete, Table: tbl, Where: limitedWhere},
			`WITH pgrst_affected_rows AS (SELECT "t"."id" FROM "api"."t" AS "t" WHERE "t"."id" = $1 ORDER BY "t"."id" DESC, "t"."id" ASC LIMIT $2) ` +
				`DELETE FROM "api"."t" AS "t" USING pgrst_affected_rows WHERE "t"."id" = pgrst_affected_rows."id" RETURNING "t".*`, 2},
		{"limited update", plan.MutatePlan{Kind: plan.MutateUpdate, Table: tbl, Columns: tbl.Columns[1:], Payload: payload, Where: limitedWhere},
			`WITH pgrst_affected_rows AS (SELECT "t"."id" FROM "api"."t" AS "t" WHERE "t"."id" = $1 ORDER BY "t"."id" DESC, "t"."id" ASC LIMIT $2) ` +
				`UPDATE "api"."t" AS "t" SET "na""me" = pgrst_body."na""me" FROM pgrst_affected_rows, (SELECT * FROM pg_catalog.json_to_recordset($3::json) AS _("na""me" character varying(20)) LIMIT 1) AS pgrst_body ` +
				`WHERE "t"."id" = pgrst_affected_rows."id" RETURNING "t".*`, 3},
		{"delete", plan.MutatePlan{Kind: plan.MutateDelete, Table: tbl, Where: where},
			`DELETE FROM "api"."t" AS "t" WHERE "t"."id" = $1 RETURNING "t".*`, 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b := &sqlBuilder{}
			got, err := b.mutation(&c.mp)
			if err != nil {
				t.Fatal(err)
			}
			if got != c.want {
				t.Errorf("got\n%s\nwant\n%s", got, c.want)
			}
			if len(b.args) != c.args {
				t.Errorf("args = %d, want %d", len(b.args), c.args)
			}
			if strings.Contains(got, "DROP") {
				t.Error("a value was inlined")
			}
		})
	}
}
