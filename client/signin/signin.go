// Package signin is the dashboard's sign-in as a client sees it: the
// one-time challenge a node issues (GET /v1/auth/challenge), the exact text a
// person signs for it, and the token `q1 dashboard sign` prints for the page
// to post back (POST /v1/auth/session). The node's side (issuing
// challenges, keeping sessions) is node/dashboard; both use this package, so
// the format has one definition.
//
// A challenge reads q1-dashboard-CHAIN-NODE-NONCE: the chain's id, the
// issuing node's CometBFT id (40 hex digits) and 32 hex digits of
// randomness, so the text a person signs names where they sign in. The
// signed text starts with a fixed line ("Quantum1Net dashboard sign-in"), so
// the signature can never stand for a transaction (whose signed bytes start
// with a protobuf tag) or a signed request.
package signin

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/cosmos/cosmos-sdk/crypto/keys/secp256k1"

	"github.com/quantum1net/q1/client/reqsign"
)

const (
	challengePrefix   = "q1-dashboard-"
	signMessagePrefix = "Quantum1Net dashboard sign-in\n"
	tokenPrefix       = "q1token."
	nodeIDLen         = 40
	nonceLen          = 32
)

// Errors a token is refused with; the messages say what to do.
var (
	ErrBadToken     = errors.New("bad token")
	ErrWrongAddress = errors.New("address does not match public key")
	ErrBadSignature = errors.New("bad signature")
)

// Challenge is a challenge's parts.
type Challenge struct {
	Chain string // the chain id
	Node  string // the issuing node's CometBFT id
}

// CheckIssuer says whether chain and node can be named in a challenge: a
// chain id of letters, digits, '-', '_' and '.', and a CometBFT node id of
// 40 lowercase hex digits.
func CheckIssuer(chain, node string) error {
	if !validChainID(chain) {
		return fmt.Errorf("%q is not a chain id", chain)
	}
	if len(node) != nodeIDLen || !isHex(node) {
		return fmt.Errorf("node id %q is not %d lowercase hex digits", node, nodeIDLen)
	}
	return nil
}

// NewChallenge returns a fresh challenge issued by node on chain.
func NewChallenge(chain, node string) (string, error) {
	if err := CheckIssuer(chain, node); err != nil {
		return "", err
	}
	var b [nonceLen / 2]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	return challengePrefix + chain + "-" + node + "-" + hex.EncodeToString(b[:]), nil
}

// ParseChallenge reads a challenge NewChallenge made, so the CLI never signs
// text a node made up to mean something else, and can say which chain and
// node it signs in to.
func ParseChallenge(s string) (Challenge, error) {
	bad := func(why string) (Challenge, error) {
		return Challenge{}, fmt.Errorf("%q is not a dashboard challenge: %s", s, why)
	}
	rest, ok := strings.CutPrefix(s, challengePrefix)
	if !ok {
		return bad(fmt.Sprintf("copy the whole challenge the sign-in box shows (it starts with %q)", challengePrefix))
	}
	// CHAIN-NODE-NONCE, read from the right: a chain id may hold dashes.
	if len(rest) < 1+1+nodeIDLen+1+nonceLen {
		return bad("it is too short; copy the whole challenge the sign-in box shows")
	}
	nonce, node := rest[len(rest)-nonceLen:], rest[len(rest)-nonceLen-1-nodeIDLen:len(rest)-nonceLen-1]
	chain := rest[:len(rest)-nonceLen-1-nodeIDLen-1]
	if rest[len(rest)-nonceLen-1] != '-' || rest[len(chain)] != '-' || !isHex(nonce) || !isHex(node) {
		return bad(fmt.Sprintf("after %q it must read CHAIN-NODE-NONCE, with the node's 40-hex-digit id and 32 hex digits", challengePrefix))
	}
	if !validChainID(chain) {
		return bad(fmt.Sprintf("%q is not a chain id", chain))
	}
	return Challenge{Chain: chain, Node: node}, nil
}

// CheckChallenge says whether s has the form of a challenge.
func CheckChallenge(s string) error {
	_, err := ParseChallenge(s)
	return err
}

