package auth

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"fmt"

	"github.com/lestrrat-go/jwx/v3/jwk"
)

// keyKind is the family of algorithms a key can verify.
type keyKind int

const (
	kindHMAC keyKind = iota + 1
	kindRSA
	kindEC
	kindEd25519
)

// verifyKey is one verification key in the form the verifier uses.
type verifyKey struct {
	kind   keyKind
	kid    string
	hasKid bool
	alg    string // the JWK's "alg", "" when unset
	raw    any    // []byte, *rsa.PublicKey, *ecdsa.PublicKey or ed25519.PublicKey
}

// algKind maps the JWS algorithms this package accepts to the key family
// that verifies them; any other "alg" is unsupported.
var algKind = map[string]keyKind{
	"HS256": kindHMAC, "HS384": kindHMAC, "HS512": kindHMAC,
	"RS256": kindRSA, "RS384": kindRSA, "RS512": kindRSA,
	"PS256": kindRSA, "PS384": kindRSA, "PS512": kindRSA,
	"ES256": kindEC, "ES384": kindEC, "ES512": kindEC,
	"EdDSA": kindEd25519,
}

// ecCurve is the curve each ES algorithm requires (RFC 7518 §3.4).
var ecCurve = map[string]elliptic.Curve{
	"ES256": elliptic.P256(), "ES384": elliptic.P384(), "ES512": elliptic.P521(),
}

// keysOf converts a JWK set into verification keys. Keys whose "use" is
// "enc", and key types that cannot verify a supported algorithm (Ed448,
// secp256k1, ...), are left out, as jose-jwt never picks them. Private
// keys contribute their public half.
func keysOf(set jwk.Set) ([]verifyKey, error) {
	var out []verifyKey
	for i := range set.Len() {
		k, _ := set.Key(i)
		if use, ok := k.KeyUsage(); ok && use == string(jwk.ForEncryption) {
			continue
		}
		vk := verifyKey{}
		vk.kid, vk.hasKid = k.KeyID()
		if alg, ok := k.Algorithm(); ok {
			vk.alg = alg.String()
		}
		pub, err := jwk.PublicKeyOf(k)
		if err != nil {
			continue
		}
		var raw any
		if err := jwk.Export(pub, &raw); err != nil {
			return nil, fmt.Errorf("auth: exporting key %d: %w", i, err)
		}
		switch r := raw.(type) {
		case []byte:
			vk.kind, vk.raw = kindHMAC, r
		case *rsa.PublicKey:
			vk.kind, vk.raw = kindRSA, r
		case *ecdsa.PublicKey:
			vk.kind, vk.raw = kindEC, r
		case ed25519.PublicKey:
			vk.kind, vk.raw = kindEd25519, r
		default:
			continue
		}
		out = append(out, vk)
	}
	return out, nil
}

// suits is jose-jwt's canDecodeJws: the key's type verifies alg, its own
// alg (if any) is alg, and when the token names a kid the key has that kid.
func (k verifyKey) suits(alg string, kid *string) bool {
	if algKind[alg] != k.kind {
		return false
	}
	if k.alg != "" && k.alg != alg {
		return false
	}
	if kid != nil && (!k.hasKid || k.kid != *kid) {
		return false
	}
	return true
}
