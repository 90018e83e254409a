package runtime

import (
	"errors"
	"fmt"

	"github.com/tetratelabs/wazero/api"

	"github.com/quantum1net/q1/core/manifest"
	"github.com/quantum1net/q1/sdk/guest/abi"
)

// SecretSource answers a service's secret_get calls: the current value of
// a secret, decrypted on this node (node/secrets). It is safe for concurrent
// use. The runtime never logs what it returns.
type SecretSource interface {
	// Secret returns the value of secret key, or an error matching
	// ErrNoSecret when this node holds none by that name.
	Secret(key string) ([]byte, error)
}

// ErrNoSecret is what a SecretSource returns (wrapped) for a name it does
// not hold; the guest sees abi.CodeNotFound with the error's message.
var ErrNoSecret = errors.New("no such secret")

// namedSecrets answers only the names the manifest's secrets grant lists.
type namedSecrets struct {
	src    SecretSource
	grants *manifest.Secrets
}

func (n namedSecrets) Secret(key string) ([]byte, error) {
	if !n.grants.Allows(key) {
		return nil, fmt.Errorf("secret %q is not among the names this service's manifest grants (permissions.capabilities.secrets.names): %w", key, ErrNoSecret)
	}
	return n.src.Secret(key)
}

// noSecrets is the source of a grant nobody filled (Check, tools).
type noSecrets struct{}

func (noSecrets) Secret(key string) ([]byte, error) {
	return nil, fmt.Errorf("secret %q is not set for this service: %w", key, ErrNoSecret)
}

// SecretRead is a replayed step that reached a recorded secret_get: the
// tape records that the guest read a secret but never its value, so the
// replay stops there and the step (and those after it) cannot be checked.
type SecretRead struct {
	Step, Call int
}

func (s *SecretRead) Error() string {
	return fmt.Sprintf("replay step %d, host call %d: the guest read a secret, whose value is not on the tape; the history cannot be re-executed past it", s.Step, s.Call)
}

// maxSecretKey bounds a secret_get name (names are at most 64 bytes).
const maxSecretKey = 64

// secretGet is secret_get(key_ptr, key_len) -> value length. It charges
// like kv_get: a store access and the bytes moved. The tape records the
// call and its code, never the value.
func (in *instance) secretGet(mem api.Memory, p []uint64) int32 {
	in.charge(kvCallFuel)
	n := uint32(p[1])
	if n == 0 || n > maxSecretKey {
		return in.fail(abi.CodeInvalid, fmt.Sprintf("secret get: a secret name is 1 to %d bytes, not %d", maxSecretKey, n))
	}
	b, code := in.guestBytes(mem, uint32(p[0]), n, "secret get")
	if code != 0 {
		return code
	}
	key := string(b)
	in.charge(byteFuel(len(key)))
	args := argsHash(tapeSecretGet, b)
	if in.player != nil {
		in.replayedSecret(args)
	}
	src := in.svc.secrets
	if src == nil {
		src = noSecrets{}
	}
	v, err := src.Secret(key)
	switch {
	case errors.Is(err, ErrNoSecret):
		code = in.fail(abi.CodeNotFound, "secret get: "+err.Error())
	case err != nil:
		code = in.fail(abi.CodeInternal, "secret get: "+err.Error())
	default:
		code = in.succeed(v)
	}
	in.tape = appendTapeEntry(in.tape, tapeEntry{op: tapeSecretGet, args: args, code: code})
	in.charge(byteFuel(len(in.result)))
	return code
}

// replayedSecret checks a replayed secret_get against the tape (a call the
// tape does not record there is a divergence) and then stops the guest: the
// value is not on the tape.
func (in *instance) replayedSecret(args [32]byte) {
	p := in.player
	call := p.next
	if call >= len(p.entries) || p.entries[call].op != tapeSecretGet || p.entries[call].args != args {
		in.replayed(tapeSecretGet, args) // records the divergence and stops
	}
	p.secretRead = &SecretRead{Step: p.step, Call: call}
	panic(errSecretRead)
}
