package tests

import (
	"testing"

	"github.com/pgrest-lambda/pgrest-lambda/internal/config"
)

// factoriesSQL is the part of PostgREST's test fixtures its spread and
// aggregate specs read (factories, processes and their costs, categories,
// supervisors and operators), with data chosen so that the specs'
// expected bodies hold for the cases the tests below take from them.
const factoriesSQL = `
CREATE TABLE api.factories (id int PRIMARY KEY, name text);
CREATE TABLE api.process_categories (id int PRIMARY KEY, name text);
CREATE TABLE api.processes (id int PRIMARY KEY, name text,
  factory_id int REFERENCES api.factories, category_id int REFERENCES api.process_categories);
CREATE TABLE api.process_costs (process_id int PRIMARY KEY REFERENCES api.processes, cost numeric(10,2));
CREATE TABLE api.supervisors (id int PRIMARY KEY, name text);
CREATE TABLE api.process_supervisor (process_id int REFERENCES api.processes,
  supervisor_id int REFERENCES api.supervisors, PRIMARY KEY (process_id, supervisor_id));
CREATE TABLE api.operators (id int PRIMARY KEY, name text);
CREATE TABLE api.process_operator (process_id int REFERENCES api.processes,
  operator_id int REFERENCES api.operators, PRIMARY KEY (process_id, operator_id));
INSERT INTO api.factories VALUES (1, 'Factory A'), (2, 'Factory B'), (3, 'Factory C'), (4, 'Factory D');
INSERT INTO api.process_categories VALUES (1, 'Batch'), (2, 'Mass');
INSERT INTO api.processes VALUES (1, 'Process A1', 1, 1), (2, 'Process A2', 1, 2), (3, 'Process B1', 2, 1),
  (4, 'Process B2', 2, 1), (5, 'Process C1', 3, 2), (6, 'Process C2', 3, 2), (7, 'Process XX', 3, 2),
  (8, 'Process YY', 3, 2);
INSERT INTO api.process_costs VALUES (1, 150), (2, 200), (3, 180), (4, 70), (5, 40), (6, 70);
INSERT INTO api.supervisors VALUES (1, 'Mary'), (2, 'John'), (3, 'Peter'), (4, 'Sarah'), (5, 'Jane');
INSERT INTO api.process_supervisor VALUES (1, 1), (2, 2), (3, 3), (3, 4), (4, 1), (4, 2), (5, 3), (6, 3);
INSERT INTO api.operators VALUES (1, 'Anne'), (2, 'Louis'), (3, 'Jeff'), (4, 'Liz'), (5, 'Alfred');
INSERT INTO api.process_operator VALUES (1, 1), (1, 2), (2, 1), (2, 2), (2, 3), (3, 3), (4, 1), (4, 3),
  (6, 3), (6, 5);
GRANT SELECT ON ALL TABLES IN SCHEMA api TO web_anon;
`

// spreadCase is one GET and the 200 body it answers.
type spreadCase struct{ name, path, body string }

// runSpreadCases checks each case's status and compacted body.
func runSpreadCases(t *testing.T, e *env, cases []spreadCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := e.get(c.path)
			if r.Status != 200 || compact(t, r.Body) != c.body {
				t.Fatalf("GET %s\n got %d %s\nwant 200 %s", c.path, r.Status, r.Body, c.body)
			}
		})
	}
}

// factoriesEnv serves the sample schema and factoriesSQL with aggregates
// enabled.
func factoriesEnv(t *testing.T) *env {
	t.Helper()
	return sampleEnvWith(t, factoriesSQL, func(c *config.Config) { c.DBAggregatesEnabled = true })
}

