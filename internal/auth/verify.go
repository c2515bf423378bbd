package auth

import (
	"context"
	"crypto/ecdsa"
	"encoding/base64"
	"encoding/json"
	"strings"

	"github.com/lestrrat-go/jwx/v3/jws/jwsbb"

	"github.com/pgrest-lambda/pgrest-lambda/internal/pgrsterr"
)

// jose-jwt's explanations, which PostgREST returns as details.
const (
	detailUnsecured  = "JWT is unsecured but expected 'alg' was not 'none'"
	detailNoKey      = "No suitable key was found to decode the JWT"
	detailNoneWorked = "None of the keys was able to decode the JWT"
)

// jwsHeader is the part of a JOSE header the verifier reads.
type jwsHeader struct {
	Alg *string         `json:"alg"`
	Kid *string         `json:"kid"`
	Enc json.RawMessage `json:"enc"`
}

// verify checks a compact JWS and returns its payload and the JWKS
// generation its keys came from, failing as PostgREST's parseToken does:
// PGRST301 "Expected 3 parts" for a wrong number of dots; "JWT
// cryptographic operation failed" for bad base64, a header that is not a
// JWS header or an algorithm it does not know; "Wrong or unsupported
// encoding algorithm" for "alg":"none"; "No suitable key or wrong key
// type" when no key suits the token or none verifies its signature.
func (a *Authenticator) verify(ctx context.Context, token string) ([]byte, uint64, *pgrsterr.Error) {
	if n := strings.Count(token, ".") + 1; n != 3 {
		return nil, 0, pgrsterr.JWTParts(n)
	}
	hdrB64, rest, _ := strings.Cut(token, ".")
	payloadB64, sigB64, _ := strings.Cut(rest, ".")
	badCrypto := pgrsterr.JWTDecode(pgrsterr.MsgJWTBadCrypto, nil)
	hdrJSON, err := base64.RawURLEncoding.DecodeString(hdrB64)
	if err != nil {
		return nil, 0, badCrypto
	}
	var hdr jwsHeader
	if json.Unmarshal(hdrJSON, &hdr) != nil || hdr.Alg == nil || hdr.Enc != nil {
		return nil, 0, badCrypto
	}
	payload, err := base64.RawURLEncoding.DecodeString(payloadB64)
	if err != nil {
		return nil, 0, badCrypto
	}
	alg := *hdr.Alg
	if alg == "none" {
		return nil, 0, pgrsterr.JWTDecode(pgrsterr.MsgJWTBadAlgorithm, detailUnsecured)
	}
	if _, known := algKind[alg]; !known {
		return nil, 0, badCrypto
	}
	sig, err := base64.RawURLEncoding.DecodeString(sigB64)
	if err != nil {
		return nil, 0, badCrypto
	}
	keys, gen, perr := a.candidates(ctx, alg, hdr.Kid)
	if perr != nil {
		return nil, 0, perr
	}
	if len(keys) == 0 {
		return nil, 0, pgrsterr.JWTDecode(pgrsterr.MsgJWTNoSuitableKey, detailNoKey)
	}
	signingInput := []byte(token[:len(hdrB64)+1+len(payloadB64)])
	for _, k := range keys {
		if k.kind == kindEC && k.raw.(*ecdsa.PublicKey).Curve != ecCurve[alg] {
			continue
		}
		if jwsbb.Verify(k.raw, alg, signingInput, sig) == nil {
			return payload, gen, nil
		}
	}
	return nil, 0, pgrsterr.JWTDecode(pgrsterr.MsgJWTNoSuitableKey, detailNoneWorked)
}

// candidates lists the keys that suit alg and kid: the configured keys,
// then the JWKS URL's. When the token names a kid no key has, the JWKS URL
// is fetched again (rate-limited) before giving up.
func (a *Authenticator) candidates(ctx context.Context, alg string, kid *string) ([]verifyKey, uint64, *pgrsterr.Error) {
	var out []verifyKey
	for _, k := range a.static {
		if k.suits(alg, kid) {
			out = append(out, k)
		}
	}
	if a.jwks == nil {
		return out, 0, nil
	}
	set, err := a.jwks.keys(ctx)
	if err != nil && a.static == nil {
		return nil, 0, pgrsterr.JWTSecretMissing("The JWKS URL could not be fetched")
	}
	if kid != nil && !hasKid(a.static, *kid) && !hasKid(set.keys, *kid) {
		if fresh, ok := a.jwks.refetchForUnknownKid(ctx); ok {
			set = fresh
		}
	}
	for _, k := range set.keys {
		if k.suits(alg, kid) {
			out = append(out, k)
		}
	}
	return out, set.gen, nil
}

func hasKid(keys []verifyKey, kid string) bool {
	for _, k := range keys {
		if k.hasKid && k.kid == kid {
			return true
		}
	}
	return false
}
