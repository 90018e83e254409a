package audit

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/cosmos/cosmos-sdk/crypto/keys/secp256k1"

	q1client "github.com/quantum1net/q1/client"
	"github.com/quantum1net/q1/core/receipt"
	"github.com/quantum1net/q1/node/gateway"
	"github.com/quantum1net/q1/sdk/guest/abi"
)

type keys map[string][]byte

func (k keys) PubKey(s string) ([]byte, error) {
	if p, ok := k[s]; ok {
		return p, nil
	}
	return nil, errors.New("unknown sharer")
}

const forwarder = "q1forwarder"

var fwdKey = secp256k1.GenPrivKeyFromSecret([]byte("forwarder"))

// testHistory is instance 2 of lease 9 in epoch 4, n requests after its
// start-up; request 1 was forwarded (and co-signed).
func testHistory(t *testing.T, n int) ([]receipt.Receipt, []q1client.AuditItem) {
	t.Helper()
	var rs []receipt.Receipt
	var items []q1client.AuditItem
	var prev receipt.Hash
	for i := 0; i <= n; i++ {
		r := receipt.Receipt{LeaseID: 9, Instance: 2, Index: uint64(i), Prev: prev, TimeUnixNano: int64(1000 + i),
			Seed: receipt.SeedFor(9, 4, 2, uint64(i)), Fuel: uint64(50 * (i + 1)), EgressBytes: 3}
		var req, tape []byte
		if i > 0 {
			ar := abi.Request{Method: "POST", Target: fmt.Sprintf("/n/%d", i), Host: "svc", Body: []byte("body")}
			req = abi.AppendRequest(nil, &ar)
			tape = fmt.Appendf(nil, "tape %d", i)
			r.RequestHash, r.TapeHash = sha256.Sum256(req), sha256.Sum256(tape)
			if i == 1 {
				sig, err := gateway.SignForward(fwdKey, 9, gateway.ForwardHash("POST", "/n/1", []byte("body")), r.TimeUnixNano)
				if err != nil {
					t.Fatal(err)
				}
				r.Via, r.ViaSig = forwarder, sig
			}
		}
		rs = append(rs, r)
		items = append(items, q1client.AuditItem{Receipt: r.Marshal(), Request: req, Tape: tape})
		prev = r.Hash()
	}
	return rs, items
}

var pubs = keys{forwarder: fwdKey.PubKey().Bytes()}

func TestCheckHistory(t *testing.T) {
	rs, items := testHistory(t, 3)
	steps, p := CheckHistory(rs[3], 4, items, pubs)
	if p != nil {
		t.Fatal(p)
	}
	if len(steps) != 4 || steps[1].Receipt.Via != forwarder {
		t.Fatalf("%d steps", len(steps))
	}
	if _, p := CheckHistory(rs[2], 4, items[:3], pubs); p != nil {
		t.Fatalf("a shorter history for an earlier sample: %v", p)
	}

	for _, tc := range []struct {
		name        string
		edit        func([]q1client.AuditItem) []q1client.AuditItem
		epoch       uint64
		unavailable bool
		want        string
	}{
		{"a step missing", func(it []q1client.AuditItem) []q1client.AuditItem { return it[1:] }, 4, true, "served 3 steps"},
		{"a request changed", func(it []q1client.AuditItem) []q1client.AuditItem {
			it[2].Request = []byte("other")
			return it
		}, 4, true, "request hash"},
		{"a tape changed", func(it []q1client.AuditItem) []q1client.AuditItem {
			it[2].Tape = nil
			return it
		}, 4, true, "tape hash"},
		{"another epoch's seeds", func(it []q1client.AuditItem) []q1client.AuditItem { return it }, 5, false, "seed"},
		{"a forged co-signature", func(it []q1client.AuditItem) []q1client.AuditItem {
			r, _ := receipt.Unmarshal(it[1].Receipt)
			r.ViaSig[3] ^= 1
			it[1].Receipt = r.Marshal()
			return it
		}, 4, false, "forwarded by"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rs, items := testHistory(t, 3)
			_, p := CheckHistory(rs[3], tc.epoch, tc.edit(items), pubs)
			if p == nil || p.Unavailable != tc.unavailable || !strings.Contains(p.What, tc.want) {
				t.Fatalf("got %+v, want unavailable=%v with %q", p, tc.unavailable, tc.want)
			}
		})
	}
}

func TestCompare(t *testing.T) {
	rs, items := testHistory(t, 2)
	steps, p := CheckHistory(rs[2], 4, items, pubs)
	if p != nil {
		t.Fatal(p)
	}
	same := make([]Outcome, len(steps))
	for i, s := range steps {
		same[i] = Outcome{Receipt: s.Receipt}
	}
	if p := Compare(steps, same); p != nil {
		t.Fatal(p)
	}
	less := append([]Outcome(nil), same...)
	less[2].Receipt.Fuel = 10
	if p := Compare(steps, less); p == nil || p.Unavailable || p.What != "receipt 2 of instance 2: fuel claimed 150, re-executed 10" {
		t.Fatalf("got %+v", p)
	}
	if p := Compare(steps, same[:1]); p == nil || !strings.Contains(p.What, "not re-executed") {
		t.Fatalf("got %+v", p)
	}
	// A replay that stopped at a secret read (step 2) checks the steps
	// before it only: no problem when they match ...
	stopped := append([]Outcome(nil), same[:3]...)
	stopped[2] = Outcome{Receipt: stopped[2].Receipt, SecretRead: errors.New("read a secret")}
	stopped[2].Receipt.Fuel = 1 // not comparable, not compared
	if p := Compare(steps, stopped); p != nil {
		t.Fatalf("stopped at a secret read: %+v", p)
	}
	// ... and the first difference before it still fails.
	stopped[1].Receipt.Fuel = 10
	if p := Compare(steps, stopped); p == nil || !strings.Contains(p.What, "receipt 1 of instance 2: fuel claimed") {
		t.Fatalf("a difference before the secret read: %+v", p)
	}
}
