// Package abi is the wire format of the q1-http/v1 guest ABI: the names a
// module imports and exports, the result codes of the host functions, and the
// length-prefixed messages that carry requests, responses and key lists
// across the boundary between a Quantum1Net host and a WebAssembly guest.
//
// docs/guest-abi.md is the normative description; this package is its Go
// implementation, shared by the host (node/runtime) and the guest SDK
// (sdk/guest). It uses only the standard library and compiles for every
// GOOS, including wasip1.
//
// Every integer in a message is an unsigned 32-bit little-endian number.
// Decoders check every length against the bytes that remain before they
// allocate, so a hostile message costs at most its own size.
package abi

// Version is the ABI identifier a manifest names in code.abi.
const Version = "q1-http/v1"

// Names of the module the host provides and of the functions a guest exports.
const (
	// HostModule is the import module name of every q1 host function.
	HostModule = "q1"
	// ExportHandle is the guest function the host calls once per request:
	// (request_len i32) -> i32.
	ExportHandle = "q1_http_handle"
	// ExportInitialize is the reactor initializer the host calls once per
	// instance, before the first request (Go: -buildmode=c-shared).
	ExportInitialize = "_initialize"
	// ExportMemory is the linear memory a guest must export.
	ExportMemory = "memory"
)

// Result codes returned by host functions. A non-negative result is a
// success value (a length or zero); a negative result is one of these codes,
// and the host then holds a UTF-8 message explaining it as the pending
// result, readable with read_result.
const (
	// CodeInvalid: an argument was malformed (a pointer and length outside
	// guest memory, an empty or oversized key, an undecodable message).
	CodeInvalid int32 = -1
	// CodeNotFound: kv_get found no value under the key; secret_get no
	// secret of that name on this node.
	CodeNotFound int32 = -2
	// CodeQuota: kv_put would take the service past its storage quota.
	CodeQuota int32 = -3
	// CodeTooLarge: a response or an egress response exceeds its size limit.
	CodeTooLarge int32 = -4
	// CodeDenied: egress to the destination is not allowed.
	CodeDenied int32 = -5
	// CodeUpstream: an egress request failed (DNS, connection, TLS, timeout).
	CodeUpstream int32 = -6
	// CodeInternal: the host failed (for example a storage error).
	CodeInternal int32 = -7
)

// CodeText names a result code, for error messages.
func CodeText(code int32) string {
	switch code {
	case CodeInvalid:
		return "invalid argument"
	case CodeNotFound:
		return "not found"
	case CodeQuota:
		return "quota exceeded"
	case CodeTooLarge:
		return "too large"
	case CodeDenied:
		return "denied"
	case CodeUpstream:
		return "upstream failure"
	case CodeInternal:
		return "host failure"
	}
	if code >= 0 {
		return "ok"
	}
	return "unknown error"
}

// Limits shared by host and guest.
const (
	// MaxKeyBytes is the longest KV key a host accepts.
	MaxKeyBytes = 1024
	// MaxListKeys is the most keys one kv_list call returns.
	MaxListKeys = 1000
	// MaxLogLineBytes is the longest log line a host keeps; longer lines are
	// truncated.
	MaxLogLineBytes = 4096
)
