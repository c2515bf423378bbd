package plan

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"unicode"

	"github.com/pgrest-lambda/pgrest-lambda/internal/schemacache"
)

// minSimilarity is the score PostgREST requires before suggesting a table
// or function name ("Perhaps you meant ..."); parameter lists and
// relationships are suggested from minFuzzyScore, the fuzzyset library's
// default.
const (
	minSimilarity = 0.75
	minFuzzyScore = 0.33
)

// maxFuzzyRelations mirrors PostgREST: no table suggestions in schemas with
// 500 relations or more, where the search would cost too much.
const maxFuzzyRelations = 500

// suggestTable returns PGRST205's hint for a missing relation, or "".
func suggestTable(sc *schemacache.SchemaCache, schema, name string) string {
	names := sc.TableNames(schema)
	if len(names) >= maxFuzzyRelations {
		return ""
	}
	if best := fuzzyBest(name, names, minSimilarity); best != "" {
		return fmt.Sprintf("Perhaps you meant the table '%s.%s'", schema, best)
	}
	return ""
}

// suggestRoutine returns PGRST202's hint, as PostgREST's noRpcHint: for a
// function of another name, the closest name; for a known name called
// with other arguments (args), the parameter list of its overloads closest
// to them, names sorted (`api.add(a, b)`); "" when none is close enough.
func suggestRoutine(sc *schemacache.SchemaCache, schema, name string, args []string, overloads []*schemacache.Routine) string {
	if len(overloads) == 0 {
		if best := fuzzyBest(name, sc.RoutineNames(schema), minSimilarity); best != "" {
			return fmt.Sprintf("Perhaps you meant to call the function %s.%s", schema, best)
		}
		return ""
	}
	lists := make([]string, len(overloads))
	for i, r := range overloads {
		ps := make([]string, len(r.Params))
		for j, p := range r.Params {
			ps[j] = p.Name
		}
		lists[i] = paramList(ps)
	}
	if best := fuzzyBest(paramList(args), lists, minFuzzyScore); best != "" {
		return fmt.Sprintf("Perhaps you meant to call the function %s.%s%s", schema, name, best)
	}
	return ""
}

// suggestRelationship returns PGRST200's hint, as PostgREST's
// noRelBetweenHint: when parent has relationships (rels), the closest of
// the relations they lead to (suggestChild); when it has none, the closest
// relation of schema that has relationships, in place of parent ("Perhaps
// you meant 'films' instead of 'film'."); "" when none is close enough.
func suggestRelationship(sc *schemacache.SchemaCache, schema, parent, child string, rels []*schemacache.Relationship) string {
	if len(rels) > 0 {
		return suggestChild(rels, child)
	}
	if best := fuzzyBest(parent, sc.RelationOrigins(schema), minFuzzyScore); best != "" {
		return fmt.Sprintf("Perhaps you meant '%s' instead of '%s'.", best, parent)
	}
	return ""
}

// suggestChild returns PGRST200's hint for an embedding of child from a
// relation that has relationships, as PostgREST's noRelBetweenHint: the
// closest of the relations they lead to, other than child itself; "" when
// none is close enough.
func suggestChild(rels []*schemacache.Relationship, child string) string {
	names := make([]string, 0, len(rels))
	for _, r := range rels {
		names = append(names, r.ForeignTable.Name)
	}
	for _, m := range fuzzyMatches(child, names, minFuzzyScore) {
		if m.score < 1 {
			return fmt.Sprintf("Perhaps you meant '%s' instead of '%s'.", m.value, child)
		}
	}
	return ""
}

// paramList renders parameter names as PostgREST's hints list them:
// sorted, in parentheses, comma separated.
func paramList(names []string) string {
	sorted := append([]string(nil), names...)
	sort.Strings(sorted)
	return "(" + strings.Join(sorted, ", ") + ")"
}

// fuzzyMatch is a candidate and its score.
type fuzzyMatch struct {
	value string
	score float64
}

// fuzzyBest is the best of fuzzyMatches, "" when there is none.
func fuzzyBest(query string, candidates []string, minScore float64) string {
	if m := fuzzyMatches(query, candidates, minScore); len(m) > 0 {
		return m[0].value
	}
	return ""
}

// fuzzyMatches is the Haskell fuzzyset library's getWithMinScore over a
// defaultSet of candidates, which PostgREST's hints use: a candidate equal
// to the query but for case scores 1; otherwise, for gram sizes 3 then 2,
// the candidates sharing grams with the query are ranked by the cosine of
// their gram counts, the 50 closest rescored by normalized Levenshtein
// similarity, and those scoring at least minScore returned, best first,
// from the first gram size that has any.
func fuzzyMatches(query string, candidates []string, minScore float64) []fuzzyMatch {
	key := strings.ToLower(query)
	// A later candidate with the same lower-cased key is kept, as the
	// library's fromList adds from the end.
	values := map[string]string{}
	var keys []string
	for i := len(candidates) - 1; i >= 0; i-- {
		k := strings.ToLower(candidates[i])
		if _, dup := values[k]; dup {
			continue
		}
		values[k] = candidates[i]
		keys = append(keys, k)
	}
	if v, ok := values[key]; ok {
		return []fuzzyMatch{{v, 1}}
	}
	for size := 3; size >= 2; size-- {
		q := gramVector(key, size)
		qNorm := gramNorm(q)
		type cand struct {
			key    string
			cosine float64
		}
		var cands []cand
		for _, k := range keys {
			v := gramVector(k, size)
			dot := 0
			for g, n := range q {
				dot += n * v[g]
			}
			if dot > 0 {
				cands = append(cands, cand{k, float64(dot) / (qNorm * gramNorm(v))})
			}
		}
		sort.SliceStable(cands, func(i, j int) bool { return cands[i].cosine > cands[j].cosine })
		if len(cands) > 50 {
			cands = cands[:50]
		}
		out := make([]fuzzyMatch, 0, len(cands))
		for _, c := range cands {
			out = append(out, fuzzyMatch{values[c.key], similarity(key, c.key)})
		}
		sort.SliceStable(out, func(i, j int) bool { return out[i].score > out[j].score })
		n := 0
		for _, m := range out {
			if m.score >= minScore {
				out[n] = m
				n++
			}
		}
		if n > 0 {
			return out[:n]
		}
	}
	return nil
}

// gramVector counts the grams of size n of s normalized (lower case,
// letters, digits, spaces and commas only) and enclosed in dashes.
func gramVector(s string, n int) map[string]int {
	var b strings.Builder
	b.WriteByte('-')
	for _, r := range strings.ToLower(s) {
		if unicode.IsLetter(r) || unicode.IsNumber(r) || unicode.IsSpace(r) || r == ',' {
			b.WriteRune(r)
		}
	}
	b.WriteByte('-')
	rs := []rune(b.String())
	grams := map[string]int{}
	for i := 0; i+n <= len(rs); i++ {
		grams[string(rs[i:i+n])]++
	}
	return grams
}

// gramNorm is the euclidean norm of gram counts.
func gramNorm(v map[string]int) float64 {
	sum := 0
	for _, n := range v {
		sum += n * n
	}
	return math.Sqrt(float64(sum))
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
