package pgrsterr

import (
	"fmt"
	"strings"
)

// JWT error messages, PostgREST's (Error.hs, JwtDecodeError and
// JwtClaimsError).
const (
	MsgJWTEmpty           = "Empty JWT is sent in Authorization header"
	MsgJWTNoSuitableKey   = "No suitable key or wrong key type"
	MsgJWTBadAlgorithm    = "Wrong or unsupported encoding algorithm"
	MsgJWTBadCrypto       = "JWT cryptographic operation failed"
	MsgJWTUnsupportedType = "Unsupported token type"
	MsgJWTUndecodable     = "JWT couldn't be decoded"

	MsgJWTExpired         = "JWT expired"
	MsgJWTNotYetValid     = "JWT not yet valid"
	MsgJWTIssuedAtFuture  = "JWT issued at future"
	MsgJWTNotInAudience   = "JWT not in audience"
	MsgJWTParsingClaims   = "Parsing claims failed"
	MsgJWTExpNotNumber    = "The JWT 'exp' claim must be a number"
	MsgJWTNbfNotNumber    = "The JWT 'nbf' claim must be a number"
	MsgJWTIatNotNumber    = "The JWT 'iat' claim must be a number"
	MsgJWTAudNotStringArr = "The JWT 'aud' claim must be a string or an array of strings"
)

// JWTSecretMissing is PGRST300 (500) "Server lacks JWT secret": a request
// sent a token but no key is configured. details is nil in PostgREST's
// case; a JWKS URL that could not be fetched passes a short reason.
func JWTSecretMissing(details any) *Error {
	return newErr(500, "PGRST300", "Server lacks JWT secret", details, nil)
}

// JWTDecode is PGRST301 (401): the token could not be decoded or
// verified. message is one of the MsgJWT* decode messages (MsgJWTEmpty,
// MsgJWTNoSuitableKey, MsgJWTBadAlgorithm, MsgJWTBadCrypto, ...); details
// is the JOSE library's explanation PostgREST shows for key and algorithm
// errors (e.g. "None of the keys was able to decode the JWT"), or nil. The
// response carries `WWW-Authenticate: Bearer error="invalid_token",
// error_description="<message>"`.
func JWTDecode(message string, details any) *Error {
	e := newErr(401, "PGRST301", message, details, nil)
	e.Headers = map[string]string{"WWW-Authenticate": invalidTokenHeader(message)}
	return e
}

// JWTParts is PGRST301 (401) "Expected 3 parts in JWT; got N".
func JWTParts(n int) *Error {
	return JWTDecode(fmt.Sprintf("Expected 3 parts in JWT; got %d", n), nil)
}

// JWTClaims is PGRST303 (401): the claims failed validation. message is
// one of the MsgJWT* claims messages; details is "Invalid by N seconds" for
// the time claims and nil otherwise, as in PostgREST. The response carries
// the same WWW-Authenticate header as [JWTDecode].
func JWTClaims(message string, details any) *Error {
	e := newErr(401, "PGRST303", message, details, nil)
	e.Headers = map[string]string{"WWW-Authenticate": invalidTokenHeader(message)}
	return e
}

// invalidTokenHeader is PostgREST's invalidTokenHeader: the message quoted
// as Haskell's show quotes it (backslash and double quote escaped).
func invalidTokenHeader(message string) string {
	q := strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(message)
	return `Bearer error="invalid_token", error_description="` + q + `"`
}
