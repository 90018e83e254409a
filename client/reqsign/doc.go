// Package reqsign signs and verifies HTTP requests with Quantum1Net account keys.
//
// It is the one scheme a node uses to attribute a request to an account: blob
// uploads, signed calls through the gateway and the dashboard's log-viewer
// challenge. Accounts are Cosmos SDK secp256k1 accounts whose address is
// bech32(prefix "q1", RIPEMD160(SHA256(compressed public key))), the SDK's
// secp256k1.PubKey.Address().
//
// # Headers
//
// A signed request carries five headers, each exactly once:
//
//	X-Q1-Account:   q11...                  bech32 account address, prefix "q1"
//	X-Q1-Pubkey:    <base64>                33-byte compressed secp256k1 public key,
//	                                        standard base64 with padding (RFC 4648 §4)
//	X-Q1-Timestamp: 1767225600              unix time in whole seconds, decimal, no sign,
//	                                        no leading zeros
//	X-Q1-Nonce:     <16..64 chars>          characters A-Z a-z 0-9 '-' '_', fresh for every
//	                                        request (this package sends 16 random bytes as
//	                                        unpadded base64url)
//	X-Q1-Signature: <base64>                64-byte R||S secp256k1 ECDSA signature in
//	                                        lower-S form over SHA-256 of the string to sign,
//	                                        standard base64 with padding
//
// Separate X-Q1-* headers are used rather than Authorization so a service
// behind the gateway keeps Authorization for its own use.
//
// # String to sign
//
// The signature covers these nine lines joined by "\n" (no trailing newline):
//
//	q1-request/v1
//	<service>          the purpose the verifier expects: "blob" for blob uploads, the
//	                   service name for gateway calls; it is not sent, so a signature made
//	                   for one service never verifies for another
//	<host>             the Host header as sent, ASCII-lowercased, port included if sent
//	<method>           the request method as sent (case-sensitive, e.g. "PUT")
//	<path>             the canonical path (below)
//	<query>            the canonical query (below), empty when there is none
//	<body-sha256>      lowercase hex SHA-256 of the request body (of no bytes when empty)
//	<timestamp>        the X-Q1-Timestamp value
//	<nonce>            the X-Q1-Nonce value
//
// Canonical path: take the path of the request target exactly as sent
// (percent-encoded, without the query). Decode every %XX escape (hex in either
// case; a '%' not followed by two hex digits makes the request malformed).
// Write each resulting byte as itself when it is A-Z a-z 0-9 '-' '.' '_' '~',
// or when it is a '/' that was not escaped; write every other byte, including
// an escaped slash, as %XX with uppercase hex. An empty path is "/".
// Example: "/a b/%7e%2f" is "/a%20b/~%2F".
//
// Canonical query: split the raw query on '&', dropping empty parts. Split
// each part at its first '=' into name and value (a missing '=' means an empty
// value). Decode each as application/x-www-form-urlencoded ('+' is a space,
// %XX escapes must be valid) and re-encode it as above, every byte outside
// A-Z a-z 0-9 '-' '.' '_' '~' as %XX with uppercase hex. Sort the pairs by
// encoded name, then encoded value (bytewise), and join them as
// "name=value" with '&'. Example: "b=2&a=x+y&a" is "a=&a=x%20y&b=2".
//
// The signature is secp256k1 ECDSA over SHA-256 of those bytes, which is what
// the SDK keyring's Sign and secp256k1.PrivKey.Sign produce.
//
// # Verification
//
// A Verifier accepts a request when the timestamp is within its replay window
// of the verifier's clock (default ±2 minutes), the public key hashes to the
// account, the signature verifies, and the (account, nonce) pair was not seen
// within the window. Nonces are remembered only for the window and only up to
// a bound (WithNonceCapacity); when the bound is reached new requests are
// refused with ErrReplayCacheFull rather than forgetting nonces early.
// Every refusal other than ErrReplayCacheFull matches ErrUnauthorized, which
// an HTTP layer maps to 401.
//
// The signature binds the request to the Host it names, port included, but
// only a server that checks its Host makes that binding hold: call CheckHost
// before Verify, so a request signed for another server on the same host
// name (another port) is refused with 421 and spends no nonce.
//
// A proxy that forwards a signed request must keep its method, Host, path,
// query and body unchanged, or the next verifier refuses it.
package reqsign
