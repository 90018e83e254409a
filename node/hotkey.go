package node

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/cosmos/cosmos-sdk/crypto/keys/secp256k1"
	sdk "github.com/cosmos/cosmos-sdk/types"
)

// HotKeyFile is where a node keeps its hot key, next to CometBFT's node key.
const HotKeyFile = "hot_key.json"

// HotKey is the key a node signs its automatic work with: lease
// acknowledgements and usage reports (inside x/authz MsgExec, fees paid
// through an x/feegrant allowance from the sharer's account), and the proofs
// its gateway gives other nodes. It never holds the sharer's money, so the
// sharer's own account key can stay offline.
type HotKey struct {
	Key *secp256k1.PrivKey
	// Sharer is the account that granted this key, once q1 sharer register
	// has recorded it; empty before.
	Sharer string
}

// Address is the hot key's account address.
func (h HotKey) Address() sdk.AccAddress { return sdk.AccAddress(h.Key.PubKey().Address()) }

type hotKeyJSON struct {
	Address string `json:"address"`
	PrivKey string `json:"priv_key"` // hex of the 32-byte secp256k1 secret
	Sharer  string `json:"sharer,omitempty"`
}

// HotKeyPath is the hot key file of a node home.
func HotKeyPath(home string) string { return filepath.Join(home, "config", HotKeyFile) }

// LoadHotKey reads a node's hot key; it wraps fs.ErrNotExist when the node
// has none yet (it is not a registered sharer).
func LoadHotKey(home string) (HotKey, error) {
	b, err := os.ReadFile(HotKeyPath(home))
	if err != nil {
		return HotKey{}, err
	}
	var j hotKeyJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return HotKey{}, fmt.Errorf("read %s: %w", HotKeyPath(home), err)
	}
	raw, err := hex.DecodeString(j.PrivKey)
	if err != nil || len(raw) != secp256k1.PrivKeySize {
		return HotKey{}, fmt.Errorf("read %s: priv_key is not a 32-byte hex secp256k1 key", HotKeyPath(home))
	}
	k := HotKey{Key: &secp256k1.PrivKey{Key: raw}, Sharer: j.Sharer}
	if j.Address != "" && j.Address != k.Address().String() {
		return HotKey{}, fmt.Errorf("read %s: address %s does not match its key (%s)", HotKeyPath(home), j.Address, k.Address())
	}
	return k, nil
}

// LoadOrCreateHotKey returns the node's hot key, creating it (readable by
// the owner only) if the home has none.
func LoadOrCreateHotKey(home string) (HotKey, bool, error) {
	k, err := LoadHotKey(home)
	if err == nil {
		return k, false, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return HotKey{}, false, err
	}
	k = HotKey{Key: secp256k1.GenPrivKey()}
	if err := k.Save(home); err != nil {
		return HotKey{}, false, err
	}
	return k, true, nil
}

// Save writes the hot key (with the sharer it serves, if known) to the home,
// readable by the owner only.
func (h HotKey) Save(home string) error {
	b, err := json.MarshalIndent(hotKeyJSON{Address: h.Address().String(), PrivKey: hex.EncodeToString(h.Key.Key), Sharer: h.Sharer}, "", "  ")
	if err != nil {
		return err
	}
	tmp := HotKeyPath(home) + ".tmp"
	if err := os.WriteFile(tmp, append(b, '\n'), 0o600); err != nil {
		return fmt.Errorf("write hot key: %w", err)
	}
	if err := os.Rename(tmp, HotKeyPath(home)); err != nil {
		return fmt.Errorf("write hot key: %w", err)
	}
	return nil
}
