package guest

import (
	"errors"

	"github.com/quantum1net/q1/sdk/guest/abi"
)

// Errors a host function can report. Every error the SDK returns from a host
// call is an *Error whose Is method matches one of these, so callers write
// errors.Is(err, guest.ErrNotFound).
var (
	// ErrNotFound: KVStore.Get found no value under the key, or Secret no
	// secret of that name.
	ErrNotFound = errors.New("not found")
	// ErrQuotaExceeded: a KVStore.Put would take the service past its
	// storage quota (permissions.capabilities.kv.quota).
	ErrQuotaExceeded = errors.New("storage quota exceeded")
	// ErrTooLarge: a response or an egress response exceeds the host's limit.
	ErrTooLarge = errors.New("too large")
	// ErrDenied: egress to that destination is not allowed.
	ErrDenied = errors.New("egress denied")
	// ErrUpstream: an egress request failed on the way (DNS, connection, TLS, timeout).
	ErrUpstream = errors.New("egress request failed")
	// ErrInvalid: the host rejected an argument (for example an empty key).
	ErrInvalid = errors.New("invalid argument")
	// ErrHost: the host failed internally.
	ErrHost = errors.New("host failure")
	// ErrNoHost: the code is not running inside a Quantum1Net host (a build
	// for another GOOS, e.g. in a unit test).
	ErrNoHost = errors.New("not running inside a Quantum1Net host (build with GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared)")
)

// Error is a failure reported by the host.
type Error struct {
	// Op is the SDK operation that failed, e.g. "kv put".
	Op string
	// Code is the ABI result code (abi.CodeNotFound, ...).
	Code int32
	// Message is the host's explanation.
	Message string
}

// Error returns the host's message, which names the operation.
func (e *Error) Error() string { return e.Message }

// Is reports whether the error matches one of the package's sentinel errors.
func (e *Error) Is(target error) bool {
	switch e.Code {
	case abi.CodeNotFound:
		return target == ErrNotFound
	case abi.CodeQuota:
		return target == ErrQuotaExceeded
	case abi.CodeTooLarge:
		return target == ErrTooLarge
	case abi.CodeDenied:
		return target == ErrDenied
	case abi.CodeUpstream:
		return target == ErrUpstream
	case abi.CodeInvalid:
		return target == ErrInvalid
	case abi.CodeInternal:
		return target == ErrHost
	case codeNoHost:
		return target == ErrNoHost
	}
	return false
}
