// Package secrets is a node's side of service secrets (docs/architecture.md,
// Secrets): it answers the runtime's secret_get for the services this node
// runs, opening each secret's latest version with the wrap the chain holds
// for this node's sharer (unwrapped with the node's hot key), and it wraps a
// secret's data key for another lease-holder of the service that has no
// wrap yet (MsgWrapSecret), so secrets follow re-placement without the
// owner. Values live only in memory, are never logged, and never leave the
// node but through the guest that reads them.
package secrets

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/quantum1net/q1/client/hotkeyfile"
	"github.com/quantum1net/q1/core/sealed"
	"github.com/quantum1net/q1/node/runtime"
	servicestypes "github.com/quantum1net/q1/x/services/types"
)

// Chain is what the store reads of committed state (chainview.View).
type Chain interface {
	// Secrets are a service's live secrets.
	Secrets(ctx context.Context, service string) ([]servicestypes.Secret, error)
	// PubKey is a sharer's hot key's public key (33 bytes, compressed).
	PubKey(sharer string) ([]byte, error)
}

// Keys is the node's hot key (hotkey.Source).
type Keys interface {
	Load() (hotkeyfile.Key, error)
}

// queryTimeout bounds a chain query made for a guest's secret_get.
const queryTimeout = 5 * time.Second

// Store opens secrets for the runtime and re-wraps them for other
// lease-holders. It is safe for concurrent use.
type Store struct {
	chain Chain
	keys  Keys
	log   *slog.Logger

	mu     sync.Mutex
	opened map[id]opened // by service and name: the latest version opened
	// missingSince is when this node first saw a holder without a wrap of
	// a secret's version (by service, name, version and holder), for the
	// fallbacks of Rewrap.
	missingSince map[string]time.Time
	now          func() time.Time
}

// MaxWrapsPerStep bounds the wraps one Rewrap sends, all in one tx: a
// service with many secrets and many new replicas costs its sharer one tx
// a block, not one per wrap (a hostile owner could otherwise keep a node's
// hot key busy for hundreds of blocks).
const MaxWrapsPerStep = 32

// RewrapFallback is how long the holder ranked r among those with a wrap
// waits, r times over, before wrapping for a holder the ones before it
// left without one (a wrap that does not open, a hostile or stopped node).
const RewrapFallback = 30 * time.Second

type id struct{ service, key string }

type opened struct {
	version uint64
	dataKey []byte
	value   []byte
}

// New returns a store reading chain with the node's hot keys.
func New(chain Chain, keys Keys, log *slog.Logger) *Store {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Store{chain: chain, keys: keys, log: log, opened: map[id]opened{}, missingSince: map[string]time.Time{}, now: time.Now}
}

// For returns the runtime's source of service's secrets.
func (s *Store) For(service string) runtime.SecretSource { return source{s, service} }

type source struct {
	s       *Store
	service string
}

// Secret implements runtime.SecretSource.
func (src source) Secret(key string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), queryTimeout)
	defer cancel()
	o, err := src.s.open(ctx, src.service, key)
	if err != nil {
		return nil, err
	}
	return bytes.Clone(o.value), nil
}

// open returns the latest version of a secret, opened, from the cache when
// it holds that version.
func (s *Store) open(ctx context.Context, service, key string) (opened, error) {
	list, err := s.chain.Secrets(ctx, service)
	if err != nil {
		return opened{}, fmt.Errorf("read secret %q of service %s from the chain: %w", key, service, err)
	}
	i := slices.IndexFunc(list, func(r servicestypes.Secret) bool { return r.Key == key && !r.Deleted })
	if i < 0 {
		return opened{}, fmt.Errorf("secret %q is not set for service %s (q1 service secret set): %w", key, service, runtime.ErrNoSecret)
	}
	return s.openRecord(service, &list[i])
}

func (s *Store) openRecord(service string, rec *servicestypes.Secret) (opened, error) {
	k := id{service, rec.Key}
	s.mu.Lock()
	o, ok := s.opened[k]
	s.mu.Unlock()
	if ok && o.version == rec.Version {
		return o, nil
	}
	hot, err := s.keys.Load()
	if err != nil || hot.Sharer == "" {
		return opened{}, fmt.Errorf("secret %q of service %s: this node has no registered hot key to open it with (%v): %w", rec.Key, service, err, runtime.ErrNoSecret)
	}
	wrapped, ok := rec.WrapFor(hot.Sharer)
	if !ok {
		return opened{}, fmt.Errorf("secret %q (version %d) of service %s is not wrapped to this node (%s) yet; another replica's node or a writer wraps it: %w",
			rec.Key, rec.Version, service, hot.Sharer, runtime.ErrNoSecret)
	}
	ad := sealed.AD(service, rec.Key, rec.Version)
	dk, err := sealed.Unwrap(hot.Key.Key, wrapped, ad)
	if err != nil {
		return opened{}, fmt.Errorf("secret %q (version %d) of service %s: this node's wrap: %w", rec.Key, rec.Version, service, err)
	}
	v, err := sealed.Open(dk, rec.Ciphertext, ad)
	if err != nil {
		return opened{}, fmt.Errorf("secret %q (version %d) of service %s: %w", rec.Key, rec.Version, service, err)
	}
	o = opened{version: rec.Version, dataKey: dk, value: v}
	s.mu.Lock()
	if cur, ok := s.opened[k]; !ok || cur.version < o.version {
		s.opened[k] = o
	}
	s.mu.Unlock()
	return o, nil
}

