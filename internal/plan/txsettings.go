package plan

import (
	"encoding/json"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/pgrest-lambda/pgrest-lambda/internal/apirequest"
	"github.com/pgrest-lambda/pgrest-lambda/internal/schemacache"
)

// TxSettings are the transaction-scoped settings of a request, applied with
// set_config(..., true) as PostgREST's pre-query does.
type TxSettings struct {
	// Role is the role the statement runs as (SET LOCAL ROLE).
	Role string
	// RoleSettings are the role's own settings (ALTER ROLE ... SET), applied
	// before the role as PostgREST does (#3045).
	RoleSettings map[string]string
	// Schema is the request's schema, first on the search path, and
	// ExtraSearchPath db-extra-search-path after it (the configuration's
	// own slice, never modified).
	Schema          string
	ExtraSearchPath []string
	// Method and Path are exposed as request.method and request.path.
	Method, Path string
	// Claims, Headers and Cookies are JSON objects exposed as
	// request.jwt.claims, request.headers (lower-case names) and
	// request.cookies, as PostgREST does.
	Claims, Headers, Cookies string
	// Timezone is the `Prefer: timezone=` zone, already checked against
	// pg_timezone_names; "" leaves the session's.
	Timezone string
	// PreRequest is the statement calling db-pre-request, run after the
	// settings; "" for none.
	PreRequest string
	// ReadOnly runs the transaction READ ONLY.
	ReadOnly bool
	// IsolationLevel is the transaction's isolation level, lower-case
	// ("read committed", "repeatable read", "serializable"; "" or any
	// other value is read committed): a routine's own
	// default_transaction_isolation, else the role's, as PostgREST.
	IsolationLevel string
	// Rollback ends the transaction with ROLLBACK instead of COMMIT
	// (db-tx-end), after the response has been read.
	Rollback bool
	// FuncSettings are a routine's hoisted settings (db-hoisted-tx-settings),
	// applied after the role's so they win.
	FuncSettings []schemacache.Setting
	// AppSettings are the app.settings.* of the configuration, applied last.
	AppSettings map[string]string
	// Authenticated is true when Role is not the anon role, as PostgREST
	// means it: a 42501 insufficient_privilege is then 403, not 401.
	Authenticated bool
}

// txSettings are the transaction-scoped settings of a read, call or
// write: its role and the role's settings and isolation level, the
// selected schema followed by db-extra-search-path, request.method /
// request.path, the request's headers, cookies and claims, the honoured
// timezone, db-pre-request, app.settings.* and how the transaction ends
// under db-tx-end.
func txSettings(req *apirequest.Request, prefs apirequest.Preferences, env Env) TxSettings {
	cfg := env.Config
	rollback, _ := cfg.TxEnd(req.Preferences.Tx)
	s := TxSettings{
		Rollback:        rollback,
		Role:            env.Role,
		RoleSettings:    env.RoleSettings.Settings,
		IsolationLevel:  env.RoleSettings.IsolationLevel,
		Schema:          req.Schema,
		ExtraSearchPath: cfg.DBExtraSearchPath,
		Method:          req.Method,
		Path:            req.Path,
		Timezone:        prefs.Timezone,
		PreRequest:      cfg.PreRequestSQL(),
		AppSettings:     cfg.AppSettings,
		Authenticated:   env.Authenticated,
	}
	s.setRequest(req.Headers, env)
	return s
}

// setRequest sets the settings that differ between requests planned
// alike: request.jwt.claims (the anon role's when env has none),
// request.headers and request.cookies, from headers as
// apirequest.LowerHeaders gives them.
func (s *TxSettings) setRequest(headers []apirequest.Header, env Env) {
	s.Claims = env.Claims
	if s.Claims == "" {
		s.Claims = anonClaims(env.Role)
	}
	s.Headers = headersJSON(headers)
	s.Cookies = cookiesJSON(apirequest.LookupHeader(headers, "cookie"))
}

// ForRequest returns a copy of a, a read or call planned for an earlier
// request alike in everything planning reads (the same target, query
// string, Accept, Prefer, Range and profile headers, role, configuration
// and schema cache), with this request's own claims, request.headers and
// request.cookies (from headers, as apirequest.LowerHeaders gives them).
// The rest is shared with a, which no later stage modifies.
func (a *Action) ForRequest(headers []apirequest.Header, env Env) *Action {
	c := *a
	c.Tx.setRequest(headers, env)
	return &c
}

// anonClaims is request.jwt.claims of a request without a JWT: PostgREST
// inserts the role it runs as into the (empty) claims.
func anonClaims(role string) string {
	b, _ := json.Marshal(role)
	return `{"role":` + string(b) + "}"
}

// headersJSON is request.headers: the request headers with lower-case
// names, without the cookie header (request.cookies has the cookies), as
// PostgREST sets it.
//
// It is json.Marshal of them as a map (keys sorted, as h already is,
// strings escaped as encoding/json does), written without reflection.
func headersJSON(h []apirequest.Header) string {
	n := 2
	for _, kv := range h {
		n += len(kv.Name) + len(kv.Value) + 6
	}
	var b strings.Builder
	b.Grow(n + n/8)
	b.WriteByte('{')
	first := true
	for _, kv := range h {
		if kv.Name == "cookie" {
			continue
		}
		if !first {
			b.WriteByte(',')
		}
		first = false
		writeJSONString(&b, kv.Name)
		b.WriteByte(':')
		writeJSONString(&b, kv.Value)
	}
	b.WriteByte('}')
	return b.String()
}

// writeJSONString writes s to dst as a JSON string exactly as json.Marshal
// encodes a string: HTML-safe (<, > and & as \u003c, \u003e, \u0026),
// control characters as \n, \r, \t or \u00XX (\b and \f too, as
// encoding/json since Go 1.22), invalid UTF-8 as \ufffd and U+2028 and
// U+2029 as \u2028 and \u2029.
func writeJSONString(dst *strings.Builder, s string) {
	const hex = "0123456789abcdef"
	dst.WriteByte('"')
	start := 0
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			dst.WriteString(s[start:i])
			switch c {
			case '\\', '"':
				dst.WriteByte('\\')
				dst.WriteByte(c)
			case '\b':
				dst.WriteString(`\b`)
			case '\f':
				dst.WriteString(`\f`)
			case '\n':
				dst.WriteString(`\n`)
			case '\r':
				dst.WriteString(`\r`)
			case '\t':
				dst.WriteString(`\t`)
			default:
				dst.WriteString(`\u00`)
				dst.WriteByte(hex[c>>4])
				dst.WriteByte(hex[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst.WriteString(s[start:i])
			dst.WriteString(`\ufffd`)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			dst.WriteString(s[start:i])
			dst.WriteString(`\u202`)
			dst.WriteByte(hex[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	dst.WriteString(s[start:])
	dst.WriteByte('"')
}

// cookiesJSON is request.cookies: the cookies of a Cookie header as a
// JSON object of name to value; malformed pairs are skipped.
func cookiesJSON(header string) string {
	if header == "" {
		return "{}"
	}
	out := map[string]string{}
	// Pair by pair, so one malformed cookie does not hide the others
	// (http.ParseCookie rejects the whole line).
	for _, part := range strings.Split(header, ";") {
		cs, err := http.ParseCookie(strings.TrimSpace(part))
		if err != nil {
			continue
		}
		for _, c := range cs {
			out[c.Name] = c.Value
		}
	}
	b, _ := json.Marshal(out)
	return string(b)
}
