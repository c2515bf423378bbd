package auth

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/big"
	"time"

	"github.com/pgrest-lambda/pgrest-lambda/internal/pgrsterr"
)

// decodeClaims parses a token payload, which must be a JSON object
// (PostgREST: PGRST303 "Parsing claims failed" otherwise). Numbers stay
// json.Number so they are written back exactly as sent.
func decodeClaims(payload []byte) (map[string]any, *pgrsterr.Error) {
	dec := json.NewDecoder(bytes.NewReader(payload))
	dec.UseNumber()
	var claims map[string]any
	if err := dec.Decode(&claims); err != nil || claims == nil {
		return nil, pgrsterr.JWTClaims(pgrsterr.MsgJWTParsingClaims, nil)
	}
	var extra json.RawMessage
	if dec.Decode(&extra) != io.EOF { // trailing data after the object
		return nil, pgrsterr.JWTClaims(pgrsterr.MsgJWTParsingClaims, nil)
	}
	return claims, nil
}

// timeClaims are a token's exp, nbf and iat as PostgREST reads them, kept
// with a cached token so each hit is checked against the clock again.
type timeClaims struct {
	exp, nbf, iat          int64
	hasExp, hasNbf, hasIat bool
}

// check reports the first of exp, nbf, iat that fails at now, with
// ClockSkew of leeway, as PostgREST's checkForErrors.
func (t timeClaims) check(now time.Time) *pgrsterr.Error {
	n := now.Unix() // PostgREST floors the POSIX time
	skew := int64(ClockSkew / time.Second)
	switch {
	case t.hasExp && n-skew > t.exp:
		return pgrsterr.JWTClaims(pgrsterr.MsgJWTExpired, invalidBy(n-t.exp))
	case t.hasNbf && n+skew < t.nbf:
		return pgrsterr.JWTClaims(pgrsterr.MsgJWTNotYetValid, invalidBy(t.nbf-n))
	case t.hasIat && n+skew < t.iat:
		return pgrsterr.JWTClaims(pgrsterr.MsgJWTIssuedAtFuture, invalidBy(t.iat-n))
	}
	return nil
}

func invalidBy(secs int64) string { return fmt.Sprintf("Invalid by %d seconds", secs) }

// checkClaims validates claims at now as PostgREST's checkForErrors: the
// first failure in the order exp, nbf, iat, aud wins; a claim that is
// absent or null is not checked; aud only when aud (jwt-aud) is set, and
// an empty aud array always passes.
func checkClaims(claims map[string]any, now time.Time, aud string) (timeClaims, *pgrsterr.Error) {
	var t timeClaims
	var perr *pgrsterr.Error
	if t.exp, t.hasExp, perr = numericClaim(claims, "exp", pgrsterr.MsgJWTExpNotNumber); perr != nil {
		return t, perr
	}
	if t.hasExp {
		if perr := (timeClaims{exp: t.exp, hasExp: true}).check(now); perr != nil {
			return t, perr
		}
	}
	if t.nbf, t.hasNbf, perr = numericClaim(claims, "nbf", pgrsterr.MsgJWTNbfNotNumber); perr != nil {
		return t, perr
	}
	if t.hasNbf {
		if perr := (timeClaims{nbf: t.nbf, hasNbf: true}).check(now); perr != nil {
			return t, perr
		}
	}
	if t.iat, t.hasIat, perr = numericClaim(claims, "iat", pgrsterr.MsgJWTIatNotNumber); perr != nil {
		return t, perr
	}
	if t.hasIat {
		if perr := (timeClaims{iat: t.iat, hasIat: true}).check(now); perr != nil {
			return t, perr
		}
	}
	return t, checkAud(claims["aud"], aud)
}

// numericClaim reads a time claim. A number that is not an integer within
// int64 counts as 0, as PostgREST's Scientific toBoundedInteger makes it
// (so "exp": 1.5 has long expired).
func numericClaim(claims map[string]any, key, notNumber string) (int64, bool, *pgrsterr.Error) {
	v, ok := claims[key]
	if !ok || v == nil {
		return 0, false, nil
	}
	n, isNum := v.(json.Number)
	if !isNum {
		return 0, false, pgrsterr.JWTClaims(notNumber, nil)
	}
	r, ok := new(big.Rat).SetString(n.String())
	if !ok || !r.IsInt() {
		return 0, true, nil
	}
	i := r.Num()
	if !i.IsInt64() || i.Int64() == math.MinInt64 {
		return 0, true, nil
	}
	return i.Int64(), true, nil
}

// checkAud is the aud part of checkForErrors: v must be a string or an
// array of strings (else PGRST303 about its type, whether or not jwt-aud
// is set); with jwt-aud set, the string must equal it or the array must be
// empty or contain it.
func checkAud(v any, aud string) *pgrsterr.Error {
	var matches bool
	switch a := v.(type) {
	case nil:
		return nil
	case string:
		matches = aud == "" || a == aud
	case []any:
		matches = aud == "" || len(a) == 0
		for _, el := range a {
			s, ok := el.(string)
			if !ok {
				return pgrsterr.JWTClaims(pgrsterr.MsgJWTAudNotStringArr, nil)
			}
			matches = matches || s == aud
		}
	default:
		return pgrsterr.JWTClaims(pgrsterr.MsgJWTAudNotStringArr, nil)
	}
	if !matches {
		return pgrsterr.JWTClaims(pgrsterr.MsgJWTNotInAudience, nil)
	}
	return nil
}

// result derives the role from verified claims and builds the Result:
// the role claim, else the anon role, else PGRST302.
func (a *Authenticator) result(claims map[string]any) (Result, *pgrsterr.Error) {
	var role string
	if v, ok := a.cfg.JWTRoleClaimKey.Eval(claims); ok {
		if s, isStr := v.(string); isStr {
			role = s
		} else {
			b, err := marshal(v)
			if err != nil {
				return Result{}, pgrsterr.Internal("encoding the role claim")
			}
			role = string(b)
		}
	} else if a.anonSet {
		role = a.cfg.DBAnonRole
	} else {
		return Result{}, pgrsterr.AnonDisabled()
	}
	out := make(map[string]any, len(claims)+1)
	for k, v := range claims {
		out[k] = v
	}
	out["role"] = role
	b, err := marshal(out)
	if err != nil {
		return Result{}, pgrsterr.Internal("encoding the claims")
	}
	return Result{Role: role, Claims: b, Authenticated: !a.anonSet || role != a.cfg.DBAnonRole}, nil
}

// marshal encodes v as compact JSON, keys sorted, without HTML escaping.
func marshal(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}
