// Package receipt is what makes a sharer's usage claims checkable: the
// receipt a node keeps for every request a replica ran (and for every
// instance start-up), the Merkle-sum tree over one lease's receipts in an
// epoch whose root the usage report commits, the inclusion proofs a sampled
// sharer publishes, and the deterministic draw of which receipts are
// sampled.
//
// Both floors use it: nodes build receipts and trees, and prove; the chain
// (x/usage) verifies proofs against committed roots and draws samples. It
// is part of the chain's rules: changing an encoding or a hash changes what
// every validator accepts, so it is done only with a new Version.
//
// Everything here is deterministic: fixed-width big-endian encodings,
// SHA-256, integer arithmetic that refuses to overflow.
package receipt

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
)

// Version is the version of the receipt encoding and of the tree. A
// report's roots are built at this version.
const Version = 1

// HashSize is the size of every hash here (SHA-256).
const HashSize = sha256.Size

// Hash is a SHA-256 digest.
type Hash [HashSize]byte

// Trap codes: how a request ended. A receipt records the code, never the
// message (messages may differ between nodes; the outcome may not).
const (
	TrapNone     uint8 = 0 // the guest returned a response (any HTTP status)
	TrapFuel     uint8 = 1 // the guest ran out of fuel
	TrapMemory   uint8 = 2 // the guest ran out of memory
	TrapGuest    uint8 = 3 // the guest trapped, panicked or exited
	TrapResponse uint8 = 4 // the guest's response was invalid or too large
	TrapTimeout  uint8 = 5 // the request's wall-clock timeout stopped the guest
)

// maxViaLen bounds the forwarding gateway's address and signature.
const (
	maxViaLen    = 128
	maxViaSigLen = 128
)

// Receipt is what a replica did for one request, or for one instance
// start-up (Index 0: the module's _initialize, no request, no response).
//
// Requests to one instance run one after another, and a warm instance's
// memory carries from one request to the next, so a request can only be
// re-executed after the ones before it on the same instance: Prev chains
// each receipt to the previous one of its instance, back to the start-up.
// Nodes start fresh instances at each epoch, so a chain never spans epochs.
type Receipt struct {
	LeaseID uint64
	// ModuleHash is the SHA-256 of the module as uploaded (before the node
	// instrumented it); Meter is the fuel instrumenter and cost table
	// version (node/fuel.Version) it ran under.
	ModuleHash Hash
	Meter      uint32
	// Instance numbers the lease's instances within the epoch; Index is
	// this receipt's position in its instance's history (0 = start-up).
	Instance uint64
	Index    uint64
	// Prev is the hash of the receipt before this one on the same instance
	// (zero at Index 0).
	Prev Hash
	// TimeUnixNano is the request's recorded time: the guest's wall clock
	// reads it (plus a fixed step per read). Seed seeds the guest's
	// randomness. Both are replayed by an auditor.
	TimeUnixNano int64
	Seed         Hash
	// RequestHash is the SHA-256 of the request as encoded for the guest
	// (zero at Index 0). TapeHash is the SHA-256 of the host-call tape: what
	// the host answered the guest where the answer was not a function of
	// the request (kv reads, egress responses), in call order.
	RequestHash Hash
	TapeHash    Hash
	// ResponseHash is the SHA-256 of the response the guest wrote (zero if
	// it wrote none). Trap says how the call ended.
	ResponseHash Hash
	Trap         uint8
	// Fuel is what the guest used; EgressBytes what it sent to egress hosts
	// and the caller.
	Fuel        uint64
	EgressBytes uint64
	// Via is the sharer account whose gateway forwarded the request (empty
	// if it entered through this node's own gateway), and ViaSig that
	// node's hot key signature over ForwardDigest(LeaseID, RequestHash,
	// TimeUnixNano): another sharer vouches the request came from outside.
	Via    string
	ViaSig []byte
}

// IsRequest reports whether r is a request (not an instance start-up).
func (r Receipt) IsRequest() bool { return r.Index > 0 }

// fixedSize is the encoded size of a receipt without Via and ViaSig.
const fixedSize = 1 + 8 + HashSize + 4 + 8 + 8 + HashSize + 8 + 4*HashSize + 1 + 8 + 8

// Marshal encodes r: a version byte, then every field in order, integers
// big-endian, Via and ViaSig each with a 2-byte length.
func (r Receipt) Marshal() []byte {
	b := make([]byte, 0, fixedSize+4+len(r.Via)+len(r.ViaSig))
	b = append(b, Version)
	b = binary.BigEndian.AppendUint64(b, r.LeaseID)
	b = append(b, r.ModuleHash[:]...)
	b = binary.BigEndian.AppendUint32(b, r.Meter)
	b = binary.BigEndian.AppendUint64(b, r.Instance)
	b = binary.BigEndian.AppendUint64(b, r.Index)
	b = append(b, r.Prev[:]...)
	b = binary.BigEndian.AppendUint64(b, uint64(r.TimeUnixNano))
	b = append(b, r.Seed[:]...)
	b = append(b, r.RequestHash[:]...)
	b = append(b, r.TapeHash[:]...)
	b = append(b, r.ResponseHash[:]...)
	b = append(b, r.Trap)
	b = binary.BigEndian.AppendUint64(b, r.Fuel)
	b = binary.BigEndian.AppendUint64(b, r.EgressBytes)
	b = binary.BigEndian.AppendUint16(b, uint16(len(r.Via)))
	b = append(b, r.Via...)
	b = binary.BigEndian.AppendUint16(b, uint16(len(r.ViaSig)))
	b = append(b, r.ViaSig...)
	return b
}

