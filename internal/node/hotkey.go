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
}

// Address is the hot key's account address.
func (h HotKey) Address() sdk.AccAddress { return sdk.AccAddress(h.Key.PubKey().Address()) }

type hotKeyJSON struct {
	Address string `json:"address"`
	PrivKey string `json:"priv_key"` // hex of the 32-byte secp256k1 secret
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
	k := HotKey{Key: &secp256k1.PrivKey{Key: raw}}
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
	b, err := json.MarshalIndent(hotKeyJSON{Address: k.Address().String(), PrivKey: hex.EncodeToString(k.Key.Key)}, "", "  ")
	if err != nil {
		return HotKey{}, false, err
	}
	if err := os.WriteFile(HotKeyPath(home), append(b, '\n'), 0o600); err != nil {
		return HotKey{}, false, fmt.Errorf("write hot key: %w", err)
	}
	return k, true, nil
}
