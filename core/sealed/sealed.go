// Package sealed encrypts service secrets for the nodes that run the
// service. A secret's value is sealed once with a fresh 32-byte data key
// (ChaCha20-Poly1305); the data key is wrapped to each replica node's
// secp256k1 hot key with ECIES: an ephemeral secp256k1 key, ECDH with the
// node's public key, HKDF-SHA256 of the shared x coordinate into a
// ChaCha20-Poly1305 key. Both layers bind the service name, the secret's
// name and its version as associated data, so a ciphertext or a wrap moved
// to another secret or version does not open.
//
// The package is pure: randomness comes from the caller (crypto/rand.Reader
// in practice), so it stands on the chain floor although the chain itself
// never opens anything; the CLI seals and wraps, nodes unwrap and open.
package sealed

import (
	"crypto/cipher"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/decred/dcrd/dcrec/secp256k1/v4"
	"golang.org/x/crypto/chacha20poly1305"
	"golang.org/x/crypto/hkdf"
)

// Sizes of the formats.
const (
	DataKeySize  = chacha20poly1305.KeySize           // 32
	PubKeySize   = secp256k1.PubKeyBytesLenCompressed // 33
	nonceSize    = chacha20poly1305.NonceSize         // 12
	tagSize      = chacha20poly1305.Overhead          // 16
	WrappedSize  = PubKeySize + nonceSize + DataKeySize + tagSize
	SealOverhead = nonceSize + tagSize
)

// hkdfInfo names what the derived key is for; a new format gets a new label.
const hkdfInfo = "q1 secret wrap v1"

// ErrOpen is returned (wrapped) when a ciphertext or a wrap does not open:
// the wrong key, other associated data, or altered bytes.
var ErrOpen = errors.New("does not open")

// AD is the associated data both layers bind: the service, the secret's
// name and its version, each length-prefixed so no two triples collide.
func AD(service, key string, version uint64) []byte {
	ad := make([]byte, 0, 8+len(service)+len(key)+16)
	ad = append(ad, "q1secret"...)
	ad = binary.BigEndian.AppendUint32(ad, uint32(len(service)))
	ad = append(ad, service...)
	ad = binary.BigEndian.AppendUint32(ad, uint32(len(key)))
	ad = append(ad, key...)
	ad = binary.BigEndian.AppendUint64(ad, version)
	return ad
}

// NewDataKey reads a fresh data key from rand.
func NewDataKey(rand io.Reader) ([]byte, error) {
	k := make([]byte, DataKeySize)
	if _, err := io.ReadFull(rand, k); err != nil {
		return nil, fmt.Errorf("sealed: read a data key: %w", err)
	}
	return k, nil
}

// Seal encrypts value with dataKey under ad: nonce || ciphertext || tag.
func Seal(dataKey, value, ad []byte, rand io.Reader) ([]byte, error) {
	aead, err := chacha20poly1305.New(dataKey)
	if err != nil {
		return nil, fmt.Errorf("sealed: data key: %w", err)
	}
	out := make([]byte, nonceSize, nonceSize+len(value)+tagSize)
	if _, err := io.ReadFull(rand, out); err != nil {
		return nil, fmt.Errorf("sealed: read a nonce: %w", err)
	}
	return aead.Seal(out, out[:nonceSize], value, ad), nil
}

// Open decrypts what Seal returned.
func Open(dataKey, sealed, ad []byte) ([]byte, error) {
	aead, err := chacha20poly1305.New(dataKey)
	if err != nil {
		return nil, fmt.Errorf("sealed: data key: %w", err)
	}
	if len(sealed) < SealOverhead {
		return nil, fmt.Errorf("sealed: ciphertext of %d bytes is shorter than its %d-byte nonce and tag: %w", len(sealed), SealOverhead, ErrOpen)
	}
	v, err := aead.Open(nil, sealed[:nonceSize], sealed[nonceSize:], ad)
	if err != nil {
		return nil, fmt.Errorf("sealed: ciphertext %w (wrong data key, other secret or version, or altered)", ErrOpen)
	}
	return v, nil
}

// Wrap encrypts dataKey to the holder of the secp256k1 public key pub (33
// bytes, compressed): ephemeral public key || nonce || ciphertext || tag.
func Wrap(pub, dataKey, ad []byte, rand io.Reader) ([]byte, error) {
	if len(dataKey) != DataKeySize {
		return nil, fmt.Errorf("sealed: data key has %d bytes, want %d", len(dataKey), DataKeySize)
	}
	to, err := secp256k1.ParsePubKey(pub)
	if err != nil {
		return nil, fmt.Errorf("sealed: node public key: %w", err)
	}
	eph, err := secp256k1.GeneratePrivateKeyFromRand(rand)
	if err != nil {
		return nil, fmt.Errorf("sealed: ephemeral key: %w", err)
	}
	defer eph.Zero()
	ephPub := eph.PubKey().SerializeCompressed()
	aead, err := wrapAEAD(secp256k1.GenerateSharedSecret(eph, to), ephPub, pub)
	if err != nil {
		return nil, err
	}
	out := make([]byte, PubKeySize+nonceSize, WrappedSize)
	copy(out, ephPub)
	if _, err := io.ReadFull(rand, out[PubKeySize:]); err != nil {
		return nil, fmt.Errorf("sealed: read a nonce: %w", err)
	}
	return aead.Seal(out, out[PubKeySize:], dataKey, ad), nil
}

// Unwrap recovers the data key Wrap wrapped to the public key of priv (32
// bytes).
func Unwrap(priv, wrapped, ad []byte) ([]byte, error) {
	if len(priv) != 32 {
		return nil, fmt.Errorf("sealed: private key has %d bytes, want 32", len(priv))
	}
	if len(wrapped) != WrappedSize {
		return nil, fmt.Errorf("sealed: wrap has %d bytes, want %d: %w", len(wrapped), WrappedSize, ErrOpen)
	}
	key := secp256k1.PrivKeyFromBytes(priv)
	defer key.Zero()
	ephPub := wrapped[:PubKeySize]
	eph, err := secp256k1.ParsePubKey(ephPub)
	if err != nil {
		return nil, fmt.Errorf("sealed: wrap's ephemeral key: %v: %w", err, ErrOpen)
	}
	aead, err := wrapAEAD(secp256k1.GenerateSharedSecret(key, eph), ephPub, key.PubKey().SerializeCompressed())
	if err != nil {
		return nil, err
	}
	dk, err := aead.Open(nil, wrapped[PubKeySize:PubKeySize+nonceSize], wrapped[PubKeySize+nonceSize:], ad)
	if err != nil {
		return nil, fmt.Errorf("sealed: wrap %w (wrapped to another key, for another secret or version, or altered)", ErrOpen)
	}
	return dk, nil
}

// wrapAEAD derives the wrap key from the shared secret, salted with both
// public keys so that a wrap is bound to the key it was made for.
func wrapAEAD(shared, ephPub, toPub []byte) (cipher.AEAD, error) {
	salt := make([]byte, 0, 2*PubKeySize)
	salt = append(append(salt, ephPub...), toPub...)
	r := hkdf.New(sha256.New, shared, salt, []byte(hkdfInfo))
	k := make([]byte, chacha20poly1305.KeySize)
	if _, err := io.ReadFull(r, k); err != nil {
		return nil, fmt.Errorf("sealed: derive the wrap key: %w", err)
	}
	aead, err := chacha20poly1305.New(k)
	if err != nil {
		return nil, fmt.Errorf("sealed: wrap key: %w", err)
	}
	return aead, nil
}
