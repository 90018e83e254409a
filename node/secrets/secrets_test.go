package secrets

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cosmos/cosmos-sdk/crypto/keys/secp256k1"
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/quantum1net/q1/client/hotkeyfile"
	"github.com/quantum1net/q1/core/sealed"
	"github.com/quantum1net/q1/node/runtime"
	servicestypes "github.com/quantum1net/q1/x/services/types"
)

type fakeChain struct {
	mu      sync.Mutex
	secrets map[string][]servicestypes.Secret
	pubs    map[string][]byte
}

func (c *fakeChain) Secrets(_ context.Context, service string) ([]servicestypes.Secret, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.secrets[service], nil
}

func (c *fakeChain) PubKey(sharer string) ([]byte, error) {
	if p, ok := c.pubs[sharer]; ok {
		return p, nil
	}
	return nil, errors.New("no key")
}

type fixedKey hotkeyfile.Key

func (k fixedKey) Load() (hotkeyfile.Key, error) { return hotkeyfile.Key(k), nil }

func node(sharer string) fixedKey {
	return fixedKey{Key: secp256k1.GenPrivKey(), Sharer: sharer}
}

// set seals value as version v of key and wraps it to nodes, as the CLI does.
func set(t *testing.T, c *fakeChain, service, key, value string, v uint64, nodes ...fixedKey) {
	t.Helper()
	ad := sealed.AD(service, key, v)
	dk, _ := sealed.NewDataKey(rand.Reader)
	ct, err := sealed.Seal(dk, []byte(value), ad, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	rec := servicestypes.Secret{Service: service, Key: key, Version: v, Ciphertext: ct}
	for _, n := range nodes {
		w, err := sealed.Wrap(n.Key.PubKey().Bytes(), dk, ad, rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		rec.Wraps = append(rec.Wraps, servicestypes.SecretWrap{Node: n.Sharer, Wrapped: w})
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	list := c.secrets[service][:0:0]
	for _, r := range c.secrets[service] {
		if r.Key != key {
			list = append(list, r)
		}
	}
	c.secrets[service] = append(list, rec)
}

func TestOpenRotateAndMissing(t *testing.T) {
	a, b := node("q1sharerA"), node("q1sharerB")
	c := &fakeChain{secrets: map[string][]servicestypes.Secret{}}
	src := New(c, a, nil).For("vault")
	if _, err := src.Secret("K"); !errors.Is(err, runtime.ErrNoSecret) || !strings.Contains(err.Error(), `secret "K" is not set for service vault`) {
		t.Fatalf("unset: %v", err)
	}
	set(t, c, "vault", "K", "one", 1, a, b)
	if v, err := src.Secret("K"); err != nil || string(v) != "one" {
		t.Fatalf("v1 = %q, %v", v, err)
	}
	set(t, c, "vault", "K", "two", 2, a)
	if v, err := src.Secret("K"); err != nil || string(v) != "two" {
		t.Fatalf("v2 = %q, %v", v, err)
	}
	// Node B was not given version 2 (say its lease closed): it cannot
	// read it, and says why.
	if _, err := New(c, b, nil).For("vault").Secret("K"); !errors.Is(err, runtime.ErrNoSecret) || !strings.Contains(err.Error(), "is not wrapped to this node (q1sharerB) yet") {
		t.Fatalf("node without a wrap: %v", err)
	}
	// A wrap made for another key does not open.
	c.secrets["vault"][0].Wraps[0].Node = b.Sharer
	if _, err := New(c, b, nil).For("vault").Secret("K"); err == nil || !errors.Is(err, sealed.ErrOpen) {
		t.Fatalf("someone else's wrap: %v", err)
	}
}

func TestRewrapForNewHolder(t *testing.T) {
	a, b, d := node("q1sharerA"), node("q1sharerB"), node("q1sharerD")
	c := &fakeChain{secrets: map[string][]servicestypes.Secret{},
		pubs: map[string][]byte{a.Sharer: a.Key.PubKey().Bytes(), b.Sharer: b.Key.PubKey().Bytes(), d.Sharer: d.Key.PubKey().Bytes()}}
	set(t, c, "vault", "K", "value", 3, a, b)
	var sent []*servicestypes.MsgWrapSecret
	send := func(_ context.Context, msgs ...sdk.Msg) error {
		for _, m := range msgs {
			w := m.(*servicestypes.MsgWrapSecret)
			sent = append(sent, w)
			c.mu.Lock()
			c.secrets["vault"][0].Wraps = append(c.secrets["vault"][0].Wraps, w.Wrap)
			c.mu.Unlock()
		}
		return nil
	}
	holders := []string{a.Sharer, b.Sharer, d.Sharer}
	// B has a wrap but is not first by address: it leaves the work to A.
	if n, err := New(c, b, nil).Rewrap(context.Background(), "vault", holders, send); err != nil || n != 0 {
		t.Fatalf("B rewrap = %d, %v", n, err)
	}
	n, err := New(c, a, nil).Rewrap(context.Background(), "vault", holders, send)
	if err != nil || n != 1 || sent[0].Wrap.Node != d.Sharer || sent[0].Version != 3 || sent[0].Sharer != a.Sharer {
		t.Fatalf("A rewrap = %d, %v, %+v", n, err, sent)
	}
	if v, err := New(c, d, nil).For("vault").Secret("K"); err != nil || string(v) != "value" {
		t.Fatalf("D after the rewrap: %q, %v", v, err)
	}
	// Nothing more to do; and a node that is not a holder never sends.
	if n, _ := New(c, a, nil).Rewrap(context.Background(), "vault", holders, send); n != 0 {
		t.Fatalf("second rewrap sent %d", n)
	}
	if n, _ := New(c, d, nil).Rewrap(context.Background(), "vault", []string{a.Sharer}, send); n != 0 {
		t.Fatalf("a non-holder sent %d", n)
	}
}

// TestRewrapBatchesAndFallsBack: many secrets for a new holder go out in
// one call of at most MaxWrapsPerStep wraps, the rest in the next; and
// when the first holder with a wrap never wraps (its own wrap does not
// open, or it will not), the next one does after RewrapFallback.
func TestRewrapBatchesAndFallsBack(t *testing.T) {
	a, b, d := node("q1sharerA"), node("q1sharerB"), node("q1sharerD")
	c := &fakeChain{secrets: map[string][]servicestypes.Secret{},
		pubs: map[string][]byte{a.Sharer: a.Key.PubKey().Bytes(), b.Sharer: b.Key.PubKey().Bytes(), d.Sharer: d.Key.PubKey().Bytes()}}
	const n = MaxWrapsPerStep + 8
	for i := range n {
		set(t, c, "vault", fmt.Sprintf("K%02d", i), "value", 1, a, b)
	}
	var calls [][]sdk.Msg
	send := func(_ context.Context, msgs ...sdk.Msg) error {
		calls = append(calls, msgs)
		c.mu.Lock()
		defer c.mu.Unlock()
		for _, m := range msgs {
			w := m.(*servicestypes.MsgWrapSecret)
			for i := range c.secrets["vault"] {
				if c.secrets["vault"][i].Key == w.Key {
					c.secrets["vault"][i].Wraps = append(c.secrets["vault"][i].Wraps, w.Wrap)
				}
			}
		}
		return nil
	}
	holders := []string{a.Sharer, b.Sharer, d.Sharer}
	sa := New(c, a, nil)
	if got, err := sa.Rewrap(context.Background(), "vault", holders, send); err != nil || got != MaxWrapsPerStep || len(calls) != 1 {
		t.Fatalf("first rewrap: %d wraps in %d calls, %v; want %d in 1", got, len(calls), err, MaxWrapsPerStep)
	}
	if got, _ := sa.Rewrap(context.Background(), "vault", holders, send); got != 8 || len(calls) != 2 {
		t.Fatalf("second rewrap: %d wraps, %d calls; want 8 in a second call", got, len(calls))
	}

	// A new holder E; A (first by address) stays silent. B waits one
	// RewrapFallback from when it first saw E without a wrap, then wraps.
	e := node("q1sharerE")
	c.pubs[e.Sharer] = e.Key.PubKey().Bytes()
	holders = append(holders, e.Sharer)
	clock := time.Date(2026, 12, 8, 0, 0, 0, 0, time.UTC)
	sb := New(c, b, nil)
	sb.now = func() time.Time { return clock }
	calls = nil
	if got, _ := sb.Rewrap(context.Background(), "vault", holders, send); got != 0 {
		t.Fatalf("B wrapped %d at once, before A's turn had passed", got)
	}
	clock = clock.Add(RewrapFallback)
	if got, _ := sb.Rewrap(context.Background(), "vault", holders, send); got != MaxWrapsPerStep || calls[0][0].(*servicestypes.MsgWrapSecret).Wrap.Node != e.Sharer {
		t.Fatalf("B after RewrapFallback: %d wraps; want %d for %s", got, MaxWrapsPerStep, e.Sharer)
	}
}
