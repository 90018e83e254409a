package reqsign

import "errors"

// ErrUnauthorized matches every verification failure that means "this
// request cannot be attributed to an account": an HTTP layer maps it to 401.
var ErrUnauthorized = errors.New("unauthorized")

// Kinds of verification failure. Each error Verify returns matches exactly one
// of them with errors.Is, and all but ErrReplayCacheFull also match
// ErrUnauthorized.
var (
	// ErrNotSigned: the request carries no X-Q1-Signature header at all.
	ErrNotSigned = errors.New("request is not signed")
	// ErrMalformed: a signature header, the path or the query cannot be parsed.
	ErrMalformed = errors.New("malformed signed request")
	// ErrTimestamp: the timestamp is outside the replay window.
	ErrTimestamp = errors.New("signature timestamp outside the replay window")
	// ErrNonceReused: the (account, nonce) pair was already accepted.
	ErrNonceReused = errors.New("nonce already used")
	// ErrKeyMismatch: the public key does not hash to the claimed account.
	ErrKeyMismatch = errors.New("public key does not match account")
	// ErrBadSignature: the signature does not verify over the request.
	ErrBadSignature = errors.New("signature does not verify")
	// ErrReplayCacheFull: the verifier remembers as many nonces as it may; the
	// request was not judged and may be retried shortly (HTTP 503).
	ErrReplayCacheFull = errors.New("replay cache full")
)

// VerifyError is a refusal from Verifier.Verify. Its message is written for
// the person who sent the request; errors.Is matches its Kind and, unless the
// kind is ErrReplayCacheFull, ErrUnauthorized.
type VerifyError struct {
	Kind error
	msg  string
}

func (e *VerifyError) Error() string { return e.msg }

// Unwrap exposes the kind and, for authorization failures, ErrUnauthorized.
func (e *VerifyError) Unwrap() []error {
	if errors.Is(e.Kind, ErrReplayCacheFull) {
		return []error{e.Kind}
	}
	return []error{e.Kind, ErrUnauthorized}
}

func refuse(kind error, msg string) error {
	return &VerifyError{Kind: kind, msg: msg}
}