// Forget drops what the store opened of service (its lease here closed).
func (s *Store) Forget(service string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for k := range s.opened {
		if k.service == service {
			delete(s.opened, k)
		}
	}
}

// Holder is a lease-holder of a service: its sharer address.
type Holder = string

// Rewrap wraps, for every secret of service this node can open, the latest
// data key to each holder (the service's lease-holders, this node's sharer
// among them) that has no wrap of it, and sends the wraps with send
// (MsgWrapSecret from the hot key), at most MaxWrapsPerStep in one call.
// Among the holders that have a wrap, the first by address sends at once;
// the one ranked r sends for a holder still without a wrap r ×
// RewrapFallback after this node first saw it missing, so lease-holders do
// not race and one that cannot or will not wrap does not stop the others.
// It returns how many wraps it sent.
func (s *Store) Rewrap(ctx context.Context, service string, holders []Holder, send func(context.Context, ...sdk.Msg) error) (int, error) {
	hot, err := s.keys.Load()
	if err != nil || hot.Sharer == "" {
		return 0, err
	}
	if !slices.Contains(holders, hot.Sharer) {
		return 0, nil
	}
	list, err := s.chain.Secrets(ctx, service)
	if err != nil {
		return 0, fmt.Errorf("secrets of service %s: %w", service, err)
	}
	now := s.now()
	var msgs []sdk.Msg
	for i := range list {
		rec := &list[i]
		if _, ok := rec.WrapFor(hot.Sharer); !ok || rec.Deleted {
			continue
		}
		rank := wrappedRank(rec, holders, hot.Sharer)
		var missing []string
		for _, h := range holders {
			if _, ok := rec.WrapFor(h); ok {
				continue
			}
			k := fmt.Sprintf("%s/%s/%d/%s", service, rec.Key, rec.Version, h)
			s.mu.Lock()
			since, seen := s.missingSince[k]
			if !seen {
				since = now
				s.missingSince[k] = now
			}
			s.mu.Unlock()
			if now.Sub(since) >= time.Duration(rank)*RewrapFallback {
				missing = append(missing, h)
			}
		}
		if len(missing) == 0 {
			continue
		}
		o, err := s.openRecord(service, rec)
		if err != nil {
			s.log.Warn("cannot open a secret to wrap it for other replicas", "service", service, "secret", rec.Key, "version", rec.Version, "err", err)
			continue
		}
		for _, h := range missing {
			if len(msgs) == MaxWrapsPerStep {
				break
			}
			pub, err := s.chain.PubKey(h)
			if err != nil {
				s.log.Info("cannot wrap a secret for a replica yet", "service", service, "secret", rec.Key, "node", h, "err", err)
				continue
			}
			w, err := sealed.Wrap(pub, o.dataKey, sealed.AD(service, rec.Key, rec.Version), rand.Reader)
			if err != nil {
				s.log.Warn("wrap a secret", "service", service, "secret", rec.Key, "node", h, "err", err)
				continue
			}
			msgs = append(msgs, &servicestypes.MsgWrapSecret{Sharer: hot.Sharer, Service: service, Key: rec.Key, Version: rec.Version,
				Wrap: servicestypes.SecretWrap{Node: h, Wrapped: w}})
		}
	}
	if len(msgs) == 0 {
		return 0, nil
	}
	if err := send(ctx, msgs...); err != nil {
		return 0, fmt.Errorf("wrap %d secret(s) of service %s for other replicas: %w", len(msgs), service, err)
	}
	for _, m := range msgs {
		w := m.(*servicestypes.MsgWrapSecret)
		s.log.Info("wrapped a secret for another replica", "service", service, "secret", w.Key, "version", w.Version, "node", w.Wrap.Node)
	}
	return len(msgs), nil
}

// wrappedRank is self's place, by address, among the holders holding a
// wrap of rec.
func wrappedRank(rec *servicestypes.Secret, holders []Holder, self string) int {
	sorted := slices.Clone(holders)
	slices.Sort(sorted)
	rank := 0
	for _, h := range sorted {
		if h == self {
			return rank
		}
		if _, ok := rec.WrapFor(h); ok {
			rank++
		}
	}
	return rank
}
