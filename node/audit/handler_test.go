package audit

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/cosmos/cosmos-sdk/crypto/keys/secp256k1"

	q1client "github.com/quantum1net/q1/client"
	"github.com/quantum1net/q1/client/reqsign"
	"github.com/quantum1net/q1/core/address"
	"github.com/quantum1net/q1/node/receipts"
)

type allow string

func (a allow) MayRead(_ context.Context, account string, lease uint64) (bool, error) {
	if account == string(a) && lease == 9 {
		return false, nil
	}
	return false, ErrNotAllowed
}

func TestHandlerServesSignedAuditors(t *testing.T) {
	store, err := receipts.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	store.SetEpoch(4)
	rs, items := testHistory(t, 2)
	for i, r := range rs {
		store.Receipt(r, items[i].Request, items[i].Tape)
	}
	auditorKey := secp256k1.GenPrivKeyFromSecret([]byte("auditor"))
	auditor, err := reqsign.AccountAddress(address.AccountPrefix, auditorKey.PubKey())
	if err != nil {
		t.Fatal(err)
	}
	v, err := reqsign.NewVerifier()
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /_q1/v1/audit/{lease}/{epoch}/{instance}", &Handler{Store: store, Access: allow(auditor), Verifier: v})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	gw := q1client.NewGateway(srv.URL)
	ctx := context.Background()

	h, err := gw.AuditHistory(ctx, 9, 4, 2, 1, reqsign.KeySigner{Key: auditorKey})
	if err != nil {
		t.Fatal(err)
	}
	if len(h.Items) != 2 {
		t.Fatalf("%d items, want 2", len(h.Items))
	}
	if _, p := CheckHistory(rs[1], 4, h.Items, pubs); p != nil {
		t.Fatal(p)
	}

	other := reqsign.KeySigner{Key: secp256k1.GenPrivKeyFromSecret([]byte("someone"))}
	_, err = gw.AuditHistory(ctx, 9, 4, 2, 1, other)
	var ae *q1client.APIError
	if !errors.As(err, &ae) || ae.StatusCode != http.StatusForbidden {
		t.Fatalf("someone else: %v, want 403", err)
	}
	_, err = gw.AuditHistory(ctx, 9, 4, 2, 7, reqsign.KeySigner{Key: auditorKey})
	if !errors.As(err, &ae) || ae.StatusCode != http.StatusNotFound {
		t.Fatalf("beyond the history: %v, want 404", err)
	}
	resp, err := http.Get(srv.URL + "/_q1/v1/audit/9/4/2?upto=1")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("unsigned: %d, want 401", resp.StatusCode)
	}
}
