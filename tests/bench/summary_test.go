package bench

import (
	"fmt"
	"io"
	"slices"
	"sort"
	"sync"
	"text/tabwriter"
	"time"
)

// upstreamFigure is PostgREST's cost on the same catalog.
type upstreamFigure struct {
	// MedianMs and MinMs are the full schema cache load (all 7 queries in
	// one transaction), warm connection.
	MedianMs, MinMs float64
	// JSONBytes is the size of the 7 queries' results as JSON.
	JSONBytes float64
}

// upstream are the figures measured once for PostgREST 4834678902's
// SchemaCache.hs queries on the same generated catalogs, PostgreSQL 15, on a
// busy 2 vCPU machine (see README.md). They are a dated reference printed
// beside this run's figures, never divided into a ratio: a ratio only means
// something against a baseline measured in the same run.
var upstream = map[int]upstreamFigure{ //nolint:gochecknoglobals
	100:  {130, 111, 188e3},
	1000: {691, 509, 1.88e6},
	5000: {4100, 3504, 9.32e6},
}

// Targets the summary checks.
const (
	targetColdRead    = 10 * time.Millisecond // cold read of the N=1000 cache
	targetColdReadN   = 1000
	targetNotifyExtra = 20 * time.Millisecond // notify→visible minus rebuild
)

// dist is a set of timed samples.
type dist []time.Duration

// ms returns the q-quantile (0 min, 0.5 median, 1 max) in ms, nearest rank.
func (d dist) ms(q float64) float64 {
	if len(d) == 0 {
		return 0
	}
	s := slices.Clone(d)
	slices.Sort(s)
	return float64(s[int(q*float64(len(s)-1)+0.5)].Microseconds()) / 1000
}

func medianF(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	return s[len(s)/2]
}

type introResult struct {
	d       dist
	queries map[string]float64 // median ms by query label
}

type blobResult struct {
	bytes  int
	encode dist
}

type coldResult struct{ fetch, decode, total dist }

// firstResult is the sectioned cold read of BenchmarkColdRead: head and
// one section fetched and decoded, with the bytes read and their zstd
// sizes against the whole blob's.
type firstResult struct {
	d                        dist
	bytes, wholeBytes        int
	zstdBytes, wholeZstd     int
	headBytes, sectionsCount int
}

// netMs is the time, in ms, to move n bytes in rtts round trips on the
// network the estimates assume (1 Gbit/s, 0.3 ms RTT to ElastiCache).
func netMs(n, rtts int) float64 { return float64(n)*8/1e6 + 0.3*float64(rtts) }

type notifyResult struct {
	visible, rebuild, overhead dist
	// delivery is NOTIFY sent → worker notified; toVisible is version
	// published → first request seeing it (includes the poll interval).
	delivery, toVisible dist
}

type summary struct {
	intro  map[int]introResult
	blob   map[int]blobResult
	cold   map[int]coldResult
	first  map[int]firstResult
	notify *notifyResult
}

var (
	resultsMu sync.Mutex //nolint:gochecknoglobals
	results   = summary{ //nolint:gochecknoglobals // filled by the benchmarks, printed by TestMain
		intro: map[int]introResult{}, blob: map[int]blobResult{}, cold: map[int]coldResult{}, first: map[int]firstResult{},
	}
)

func record(f func(*summary)) {
	resultsMu.Lock()
	defer resultsMu.Unlock()
	f(&results)
}

func verdict(ok bool) string {
	if ok {
		return "yes"
	}
	return "NO"
}

