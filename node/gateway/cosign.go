package gateway

import (
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/cosmos/cosmos-sdk/crypto/keys/secp256k1"

	"github.com/quantum1net/q1/core/receipt"
)

// Hop headers of the forwarding co-signature: the forwarding node vouches,
// with its hot key, that the request came from outside at a given time.
// They are optional (a hop without them runs without a Via), but when
// present all three must be, and they must verify.
const (
	HeaderHopLease = "X-Q1-Hop-Lease" // the lease of the serving replica, as the forwarder read it
	HeaderHopTime  = "X-Q1-Hop-Time"  // the request's recorded time, Unix nanoseconds
	HeaderHopSig   = "X-Q1-Hop-Sig"   // hot key signature over receipt.ForwardDigest, standard base64
)

// MaxForwardSkew bounds how far a forwarded request's recorded time may be
// from the serving node's clock: further, and the serving node refuses it.
const MaxForwardSkew = 5 * time.Second

// ForwardHash is the request hash a forwarding gateway signs: SHA-256 of
// method ‖ 0x00 ‖ target ‖ 0x00 ‖ body, where target is the path and query
// the service sees. An auditor recomputes it from the encoded request.
func ForwardHash(method, target string, body []byte) receipt.Hash {
	h := sha256.New()
	h.Write([]byte(method))
	h.Write([]byte{0})
	h.Write([]byte(target))
	h.Write([]byte{0})
	h.Write(body)
	var out receipt.Hash
	h.Sum(out[:0])
	return out
}

// SignForward signs receipt.ForwardDigest(lease, h, t) with a node's hot key.
func SignForward(key *secp256k1.PrivKey, lease uint64, h receipt.Hash, t int64) ([]byte, error) {
	d := receipt.ForwardDigest(lease, h, t)
	return key.Sign(d[:])
}

// VerifyForward checks a forwarding co-signature against the forwarding
// sharer's registered hot key (a compressed secp256k1 public key).
func VerifyForward(pub []byte, lease uint64, h receipt.Hash, t int64, sig []byte) error {
	if len(pub) != secp256k1.PubKeySize {
		return fmt.Errorf("the registered hot key is %d bytes, not a compressed secp256k1 key", len(pub))
	}
	d := receipt.ForwardDigest(lease, h, t)
	if !(&secp256k1.PubKey{Key: pub}).VerifySignature(d[:], sig) {
		return errors.New("the forwarding signature does not verify under the forwarding sharer's hot key")
	}
	return nil
}

// cosign is a hop's co-signature as read from its headers.
type cosign struct {
	lease uint64
	time  int64
	sig   []byte
}

// parseCosign reads the co-signature headers: nil if none is present.
func parseCosign(h http.Header) (*cosign, error) {
	l, t, s := h.Get(HeaderHopLease), h.Get(HeaderHopTime), h.Get(HeaderHopSig)
	if l == "" && t == "" && s == "" {
		return nil, nil
	}
	if l == "" || t == "" || s == "" {
		return nil, fmt.Errorf("a forwarding co-signature needs %s, %s and %s together", HeaderHopLease, HeaderHopTime, HeaderHopSig)
	}
	var cs cosign
	var err error
	if cs.lease, err = strconv.ParseUint(l, 10, 64); err != nil {
		return nil, fmt.Errorf("header %s: want a lease id", HeaderHopLease)
	}
	if cs.time, err = strconv.ParseInt(t, 10, 64); err != nil {
		return nil, fmt.Errorf("header %s: want Unix nanoseconds", HeaderHopTime)
	}
	if cs.sig, err = base64.StdEncoding.Strict().DecodeString(s); err != nil || len(cs.sig) == 0 || len(cs.sig) > 128 {
		return nil, fmt.Errorf("header %s: want a signature as standard padded base64", HeaderHopSig)
	}
	return &cs, nil
}

// setCosign signs a request forwarded to rp and writes the headers. A
// replica whose lease the forwarder does not know gets none.
func (g *Gateway) setCosign(h http.Header, c *call, rp Replica) {
	if rp.Lease == 0 {
		return
	}
	t := g.now().UnixNano()
	sig, err := SignForward(g.deps.NodeKey, rp.Lease, ForwardHash(c.r.Method, c.target, c.body), t)
	if err != nil {
		g.log.Warn("forwarding co-signature not made", "service", c.service, "sharer", rp.Sharer, "err", err)
		return
	}
	h.Set(HeaderHopLease, strconv.FormatUint(rp.Lease, 10))
	h.Set(HeaderHopTime, strconv.FormatInt(t, 10))
	h.Set(HeaderHopSig, base64.StdEncoding.EncodeToString(sig))
}

// checkCosign checks a proven hop's co-signature and, when it names this
// node's lease of the service, records it on the call: the request runs at
// the forwarder's time with the forwarder as its Via. A time too far from
// this node's clock, or a signature that does not verify, refuses the hop.
func (g *Gateway) checkCosign(c *call) *reply {
	cs, err := parseCosign(c.r.Header)
	if err != nil {
		return failf(http.StatusBadRequest, CodeBadRequest, "%v", err)
	}
	if cs == nil {
		return nil
	}
	if skew := g.now().Sub(time.Unix(0, cs.time)).Abs(); skew > MaxForwardSkew {
		return failf(http.StatusForbidden, CodeForbidden,
			"forwarded request's recorded time is %s away from this node's clock (at most %s): check both nodes' clocks",
			skew.Round(time.Millisecond), MaxForwardSkew)
	}
	var own uint64
	for _, rp := range g.deps.Chain.Replicas(c.service) {
		if rp.Local || rp.Sharer == g.deps.Self {
			own = rp.Lease
		}
	}
	if own == 0 || own != cs.lease {
		g.log.Debug("forwarding co-signature names another lease; running without it",
			"service", c.service, "from", c.hop.from, "lease", cs.lease, "own_lease", own)
		return nil
	}
	pub, err := g.deps.NodeKeys.PubKey(c.hop.from)
	if err == nil {
		err = VerifyForward(pub, cs.lease, ForwardHash(c.r.Method, c.target, c.body), cs.time, cs.sig)
	}
	if err != nil {
		return failf(http.StatusForbidden, CodeForbidden, "forwarded request's co-signature from node %s refused: %v", c.hop.from, err)
	}
	c.via, c.viaSig, c.viaTime = c.hop.from, cs.sig, time.Unix(0, cs.time)
	return nil
}
