package receipt

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"strings"
	"testing"
)

func sample(lease, instance, index, fuel uint64) Receipt {
	r := Receipt{
		LeaseID: lease, ModuleHash: sha256.Sum256([]byte("module")), Meter: 1,
		Instance: instance, Index: index, TimeUnixNano: 1_700_000_000_000_000_000 + int64(index),
		Seed: SeedFor(lease, 7, instance, index), Fuel: fuel, EgressBytes: 10 * index,
		ResponseHash: sha256.Sum256([]byte("response")),
	}
	if index > 0 {
		r.Prev = sha256.Sum256([]byte{byte(index - 1)})
		r.RequestHash = sha256.Sum256([]byte{byte(index)})
		r.TapeHash = sha256.Sum256(nil)
	}
	return r
}

func TestReceiptRoundTrip(t *testing.T) {
	for _, r := range []Receipt{
		sample(1, 0, 0, 500),
		sample(9, 3, 4, 12345),
		func() Receipt {
			r := sample(2, 1, 2, 9)
			r.Via, r.ViaSig = "q1gateway", []byte{1, 2, 3}
			r.Trap = TrapFuel
			return r
		}(),
	} {
		b := r.Marshal()
		got, err := Unmarshal(b)
		if err != nil {
			t.Fatalf("Unmarshal(Marshal(%+v)): %v", r, err)
		}
		if !bytes.Equal(got.Marshal(), b) || got.Hash() != r.Hash() {
			t.Fatalf("round trip changed the receipt:\n%+v\n%+v", r, got)
		}
	}
	a, b := sample(1, 0, 1, 5), sample(1, 0, 1, 6)
	if a.Hash() == b.Hash() {
		t.Fatal("receipts differing in fuel hash alike")
	}
}

func TestUnmarshalRefuses(t *testing.T) {
	good := sample(1, 0, 1, 5)
	b := good.Marshal()
	withVia := good
	withVia.Via, withVia.ViaSig = "q1x", []byte{1}
	noSig := good
	noSig.Via = "q1x"
	startup := sample(1, 0, 0, 5)
	startup.RequestHash = sha256.Sum256([]byte("x"))
	noReq := good
	noReq.RequestHash = Hash{}
	badTrap := good
	badTrap.Trap = 9
	for _, c := range []struct {
		name string
		in   []byte
		want string
	}{
		{"short", b[:40], "receipt: 40 bytes, want at least"},
		{"version", append([]byte{2}, b[1:]...), "receipt: version 2, want 1"},
		{"trailing", append(append([]byte(nil), b...), 0), "receipt: 1 trailing bytes"},
		{"truncated via", withVia.Marshal()[:len(withVia.Marshal())-4], "receipt: truncated in the via"},
		{"via without signature", noSig.Marshal(), "via and its signature come together"},
		{"start-up with a request", startup.Marshal(), "a start-up receipt (index 0) has no previous receipt, request or via"},
		{"request without hash", noReq.Marshal(), "request receipt (index 1) without a request hash"},
		{"unknown trap", badTrap.Marshal(), "unknown trap code 9"},
	} {
		_, err := Unmarshal(c.in)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want %q", c.name, err, c.want)
		}
	}
}

func leaves(n int) []Sum {
	out := make([]Sum, n)
	for i := range out {
		r := sample(4, uint64(i/5), uint64(i%5), uint64(i*i%7)) // some leaves use no fuel
		out[i] = r.Leaf()
	}
	return out
}

func TestTreeProofs(t *testing.T) {
	for n := 1; n <= 40; n++ {
		ls := leaves(n)
		tr, err := Build(ls)
		if err != nil {
			t.Fatal(err)
		}
		root := tr.Root()
		var fuel, reqs, egress uint64
		for _, l := range ls {
			fuel, reqs, egress = fuel+l.Fuel, reqs+l.Requests, egress+l.Egress
		}
		if root.Leaves != uint64(n) || root.Fuel != fuel || root.Requests != reqs || root.Egress != egress {
			t.Fatalf("n=%d: root totals %+v, want %d leaves, fuel %d, requests %d, egress %d", n, root, n, fuel, reqs, egress)
		}
		var before uint64
		for i := range ls {
			proof, err := tr.Proof(uint64(i))
			if err != nil {
				t.Fatal(err)
			}
			got, _ := UnmarshalProof(MarshalProof(proof))
			off, err := VerifyProof(root, uint64(i), ls[i], got)
			if err != nil {
				t.Fatalf("n=%d leaf %d: %v", n, i, err)
			}
			if off != before {
				t.Fatalf("n=%d leaf %d: offset %d, want %d", n, i, off, before)
			}
			before += ls[i].Fuel
			// Another leaf, another position, or a leaf with more fuel fails.
			if n > 1 {
				if _, err := VerifyProof(root, uint64(i), ls[(i+1)%n], proof); err == nil {
					t.Fatalf("n=%d: leaf %d's proof accepted leaf %d", n, i, (i+1)%n)
				}
				if _, err := VerifyProof(root, uint64((i+1)%n), ls[i], proof); err == nil {
					t.Fatalf("n=%d: leaf %d's proof accepted at position %d", n, i, (i+1)%n)
				}
			}
			inflated := ls[i]
			inflated.Fuel++
			if _, err := VerifyProof(root, uint64(i), inflated, proof); err == nil {
				t.Fatalf("n=%d: leaf %d accepted with more fuel", n, i)
			}
			if len(proof) > 0 {
				lied := append([]Sum(nil), proof...)
				lied[0].Fuel++
				if _, err := VerifyProof(root, uint64(i), ls[i], lied); err == nil {
					t.Fatalf("n=%d: leaf %d accepted with a sibling's fuel changed", n, i)
				}
				if _, err := VerifyProof(root, uint64(i), ls[i], proof[:len(proof)-1]); err == nil {
					t.Fatalf("n=%d: leaf %d accepted with a short proof", n, i)
				}
			}
			if _, err := VerifyProof(root, uint64(i), ls[i], append(append([]Sum(nil), proof...), root)); err == nil {
				t.Fatalf("n=%d: leaf %d accepted with a long proof", n, i)
			}
		}
	}
}

