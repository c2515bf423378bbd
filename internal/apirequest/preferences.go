package apirequest

import (
	"net/http"
	"strconv"
	"strings"
)

// Count preferences (`Prefer: count=...`).
const (
	CountExact     = "exact"
	CountPlanned   = "planned"
	CountEstimated = "estimated"
)

// Preferences are the recognised `Prefer` header values (RFC 7240), as
// PostgREST's Preferences module reads them. Each field holds the value
// after `name=`, empty when absent; when a preference is given more than
// once the first wins, across all Prefer headers.
type Preferences struct {
	// Resolution is merge-duplicates or ignore-duplicates.
	Resolution string
	// Return is representation, minimal or headers-only.
	Return string
	// Params is single-object.
	Params string
	// Count is CountExact, CountPlanned or CountEstimated.
	Count string
	// Tx is commit or rollback; honoured only when db-tx-end allows
	// overrides (config.Config.TxEnd), else cleared before the response.
	Tx string
	// Missing is default or null.
	Missing string
	// Handling is strict or lenient.
	Handling string
	// Timezone is the `timezone=` zone as given; the server drops it to
	// Invalid when PostgreSQL does not know it.
	Timezone string
	// MaxAffected is the `max-affected=N` limit; nil when absent or not a number.
	MaxAffected *int64
	// Invalid are the preferences not recognised, in request order.
	Invalid []string
}

// preferenceValues lists, per preference, the values PostgREST accepts.
var preferenceValues = []struct {
	name   string
	values []string
}{
	{"resolution", []string{"merge-duplicates", "ignore-duplicates"}},
	{"return", []string{"representation", "minimal", "headers-only"}},
	{"params", []string{"single-object"}},
	{"count", []string{CountExact, CountPlanned, CountEstimated}},
	{"tx", []string{"commit", "rollback"}},
	{"missing", []string{"default", "null"}},
	{"handling", []string{"strict", "lenient"}},
}

// ParsePreferences reads every Prefer header: comma-separated items,
// surrounding whitespace ignored. It never fails; unknown items go to
// Invalid. Any `timezone=` value is kept; whether PostgreSQL knows the
// zone is decided later, against pg_timezone_names.
func ParsePreferences(h http.Header) Preferences {
	var p Preferences
	maxAffectedSeen := false
	for _, v := range h.Values("Prefer") {
		for it := range strings.SplitSeq(v, ",") {
			it = strings.TrimSpace(it)
			name, value, _ := strings.Cut(it, "=")
			if name == "max-affected" && strings.HasPrefix(it, "max-affected=") {
				// Only the first max-affected counts, even when it is not a number.
				if !maxAffectedSeen {
					maxAffectedSeen = true
					if n, err := strconv.ParseInt(value, 10, 64); err == nil {
						p.MaxAffected = &n
					}
				}
				continue
			}
			if name == "timezone" && value != "" {
				if p.Timezone == "" {
					p.Timezone = value
				}
				continue
			}
			if !knownPreference(name, value) {
				p.Invalid = append(p.Invalid, it)
				continue
			}
			if f := p.field(name); *f == "" {
				*f = value
			}
		}
	}
	return p
}

// field is the field of p that holds the preference name, one of
// preferenceValues' names; nil for any other name.
func (p *Preferences) field(name string) *string {
	switch name {
	case "resolution":
		return &p.Resolution
	case "return":
		return &p.Return
	case "params":
		return &p.Params
	case "count":
		return &p.Count
	case "tx":
		return &p.Tx
	case "missing":
		return &p.Missing
	case "handling":
		return &p.Handling
	}
	return nil
}

func knownPreference(name, value string) bool {
	for _, pv := range preferenceValues {
		if pv.name != name {
			continue
		}
		for _, v := range pv.values {
			if v == value {
				return true
			}
		}
	}
	return false
}

// Strict reports whether `handling=strict` was asked for.
func (p Preferences) Strict() bool { return p.Handling == "strict" }

// Applied is the Preference-Applied header value for a read or a routine
// call: the count, tx, handling and timezone preferences, plus max-affected under
// strict handling for calls, in PostgREST's order; "" when there is none.
func (p Preferences) Applied(call bool) string {
	return strings.Join(p.AppliedTail(nil, p.Count, call), ", ")
}

// AppliedTail appends to out the Preference-Applied entries every request
// kind shares, in PostgREST's order: count (the honoured count, "" for
// none), tx, handling, timezone and, under strict handling when
// maxAffected, max-affected. Writes put their own entries before these.
func (p Preferences) AppliedTail(out []string, count string, maxAffected bool) []string {
	for _, kv := range [...][2]string{{"count", count}, {"tx", p.Tx}, {"handling", p.Handling}, {"timezone", p.Timezone}} {
		if kv[1] != "" {
			out = append(out, kv[0]+"="+kv[1])
		}
	}
	if maxAffected && p.Strict() && p.MaxAffected != nil {
		out = append(out, "max-affected="+strconv.FormatInt(*p.MaxAffected, 10))
	}
	return out
}
