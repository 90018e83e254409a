// Package blobhash is the content address of a blob in a node's blob store
// (a wasm module, for now): the SHA-256 of its bytes, written
// "sha256:<64 lowercase hex digits>" in manifests (code.wasm), URLs
// (/v1/blobs/{hash}), headers and logs. Clients compute it before they
// upload; nodes check it before they keep or run anything.
package blobhash

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
)

// hashPrefix is the algorithm tag of the project's content addresses.
const hashPrefix = "sha256:"

// ErrInvalid is matched by every error of Parse.
var ErrInvalid = errors.New("invalid blob hash")

// Hash is the SHA-256 content address of a blob. Its text form, used
// everywhere in the project (manifests, URLs, headers, logs), is
// "sha256:" followed by 64 lowercase hex digits. The zero Hash means "none".
type Hash [sha256.Size]byte

// Sum returns the Hash of b.
func Sum(b []byte) Hash { return sha256.Sum256(b) }

// Of reads r to its end and returns the Hash of what it read and how many
// bytes that was.
func Of(r io.Reader) (Hash, int64, error) {
	hasher := sha256.New()
	n, err := io.Copy(hasher, r)
	if err != nil {
		return Hash{}, n, err
	}
	var h Hash
	copy(h[:], hasher.Sum(nil))
	return h, n, nil
}

// Parse parses "sha256:<64 lowercase hex digits>" and nothing else.
func Parse(s string) (Hash, error) {
	var h Hash
	fail := func(why string) (Hash, error) {
		return Hash{}, fmt.Errorf("%w %q: %s; want sha256: followed by 64 lowercase hex digits", ErrInvalid, s, why)
	}
	digits, ok := strings.CutPrefix(s, hashPrefix)
	if !ok {
		if algo, _, found := strings.Cut(s, ":"); found && algo != "" && !strings.EqualFold(algo, "sha256") {
			return fail(fmt.Sprintf("algorithm %q is not supported", algo))
		}
		return fail(`it does not start with "sha256:"`)
	}
	if len(digits) != 2*len(h) {
		return fail(fmt.Sprintf("it has %d hex digits", len(digits)))
	}
	for i := 0; i < len(digits); i++ {
		c := digits[i]
		switch {
		case '0' <= c && c <= '9', 'a' <= c && c <= 'f':
		case 'A' <= c && c <= 'F':
			return fail("hex digits must be lowercase")
		default:
			return fail(fmt.Sprintf("%q at digit %d is not a hex digit", c, i+1))
		}
	}
	if _, err := hex.Decode(h[:], []byte(digits)); err != nil {
		return fail(err.Error())
	}
	return h, nil
}

// ParseHex parses the 64 lowercase hex digits of a Hash without its
// "sha256:" tag (the form a store uses as a file name).
func ParseHex(digits string) (Hash, error) { return Parse(hashPrefix + digits) }

// String returns "sha256:<64 lowercase hex digits>".
func (h Hash) String() string { return hashPrefix + h.Hex() }

// Hex returns the 64 lowercase hex digits without the algorithm tag; the
// store uses it as a file name.
func (h Hash) Hex() string { return hex.EncodeToString(h[:]) }

// IsZero reports whether h is the zero Hash ("no hash given").
func (h Hash) IsZero() bool { return h == Hash{} }

// MarshalText implements encoding.TextMarshaler with String's form.
func (h Hash) MarshalText() ([]byte, error) { return []byte(h.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler with Parse.
func (h *Hash) UnmarshalText(b []byte) error {
	parsed, err := Parse(string(b))
	if err != nil {
		return err
	}
	*h = parsed
	return nil
}
