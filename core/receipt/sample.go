package receipt

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
)

// SampleSeed is the seed of one committed entry's audit: the hash of a
// block committed after the report (so the sharer could not know it when
// it committed its root), and the entry it applies to.
func SampleSeed(blockHash []byte, sharer string, epoch, leaseID uint64, root Hash) Hash {
	h := sha256.New()
	h.Write([]byte("q1/sample/v1\x00"))
	var n [8]byte
	binary.BigEndian.PutUint64(n[:], uint64(len(blockHash)))
	h.Write(n[:])
	h.Write(blockHash)
	binary.BigEndian.PutUint64(n[:], uint64(len(sharer)))
	h.Write(n[:])
	h.Write([]byte(sharer))
	binary.BigEndian.PutUint64(n[:], epoch)
	h.Write(n[:])
	binary.BigEndian.PutUint64(n[:], leaseID)
	h.Write(n[:])
	h.Write(root[:])
	var out Hash
	h.Sum(out[:0])
	return out
}

// prf is the seed's i-th pseudo-random number for purpose tag.
func prf(seed Hash, tag byte, i uint64) uint64 {
	var b [HashSize + 1 + 8]byte
	copy(b[:], seed[:])
	b[HashSize] = tag
	binary.BigEndian.PutUint64(b[HashSize+1:], i)
	d := sha256.Sum256(b[:])
	return binary.BigEndian.Uint64(d[:8])
}

// below is a number in [0, n) from the seed, n > 0. The modulo's bias is
// below n/2⁶⁴: for any n a tree can have, negligible.
func below(seed Hash, tag byte, i, n uint64) uint64 { return prf(seed, tag, i) % n }

// Chosen reports whether the entry with this seed is audited, with
// probability num/den (num ≥ den: always; num 0: never).
func Chosen(seed Hash, num, den uint64) bool {
	switch {
	case num == 0:
		return false
	case num >= den:
		return true
	}
	return below(seed, 'p', 0, den) < num
}

// Draw is one sample of an audited entry: a fuel point (Weighted) whose
// leaf must be shown, or a leaf index drawn uniformly.
type Draw struct {
	Weighted bool
	Point    uint64 // the fuel point, if Weighted
	Index    uint64 // the leaf index, if not
}

func (d Draw) String() string {
	if d.Weighted {
		return fmt.Sprintf("the receipt holding fuel point %d", d.Point)
	}
	return fmt.Sprintf("receipt %d", d.Index)
}

// Draws picks an audited entry's samples: weighted points drawn in
// proportion to fuel (a receipt's chance of being picked is its share of
// the fuel, so inflating any receipt's fuel raises its own chance of being
// checked), and uniform leaf indices (so receipts that claim little fuel
// are checked too). An entry whose receipts used no fuel gets only uniform
// draws, as many as both; an empty tree gets none. Draws may repeat a
// receipt; a sharer proves each distinct one once.
func Draws(seed Hash, root Sum, weighted, uniform int) []Draw {
	if root.Leaves == 0 {
		return nil
	}
	if root.Fuel == 0 {
		uniform += weighted
		weighted = 0
	}
	out := make([]Draw, 0, weighted+uniform)
	for i := 0; i < weighted; i++ {
		out = append(out, Draw{Weighted: true, Point: below(seed, 'w', uint64(i), root.Fuel)})
	}
	for i := 0; i < uniform; i++ {
		out = append(out, Draw{Index: below(seed, 'u', uint64(i), root.Leaves)})
	}
	return out
}

// Covers reports whether the leaf number index, whose fuel offset (from
// VerifyProof) is offset, satisfies the draw.
func (d Draw) Covers(index, offset uint64, leaf Sum) bool {
	if !d.Weighted {
		return index == d.Index
	}
	return offset <= d.Point && d.Point-offset < leaf.Fuel
}

// Pick chooses k distinct positions among n candidates from the seed (a
// partial Fisher–Yates shuffle): the auditors of an audit, from a list the
// caller sorted. Fewer than k candidates: all of them.
func Pick(seed Hash, n, k int) []int {
	if n <= 0 || k <= 0 {
		return nil
	}
	k = min(k, n)
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	for i := 0; i < k; i++ {
		j := i + int(below(seed, 'a', uint64(i), uint64(n-i)))
		idx[i], idx[j] = idx[j], idx[i]
	}
	return idx[:k]
}

// Commitment is what an auditor commits before revealing its verdict: it
// binds the audit, the auditor, the verdict and a secret salt, so no
// auditor can copy another's verdict after seeing its commitment.
func Commitment(auditID uint64, auditor string, verdict uint32, resultHash Hash, salt []byte) (Hash, error) {
	if len(salt) < 16 || len(salt) > 64 {
		return Hash{}, errors.New("commitment: the salt must be 16 to 64 bytes")
	}
	h := sha256.New()
	h.Write([]byte("q1/audit-commit/v1\x00"))
	var n [8]byte
	binary.BigEndian.PutUint64(n[:], auditID)
	h.Write(n[:])
	binary.BigEndian.PutUint64(n[:], uint64(len(auditor)))
	h.Write(n[:])
	h.Write([]byte(auditor))
	binary.BigEndian.PutUint32(n[:4], verdict)
	h.Write(n[:4])
	h.Write(resultHash[:])
	h.Write(salt)
	var out Hash
	h.Sum(out[:0])
	return out, nil
}
