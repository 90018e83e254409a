package receipt

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"math/bits"
	"sort"
)

// Sum is a node of a Merkle-sum tree: its hash, and the totals of the
// leaves below it. Each inner node's hash covers its children's hashes and
// totals, so a root's totals are bound to its hash: a report cannot claim
// totals its receipts do not add up to, and a proof cannot move a leaf's
// fuel.
type Sum struct {
	Hash     Hash
	Leaves   uint64 // receipts below
	Fuel     uint64
	Requests uint64 // request receipts below (start-ups are not requests)
	Egress   uint64 // bytes
}

// SumSize is the encoded size of a Sum.
const SumSize = HashSize + 4*8

// Marshal encodes s: its hash, then its totals, big-endian.
func (s Sum) Marshal() []byte { return s.append(make([]byte, 0, SumSize)) }

func (s Sum) append(b []byte) []byte {
	b = append(b, s.Hash[:]...)
	b = binary.BigEndian.AppendUint64(b, s.Leaves)
	b = binary.BigEndian.AppendUint64(b, s.Fuel)
	b = binary.BigEndian.AppendUint64(b, s.Requests)
	return binary.BigEndian.AppendUint64(b, s.Egress)
}

// UnmarshalSum decodes what Sum.Marshal wrote.
func UnmarshalSum(b []byte) (Sum, error) {
	if len(b) != SumSize {
		return Sum{}, fmt.Errorf("tree node: %d bytes, want %d", len(b), SumSize)
	}
	var s Sum
	copy(s.Hash[:], b)
	b = b[HashSize:]
	s.Leaves = binary.BigEndian.Uint64(b)
	s.Fuel = binary.BigEndian.Uint64(b[8:])
	s.Requests = binary.BigEndian.Uint64(b[16:])
	s.Egress = binary.BigEndian.Uint64(b[24:])
	return s, nil
}

// MarshalProof encodes a proof as its nodes back to back.
func MarshalProof(proof []Sum) []byte {
	b := make([]byte, 0, len(proof)*SumSize)
	for _, s := range proof {
		b = s.append(b)
	}
	return b
}

// MaxProofLen is the longest proof of a tree: one node per level.
const MaxProofLen = 64

// UnmarshalProof decodes what MarshalProof wrote.
func UnmarshalProof(b []byte) ([]Sum, error) {
	if len(b)%SumSize != 0 {
		return nil, fmt.Errorf("proof: %d bytes is not a whole number of %d-byte nodes", len(b), SumSize)
	}
	if len(b)/SumSize > MaxProofLen {
		return nil, fmt.Errorf("proof: %d nodes, at most %d", len(b)/SumSize, MaxProofLen)
	}
	proof := make([]Sum, 0, len(b)/SumSize)
	for ; len(b) > 0; b = b[SumSize:] {
		s, _ := UnmarshalSum(b[:SumSize])
		proof = append(proof, s)
	}
	return proof, nil
}

// ErrOverflow is returned when totals do not fit in 64 bits.
var ErrOverflow = errors.New("receipt tree: totals overflow 64 bits")

func leafHash(receipt Hash, s Sum) Hash {
	b := make([]byte, 0, 1+HashSize+24)
	b = append(b, 0)
	b = append(b, receipt[:]...)
	b = binary.BigEndian.AppendUint64(b, s.Fuel)
	b = binary.BigEndian.AppendUint64(b, s.Requests)
	b = binary.BigEndian.AppendUint64(b, s.Egress)
	return sha256.Sum256(b)
}

// join is the parent of l and r.
func join(l, r Sum) (Sum, error) {
	var p Sum
	var c1, c2, c3, c4 uint64
	p.Leaves, c1 = bits.Add64(l.Leaves, r.Leaves, 0)
	p.Fuel, c2 = bits.Add64(l.Fuel, r.Fuel, 0)
	p.Requests, c3 = bits.Add64(l.Requests, r.Requests, 0)
	p.Egress, c4 = bits.Add64(l.Egress, r.Egress, 0)
	if c1|c2|c3|c4 != 0 {
		return Sum{}, ErrOverflow
	}
	b := make([]byte, 0, 1+2*SumSize)
	b = append(b, 1)
	b = l.append(b)
	b = r.append(b)
	p.Hash = sha256.Sum256(b)
	return p, nil
}

// Tree is a Merkle-sum tree over one lease's receipts in an epoch, in the
// order the node lists them. Its shape is RFC 6962's (a tree of n leaves
// splits at the largest power of two below n), so a proof has at most
// ⌈log₂ n⌉ nodes.
type Tree struct {
	leaves []Sum
	fuelAt []uint64 // fuelAt[i]: fuel of the leaves before i
	nodes  map[[2]uint64]Sum
	root   Sum
}

