package apirequest

import (
	"slices"
	"strings"
	"unicode/utf8"
)

// CanonicalQuery is PostgREST's canonical form of a query string (its
// qsCanonical, sent in Content-Location): the parameters split on `&` and
// `;` and decoded (`+` as a space), sorted by name, the values of a repeated
// name joined with commas after the first, and each part encoded again as
// Network.HTTP's urlEncode does: letters, digits and `-_.~` kept, any other
// byte as %XX, a byte above 0x7F as the UTF-8 of the character it would be
// in Latin-1 (PostgREST encodes the decoded bytes as characters). A
// parameter without `=` has an empty value.
func CanonicalQuery(raw string) string {
	var b strings.Builder
	WriteCanonicalQuery(&b, "", raw)
	return b.String()
}

// WriteCanonicalQuery writes CanonicalQuery(raw) to b, after prefix when
// it is not empty.
func WriteCanonicalQuery(b *strings.Builder, prefix, raw string) {
	type param struct{ key, value string }
	// A query string has a few parameters: they are sorted on the stack.
	var buf [8]param
	params := buf[:0]
	for part := range strings.FieldsFuncSeq(strings.TrimPrefix(raw, "?"), func(r rune) bool { return r == '&' || r == ';' }) {
		k, v, _ := strings.Cut(part, "=")
		params = append(params, param{urlDecodePlus(k), urlDecodePlus(v)})
	}
	if len(params) == 0 {
		return
	}
	// Stable: the values of a repeated name, now side by side, keep their order.
	slices.SortStableFunc(params, func(a, b param) int { return strings.Compare(a.key, b.key) })
	b.WriteString(prefix)
	for i, p := range params {
		if i > 0 && p.key == params[i-1].key {
			b.WriteByte(',')
			urlEncodeTo(b, p.value)
			continue
		}
		if i > 0 {
			b.WriteByte('&')
		}
		urlEncodeTo(b, p.key)
		b.WriteByte('=')
		urlEncodeTo(b, p.value)
	}
}

// urlDecodePlus decodes %XX escapes (a malformed one is kept as is) and `+`
// as a space, as http-types' urlDecode True.
func urlDecodePlus(s string) string {
	if !strings.ContainsAny(s, "%+") {
		return s
	}
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '+':
			out = append(out, ' ')
		case c == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]):
			out = append(out, unhex(s[i+1])<<4|unhex(s[i+2]))
			i += 2
		default:
			out = append(out, c)
		}
	}
	return string(out)
}

// urlEncodeTo writes s encoded as Network.HTTP.Base's urlEncode over the
// characters of s read as Latin-1 bytes.
func urlEncodeTo(b *strings.Builder, s string) {
	const hexUpper = "0123456789ABCDEF"
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '-', c == '_', c == '.', c == '~':
			b.WriteByte(c)
		case c < utf8.RuneSelf:
			b.WriteByte('%')
			b.WriteByte(hexUpper[c>>4])
			b.WriteByte(hexUpper[c&15])
		default:
			var enc [2]byte
			utf8.EncodeRune(enc[:], rune(c))
			for _, e := range enc {
				b.WriteByte('%')
				b.WriteByte(hexUpper[e>>4])
				b.WriteByte(hexUpper[e&15])
			}
		}
	}
}
