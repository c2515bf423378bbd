package snapshot

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
)

// MinKeyBytes is the shortest signing key NewKeys accepts, in bytes.
const MinKeyBytes = 32

// macBytes is the length of a blob's MAC (HMAC-SHA256).
const macBytes = sha256.Size

// ErrNotAuthentic is returned (wrapped) by DecodeWith when keys are given
// and the blob carries no MAC, or a MAC that none of the keys produced:
// the blob was not written by a holder of the signing key, and callers
// keep their last good snapshot.
var ErrNotAuthentic = errors.New("schema cache blob is not authentic")

// Keys are the shared secrets that authenticate blobs: the listener worker
// signs with the current key; readers accept a blob signed by the current
// or the previous key, so a key can be rotated without downtime. Each raw
// key is only an input to HKDF-SHA256, which derives a MAC key, an
// encryption key (for secret settings, see sealSecrets) and a public key
// id. A nil *Keys means "no keys": blobs are neither signed nor verified.
type Keys struct {
	keys []derivedKey // [0] signs; all verify
}

type derivedKey struct {
	id    string
	mac   []byte
	enc   cipher.AEAD
	nonce []byte // HMAC key deriving deterministic nonces
}

// NewKeys derives Keys from the current raw key and an optional previous
// one (nil or empty: none). It fails when a key is shorter than
// MinKeyBytes.
func NewKeys(current, previous []byte) (*Keys, error) {
	k := &Keys{}
	for i, raw := range [][]byte{current, previous} {
		if i == 1 && len(raw) == 0 {
			continue
		}
		if len(raw) < MinKeyBytes {
			return nil, fmt.Errorf("signing key of %d bytes: at least %d required", len(raw), MinKeyBytes)
		}
		d, err := derive(raw)
		if err != nil {
			return nil, err
		}
		k.keys = append(k.keys, d)
	}
	return k, nil
}

func derive(raw []byte) (derivedKey, error) {
	var d derivedKey
	sub := func(info string, n int) []byte {
		b, err := hkdf.Key(sha256.New, raw, nil, "pgrest-lambda snapshot "+info, n)
		if err != nil {
			panic(err) // only for lengths beyond 255 hash blocks
		}
		return b
	}
	d.id = hex.EncodeToString(sub("key id", 4))
	d.mac = sub("mac", 32)
	d.nonce = sub("nonce", 32)
	block, err := aes.NewCipher(sub("seal", 32))
	if err != nil {
		return d, err
	}
	if d.enc, err = cipher.NewGCM(block); err != nil {
		return d, err
	}
	return d, nil
}

// ID returns the current key's id: 8 hex characters derived from the key
// (not revealing it), recorded in each blob's header and version metadata
// so a rotation can be followed. It returns "" for nil Keys.
func (k *Keys) ID() string {
	if k == nil || len(k.keys) == 0 {
		return ""
	}
	return k.keys[0].id
}

// sum computes the MAC of a blob: every byte but the MAC field itself.
func (d *derivedKey) sum(blob []byte, macAt, macLen int) []byte {
	h := hmac.New(sha256.New, d.mac)
	h.Write(blob[:macAt])
	h.Write(blob[macAt+macLen:])
	return h.Sum(nil)
}

// verify returns the key whose MAC the blob carries.
func (k *Keys) verify(blob, mac []byte, macAt int) (*derivedKey, error) {
	if len(mac) == 0 {
		return nil, fmt.Errorf("decode schema cache: unsigned blob: %w", ErrNotAuthentic)
	}
	for i := range k.keys {
		if hmac.Equal(k.keys[i].sum(blob, macAt, len(mac)), mac) {
			return &k.keys[i], nil
		}
	}
	return nil, fmt.Errorf("decode schema cache: MAC matches no signing key: %w", ErrNotAuthentic)
}

// seal encrypts a secret setting's value with AES-256-GCM, the setting's
// name as additional data. The nonce is an HMAC of name and value
// (a synthetic IV): equal content gives equal bytes, so unchanged content
// is still recognised by its hash, and a nonce repeats only for the same
// plaintext. The result is nonce || ciphertext || tag.
func (d *derivedKey) seal(name, value string) string {
	h := hmac.New(sha256.New, d.nonce)
	h.Write([]byte(name))
	h.Write([]byte{0})
	h.Write([]byte(value))
	nonce := h.Sum(nil)[:d.enc.NonceSize()]
	return string(d.enc.Seal(nonce, nonce, []byte(value), []byte(name)))
}

// open decrypts what seal wrote.
func (d *derivedKey) open(name, sealed string) (string, error) {
	n := d.enc.NonceSize()
	if len(sealed) < n {
		return "", fmt.Errorf("sealed setting %q: too short", name)
	}
	b, err := d.enc.Open(nil, []byte(sealed[:n]), []byte(sealed[n:]), []byte(name))
	if err != nil {
		return "", fmt.Errorf("sealed setting %q: %w", name, err)
	}
	return string(b), nil
}
