package tests

import (
	"encoding/json"
	"reflect"
	"testing"
)

// disambiguationSQL holds the tables of PostgREST's
// EmbedDisambiguationSpec: a site with a main project and jobs joining it
// to projects (a junction and a view of it), a circular reference between
// agents and departments, two one-to-one keys, and self references.
const disambiguationSQL = `
CREATE TABLE api.big_projects (big_project_id int PRIMARY KEY, name text);
CREATE TABLE api.sites (site_id int PRIMARY KEY, name text,
  main_project_id int CONSTRAINT main_project REFERENCES api.big_projects);
CREATE TABLE api.jobs (site_id int REFERENCES api.sites, big_project_id int REFERENCES api.big_projects,
  PRIMARY KEY (site_id, big_project_id));
CREATE VIEW api.main_jobs AS SELECT * FROM api.jobs WHERE site_id IN (SELECT site_id FROM api.sites WHERE main_project_id IS NOT NULL);
INSERT INTO api.big_projects VALUES (1, 'big project 1'), (2, 'big project 2');
INSERT INTO api.sites VALUES (1, 'site 1', 1), (2, 'site 2', NULL);
INSERT INTO api.jobs VALUES (1, 1), (2, 1), (2, 2);
CREATE TABLE api.departments (id int PRIMARY KEY, name text, head_id int);
CREATE TABLE api.agents (id int PRIMARY KEY, name text, department_id int REFERENCES api.departments);
ALTER TABLE api.departments ADD CONSTRAINT departments_head_id_fkey FOREIGN KEY (head_id) REFERENCES api.agents;
CREATE TABLE api.second (id int PRIMARY KEY, name text);
CREATE TABLE api.first (id int PRIMARY KEY, second_id_1 int UNIQUE REFERENCES api.second, second_id_2 int UNIQUE REFERENCES api.second);
CREATE TABLE api.family_tree (id text PRIMARY KEY, name text, parent text REFERENCES api.family_tree);
INSERT INTO api.family_tree VALUES ('1', 'Parental Unit', NULL), ('2', 'Kid One', '1'), ('3', 'Kid Two', '1'),
  ('4', 'Grandkid One', '2'), ('5', 'Grandkid Two', '3');
CREATE TABLE api.organizations (id int PRIMARY KEY, name text,
  referee int REFERENCES api.organizations, auditor int REFERENCES api.organizations);
INSERT INTO api.organizations VALUES (1, 'Referee Org', NULL, NULL), (2, 'Auditor Org', NULL, NULL),
  (3, 'Acme', 1, 2), (4, 'Umbrella', 1, 2);
GRANT SELECT ON ALL TABLES IN SCHEMA api TO web_anon;
`