// Unmarshal decodes what Marshal wrote, refusing anything else: a wrong
// version, a short or long input, an oversized Via or ViaSig.
func Unmarshal(b []byte) (Receipt, error) {
	var r Receipt
	if len(b) < fixedSize+4 {
		return r, fmt.Errorf("receipt: %d bytes, want at least %d", len(b), fixedSize+4)
	}
	if b[0] != Version {
		return r, fmt.Errorf("receipt: version %d, want %d", b[0], Version)
	}
	d := decoder{b: b[1:]}
	r.LeaseID = d.u64()
	d.hash(&r.ModuleHash)
	r.Meter = d.u32()
	r.Instance = d.u64()
	r.Index = d.u64()
	d.hash(&r.Prev)
	r.TimeUnixNano = int64(d.u64())
	d.hash(&r.Seed)
	d.hash(&r.RequestHash)
	d.hash(&r.TapeHash)
	d.hash(&r.ResponseHash)
	r.Trap = d.u8()
	r.Fuel = d.u64()
	r.EgressBytes = d.u64()
	via, err := d.bytes(maxViaLen, "via")
	if err != nil {
		return Receipt{}, err
	}
	r.Via = string(via)
	sig, err := d.bytes(maxViaSigLen, "via signature")
	if err != nil {
		return Receipt{}, err
	}
	if len(sig) > 0 {
		r.ViaSig = append([]byte(nil), sig...)
	}
	if len(d.b) != 0 {
		return Receipt{}, fmt.Errorf("receipt: %d trailing bytes", len(d.b))
	}
	if err := r.Validate(); err != nil {
		return Receipt{}, err
	}
	return r, nil
}

// Validate checks what a well-formed receipt must satisfy on its own.
func (r Receipt) Validate() error {
	switch {
	case len(r.Via) > maxViaLen:
		return fmt.Errorf("receipt: via is %d bytes, at most %d", len(r.Via), maxViaLen)
	case len(r.ViaSig) > maxViaSigLen:
		return fmt.Errorf("receipt: via signature is %d bytes, at most %d", len(r.ViaSig), maxViaSigLen)
	case (r.Via == "") != (len(r.ViaSig) == 0):
		return errors.New("receipt: via and its signature come together")
	case r.Trap > TrapTimeout:
		return fmt.Errorf("receipt: unknown trap code %d", r.Trap)
	case r.Index == 0 && (r.Prev != Hash{} || r.RequestHash != Hash{} || r.Via != ""):
		return errors.New("receipt: a start-up receipt (index 0) has no previous receipt, request or via")
	case r.Index > 0 && r.RequestHash == Hash{}:
		return fmt.Errorf("receipt: request receipt (index %d) without a request hash", r.Index)
	}
	return nil
}

// Hash is the receipt's identity: SHA-256 over a domain tag and Marshal.
func (r Receipt) Hash() Hash {
	h := sha256.New()
	h.Write([]byte("q1/receipt/v1\x00"))
	h.Write(r.Marshal())
	var out Hash
	h.Sum(out[:0])
	return out
}

// Leaf is the receipt's leaf in its lease's tree.
func (r Receipt) Leaf() Sum {
	s := Sum{Leaves: 1, Fuel: r.Fuel, Egress: r.EgressBytes}
	if r.IsRequest() {
		s.Requests = 1
	}
	s.Hash = leafHash(r.Hash(), s)
	return s
}

// ForwardDigest is what a forwarding gateway signs for a request it passes
// to another node: the lease, the encoded request's hash and its recorded
// time.
func ForwardDigest(leaseID uint64, requestHash Hash, timeUnixNano int64) Hash {
	b := make([]byte, 0, 16+8+HashSize+8)
	b = append(b, "q1/forward/v1\x00"...)
	b = binary.BigEndian.AppendUint64(b, leaseID)
	b = append(b, requestHash[:]...)
	b = binary.BigEndian.AppendUint64(b, uint64(timeUnixNano))
	return sha256.Sum256(b)
}

// SeedFor is the randomness seed of request index on instance of a lease:
// public, so a guest must not derive secrets from it.
func SeedFor(leaseID, epoch, instance, index uint64) Hash {
	b := make([]byte, 0, 13+32)
	b = append(b, "q1/seed/v1\x00"...)
	b = binary.BigEndian.AppendUint64(b, leaseID)
	b = binary.BigEndian.AppendUint64(b, epoch)
	b = binary.BigEndian.AppendUint64(b, instance)
	b = binary.BigEndian.AppendUint64(b, index)
	return sha256.Sum256(b)
}

type decoder struct{ b []byte }

func (d *decoder) u8() uint8 {
	v := d.b[0]
	d.b = d.b[1:]
	return v
}

func (d *decoder) u32() uint32 {
	v := binary.BigEndian.Uint32(d.b)
	d.b = d.b[4:]
	return v
}

func (d *decoder) u64() uint64 {
	v := binary.BigEndian.Uint64(d.b)
	d.b = d.b[8:]
	return v
}

func (d *decoder) hash(h *Hash) {
	copy(h[:], d.b)
	d.b = d.b[HashSize:]
}

func (d *decoder) bytes(limit int, what string) ([]byte, error) {
	if len(d.b) < 2 {
		return nil, fmt.Errorf("receipt: truncated before the %s length", what)
	}
	n := int(binary.BigEndian.Uint16(d.b))
	d.b = d.b[2:]
	if n > limit {
		return nil, fmt.Errorf("receipt: %s is %d bytes, at most %d", what, n, limit)
	}
	if len(d.b) < n {
		return nil, fmt.Errorf("receipt: truncated in the %s (%d of %d bytes)", what, len(d.b), n)
	}
	v := d.b[:n]
	d.b = d.b[n:]
	return v, nil
}
