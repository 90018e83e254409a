package manifest

import (
	"fmt"
	"strings"

	"github.com/cosmos/cosmos-sdk/types/bech32"
)

// AccountPrefix is the bech32 human-readable part of Quantum1Net account
// addresses; with bech32's separator an address reads q11….
const AccountPrefix = "q1"

// ValidateAccount reports whether addr is a Quantum1Net account address:
// lowercase bech32 with the prefix [AccountPrefix], a valid checksum and a
// 20-byte (secp256k1 key) or 32-byte (module or multisig) payload.
func ValidateAccount(addr string) error {
	if addr == "" {
		return fmt.Errorf("account address is empty")
	}
	if strings.ToLower(addr) != addr {
		return fmt.Errorf("account address %q must be lowercase", addr)
	}
	hrp, payload, err := bech32.DecodeAndConvert(addr)
	if err != nil {
		return fmt.Errorf("%q is not a valid account address: %v", addr, err)
	}
	if hrp != AccountPrefix {
		return fmt.Errorf("%q is not a Quantum1Net account address: its prefix is %q, want %q", addr, hrp, AccountPrefix)
	}
	if len(payload) != 20 && len(payload) != 32 {
		return fmt.Errorf("account address %q holds %d bytes, want 20 or 32", addr, len(payload))
	}
	return nil
}

// HashPrefix starts every content address: of wasm modules and of manifests.
const HashPrefix = "sha256:"

// ValidateWasmHash reports whether s is a wasm content address:
// "sha256:" followed by 64 lowercase hex digits.
func ValidateWasmHash(s string) error {
	hexPart, ok := strings.CutPrefix(s, HashPrefix)
	if !ok || len(hexPart) != 64 || strings.IndexFunc(hexPart, func(r rune) bool {
		return !('0' <= r && r <= '9' || 'a' <= r && r <= 'f')
	}) >= 0 {
		return fmt.Errorf("must be %s followed by 64 lowercase hex digits (the CLI fills it from --wasm), got %q", HashPrefix, s)
	}
	return nil
}