// TestSpreadStar holds `*` inside a spread (SpreadQueriesSpec): a to-one
// spread puts every related column into the parent, a to-many spread
// gives one array per column, nested or beside other columns.
func TestSpreadStar(t *testing.T) {
	t.Parallel()
	e := factoriesEnv(t)
	runSpreadCases(t, e, []spreadCase{
		{"one-to-many, each column aggregated", "/factories?select=factory:name,...processes(*)&id=lte.2&order=name",
			`[{"factory":"Factory A","id":[1,2],"name":["Process A1","Process A2"],"factory_id":[1,1],"category_id":[1,2]},` +
				`{"factory":"Factory B","id":[3,4],"name":["Process B1","Process B2"],"factory_id":[2,2],"category_id":[1,1]}]`},
		{"many-to-many, each column aggregated", "/operators?select=operator:name,...processes(*)&id=lte.2&order=id&processes.order=id",
			`[{"operator":"Anne","id":[1,2,4],"name":["Process A1","Process A2","Process B2"],"factory_id":[1,1,2],"category_id":[1,2,1]},` +
				`{"operator":"Louis","id":[1,2],"name":["Process A1","Process A2"],"factory_id":[1,1],"category_id":[1,2]}]`},
		{"nested to-one inside to-many", "/factories?select=factory:name,...processes(*,...process_costs(*))&id=lte.2&order=id&processes.order=id",
			`[{"factory":"Factory A","id":[1,2],"name":["Process A1","Process A2"],"factory_id":[1,1],"category_id":[1,2],"process_id":[1,2],"cost":[150.00,200.00]},` +
				`{"factory":"Factory B","id":[3,4],"name":["Process B1","Process B2"],"factory_id":[2,2],"category_id":[1,1],"process_id":[3,4],"cost":[180.00,70.00]}]`},
		{"to-one", "/processes?select=process:name,...process_costs(*),...factories(*)&id=lte.2&order=id",
			`[{"process":"Process A1","process_id":1,"cost":150.00,"id":1,"name":"Factory A"},` +
				`{"process":"Process A2","process_id":2,"cost":200.00,"id":1,"name":"Factory A"}]`},
		{"junction attributes with a to-one spread of the target", "/books?select=id,book_tags(*,...tags(*))&id=eq.4&book_tags.order=tag_id",
			`[{"id":4,"book_tags":[{"book_id":4,"tag_id":1,"id":1,"name":"fantasy"},{"book_id":4,"tag_id":3,"id":3,"name":"humour"}]}]`},
		{"only the target's columns", "/books?select=id,book_tags(...tags(*))&id=eq.4&book_tags.order=tag_id",
			`[{"id":4,"book_tags":[{"id":1,"name":"fantasy"},{"id":3,"name":"humour"}]}]`},
		{"no related rows: empty arrays", "/factories?select=factory:name,...processes(*)&id=eq.4",
			`[{"factory":"Factory D","id":[],"name":[],"factory_id":[],"category_id":[]}]`},
	})
}

// TestToManySpreadAggregatesDisabled holds PostgREST's refusal of to-many
// spreads without db-aggregates-enabled (SpreadQueriesSpec, "fails when
// it's a one-to-many relationship and aggregates are disabled").
func TestToManySpreadAggregatesDisabled(t *testing.T) {
	t.Parallel()
	e := sampleEnvWith(t, factoriesSQL, nil)
	for _, path := range []string{"/factories?select=*,...processes(*)", "/supervisors?select=*,...processes(*)",
		"/processes?select=name,factories(...processes(name))"} {
		wantError(t, e.get(path), 400, "PGRST123", "Use of aggregate functions is not allowed", "null", "null")
	}
	r := e.get("/processes?select=name,...factories(factory:name)&id=eq.1")
	if r.Status != 200 || compact(t, r.Body) != `[{"name":"Process A1","factory":"Factory A"}]` {
		t.Fatalf("a to-one spread stays allowed: %d %s", r.Status, r.Body)
	}
}