func TestDrawsAreCoveredByTheLeafAtThePoint(t *testing.T) {
	ls := leaves(29)
	tr, _ := Build(ls)
	root := tr.Root()
	for s := byte(0); s < 20; s++ {
		seed := SampleSeed([]byte{s}, "q1sharer", 3, 4, root.Hash)
		draws := Draws(seed, root, 8, 2)
		if len(draws) != 10 {
			t.Fatalf("%d draws, want 10", len(draws))
		}
		for _, d := range draws {
			i := d.Index
			if d.Weighted {
				var err error
				if i, err = tr.AtFuel(d.Point); err != nil {
					t.Fatal(err)
				}
			}
			proof, _ := tr.Proof(i)
			off, err := VerifyProof(root, i, ls[i], proof)
			if err != nil {
				t.Fatal(err)
			}
			if !d.Covers(i, off, ls[i]) {
				t.Fatalf("%v not covered by leaf %d (offset %d, fuel %d)", d, i, off, ls[i].Fuel)
			}
			if d.Weighted && ls[i].Fuel == 0 {
				t.Fatalf("%v landed on leaf %d, which used no fuel", d, i)
			}
			if d.Weighted && i > 0 && d.Covers(i-1, off-ls[i-1].Fuel, ls[i-1]) {
				t.Fatalf("%v also covered by leaf %d", d, i-1)
			}
		}
		if again := Draws(seed, root, 8, 2); len(again) != len(draws) || again[0] != draws[0] || again[9] != draws[9] {
			t.Fatal("draws are not a function of the seed")
		}
	}
	zero := Sum{Leaves: 3}
	if d := Draws(Hash{}, zero, 2, 1); len(d) != 3 || d[0].Weighted {
		t.Fatalf("no fuel: %v, want 3 uniform draws", d)
	}
	if d := Draws(Hash{}, Sum{}, 2, 1); d != nil {
		t.Fatalf("empty tree: %v", d)
	}
}

func TestWeightedDrawsFollowFuel(t *testing.T) {
	// One receipt holds 90% of the fuel: about 90% of weighted draws land on it.
	ls := []Sum{sample(1, 0, 1, 10).Leaf(), sample(1, 0, 2, 900).Leaf(), sample(1, 0, 3, 90).Leaf()}
	tr, _ := Build(ls)
	hits := 0
	const n = 2000
	for s := 0; s < n/10; s++ {
		for _, d := range Draws(SampleSeed([]byte{byte(s), byte(s >> 8)}, "x", 1, 1, tr.Root().Hash), tr.Root(), 10, 0) {
			if i, _ := tr.AtFuel(d.Point); i == 1 {
				hits++
			}
		}
	}
	if hits < n*85/100 || hits > n*95/100 {
		t.Fatalf("the 90%% receipt was drawn %d of %d times", hits, n)
	}
}

func TestOverflowRefused(t *testing.T) {
	a, b := sample(1, 0, 1, ^uint64(0)).Leaf(), sample(1, 0, 2, 1).Leaf()
	if _, err := Build([]Sum{a, b}); !errors.Is(err, ErrOverflow) {
		t.Fatalf("Build: %v, want ErrOverflow", err)
	}
}

func TestChosenAndPick(t *testing.T) {
	if Chosen(Hash{}, 0, 1) || !Chosen(Hash{}, 1, 1) || !Chosen(Hash{}, 3, 2) {
		t.Fatal("Chosen's edges")
	}
	chosen := 0
	for i := 0; i < 1000; i++ {
		if Chosen(SeedFor(uint64(i), 0, 0, 0), 1, 4) {
			chosen++
		}
	}
	if chosen < 200 || chosen > 300 {
		t.Fatalf("1/4 chose %d of 1000", chosen)
	}
	for n := 0; n < 8; n++ {
		got := Pick(SeedFor(uint64(n), 1, 2, 3), n, 3)
		if len(got) != min(n, 3) {
			t.Fatalf("Pick(%d, 3): %v", n, got)
		}
		seen := map[int]bool{}
		for _, i := range got {
			if i < 0 || i >= n || seen[i] {
				t.Fatalf("Pick(%d, 3): %v", n, got)
			}
			seen[i] = true
		}
	}
}

func TestCommitment(t *testing.T) {
	salt := bytes.Repeat([]byte{7}, 16)
	a, err := Commitment(1, "q1a", 1, Hash{}, salt)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := Commitment(1, "q1a", 2, Hash{}, salt)
	c, _ := Commitment(1, "q1b", 1, Hash{}, salt)
	if a == b || a == c {
		t.Fatal("commitment does not bind the verdict and the auditor")
	}
	if _, err := Commitment(1, "q1a", 1, Hash{}, salt[:8]); err == nil {
		t.Fatal("short salt accepted")
	}
}