// TestEmbedDisambiguationSpec holds EmbedDisambiguationSpec's cases beyond
// TestAmbiguousEmbeddingAndOverloads and the view tests: PGRST201 for a
// many-to-one beside many-to-many relationships, for a circular reference
// and for two one-to-one keys (details and hint in PostgREST's order),
// junction and constraint hints, and self references both ways.
func TestEmbedDisambiguationSpec(t *testing.T) {
	t.Parallel()
	e := newEnv(t, disambiguationSQL, nil)
	ambiguous := func(t *testing.T, path, from, to, hint string, details []map[string]string) {
		t.Helper()
		r := e.get(path)
		wantError(t, r, 300, "PGRST201", "Could not embed because more than one relationship was found for '"+from+"' and '"+to+"'", "", hint)
		var body struct{ Details []map[string]string }
		if err := json.Unmarshal([]byte(r.Body), &body); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(body.Details, details) {
			t.Errorf("details\n got %v\nwant %v", body.Details, details)
		}
	}
	t.Run("many-to-one beside many-to-many", func(t *testing.T) {
		ambiguous(t, "/sites?select=*,big_projects(*)", "sites", "big_projects",
			"Try changing 'big_projects' to one of the following: 'big_projects!main_project', 'big_projects!jobs', 'big_projects!main_jobs'. Find the desired relationship in the 'details' key.",
			[]map[string]string{
				{"cardinality": "many-to-one", "relationship": "main_project using sites(main_project_id) and big_projects(big_project_id)", "embedding": "sites with big_projects"},
				{"cardinality": "many-to-many", "relationship": "jobs using jobs_site_id_fkey(site_id) and jobs_big_project_id_fkey(big_project_id)", "embedding": "sites with big_projects"},
				{"cardinality": "many-to-many", "relationship": "main_jobs using jobs_site_id_fkey(site_id) and jobs_big_project_id_fkey(big_project_id)", "embedding": "sites with big_projects"},
			})
	})
	t.Run("circular reference", func(t *testing.T) {
		ambiguous(t, "/agents?select=*,departments(*)", "agents", "departments",
			"Try changing 'departments' to one of the following: 'departments!departments_head_id_fkey', 'departments!agents_department_id_fkey'. Find the desired relationship in the 'details' key.",
			[]map[string]string{
				{"cardinality": "one-to-many", "relationship": "departments_head_id_fkey using agents(id) and departments(head_id)", "embedding": "agents with departments"},
				{"cardinality": "many-to-one", "relationship": "agents_department_id_fkey using agents(department_id) and departments(id)", "embedding": "agents with departments"},
			})
	})
	t.Run("two one-to-one keys", func(t *testing.T) {
		ambiguous(t, "/first?select=second(*)", "first", "second",
			"Try changing 'second' to one of the following: 'second!first_second_id_1_fkey', 'second!first_second_id_2_fkey'. Find the desired relationship in the 'details' key.",
			[]map[string]string{
				{"cardinality": "one-to-one", "embedding": "first with second", "relationship": "first_second_id_1_fkey using first(second_id_1) and second(id)"},
				{"cardinality": "one-to-one", "embedding": "first with second", "relationship": "first_second_id_2_fkey using first(second_id_2) and second(id)"},
			})
	})
	cases := []struct{ name, path, body string }{
		{"constraint hint beside many-to-many", "/sites?select=name,main_project(name)&site_id=eq.1", `[{"name":"site 1","main_project":{"name":"big project 1"}}]`},
		{"column hint beside many-to-many", "/sites?select=name,main_project_id(name)&site_id=eq.1", `[{"name":"site 1","main_project_id":{"name":"big project 1"}}]`},
		{"junction hint", "/sites?select=site_id,big_projects!jobs(name)&site_id=in.(1,2)&order=site_id&big_projects.order=name",
			`[{"site_id":1,"big_projects":[{"name":"big project 1"}]},{"site_id":2,"big_projects":[{"name":"big project 1"},{"name":"big project 2"}]}]`},
		{"junction view hint", "/sites?select=site_id,big_projects!main_jobs(name)&site_id=in.(1,2)&order=site_id",
			`[{"site_id":1,"big_projects":[{"name":"big project 1"}]},{"site_id":2,"big_projects":[]}]`},
		{"parents recursively", "/family_tree?id=in.(3,4)&select=id,parent(id,name,parent(*))&order=id",
			`[{"id":"3","parent":{"id":"1","name":"Parental Unit","parent":null}},{"id":"4","parent":{"id":"2","name":"Kid One","parent":{"id":"1","name":"Parental Unit","parent":null}}}]`},
		{"children recursively", "/family_tree?id=eq.1&select=id,name,children:family_tree!parent(id,name,children:family_tree!parent(id,name))&children.order=id",
			`[{"id":"1","name":"Parental Unit","children":[{"id":"2","name":"Kid One","children":[{"id":"4","name":"Grandkid One"}]},{"id":"3","name":"Kid Two","children":[{"id":"5","name":"Grandkid Two"}]}]}]`},
		{"parent then its children", "/family_tree?id=eq.2&select=id,name,parent(id,name,children:family_tree!parent(id,name))&parent.children.order=id",
			`[{"id":"2","name":"Kid One","parent":{"id":"1","name":"Parental Unit","children":[{"id":"2","name":"Kid One"},{"id":"3","name":"Kid Two"}]}}]`},
		{"two self references, parents", "/organizations?select=id,name,referee(id,name),auditor(id,name)&id=eq.3",
			`[{"id":3,"name":"Acme","referee":{"id":1,"name":"Referee Org"},"auditor":{"id":2,"name":"Auditor Org"}}]`},
		{"two self references, children", "/organizations?select=id,name,auditees:organizations!auditor(id,name)&id=eq.2&auditees.order=id",
			`[{"id":2,"name":"Auditor Org","auditees":[{"id":3,"name":"Acme"},{"id":4,"name":"Umbrella"}]}]`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := e.get(c.path)
			if r.Status != 200 || compact(t, r.Body) != c.body {
				t.Fatalf("GET %s\n got %d %s\nwant 200 %s", c.path, r.Status, r.Body, c.body)
			}
		})
	}
}
