// Package gateway is the HTTP front door of a node's services: it routes a
// call to a service, checks the caller, applies rate and size limits, runs
// the call on a local replica or forwards it one hop to a node holding one,
// retries another replica when a node is unreachable, and reports every call
// to a Meter. A Gateway is the whole handler of the node's gateway listener,
// which serves nothing else: no API, no dashboard, no metrics.
//
// # Routing
//
// Each service has its own origin, http://{service}.{base host}/ (for
// example hello.localhost:8081), where the whole path belongs to the
// service. Programmatic callers may also use /s/{service}/{path...} on a
// base host or on any host the gateway does not know (an IP address); the
// prefix is removed before the service runs ("/s/hello/a?b" runs "/a?b",
// "/s/hello" runs "/"). Hosts are matched without port, case and trailing
// dot. A host deeper below a base host (a.hello.localhost) is refused, /s/
// included, because browsers share cookies between hello.localhost and its
// subdomains. "/" on a base host is a short text page saying how to call
// services; anything else is 404 with the reason in plain text.
//
// # Checks
//
// In order: the service exists (404) and is not paused (402, with the
// chain's reason); its manifest is known (503); the body fits
// Config.MaxRequestBytes (413); the manifest's caller rule for the
// percent-decoded, cleaned path allows the caller — public, or a request
// signed (package reqsign) by a listed account: 401 when the signature is
// missing or refused, 403 when valid but not allowed, 403 when no rule
// covers the path, 421 when a signed request's Host is not one of the
// gateway's names (see below); the per-caller rate limit (policies.rateLimit.perCaller,
// a token bucket per signing account, else per client address) has a token
// (429 with Retry-After). A signed request is verified even on a public
// path, so a service that sees X-Q1-Account can trust it. Every answer the
// gateway makes itself is plain text with a code in X-Q1-Error.
//
// # Choosing a replica
//
// The chain's lease list (Chain.Replicas) says which nodes hold a replica.
// The local one is used when healthy. Otherwise two healthy remote replicas
// are drawn at random and the one with the lower latency EWMA × (requests
// in flight + 1) wins (power of two choices: load spreads without every
// gateway stampeding to the same "fastest" node). A node that fails is
// avoided for 1 s, doubling with each consecutive failure up to 1 min
// (WithBackoff); one success clears it. When every replica is backing off,
// the one whose wait ends first is probed rather than refusing the caller.
// At most Config.MaxAttempts replicas are tried per request.
//
// # Forwarding, one hop
//
// A forwarded request keeps its method, Host header, request target, body
// and the caller's X-Q1-* signature headers unchanged, and gains X-Q1-Hop-*
// headers: the forwarding node (From), the node asked to serve (To), the
// service, how the caller named it (host or path), the caller's address,
// a fresh 32-byte challenge, and Auth, a tag over all of these and the
// request (method, Host, target, body SHA-256, caller signature). A request
// carrying any X-Q1-Hop-* header is a forwarded request: it runs on the
// receiving node's own replica or not at all, so a request never travels
// more than one hop. A node without the replica answers 503 with
// X-Q1-Not-Run, and the entry node tries the next replica. A forwarded
// request addressed to another node gets 421; one whose tag does not check
// gets 403.
//
// # Proof of the serving node
//
// Each node's hot key is a secp256k1 key its sharer registered on chain
// (NodeKeys). Two nodes A and B share a pair key, HKDF-SHA256 of the
// static ECDH secret of their keys: A computes it from its private key and
// B's registered public key, B the other way round, nobody else can. A tags
// the hop with HMAC-SHA256 under that key, which proves to B that A sent it
// (B did not). B answers with X-Q1-Served-By (its sharer address) and
// X-Q1-Proof, an HMAC under the same key over
//
//	q1-gateway-served/v1 \n sharer \n challenge \n service \n status \n not-run \n hex(SHA-256(body))
//
// A reads the whole answer (at most Config.MaxResponseBytes) and checks the
// proof before relaying anything: an answer from a node that is not that
// sharer (a stale endpoint, an impostor, a plain web server, a wrong key)
// is refused with 502 and the node is marked failed. Every answer to a
// proven hop is tagged, refusals included. Tags instead of signatures: an
// HMAC costs about a microsecond, a secp256k1 signature plus its check about
// 175 µs here, and a hop needs two of each (measured: a hop added ~630 µs at
// p50 with signatures, ~80 µs with tags). The ECDH is done once per pair of
// nodes and cached, and redone when a node's registered key changes. The
// price is that a proof convinces only the forwarding node, which is the
// only one that needs convincing; evidence for third parties (audits) would
// need signatures.
//
// # The forwarding co-signature
//
// Evidence for audits is the one signature a hop carries (cosign.go): the
// forwarding node signs receipt.ForwardDigest(lease, H, time) with its hot
// key, H = SHA-256(method ‖ 0x00 ‖ target ‖ 0x00 ‖ body) with the target
// the service sees, and sends lease, time and signature in X-Q1-Hop-Lease,
// -Time and -Sig. The serving node refuses (403) a time more than
// MaxForwardSkew from its clock or a signature that does not verify under
// the forwarder's registered key, runs a co-signature naming another lease
// (a lease changed between the two nodes' reads) without it, and otherwise
// passes time, forwarder and signature to its runtime, which records them
// in the request's receipt (Via, ViaSig, TimeUnixNano): another sharer
// vouches the request came from outside, and an auditor checks it.
//
// # Caller signatures and nonces across the hop
//
// The node that runs a request checks the caller itself: it verifies the
// reqsign signature and applies the caller rule and rate limit with its own
// view of the manifest, and never trusts another node's word about who the
// caller is. The entry node verifies the same signature first, so bad
// requests are refused early. Both record the nonce, each in its own
// replay cache: the entry node so that a replay sent to it is refused
// there, the serving node so that a replay forwarded to it again is
// refused there. This cannot make the serving node refuse the first
// delivery, because the two are different nodes (a node never forwards to
// itself, and a forwarded request is never forwarded again). Each node must
// therefore have its own reqsign.Verifier: two nodes in one process must
// not share one.
//
// Replay caches are per node, so what keeps a captured request from being
// run again elsewhere is the Host its signature covers: a gateway accepts a
// signed request directly only when its Host is one of the gateway's own
// names (a base host or {service}.{base host}; 421 otherwise), and a
// forwarded one only with a hop tag naming it as the serving node (421 or
// 403 otherwise). Nodes that share a host name (localhost on one machine,
// DNS round robin) share its signatures: each accepts a given nonce once
// within the replay window.
//
// # Retries
//
// Another replica is tried when the request provably never reached a node
// (no connection was made: refused, unroutable, dial timeout; an unusable
// endpoint or a node with no registered key), when the node answered with
// a proven X-Q1-Not-Run (it holds no running replica), or — for idempotent
// methods (GET, HEAD, OPTIONS, PUT, DELETE, TRACE) — when the connection
// failed or the forward timed out before any answer. Once an answer has
// started nothing is retried, whatever the method: a node that hangs up
// mid-answer, sends too much or cannot prove itself yields 502 (504 when it
// ran out of time). A POST that may have reached a node is never retried.
// Service failures (timeouts, traps) are answers, not node failures.
//
// # Errors from the runtime
//
// The runtime's errors satisfy RuntimeError; by kind: timeout 504; trap,
// memory, response_too_large, bad_response 500; request_too_large 413;
// bad_request 400; canceled 499; not_loaded tries another replica (503 on a
// forwarded request); unavailable tries another replica for idempotent
// methods, else 503. The reason is the error's message. A service with no
// replica placed gets 503, and a request no replica could serve 502 listing
// what each tried replica did.
//
// # Metering
//
// Meter.Observe is called once per request for an existing service, after
// the answer is written: refused, served here (local) or forwarded. The
// entry node of a forwarded request reports it as not local and the
// serving node as local, so usage is counted where it ran.
package gateway
