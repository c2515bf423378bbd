// Package auth is PostgREST's authentication stage: it turns a request's
// Authorization header (or, opt-in, claims an API Gateway authorizer
// already verified) into the role the request runs as and the claims
// request.jwt.claims holds, or into PostgREST's PGRST300–PGRST303 error.
//
// It mirrors src/PostgREST/Auth.hs, Auth/Jwt.hs and Auth/JwtCache.hs:
//
//   - the token is taken from `Authorization: Bearer <token>`, the scheme
//     matched case-insensitively; any other scheme, or no header, is an
//     anonymous request;
//   - the token is verified against the keys of PGRST_JWT_SECRET (a text
//     secret, a JWK or a JWKS) and, beyond PostgREST, those fetched from
//     PGRST_JWT_JWKS_URL; HS256/384/512, RS256/384/512, PS256/384/512,
//     ES256/384/512 and EdDSA (Ed25519) are accepted; "alg":"none" is not;
//   - a key is used only for the algorithms of its type (an RSA public key
//     is never an HMAC secret), only when its "use" is not "enc", only when
//     its own "alg", if any, is the token's, and only when its "kid" is the
//     token's whenever the token names one (PostgREST's jose-jwt rules;
//     note a text secret is HS256 only and has no kid);
//   - the claims are checked as PostgREST's checkForErrors does: exp, nbf
//     and iat with 30 seconds of leeway against the clock read at every
//     call, aud only when PGRST_JWT_AUD is set;
//   - the role is the claim at PGRST_JWT_ROLE_CLAIM_KEY, or
//     PGRST_DB_ANON_ROLE when absent, or PGRST302 when neither.
//
// Verified tokens are cached (PGRST_JWT_CACHE_MAX_ENTRIES); an
// [Authenticator] is safe for concurrent use and meant to live as long as
// the Lambda container, one per effective configuration.
package auth
