// Package hotkeyfile reads and writes a node's hot key file,
// config/hot_key.json beside CometBFT's node key: the key a node signs its
// automatic work with (lease acknowledgements and usage reports; node/hotkey
// sends them). `q1 sharer register` creates the file in the node's home and
// records the sharer in it, `q1 sharer deregister` clears the sharer, and the
// running node reads it; this package is the file's one definition.
package hotkeyfile

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

// File is where a node keeps its hot key, next to CometBFT's node key.
const File = "hot_key.json"

// Key is the key a node signs its automatic work with: lease
// acknowledgements and usage reports (inside x/authz MsgExec, fees paid
// through an x/feegrant allowance from the sharer's account), and the proofs
// its gateway gives other nodes. It never holds the sharer's money, so the
// sharer's own account key can stay offline.
type Key struct {
	Key *secp256k1.PrivKey
	// Sharer is the account that granted this key, once q1 sharer register
	// has recorded it; empty before.
	Sharer string
}

// Address is the hot key's account address.
func (h Key) Address() sdk.AccAddress { return sdk.AccAddress(h.Key.PubKey().Address()) }

type hotKeyJSON struct {
	Address string `json:"address"`
	PrivKey string `json:"priv_key"` // hex of the 32-byte secp256k1 secret
	Sharer  string `json:"sharer,omitempty"`
}

// Path is the hot key file of a node home.
func Path(home string) string { return filepath.Join(home, "config", File) }

// Load reads a node's hot key; it wraps fs.ErrNotExist when the node
// has none yet (it is not a registered sharer).
func Load(home string) (Key, error) {
	b, err := os.ReadFile(Path(home))
	if err != nil {
		return Key{}, err
	}
	var j hotKeyJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return Key{}, fmt.Errorf("read %s: %w", Path(home), err)
	}
	raw, err := hex.DecodeString(j.PrivKey)
	if err != nil || len(raw) != secp256k1.PrivKeySize {
		return Key{}, fmt.Errorf("read %s: priv_key is not a 32-byte hex secp256k1 key", Path(home))
	}
	k := Key{Key: &secp256k1.PrivKey{Key: raw}, Sharer: j.Sharer}
	if j.Address != "" && j.Address != k.Address().String() {
		return Key{}, fmt.Errorf("read %s: address %s does not match its key (%s)", Path(home), j.Address, k.Address())
	}
	return k, nil
}

// LoadOrCreate returns the node's hot key, creating it (readable by
// the owner only) if the home has none.
func LoadOrCreate(home string) (Key, bool, error) {
	k, err := Load(home)
	if err == nil {
		return k, false, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return Key{}, false, err
	}
	k = Key{Key: secp256k1.GenPrivKey()}
	if err := k.Save(home); err != nil {
		return Key{}, false, err
	}
	return k, true, nil
}

// Save writes the hot key (with the sharer it serves, if known) to the home,
// readable by the owner only.
func (h Key) Save(home string) error {
	b, err := json.MarshalIndent(hotKeyJSON{Address: h.Address().String(), PrivKey: hex.EncodeToString(h.Key.Key), Sharer: h.Sharer}, "", "  ")
	if err != nil {
		return err
	}
	tmp := Path(home) + ".tmp"
	if err := os.WriteFile(tmp, append(b, '\n'), 0o600); err != nil {
		return fmt.Errorf("write hot key: %w", err)
	}
	if err := os.Rename(tmp, Path(home)); err != nil {
		return fmt.Errorf("write hot key: %w", err)
	}
	return nil
}
