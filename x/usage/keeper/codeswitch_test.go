package keeper_test

import (
	"bytes"
	"encoding/hex"
	"testing"
)

// TestReplacedCodeValidThroughTheNextEpoch: the code an update replaced is
// accepted in audits of the epoch it was replaced in and of the epoch
// after, not later. A node serves the old code until the new one is warm
// and it has seen the update committed; an update activated late in an
// epoch (or in its first block) has honest nodes serving the old code into
// the next epoch, and refusing those receipts forfeited their audits and
// slashed them.
func TestReplacedCodeValidThroughTheNextEpoch(t *testing.T) {
	f := newFixture(t)
	f.service("svc", 1_000_000, svcOpts{})
	hash := func(b byte) (string, []byte) {
		h := bytes.Repeat([]byte{b}, 32)
		return "sha256:" + hex.EncodeToString(h), h
	}
	oldWasm, oldHash := hash(0xaa)
	newWasm, newHash := hash(0xbb)
	// Epochs of 10 blocks: 0 is [1, 10], 1 is [11, 20], ... The update
	// activates in the first block of epoch 2.
	for end := int64(10); end <= 60; end += 10 {
		f.sharers.advance(end)
	}
	f.services.versions = map[string][]fakeVersion{"svc": {{activated: 1, wasm: oldWasm}, {activated: 21, wasm: newWasm}}}
	for _, c := range []struct {
		epoch    uint64
		old, new bool
	}{
		{1, true, false},
		{2, true, true}, // activated in its first block; nodes still ran the old code
		{3, true, true}, // the epoch after: a node may still be compiling the new code
		{4, false, true},
	} {
		hs, err := f.k.ModuleHashes(f.ctx, "svc", c.epoch)
		if err != nil {
			t.Fatal(err)
		}
		if got := containsHash(hs, oldHash); got != c.old {
			t.Errorf("epoch %d: old code accepted %v, want %v (%x)", c.epoch, got, c.old, hs)
		}
		if got := containsHash(hs, newHash); got != c.new {
			t.Errorf("epoch %d: new code accepted %v, want %v (%x)", c.epoch, got, c.new, hs)
		}
	}
}

func containsHash(list [][]byte, h []byte) bool {
	for _, x := range list {
		if bytes.Equal(x, h) {
			return true
		}
	}
	return false
}