// TestToManySpreadAggregates holds aggregates in to-many spreads
// (AggregateFunctionsSpec, "to-many spread relationships"): beside plain
// columns, which stay arrays, an aggregate is one value over the related
// rows; inside a nested spread it is applied over the joined rows.
func TestToManySpreadAggregates(t *testing.T) {
	t.Parallel()
	e := factoriesEnv(t)
	runSpreadCases(t, e, []spreadCase{
		{"one-to-many count() alone", "/factories?select=name,...processes(count())&order=name",
			`[{"name":"Factory A","count":2},{"name":"Factory B","count":2},{"name":"Factory C","count":4},{"name":"Factory D","count":0}]`},
		{"one-to-many count() beside a column", "/factories?select=name,...processes(id,count())&order=name&processes.order=id",
			`[{"name":"Factory A","id":[1,2],"count":2},{"name":"Factory B","id":[3,4],"count":2},` +
				`{"name":"Factory C","id":[5,6,7,8],"count":4},{"name":"Factory D","id":[],"count":0}]`},
		{"aliases", "/factories?select=factory:name,...processes(process:id,process_count:count())&order=name&processes.order=id",
			`[{"factory":"Factory A","process":[1,2],"process_count":2},{"factory":"Factory B","process":[3,4],"process_count":2},` +
				`{"factory":"Factory C","process":[5,6,7,8],"process_count":4},{"factory":"Factory D","process":[],"process_count":0}]`},
		{"count() beside *", "/factories?select=factory:name,...processes(*,process_count:count())&order=name&processes.order=id",
			`[{"factory":"Factory A","id":[1,2],"name":["Process A1","Process A2"],"factory_id":[1,1],"category_id":[1,2],"process_count":2},` +
				`{"factory":"Factory B","id":[3,4],"name":["Process B1","Process B2"],"factory_id":[2,2],"category_id":[1,1],"process_count":2},` +
				`{"factory":"Factory C","id":[5,6,7,8],"name":["Process C1","Process C2","Process XX","Process YY"],"factory_id":[3,3,3,3],"category_id":[2,2,2,2],"process_count":4},` +
				`{"factory":"Factory D","id":[],"name":[],"factory_id":[],"category_id":[],"process_count":0}]`},
		{"many-to-many count() beside a column", "/supervisors?select=name,...processes(id,count())&order=name&processes.order=id",
			`[{"name":"Jane","id":[],"count":0},{"name":"John","id":[2,4],"count":2},{"name":"Mary","id":[1,4],"count":2},` +
				`{"name":"Peter","id":[3,5,6],"count":3},{"name":"Sarah","id":[3],"count":1}]`},
		{"many-to-many * and count()", "/supervisors?select=supervisor:name,...processes(*,process_count:count())&id=gte.4&order=name",
			`[{"supervisor":"Jane","id":[],"name":[],"factory_id":[],"category_id":[],"process_count":0},` +
				`{"supervisor":"Sarah","id":[3],"name":["Process B1"],"factory_id":[2],"category_id":[1],"process_count":1}]`},
		{"count() in a to-many spread inside a to-many spread", "/supervisors?select=id,...processes(...operators(count()))&order=id",
			`[{"id":1,"count":4},{"id":2,"count":5},{"id":3,"count":3},{"id":4,"count":1},{"id":5,"count":0}]`},
		{"aliased", "/supervisors?select=supervisor:id,...processes(...operators(operators_count:count()))&order=id",
			`[{"supervisor":1,"operators_count":4},{"supervisor":2,"operators_count":5},{"supervisor":3,"operators_count":3},` +
				`{"supervisor":4,"operators_count":1},{"supervisor":5,"operators_count":0}]`},
		{"sum through a to-one spread inside a to-many spread", "/supervisors?select=name,...processes(...process_costs(cost.sum()))&order=name&limit=3",
			`[{"name":"Jane","sum":null},{"name":"John","sum":270.00},{"name":"Mary","sum":220.00}]`},
		{"aliased sum", "/supervisors?select=supervisor:name,...processes(...process_costs(cost_sum:cost.sum()))&name=eq.Peter",
			`[{"supervisor":"Peter","cost_sum":290.00}]`},
		{"aggregate beside a nested to-many spread's arrays", "/factories?select=name,...processes(n:count(),...operators(operator:name))&id=eq.2&processes.order=id&processes.operators.order=id",
			`[{"name":"Factory B","n":2,"operator":["Jeff","Anne","Jeff"]}]`},
		// Applied per parent row, beside another spread's columns too: an
		// aggregate is not hoisted out of a to-many spread (PostgREST 13
		// refuses aggregates there with PGRST127; grouping the parents by
		// the other spread's values was only discussed in its open PR #3640).
		{"count() beside another spread's column", "/processes?select=...supervisors(id.count()),...process_categories(name)&order=id",
			`[{"count":1,"name":"Batch"},{"count":1,"name":"Mass"},{"count":2,"name":"Batch"},{"count":2,"name":"Batch"},` +
				`{"count":1,"name":"Mass"},{"count":1,"name":"Mass"},{"count":0,"name":"Mass"},{"count":0,"name":"Mass"}]`},
	})
}

