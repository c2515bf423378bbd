package apirequest

import (
	"cmp"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// MediaKind is the kind of a media type PostgREST knows (its MediaType).
type MediaKind int

// Media kinds, as PostgREST's MediaType constructors.
const (
	MediaAny MediaKind = iota
	MediaJSON
	MediaGeoJSON
	MediaCSV
	MediaTextPlain
	MediaTextXML
	MediaOpenAPI
	MediaURLEncoded
	MediaOctetStream
	MediaOther
	// MediaArrayStrip is application/vnd.pgrst.array+json;nulls=stripped.
	MediaArrayStrip
	// MediaSingular is application/vnd.pgrst.object+json.
	MediaSingular
	// MediaPlan is application/vnd.pgrst.plan[+text|+json].
	MediaPlan
)

// MediaType is one decoded Accept entry.
type MediaType struct {
	Kind MediaKind
	// Other is the type text of MediaOther.
	Other string
	// StripNulls is `nulls=stripped` on application/vnd.pgrst.object+json.
	StripNulls bool
	// For is the media type a plan describes (`for="..."`, application/json by default).
	For *MediaType
	// PlanJSON selects FORMAT JSON for a plan (FORMAT TEXT otherwise).
	PlanJSON bool
	// PlanOptions are the EXPLAIN options of a plan, in PostgREST's order:
	// analyze, verbose, settings, buffers, wal.
	PlanOptions []string
}

// Mime renders m as PostgREST's toMime does.
func (m MediaType) Mime() string {
	switch m.Kind {
	case MediaJSON:
		return "application/json"
	case MediaGeoJSON:
		return "application/geo+json"
	case MediaCSV:
		return "text/csv"
	case MediaTextPlain:
		return "text/plain"
	case MediaTextXML:
		return "text/xml"
	case MediaOpenAPI:
		return "application/openapi+json"
	case MediaURLEncoded:
		return "application/x-www-form-urlencoded"
	case MediaOctetStream:
		return "application/octet-stream"
	case MediaOther:
		return m.Other
	case MediaArrayStrip:
		return "application/vnd.pgrst.array+json;nulls=stripped"
	case MediaSingular:
		if m.StripNulls {
			return "application/vnd.pgrst.object+json;nulls=stripped"
		}
		return "application/vnd.pgrst.object+json"
	case MediaPlan:
		format := "text"
		if m.PlanJSON {
			format = "json"
		}
		s := "application/vnd.pgrst.plan+" + format + "; for=\"" + m.planFor().Mime() + "\""
		if len(m.PlanOptions) > 0 {
			s += "; options=" + strings.Join(m.PlanOptions, "|")
		}
		return s
	}
	return "*/*"
}

// ContentType is the Content-Type header for m: the mime with
// `; charset=utf-8` except for binary and unknown types.
func (m MediaType) ContentType() string {
	if m.Kind == MediaOctetStream || m.Kind == MediaOther {
		return m.Mime()
	}
	switch mime := m.Mime(); mime {
	case "application/json":
		return "application/json; charset=utf-8"
	case "text/csv":
		return "text/csv; charset=utf-8"
	default:
		return mime + "; charset=utf-8"
	}
}

func (m MediaType) planFor() MediaType {
	if m.For == nil {
		return MediaType{Kind: MediaJSON}
	}
	return *m.For
}

// Body is the media type whose aggregate builds the body: what a plan
// describes, or m itself.
func (m MediaType) Body() MediaType {
	if m.Kind == MediaPlan {
		return m.planFor()
	}
	return m
}

// ParseAccept turns an Accept header into media types in negotiation
// order, as PostgREST (wai's parseHttpAccept then decodeMediaType): spaces
// are dropped, entries are sorted by quality and then specificity (more
// parameters, fewer wildcards first), keeping header order on ties; the
// parameters after `;q=` are ignored. Several Accept headers count as one
// comma-separated list; a missing header accepts anything.
func ParseAccept(headers []string) []MediaType {
	if len(headers) == 0 {
		return []MediaType{{Kind: MediaAny}}
	}
	h := strings.Join(headers, ",")
	type entry struct {
		mt   string
		q    float64
		spec int
	}
	// An Accept header has a few entries: they are sorted on the stack.
	var buf [8]entry
	entries := buf[:0]
	for e := range strings.SplitSeq(strings.ReplaceAll(h, " ", ""), ",") {
		mt, rest, hasQ := strings.Cut(e, ";q=")
		q := 1.0
		if hasQ {
			q = readQ(rest[:indexOr(rest, ';')])
		}
		entries = append(entries, entry{mt, q, strings.Count(mt, ";") - strings.Count(mt, "*")})
	}
	slices.SortStableFunc(entries, func(a, b entry) int {
		if a.q != b.q {
			return cmp.Compare(b.q, a.q)
		}
		return cmp.Compare(b.spec, a.spec)
	})
	out := make([]MediaType, len(entries))
	for i, e := range entries {
		out[i] = DecodeMediaType(e.mt)
	}
	return out
}

func indexOr(s string, c byte) int {
	if i := strings.IndexByte(s, c); i >= 0 {
		return i
	}
	return len(s)
}

// qPrefix is the part of a quality value Haskell's reads accepts as a Double.
var qPrefix = regexp.MustCompile(`^[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?`)

// readQ reads a quality value; unreadable ones count as 1.
func readQ(s string) float64 {
	if m := qPrefix.FindString(s); m != "" {
		if q, err := strconv.ParseFloat(m, 64); err == nil {
			return q
		}
	}
	return 1
}

// DecodeMediaType decodes one media type with its parameters (PostgREST's
// decodeMediaType); anything unknown is MediaOther.
func DecodeMediaType(s string) MediaType {
	if s == "" {
		return MediaType{Kind: MediaAny}
	}
	base, params, hasParams := strings.Cut(s, ";")
	switch base {
	case "application/json":
		return MediaType{Kind: MediaJSON}
	case "application/geo+json":
		return MediaType{Kind: MediaGeoJSON}
	case "text/csv":
		return MediaType{Kind: MediaCSV}
	case "text/plain":
		return MediaType{Kind: MediaTextPlain}
	case "text/xml":
		return MediaType{Kind: MediaTextXML}
	case "application/openapi+json":
		return MediaType{Kind: MediaOpenAPI}
	case "application/x-www-form-urlencoded":
		return MediaType{Kind: MediaURLEncoded}
	case "application/octet-stream":
		return MediaType{Kind: MediaOctetStream}
	case "application/vnd.pgrst.plan", "application/vnd.pgrst.plan+text":
		return decodePlan(false, splitParams(params, hasParams))
	case "application/vnd.pgrst.plan+json":
		return decodePlan(true, splitParams(params, hasParams))
	case "application/vnd.pgrst.object+json", "application/vnd.pgrst.object":
		return MediaType{Kind: MediaSingular, StripNulls: hasParams && params == "nulls=stripped"}
	case "application/vnd.pgrst.array+json", "application/vnd.pgrst.array":
		if hasParams && params == "nulls=stripped" {
			return MediaType{Kind: MediaArrayStrip}
		}
		return MediaType{Kind: MediaJSON}
	case "*/*":
		return MediaType{Kind: MediaAny}
	}
	return MediaType{Kind: MediaOther, Other: base}
}

// splitParams splits the `;`-separated parameters of a media type; nil
// when it has none.
func splitParams(params string, hasParams bool) []string {
	if !hasParams {
		return nil
	}
	return strings.Split(params, ";")
}

func decodePlan(json bool, params []string) MediaType {
	m := MediaType{Kind: MediaPlan, PlanJSON: json}
	var opts []string
	for _, p := range params {
		if v, ok := strings.CutPrefix(p, "options="); ok && opts == nil {
			opts = strings.Split(v, "|")
		}
		if v, ok := strings.CutPrefix(p, "for="); ok && m.For == nil {
			f := DecodeMediaType(strings.Trim(v, `"`))
			m.For = &f
		}
	}
	for _, o := range []string{"analyze", "verbose", "settings", "buffers", "wal"} {
		for _, given := range opts {
			if given == o {
				m.PlanOptions = append(m.PlanOptions, o)
				break
			}
		}
	}
	return m
}
