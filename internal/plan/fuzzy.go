package plan

import (
	"fmt"
	"strings"

	"github.com/pgrest-lambda/pgrest-lambda/internal/schemacache"
)

// minSimilarity is the similarity PostgREST requires before suggesting a
// table or function name ("Perhaps you meant ...").
const minSimilarity = 0.75

// maxFuzzyRelations mirrors PostgREST: no table suggestions in schemas with
// 500 relations or more, where the search would cost too much.
const maxFuzzyRelations = 500

// suggestTable returns PGRST205's hint for a missing relation, or "".
func suggestTable(sc *schemacache.SchemaCache, schema, name string) string {
	names := sc.TableNames(schema)
	if len(names) >= maxFuzzyRelations {
		return ""
	}
	if best := closest(name, names); best != "" {
		return fmt.Sprintf("Perhaps you meant the table '%s.%s'", schema, best)
	}
	return ""
}

// suggestRoutine returns PGRST202's hint: another function with a close
// name or, when the name exists, its parameter list.
func suggestRoutine(sc *schemacache.SchemaCache, schema, name string, overloads []*schemacache.Routine) string {
	if len(overloads) > 0 {
		r := overloads[0]
		ps := make([]string, len(r.Params))
		for i, p := range r.Params {
			ps[i] = p.Name
		}
		return fmt.Sprintf("Perhaps you meant to call the function %s.%s(%s)", schema, name, strings.Join(ps, ", "))
	}
	if best := closest(name, sc.RoutineNames(schema)); best != "" {
		return fmt.Sprintf("Perhaps you meant to call the function %s.%s", schema, best)
	}
	return ""
}

// closest returns the candidate most similar to s, if at least minSimilarity.
func closest(s string, candidates []string) string {
	best, bestScore := "", minSimilarity
	for _, c := range candidates {
		if score := similarity(s, c); score >= bestScore && c != s {
			best, bestScore = c, score
		}
	}
	return best
}

// similarity is 1 - levenshtein(a, b) / max(len(a), len(b)), over runes, case-insensitive.
func similarity(a, b string) float64 {
	ra, rb := []rune(strings.ToLower(a)), []rune(strings.ToLower(b))
	n := max(len(ra), len(rb))
	if n == 0 {
		return 1
	}
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return 1 - float64(prev[len(rb)])/float64(n)
}
