package reqsign

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/cosmos/cosmos-sdk/crypto/keys/secp256k1"
	cryptotypes "github.com/cosmos/cosmos-sdk/crypto/types"
	"github.com/cosmos/cosmos-sdk/types/bech32"

	"github.com/quantum1net/q1/core/address"
)

// AccountPrefix is the bech32 prefix of Quantum1Net account addresses
// (address.AccountPrefix). This package never reads the SDK's global address
// configuration.
const AccountPrefix = address.AccountPrefix

// Signer signs a message with an account key. Implementations sign
// SHA-256(msg) with secp256k1 and return the 64-byte R||S signature and the
// key's public key, as the SDK keyring's Sign(uid, msg, signMode) does.
type Signer interface {
	Sign(msg []byte) (sig []byte, pub cryptotypes.PubKey, err error)
}

// SignerFunc adapts a function to Signer, e.g. a keyring entry:
//
//	reqsign.SignerFunc(func(msg []byte) ([]byte, cryptotypes.PubKey, error) {
//		return kr.Sign(uid, msg, signing.SignMode_SIGN_MODE_DIRECT)
//	})
type SignerFunc func(msg []byte) ([]byte, cryptotypes.PubKey, error)

// Sign calls f.
func (f SignerFunc) Sign(msg []byte) ([]byte, cryptotypes.PubKey, error) { return f(msg) }

// KeySigner signs with an in-memory secp256k1 private key, such as a node's
// hot key.
type KeySigner struct {
	Key *secp256k1.PrivKey
}

// Sign signs SHA-256(msg) with the key.
func (k KeySigner) Sign(msg []byte) ([]byte, cryptotypes.PubKey, error) {
	sig, err := k.Key.Sign(msg)
	if err != nil {
		return nil, nil, err
	}
	return sig, k.Key.PubKey(), nil
}

// AccountAddress returns the bech32 address with the given prefix of a
// secp256k1 public key: bech32(prefix, RIPEMD160(SHA256(compressed key))).
func AccountAddress(prefix string, pub cryptotypes.PubKey) (string, error) {
	spk, ok := pub.(*secp256k1.PubKey)
	if !ok || spk == nil {
		return "", fmt.Errorf("key type %s cannot sign requests; use a secp256k1 account key", keyType(pub))
	}
	if len(spk.Key) != secp256k1.PubKeySize {
		return "", fmt.Errorf("secp256k1 public key is %d bytes; want %d", len(spk.Key), secp256k1.PubKeySize)
	}
	addr, err := bech32.ConvertAndEncode(prefix, spk.Address())
	if err != nil {
		return "", fmt.Errorf("encode account address: %w", err)
	}
	return addr, nil
}

func keyType(pub cryptotypes.PubKey) string {
	if pub == nil {
		return "<none>"
	}
	return pub.Type()
}

// SignRequest signs req for service with the body it will send, setting the
// X-Q1-* headers (replacing any present). It does not set req.Body. now is the
// signing time; pass time.Now() outside tests.
func SignRequest(req *http.Request, body []byte, s Signer, service string, now time.Time) error {
	return SignRequestHash(req, sha256.Sum256(body), s, service, now)
}

// SignRequestHash is SignRequest for a body streamed from elsewhere whose
// SHA-256 the caller computed beforehand, such as a file being uploaded.
func SignRequestHash(req *http.Request, bodyHash [32]byte, s Signer, service string, now time.Time) error {
	nonce, err := newNonce()
	if err != nil {
		return fmt.Errorf("sign request: %w", err)
	}
	path, query := clientTarget(req)
	host := req.Host
	if host == "" && req.URL != nil {
		host = req.URL.Host
	}
	method := req.Method
	if method == "" {
		method = http.MethodGet
	}
	r := Request{
		Service:   service,
		Host:      host,
		Method:    method,
		Path:      path,
		Query:     query,
		BodyHash:  bodyHash,
		Timestamp: now.Unix(),
		Nonce:     nonce,
	}
	msg, err := r.StringToSign()
	if err != nil {
		return fmt.Errorf("sign request: %w", err)
	}
	sig, pub, err := s.Sign(msg)
	if err != nil {
		return fmt.Errorf("sign request: %w", err)
	}
	account, err := AccountAddress(AccountPrefix, pub)
	if err != nil {
		return fmt.Errorf("sign request: %w", err)
	}
	spk := pub.(*secp256k1.PubKey)
	if !spk.VerifySignature(msg, sig) {
		return fmt.Errorf("sign request: the signer's signature does not verify with its own public key " +
			"(it must sign SHA-256 of the message with secp256k1 and return 64 bytes R||S)")
	}
	if req.Header == nil {
		req.Header = make(http.Header)
	}
	setHeaders(req.Header, account, spk, r.Timestamp, nonce, sig)
	return nil
}

// clientTarget returns the raw path and query a client sends on the request
// line for req.
func clientTarget(req *http.Request) (path, query string) {
	if req.URL == nil {
		return "/", ""
	}
	path, query, _ = strings.Cut(req.URL.RequestURI(), "?")
	return path, query
}

// newNonce returns 16 random bytes as unpadded base64url (22 characters).
func newNonce() (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("read random nonce: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b[:]), nil
}
