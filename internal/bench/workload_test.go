package bench

import (
	"bytes"
	"testing"

	"github.com/quantum1net/q1/internal/loadgen"
)

func TestKVTx(t *testing.T) {
	tests := []struct {
		name          string
		sender, n     int
		size          int
		wantLen       int
		wantKeyPrefix string
	}{
		{"padded to the size of a send", 3, 17, 304, 304, "s3-17="},
		{"a long key is not cut", 123456, 7890123, 8, len("s123456-7890123=v"), "s123456-7890123="},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tx := kvTx(tt.sender, tt.n, tt.size)
			if len(tx) != tt.wantLen {
				t.Errorf("len = %d, want %d", len(tx), tt.wantLen)
			}
			if !bytes.HasPrefix(tx, []byte(tt.wantKeyPrefix)) {
				t.Errorf("tx %q does not start with %q", tx, tt.wantKeyPrefix)
			}
			// kvstore's CheckTx: exactly one '=', no ':', '=' at neither end.
			if bytes.Count(tx, []byte("=")) != 1 || bytes.Contains(tx, []byte(":")) ||
				tx[0] == '=' || tx[len(tx)-1] == '=' {
				t.Errorf("tx %q is not a valid kvstore tx", tx)
			}
		})
	}
}

func TestKVWorkloadKeysAreUnique(t *testing.T) {
	w := newKVWorkload(3, 64)
	seen := map[string]bool{}
	for range 50 {
		for s := range 3 {
			tx, err := w.next(s, 0)
			if err != nil {
				t.Fatal(err)
			}
			key, _, _ := bytes.Cut(tx, []byte("="))
			if seen[string(key)] {
				t.Fatalf("key %q repeated", key)
			}
			seen[string(key)] = true
		}
	}
}

func TestBankWorkload(t *testing.T) {
	signer, err := loadgen.NewClient("tcp://127.0.0.1:1", chainID) // signing needs no node
	if err != nil {
		t.Fatal(err)
	}
	const senders, slots = 2, 3
	accounts := loadgen.NewAccounts(senders*slots, 7)
	w, err := newBankWorkload(signer, accounts, slots, func(slot int) int { return slot + 1 })
	if err != nil {
		t.Fatal(err)
	}
	t.Run("each slot signs with its own account, in sequence", func(t *testing.T) {
		for a, acct := range accounts {
			if want := uint64(a%slots + 1); acct.Sequence != want {
				t.Errorf("account %d pre-signed up to sequence %d, want %d", a, acct.Sequence, want)
			}
		}
	})
	t.Run("pre-signed txs first, then signed on demand", func(t *testing.T) {
		seen := map[string]bool{}
		for range 3 { // slot 1 has 2 pre-signed
			tx, err := w.next(1, 1)
			if err != nil {
				t.Fatal(err)
			}
			if seen[string(tx)] {
				t.Fatal("a tx was handed out twice")
			}
			seen[string(tx)] = true
		}
		if got := w.signedLate.Load(); got != 1 {
			t.Errorf("signed late = %d, want 1", got)
		}
		if got := accounts[1*slots+1].Sequence; got != 3 {
			t.Errorf("account sequence = %d, want 3", got)
		}
	})
	t.Run("a slot beyond the accounts is refused", func(t *testing.T) {
		_, err := w.next(0, slots)
		if want := "slot 3 of sender 0 has no account (3 per sender)"; err == nil || err.Error() != want {
			t.Errorf("err = %v, want %q", err, want)
		}
	})
}