// Build builds the tree over leaves (Receipt.Leaf of each receipt). An
// empty tree has the zero Sum as its root.
func Build(leaves []Sum) (*Tree, error) {
	t := &Tree{leaves: leaves, fuelAt: make([]uint64, len(leaves)), nodes: make(map[[2]uint64]Sum)}
	var fuel uint64
	for i, l := range leaves {
		if l.Leaves != 1 || l.Requests > 1 {
			return nil, fmt.Errorf("receipt tree: leaf %d is not a leaf (%d leaves, %d requests)", i, l.Leaves, l.Requests)
		}
		t.fuelAt[i] = fuel
		var c uint64
		if fuel, c = bits.Add64(fuel, l.Fuel, 0); c != 0 {
			return nil, ErrOverflow
		}
	}
	if len(leaves) == 0 {
		return t, nil
	}
	root, err := t.subtree(0, uint64(len(leaves)))
	if err != nil {
		return nil, err
	}
	t.root = root
	return t, nil
}

// subtree is the root of leaves[lo:hi], hi > lo.
func (t *Tree) subtree(lo, hi uint64) (Sum, error) {
	if hi-lo == 1 {
		return t.leaves[lo], nil
	}
	if s, ok := t.nodes[[2]uint64{lo, hi}]; ok {
		return s, nil
	}
	k := split(hi - lo)
	l, err := t.subtree(lo, lo+k)
	if err != nil {
		return Sum{}, err
	}
	r, err := t.subtree(lo+k, hi)
	if err != nil {
		return Sum{}, err
	}
	s, err := join(l, r)
	if err != nil {
		return Sum{}, err
	}
	t.nodes[[2]uint64{lo, hi}] = s
	return s, nil
}

// split is the largest power of two below n (n ≥ 2).
func split(n uint64) uint64 { return 1 << (bits.Len64(n-1) - 1) }

// Root is the tree's root: its hash and totals, what a report commits.
func (t *Tree) Root() Sum { return t.root }

// Len is the number of leaves.
func (t *Tree) Len() int { return len(t.leaves) }

// Proof is the inclusion proof of leaf i: the siblings on its path, from
// the leaf up.
func (t *Tree) Proof(i uint64) ([]Sum, error) {
	n := uint64(len(t.leaves))
	if i >= n {
		return nil, fmt.Errorf("receipt tree: leaf %d of %d", i, n)
	}
	var path []Sum
	lo, hi := uint64(0), n
	for hi-lo > 1 {
		k := split(hi - lo)
		if i < lo+k {
			s, _ := t.subtree(lo+k, hi)
			path = append(path, s)
			hi = lo + k
		} else {
			s, _ := t.subtree(lo, lo+k)
			path = append(path, s)
			lo += k
		}
	}
	// Collected from the root down; a proof lists them from the leaf up.
	for a, b := 0, len(path)-1; a < b; a, b = a+1, b-1 {
		path[a], path[b] = path[b], path[a]
	}
	return path, nil
}

// AtFuel is the leaf whose fuel range [before, before+fuel) holds point,
// for a point below the root's fuel.
func (t *Tree) AtFuel(point uint64) (uint64, error) {
	if point >= t.root.Fuel {
		return 0, fmt.Errorf("receipt tree: fuel point %d beyond the tree's %d", point, t.root.Fuel)
	}
	i := sort.Search(len(t.fuelAt), func(i int) bool { return t.fuelAt[i] > point }) - 1
	// fuelAt[i] ≤ point < fuelAt[i+1] (or the root's fuel): leaf i used
	// fuel, and point is within it. Leaves that used none hold no point.
	return uint64(i), nil
}

// VerifyProof checks that leaf is leaf number index of the tree whose root
// is root, through proof (RFC 9162 §2.1.3.2, with sums), and returns the
// fuel of the leaves before it: the leaf covers fuel points [offset,
// offset+leaf.Fuel).
func VerifyProof(root Sum, index uint64, leaf Sum, proof []Sum) (offset uint64, err error) {
	if leaf.Leaves != 1 || leaf.Requests > 1 {
		return 0, errors.New("proof: the proven node is not a leaf")
	}
	if index >= root.Leaves {
		return 0, fmt.Errorf("proof: leaf %d of a tree of %d", index, root.Leaves)
	}
	if len(proof) > MaxProofLen {
		return 0, fmt.Errorf("proof: %d nodes, at most %d", len(proof), MaxProofLen)
	}
	fn, sn := index, root.Leaves-1
	r := leaf
	for _, p := range proof {
		if sn == 0 {
			return 0, errors.New("proof: longer than the path to the root")
		}
		if fn&1 == 1 || fn == sn {
			if r, err = join(p, r); err != nil {
				return 0, err
			}
			if offset, err = add(offset, p.Fuel); err != nil {
				return 0, err
			}
			for fn&1 == 0 && fn != 0 {
				fn >>= 1
				sn >>= 1
			}
		} else if r, err = join(r, p); err != nil {
			return 0, err
		}
		fn >>= 1
		sn >>= 1
	}
	if sn != 0 {
		return 0, errors.New("proof: shorter than the path to the root")
	}
	if r != root {
		return 0, errors.New("proof: does not lead to the committed root (the receipt, its position or a total differs)")
	}
	return offset, nil
}

func add(a, b uint64) (uint64, error) {
	s, c := bits.Add64(a, b, 0)
	if c != 0 {
		return 0, ErrOverflow
	}
	return s, nil
}