// TestToManySpreadThroughToOneSpread holds the flattening of a to-many
// spread reached through a to-one spread inside a to-many spread: its rows
// join the outer spread's rows, as a to-many spread directly inside it
// does (SpreadQueriesSpec, nested one-to-many and many-to-many spreads),
// rather than giving arrays inside the arrays.
func TestToManySpreadThroughToOneSpread(t *testing.T) {
	t.Parallel()
	e := factoriesEnv(t)
	runSpreadCases(t, e, []spreadCase{
		{"one-to-many through many-to-one", "/factories?select=name,...processes(process:name,...process_categories(...processes(same_category:name)))" +
			"&id=eq.2&processes.order=id&processes.process_categories.processes.order=id",
			`[{"name":"Factory B","process":["Process B1","Process B1","Process B1","Process B2","Process B2","Process B2"],` +
				`"same_category":["Process A1","Process B1","Process B2","Process A1","Process B1","Process B2"]}]`},
		{"one-to-many through many-to-one inside many-to-many, with the to-one's own column",
			"/supervisors?select=name,...processes(process:id,...factories(factory:name,...processes(sibling:id)))" +
				"&name=eq.Sarah&processes.factories.processes.order=id",
			`[{"name":"Sarah","process":[3,3],"factory":["Factory B","Factory B"],"sibling":[3,4]}]`},
		{"no related rows through the to-one: null", "/factories?select=...processes(process:id,...process_costs(...processes(again:id)))&id=eq.3&processes.order=id",
			`[{"process":[5,6,7,8],"again":[5,6,null,null]}]`},
	})
}

