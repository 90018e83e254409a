package gateway

import (
	"bytes"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"fmt"
	"sync"

	"github.com/cosmos/cosmos-sdk/crypto/keys/secp256k1"
	dsecp "github.com/decred/dcrd/dcrec/secp256k1/v4"
)

// pairSalt separates the gateway's pair keys from any other use of the
// same ECDH secret.
const pairSalt = "q1-gateway-pair/v1"

// macSize is the length of an HMAC-SHA256 tag.
const macSize = sha256.Size

// pairKeys holds the key this node shares with each other node: HKDF of
// the static secp256k1 ECDH secret of this node's key and the other node's
// registered key. Only the two nodes can compute it, so an HMAC under it
// that one of them did not make was made by the other. Keys are cached per
// sharer and recomputed when the registered key changes.
type pairKeys struct {
	self  *dsecp.PrivateKey
	keys  NodeKeys
	mu    sync.Mutex
	cache map[string]pairKey
}

type pairKey struct {
	pub []byte // the registered key the pair key was made with
	key []byte
}

func newPairKeys(self *secp256k1.PrivKey, keys NodeKeys) (*pairKeys, error) {
	if self == nil || len(self.Key) != secp256k1.PrivKeySize {
		return nil, errors.New("gateway: Deps.NodeKey must be this node's 32-byte secp256k1 hot key")
	}
	return &pairKeys{self: dsecp.PrivKeyFromBytes(self.Key), keys: keys, cache: make(map[string]pairKey)}, nil
}

// key returns the key this node shares with sharer's node.
func (p *pairKeys) key(sharer string) ([]byte, error) {
	pub, err := p.keys.PubKey(sharer)
	if err != nil {
		return nil, fmt.Errorf("no node key of sharer %s: %w", sharer, err)
	}
	p.mu.Lock()
	c, ok := p.cache[sharer]
	p.mu.Unlock()
	if ok && bytes.Equal(c.pub, pub) {
		return c.key, nil
	}
	pk, err := dsecp.ParsePubKey(pub)
	if err != nil {
		return nil, fmt.Errorf("the node key sharer %s registered is not a secp256k1 public key: %v", sharer, err)
	}
	secret := dsecp.GenerateSharedSecret(p.self, pk)
	key, err := hkdf.Key(sha256.New, secret, []byte(pairSalt), "", 32)
	if err != nil {
		return nil, fmt.Errorf("derive pair key with sharer %s: %w", sharer, err)
	}
	p.mu.Lock()
	if len(p.cache) >= maxTrackedNodes {
		clear(p.cache)
	}
	p.cache[sharer] = pairKey{pub: bytes.Clone(pub), key: key}
	p.mu.Unlock()
	return key, nil
}

// mac tags msg for (or from) sharer's node.
func (p *pairKeys) mac(sharer string, msg []byte) ([]byte, error) {
	key, err := p.key(sharer)
	if err != nil {
		return nil, err
	}
	h := hmac.New(sha256.New, key)
	h.Write(msg)
	return h.Sum(nil), nil
}

// check verifies that tag is sharer's node's tag of msg.
func (p *pairKeys) check(sharer string, msg, tag []byte) error {
	want, err := p.mac(sharer, msg)
	if err != nil {
		return err
	}
	if !hmac.Equal(want, tag) {
		return fmt.Errorf("it was not made with the key shared with sharer %s", sharer)
	}
	return nil
}
