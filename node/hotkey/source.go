// Package hotkey is a running node's hot key: its Source (the key file,
// client/hotkeyfile, read until it names a sharer) and the Sender that signs
// the node's automatic work with it (lease acknowledgements and usage
// reports, inside x/authz MsgExec with fees from the sharer's x/feegrant
// allowance).
package hotkey

import (
	"errors"
	"io/fs"
	"sync"

	"github.com/quantum1net/q1/client/hotkeyfile"
)

// Source is a node's hot key as the running node knows it: read from the
// home's file until `q1 sharer register` has recorded a sharer in it, then
// kept. It is safe for concurrent use.
type Source struct {
	home string

	mu  sync.Mutex
	key hotkeyfile.Key
}

// NewSource returns the source of the hot key of a node home.
func NewSource(home string) *Source { return &Source{home: home} }

// Load returns the hot key, reading the file again while it names no
// sharer; a home without the file gives a zero Key and no error.
func (s *Source) Load() (hotkeyfile.Key, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.key.Sharer != "" {
		return s.key, nil
	}
	k, err := hotkeyfile.Load(s.home)
	if errors.Is(err, fs.ErrNotExist) {
		return hotkeyfile.Key{}, nil
	}
	if err != nil {
		return hotkeyfile.Key{}, err
	}
	s.key = k
	return k, nil
}

// Sharer is the sharer the last Load found, "" before there is one.
func (s *Source) Sharer() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.key.Sharer
}

// Key is the hot key once it names a sharer.
func (s *Source) Key() (hotkeyfile.Key, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.key, s.key.Key != nil && s.key.Sharer != ""
}