// TestToManySpreadNestedEmbeddings holds embeddings (not spread) inside a
// to-many spread (SpreadQueriesSpec, "should aggregate a nested non-spread
// ... relationship into an array of objects"): a to-one one gives one
// object per row, a to-many one one object per related row, the spread's
// other arrays repeating their values for each.
func TestToManySpreadNestedEmbeddings(t *testing.T) {
	t.Parallel()
	e := factoriesEnv(t)
	runSpreadCases(t, e, []spreadCase{
		{"one-to-one", "/factories?select=factory:name,...processes(process:name,process_costs(cost))&id=lte.2&order=id&processes.order=id",
			`[{"factory":"Factory A","process":["Process A1","Process A2"],"process_costs":[{"cost":150.00},{"cost":200.00}]},` +
				`{"factory":"Factory B","process":["Process B1","Process B2"],"process_costs":[{"cost":180.00},{"cost":70.00}]}]`},
		{"many-to-one", "/factories?select=factory:name,...processes(process:name,process_categories(name))&id=lte.2&order=id&processes.order=id",
			`[{"factory":"Factory A","process":["Process A1","Process A2"],"process_categories":[{"name":"Batch"},{"name":"Mass"}]},` +
				`{"factory":"Factory B","process":["Process B1","Process B2"],"process_categories":[{"name":"Batch"},{"name":"Batch"}]}]`},
		{"one-to-many", "/factories?select=factory:name,...processes(process:name,process_supervisor(supervisor_id))&id=lte.2&order=id" +
			"&processes.order=id&processes.process_supervisor.order=supervisor_id",
			`[{"factory":"Factory A","process":["Process A1","Process A2"],"process_supervisor":[{"supervisor_id":1},{"supervisor_id":2}]},` +
				`{"factory":"Factory B","process":["Process B1","Process B1","Process B2","Process B2"],` +
				`"process_supervisor":[{"supervisor_id":3},{"supervisor_id":4},{"supervisor_id":1},{"supervisor_id":2}]}]`},
		{"many-to-many", "/operators?select=operator:name,...processes(process:name,supervisors(name))&id=lte.2&order=id" +
			"&processes.order=id&processes.supervisors.order=id",
			`[{"operator":"Anne","process":["Process A1","Process A2","Process B2","Process B2"],"supervisors":[{"name":"Mary"},{"name":"John"},{"name":"Mary"},{"name":"John"}]},` +
				`{"operator":"Louis","process":["Process A1","Process A2"],"supervisors":[{"name":"Mary"},{"name":"John"}]}]`},
		{"to-one spread inside an embedding inside a to-many spread is not aggregated",
			"/supervisors?select=name,...process_supervisor(processes(name,...process_costs(cost)))&id=lte.2&order=id&process_supervisor.order=process_id",
			`[{"name":"Mary","processes":[{"name":"Process A1","cost":150.00},{"name":"Process B2","cost":70.00}]},` +
				`{"name":"John","processes":[{"name":"Process A2","cost":200.00},{"name":"Process B2","cost":70.00}]}]`},
		{"to-many spread inside an embedding inside a to-many spread is", "/supervisors?select=name,...process_supervisor(processes(name,...operators(operators:name)))" +
			"&id=lte.2&order=id&process_supervisor.order=process_id&process_supervisor.processes.operators.order=id",
			`[{"name":"Mary","processes":[{"name":"Process A1","operators":["Anne","Louis"]},{"name":"Process B2","operators":["Anne","Jeff"]}]},` +
				`{"name":"John","processes":[{"name":"Process A2","operators":["Anne","Louis","Jeff"]},{"name":"Process B2","operators":["Anne","Jeff"]}]}]`},
		{"* in the top resource beside a to-many spread", "/processes?select=*,...operators(operator_ids:id,operator_names:name)&id=lte.2&order=id&operators.order=id",
			`[{"id":1,"name":"Process A1","factory_id":1,"category_id":1,"operator_ids":[1,2],"operator_names":["Anne","Louis"]},` +
				`{"id":2,"name":"Process A2","factory_id":1,"category_id":2,"operator_ids":[1,2,3],"operator_names":["Anne","Louis","Jeff"]}]`},
		{"* in an embedding beside a to-many spread", "/supervisors?select=name,processes(*,...operators(operator_ids:id,operator_names:name))" +
			"&id=lte.2&order=id&processes.order=id&processes.operators.order=id",
			`[{"name":"Mary","processes":[{"id":1,"name":"Process A1","factory_id":1,"category_id":1,"operator_ids":[1,2],"operator_names":["Anne","Louis"]},` +
				`{"id":4,"name":"Process B2","factory_id":2,"category_id":1,"operator_ids":[1,3],"operator_names":["Anne","Jeff"]}]},` +
				`{"name":"John","processes":[{"id":2,"name":"Process A2","factory_id":1,"category_id":2,"operator_ids":[1,2,3],"operator_names":["Anne","Louis","Jeff"]},` +
				`{"id":4,"name":"Process B2","factory_id":2,"category_id":1,"operator_ids":[1,3],"operator_names":["Anne","Jeff"]}]}]`},
	})
}
