package schemacache

import (
	"reflect"
	"testing"
)

func TestParseTargetList(t *testing.T) {
	// Abridged ev_action text of
	//   SELECT x.id AS "a :resno 9 {b}", (SELECT 1) AS one
	//   FROM (SELECT id FROM t ORDER BY name) x ORDER BY x.name
	// as PostgreSQL 15 writes it: the subquery in the range table and the
	// sublink in the target list have target lists of their own, the sort
	// column is a junk entry, and the odd column name is escaped.
	const tree = `({QUERY :commandType 1 :cteList <> :rtable ({RANGETBLENTRY :alias {ALIAS :aliasname x ` +
		`:colnames <>} :eref {ALIAS :aliasname x :colnames ("id" "name")} :rtekind 1 :subquery {QUERY ` +
		`:commandType 1 :targetList ({TARGETENTRY :expr {VAR :varno 1 :varattno 1 :location 7} :resno 1 ` +
		`:resname id :ressortgroupref 0 :resorigtbl 500 :resorigcol 1 :resjunk false}) :override 0} ` +
		`:security_barrier false}) :jointree {FROMEXPR :fromlist ({RANGETBLREF :rtindex 1}) :quals <>} ` +
		`:targetList ({TARGETENTRY :expr {VAR :varno 1 :varattno 1 :location 7} :resno 1 ` +
		`:resname a\ :resno\ 9\ \{b\} :ressortgroupref 0 :resorigtbl 500 :resorigcol 1 :resjunk false} ` +
		`{TARGETENTRY :expr {SUBLINK :subLinkType 4 :subselect {QUERY :commandType 1 :targetList ` +
		`({TARGETENTRY :expr {CONST :consttype 23 :constisnull false :location 61 :constvalue 4 [ 1 0 0 0 0 0 0 0 ]} ` +
		`:resno 1 :resname ?column? :ressortgroupref 0 :resorigtbl 0 :resorigcol 0 :resjunk false}) ` +
		`:override 0} :location 53} :resno 2 :resname one :ressortgroupref 0 :resorigtbl 0 :resorigcol 0 ` +
		`:resjunk false} {TARGETENTRY :expr {VAR :varno 1 :varattno 2 :location 90} :resno 3 :resname <> ` +
		`:ressortgroupref 1 :resorigtbl 500 :resorigcol 2 :resjunk true}) :override 0 :onConflict <> ` +
		`:setOperations <> :stmt_location 0 :stmt_len 120})`
	want := []target{{resno: 1, rel: 500, col: 1}, {resno: 2}}
	if got := parseTargetList(tree); !reflect.DeepEqual(got, want) {
		t.Errorf("parseTargetList = %+v, want %+v", got, want)
	}
	for _, bad := range []string{"", "garbage", "({QUERY :targetList", "({QUERY :targetList ({TARGETENTRY :resno"} {
		if got := parseTargetList(bad); len(got) > 1 {
			t.Errorf("parseTargetList(%q) = %+v", bad, got)
		}
	}
}

func TestCombinations(t *testing.T) {
	got := combinations([][]string{{"a1", "a2"}, {"b"}, {"c1", "c2"}})
	want := [][]string{{"a1", "b", "c1"}, {"a1", "b", "c2"}, {"a2", "b", "c1"}, {"a2", "b", "c2"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("combinations = %v, want %v", got, want)
	}
}
