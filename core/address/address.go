// Package address holds Quantum1Net's bech32 prefixes and the one check of
// an account address that the chain, the node and the CLI share, so a bad
// address reads the same wherever it is refused.
//
// It is pure: it never reads the SDK's process-wide address configuration
// (app.SetSDKConfig sets that from these constants).
package address

import (
	"fmt"
	"strings"

	"github.com/cosmos/cosmos-sdk/types/bech32"
)

// Bech32 human-readable prefixes. With bech32's separator "1" an account
// address reads q11…, a validator operator address q1valoper1….
const (
	// AccountPrefix is the prefix of account addresses (q11…).
	AccountPrefix = "q1"
	// AccountPubPrefix is the prefix of account public keys.
	AccountPubPrefix = AccountPrefix + "pub"
	// ValidatorPrefix is the prefix of validator operator addresses (q1valoper1…).
	ValidatorPrefix = AccountPrefix + "valoper"
	// ValidatorPubPrefix is the prefix of validator operator public keys.
	ValidatorPubPrefix = AccountPrefix + "valoperpub"
	// ConsensusPrefix is the prefix of validator consensus addresses (q1valcons1…).
	ConsensusPrefix = AccountPrefix + "valcons"
	// ConsensusPubPrefix is the prefix of validator consensus public keys.
	ConsensusPubPrefix = AccountPrefix + "valconspub"
)

// Payload lengths an account address may hold.
const (
	// KeyAccountLen is the length of a secp256k1 key's account address.
	KeyAccountLen = 20
	// ModuleAccountLen is the length of a module or multisig account address.
	ModuleAccountLen = 32
)

// ValidateAccount reports whether addr is a Quantum1Net account address:
// lowercase bech32 with the prefix AccountPrefix, a valid checksum and a
// 20-byte (secp256k1 key) or 32-byte (module or multisig) payload. Its
// errors read `"…" is not a Quantum1Net account address: <why>`; callers
// prefix them with where the address came from (a field path, a flag).
func ValidateAccount(addr string) error {
	_, err := ParseAccount(addr)
	return err
}

// ParseAccount checks addr as ValidateAccount does and returns its payload.
func ParseAccount(addr string) ([]byte, error) {
	return ParseAccountWithPrefix(AccountPrefix, addr)
}

// ParseAccountWithPrefix checks addr as ValidateAccount does, with prefix in
// place of AccountPrefix (for tools that check another network's
// addresses), and returns its payload.
func ParseAccountWithPrefix(prefix, addr string) ([]byte, error) {
	network := "Quantum1Net"
	if prefix != AccountPrefix {
		network = prefix
	}
	if addr == "" {
		return nil, fmt.Errorf("account address is empty")
	}
	fail := func(format string, args ...any) ([]byte, error) {
		return nil, fmt.Errorf("%q is not a %s account address: %s", addr, network, fmt.Sprintf(format, args...))
	}
	if strings.ToLower(addr) != addr {
		return fail("it has capital letters; write it in lowercase")
	}
	hrp, payload, err := bech32.DecodeAndConvert(addr)
	switch {
	case err != nil:
		return fail("%v", err)
	case hrp == prefix+"valoper":
		return fail("it is a validator operator address; give the operator's account address (%s1…)", prefix)
	case hrp != prefix:
		return fail("it starts with %q, but %s accounts start with %q", hrp+"1", network, prefix+"1")
	case len(payload) != KeyAccountLen && len(payload) != ModuleAccountLen:
		return fail("it holds %d bytes, want %d or %d", len(payload), KeyAccountLen, ModuleAccountLen)
	}
	return payload, nil
}
