package main

import (
	"context"
	"errors"
	"net"
	"syscall"
)

// unreachable says, in a few words, why err means the node could not be
// reached ("connection refused", "no such host", "i/o timeout", ...), or
// returns "" when err is something else: the node answered, with an error
// of its own, or the command was cancelled.
//
// It reads the error's type, never its text. Every path our commands reach
// a node by keeps the network error wrapped: CometBFT's JSON-RPC HTTP client
// (rpc/jsonrpc/client: "post failed: %w"), the SDK's client.Context (its
// BroadcastTx*, QueryABCI and gRPC-over-ABCI Invoke return the RPC client's
// error as is; CheckCometError turns only mempool refusals into responses)
// and our own HTTP client (client.Client returns net/http's *url.Error).
// So no text fallback is kept; the tests in unreachable_test.go dial a real
// closed port and a .invalid host through both clients so that a release
// that flattens the error fails them.
func unreachable(err error) string {
	if err == nil {
		return ""
	}
	var dns *net.DNSError
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	case errors.Is(err, syscall.ECONNRESET):
		return "connection reset"
	case errors.As(err, &dns):
		if dns.IsNotFound {
			return "no such host"
		}
		if dns.IsTimeout {
			return "DNS lookup timed out"
		}
		return "DNS lookup failed: " + dns.Err
	case errors.Is(err, context.DeadlineExceeded):
		// Before the timeout test: net reports a dial cut short by the
		// context's deadline as an error that is also a timeout.
		return "context deadline exceeded"
	case isTimeout(err):
		return "i/o timeout"
	}
	var op *net.OpError
	if errors.As(err, &op) {
		// Any other failure to dial, read or write: "no route to host",
		// "network is unreachable", ...
		if op.Err != nil {
			return op.Err.Error()
		}
		return op.Op + " failed"
	}
	return ""
}

// isTimeout is os.IsTimeout through wrapping: os.IsTimeout itself only
// looks through *os.PathError and *os.SyscallError, not %w, and every error
// here arrives wrapped in *url.Error and the clients' own text.
func isTimeout(err error) bool {
	var t interface{ Timeout() bool }
	return errors.As(err, &t) && t.Timeout()
}