// printSummary writes the tables comparing each benchmark with its
// baseline or target; sections of benchmarks that did not run are left out.
func printSummary(out io.Writer) {
	resultsMu.Lock()
	defer resultsMu.Unlock()
	catalogsMu.Lock()
	defer catalogsMu.Unlock()
	r := &results
	w := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	defer w.Flush()
	section := func(title string) { fmt.Fprintf(w, "\n%s\n", title) }

	if len(loadTimes) > 0 {
		section("Catalogs loaded (generate + load + ANALYZE):")
		for _, n := range sortedKeys(loadTimes) {
			fmt.Fprintf(w, "N=%d\t%.1f s\t\n", n, loadTimes[n].Seconds())
		}
	}
	if len(r.intro) > 0 {
		section("Introspection, full load on a warm connection (ms). The reference columns are PostgREST's SchemaCache.hs\n" +
			"queries on the same catalog, measured once on another (busy) day (README.md): NOT measured in this run, so no ratio;\n" +
			"BenchmarkVersusPostgREST runs those queries beside Load in the same run and prints the ratios.")
		fmt.Fprintln(w, "N\truns\tours median\tours min\treference median (dated)\treference min (dated)\t")
		for _, n := range sortedKeys(r.intro) {
			d, up := r.intro[n].d, upstream[n]
			fmt.Fprintf(w, "%d\t%d\t%.1f\t%.1f\t%.0f\t%.0f\t\n", n, len(d), d.ms(0.5), d.ms(0), up.MedianMs, up.MinMs)
		}
		section("Per-query medians (ms); relationships = building relationships and indexes in memory, after the queries.")
		labels := []string{"version", "tables", "columns", "rels", "funcs", "relationships"}
		for _, res := range r.intro {
			for l := range res.queries {
				if !slices.Contains(labels, l) {
					labels = append(labels, l)
				}
			}
		}
		fmt.Fprint(w, "N\t")
		for _, l := range labels {
			fmt.Fprintf(w, "%s\t", l)
		}
		fmt.Fprintln(w)
		for _, n := range sortedKeys(r.intro) {
			fmt.Fprintf(w, "%d\t", n)
			for _, l := range labels {
				fmt.Fprintf(w, "%.1f\t", r.intro[n].queries[l])
			}
			fmt.Fprintln(w)
		}
	}
	if len(r.blob) > 0 {
		section("Blob (msgpack); the reference column is the size of PostgREST's query results as JSON (dated, README.md).")
		fmt.Fprintln(w, "N\tbytes\tencode ms\treference JSON bytes (dated)\t")
		for _, n := range sortedKeys(r.blob) {
			bl := r.blob[n]
			fmt.Fprintf(w, "%d\t%d\t%.2f\t%.0f\t\n", n, bl.bytes, bl.encode.ms(0.5), upstream[n].JSONBytes)
		}
	}
	if len(r.cold) > 0 {
		section("Whole version read (OpenAPI, the CLI) = Redis reads of every key + Decode (ms), vs introspection of the same catalog;\n" +
			"a request function reads only the head and its request's sections (next table).")
		fmt.Fprintln(w, "N\tfetch\tdecode\twhole read median\tmax\tintrospection median\tintrospection / whole read\t")
		for _, n := range sortedKeys(r.cold) {
			c := r.cold[n]
			intro, ratio := "-", "-"
			if in, ok := r.intro[n]; ok {
				intro, ratio = fmt.Sprintf("%.1f", in.d.ms(0.5)), fmt.Sprintf("%.0f", in.d.ms(0.5)/c.total.ms(0.5))
			}
			fmt.Fprintf(w, "%d\t%.2f\t%.2f\t%.2f\t%.2f\t%s\t%s\t\n", n, c.fetch.ms(0.5), c.decode.ms(0.5),
				c.total.ms(0.5), c.total.ms(1), intro, ratio)
		}
	}
	if len(r.first) > 0 {
		section("First request to one table: Redis GET of the head + MGET of its section + decode (ms, measured on loopback),\n" +
			"against the whole version (all keys, all decoded); bytes read, their zstd sizes, and the network time computed\n" +
			"for 1 Gbit/s and 0.3 ms RTT (2 round trips for the head and one section, 2 for the whole).\n" +
			fmt.Sprintf("A request function's cold read is the first request's; target: N=%d under %v.", targetColdReadN, targetColdRead))
		fmt.Fprintln(w, "N	sections	head bytes	first ms	whole ms	first bytes	whole bytes	first zstd	whole zstd	net first / zstd ms	net whole / zstd ms	")
		for _, n := range sortedKeys(r.first) {
			f, c := r.first[n], r.cold[n]
			fmt.Fprintf(w, "%d\t%d\t%d\t%.2f\t%.2f\t%d\t%d\t%d\t%d\t%.2f / %.2f\t%.2f / %.2f\t\n", n, f.sectionsCount, f.headBytes,
				f.d.ms(0.5), c.total.ms(0.5), f.bytes, f.wholeBytes, f.zstdBytes, f.wholeZstd,
				netMs(f.bytes, 2), netMs(f.zstdBytes, 2), netMs(f.wholeBytes, 2), netMs(f.wholeZstd, 2))
		}
		if f, ok := r.first[targetColdReadN]; ok {
			fmt.Fprintf(w, "first request N=%d median under %v: %s\n", targetColdReadN, targetColdRead,
				verdict(f.d.ms(0.5) < float64(targetColdRead.Milliseconds())))
		}
	}
	if nr := r.notify; nr != nil && len(nr.visible) > 0 {
		section(fmt.Sprintf("NOTIFY pgrst -> new table visible to the next request, whole stack, N=%d (ms), %d runs;\n"+
			"rebuild = Rebuild.Finished - Started (introspect + encode + publish); overhead = visible - rebuild; target overhead <= %v.",
			notifyN, len(nr.visible), targetNotifyExtra))
		fmt.Fprintln(w, "\tp50\tmax\t")
		row := func(name string, d dist) { fmt.Fprintf(w, "%s\t%.1f\t%.1f\t\n", name, d.ms(0.5), d.ms(1)) }
		row("notify -> visible", nr.visible)
		row("rebuild", nr.rebuild)
		row("overhead", nr.overhead)
		row("  notify -> worker", nr.delivery)
		row("  published -> visible", nr.toVisible)
		limit := float64(targetNotifyExtra.Milliseconds())
		fmt.Fprintf(w, "overhead <= %v:\t%s\t%s\t\n", targetNotifyExtra,
			verdict(nr.overhead.ms(0.5) <= limit), verdict(nr.overhead.ms(1) <= limit))
	}
}

func sortedKeys[V any](m map[int]V) []int {
	keys := make([]int, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Ints(keys)
	return keys
}
