package runtime

import (
	"errors"
	"fmt"
	"strings"
)

// ErrorKind classifies a failed request, for the per-service error counters
// and for the gateway, whose one table (gateway.FailureStatus) maps it to
// an HTTP status.
type ErrorKind string

// The kinds of request failure.
const (
	// KindTimeout: the request ran past the service's request timeout (the
	// instance was stopped and replaced), or no instance became free before
	// the caller's deadline.
	KindTimeout ErrorKind = "timeout"
	// KindTrap: the guest trapped, panicked or exited; the instance was replaced.
	KindTrap ErrorKind = "trap"
	// KindFuel: the guest used the whole fuel limit of one request
	// (Limits.Fuel) and was stopped; the instance was replaced.
	KindFuel ErrorKind = "fuel"
	// KindMemory: the guest ran out of memory under the service's limit; the
	// instance was replaced.
	KindMemory ErrorKind = "memory"
	// KindResponseTooLarge: the guest's response exceeded MaxResponseBytes.
	KindResponseTooLarge ErrorKind = "response_too_large"
	// KindBadResponse: the guest returned without a valid response.
	KindBadResponse ErrorKind = "bad_response"
	// KindRequestTooLarge: the encoded request exceeded MaxRequestBytes; the
	// guest never saw it.
	KindRequestTooLarge ErrorKind = "request_too_large"
	// KindBadRequest: the request itself was malformed (no method, a path not
	// starting with "/").
	KindBadRequest ErrorKind = "bad_request"
	// KindUnavailable: the service is closed or closing.
	KindUnavailable ErrorKind = "unavailable"
	// KindCanceled: the caller gave up while the request waited for an
	// instance.
	KindCanceled ErrorKind = "canceled"
	// KindBusy: the request never ran because the service or the node was
	// at its limit: no instance or guest slot became free within the slot
	// wait, or the queue of waiting requests was full. Retry later.
	KindBusy ErrorKind = "busy"
)

// errorKinds lists every kind, for the counters.
var errorKinds = []ErrorKind{
	KindTimeout, KindTrap, KindFuel, KindMemory, KindResponseTooLarge, KindBadResponse,
	KindRequestTooLarge, KindBadRequest, KindUnavailable, KindCanceled, KindBusy,
}

// Error is a failed request. Handle returns only *Error values.
type Error struct {
	// Service and Version name the service that failed.
	Service, Version string
	// Kind classifies the failure.
	Kind ErrorKind
	// Reason says what happened, for the caller and the logs.
	Reason string
	// Usage is what the request consumed before it failed; the node meters
	// it like a successful request's.
	Usage Usage
}

// Error returns "service <name>: <reason>".
func (e *Error) Error() string { return fmt.Sprintf("service %s: %s", e.Service, e.Reason) }

// FailureKind names the kind of failure, e.g. "timeout"; the gateway maps
// it to a status code.
func (e *Error) FailureKind() string { return string(e.Kind) }

// ErrInvalidModule matches (errors.Is) every error that rejects a module:
// bytes that are not WebAssembly, a module that does not follow q1-http/v1,
// or one that imports a function it was not granted.
var ErrInvalidModule = errors.New("invalid module")

// ErrClosed is returned by a Runtime that was closed.
var ErrClosed = errors.New("runtime closed")

// ModuleError lists every problem found in a module.
type ModuleError struct {
	Problems []string
}

// Error returns "invalid module: " and the problems, separated by "; ".
func (e *ModuleError) Error() string {
	return "invalid module: " + strings.Join(e.Problems, "; ")
}

// Is makes errors.Is(err, ErrInvalidModule) true.
func (e *ModuleError) Is(target error) bool { return target == ErrInvalidModule }
