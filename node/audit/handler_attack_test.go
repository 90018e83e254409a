package audit

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/cosmos/cosmos-sdk/crypto/keys/secp256k1"

	q1client "github.com/quantum1net/q1/client"
	"github.com/quantum1net/q1/client/reqsign"
	"github.com/quantum1net/q1/core/address"
	"github.com/quantum1net/q1/node/receipts"
)

// roles allows owners and auditors of lease 9.
type roles struct{ owners, auditors map[string]bool }

func (r roles) MayRead(_ context.Context, account string, lease uint64) (bool, error) {
	switch {
	case lease != 9:
	case r.auditors[account]:
		return false, nil
	case r.owners[account]:
		return true, nil
	}
	return false, ErrNotAllowed
}

// blockingStore holds its first History call until released.
type blockingStore struct {
	entered, release chan struct{}
	once             sync.Once
}

func (b *blockingStore) History(uint64, uint64, uint64, uint64) ([]receipts.Item, error) {
	first := false
	b.once.Do(func() { first = true })
	if first {
		close(b.entered)
		<-b.release
	}
	return []receipts.Item{{Receipt: []byte("r")}}, nil
}

// TestHandlerBoundsOwnersReads is an attack on the audited node: a
// tenant, owner of the service (it may list many owner accounts), asks
// for its lease's whole history over and over, in parallel. Each answer
// holds up to a lease's receipt file (64 MiB) several times over in
// memory; unbounded, the node runs out of memory, and its auditors get no
// data (UNAVAILABLE: the sharer forfeits and the tenant is refunded).
// Owners' reads are served one at a time; assigned auditors are served
// beside them, one read per auditor at a time.
func TestHandlerBoundsOwnersReads(t *testing.T) {
	key := func(s string) (reqsign.KeySigner, string) {
		k := secp256k1.GenPrivKeyFromSecret([]byte(s))
		a, err := reqsign.AccountAddress(address.AccountPrefix, k.PubKey())
		if err != nil {
			t.Fatal(err)
		}
		return reqsign.KeySigner{Key: k}, a
	}
	owner1, o1 := key("owner1")
	owner2, o2 := key("owner2")
	auditor, au := key("auditor")
	v, err := reqsign.NewVerifier()
	if err != nil {
		t.Fatal(err)
	}
	store := &blockingStore{entered: make(chan struct{}), release: make(chan struct{})}
	h := &Handler{Store: store, Access: roles{owners: map[string]bool{o1: true, o2: true}, auditors: map[string]bool{au: true}}, Verifier: v}
	mux := http.NewServeMux()
	mux.Handle("GET /_q1/v1/audit/{lease}/{epoch}/{instance}", h)
	srv := httptest.NewServer(mux)
	defer srv.Close()
	gw := q1client.NewGateway(srv.URL)
	ctx := context.Background()

	done := make(chan error, 1)
	go func() {
		_, err := gw.AuditHistory(ctx, 9, 4, 2, 0, owner1)
		done <- err
	}()
	<-store.entered
	_, err = gw.AuditHistory(ctx, 9, 4, 2, 0, owner2)
	var ae *q1client.APIError
	want := "audit data of lease 9: another owner's read is being served; owners read one history at a time: try again when it is done"
	if !errors.As(err, &ae) || ae.StatusCode != http.StatusTooManyRequests || !strings.Contains(err.Error(), want) {
		t.Fatalf("a second owner read while one is served: %v; want 429 %q", err, want)
	}
	if _, err := gw.AuditHistory(ctx, 9, 4, 2, 0, auditor); err != nil {
		t.Fatalf("an assigned auditor beside an owner's read: %v", err)
	}
	close(store.release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if _, err := gw.AuditHistory(ctx, 9, 4, 2, 0, owner2); err != nil {
		t.Fatalf("an owner read once the other is done: %v", err)
	}
}