// Message is the exact byte string a token's signature covers: the chain,
// the node and the challenge, each on its own line. It is only meaningful
// for a challenge CheckChallenge accepts.
func Message(challenge string) []byte {
	c, _ := ParseChallenge(challenge)
	return []byte(signMessagePrefix + "chain: " + c.Chain + "\nnode: " + c.Node + "\nchallenge: " + challenge)
}

func isHex(s string) bool {
	_, err := hex.DecodeString(s)
	return err == nil && strings.ToLower(s) == s
}

// validChainID accepts the characters chain ids use (letters, digits, '-',
// '_', '.'), so a challenge never carries text meant for a shell or a
// person's eyes.
func validChainID(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.') {
			return false
		}
	}
	return true
}

// Token is what `q1 dashboard sign` prints, decoded: who signs, with which
// key, which challenge, and the secp256k1 signature over Message(challenge).
type Token struct {
	Address   string `json:"address"`
	PubKey    []byte `json:"pub_key"`
	Challenge string `json:"challenge"`
	Signature []byte `json:"signature"`
}

// Sign signs challenge with s and returns the token to paste into the
// dashboard. It refuses anything that is not a challenge.
func Sign(challenge string, s reqsign.Signer) (string, error) {
	if err := CheckChallenge(challenge); err != nil {
		return "", err
	}
	sig, pub, err := s.Sign(Message(challenge))
	if err != nil {
		return "", fmt.Errorf("sign the challenge: %w", err)
	}
	addr, err := reqsign.AccountAddress(reqsign.AccountPrefix, pub)
	if err != nil {
		return "", err
	}
	return EncodeToken(Token{Address: addr, PubKey: pub.Bytes(), Challenge: challenge, Signature: sig}), nil
}

// EncodeToken writes a token as one copyable word.
func EncodeToken(t Token) string {
	b, _ := json.Marshal(t)
	return tokenPrefix + base64.RawURLEncoding.EncodeToString(b)
}

// DecodeToken reads a token EncodeToken wrote. It checks the token's form
// only: Account and CheckSignature check what it claims.
func DecodeToken(s string) (Token, error) {
	var t Token
	rest, ok := strings.CutPrefix(strings.TrimSpace(s), tokenPrefix)
	if !ok {
		return t, fmt.Errorf("%w: a token starts with %q; paste the whole line `q1 dashboard sign` printed", ErrBadToken, tokenPrefix)
	}
	b, err := base64.RawURLEncoding.DecodeString(rest)
	if err != nil {
		return t, fmt.Errorf("%w: it is cut or changed (%v); paste the whole line `q1 dashboard sign` printed", ErrBadToken, err)
	}
	if err := json.Unmarshal(b, &t); err != nil {
		return t, fmt.Errorf("%w: it is cut or changed (%v); paste the whole line `q1 dashboard sign` printed", ErrBadToken, err)
	}
	if t.Address == "" || t.Challenge == "" || len(t.Signature) == 0 {
		return t, fmt.Errorf("%w: it lacks the address, the challenge or the signature", ErrBadToken)
	}
	if len(t.PubKey) != secp256k1.PubKeySize {
		return t, fmt.Errorf("%w: its public key is %d bytes; a secp256k1 account key has %d", ErrBadToken, len(t.PubKey), secp256k1.PubKeySize)
	}
	return t, nil
}

// Account returns the account the token's public key belongs to, refusing
// a token that names another address (ErrWrongAddress).
func (t Token) Account() (string, error) {
	owner, err := reqsign.AccountAddress(reqsign.AccountPrefix, &secp256k1.PubKey{Key: t.PubKey})
	if err != nil {
		return "", fmt.Errorf("%w: %v", ErrBadToken, err)
	}
	if owner != t.Address {
		return "", fmt.Errorf("%w: the token names %s but its public key belongs to %s; sign with the key of the account you name",
			ErrWrongAddress, t.Address, owner)
	}
	return owner, nil
}

// CheckSignature checks that the token's signature is its public key's
// signature of Message(t.Challenge) (ErrBadSignature otherwise).
func (t Token) CheckSignature() error {
	if !(&secp256k1.PubKey{Key: t.PubKey}).VerifySignature(Message(t.Challenge), t.Signature) {
		return fmt.Errorf("%w: the signature is not %s's signature of challenge %s; sign exactly the challenge shown with `q1 dashboard sign`",
			ErrBadSignature, t.Address, t.Challenge)
	}
	return nil
}
