package blob

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
)

// hashPrefix is the algorithm tag of the project's content addresses.
const hashPrefix = "sha256:"

// ErrInvalidHash is matched by every error of ParseHash.
var ErrInvalidHash = errors.New("invalid blob hash")

// Hash is the SHA-256 content address of a blob. Its text form, used
// everywhere in the project (manifests, URLs, headers, logs), is
// "sha256:" followed by 64 lowercase hex digits. The zero Hash means "none".
type Hash [sha256.Size]byte

// Sum returns the Hash of b.
func Sum(b []byte) Hash { return sha256.Sum256(b) }

// ParseHash parses "sha256:<64 lowercase hex digits>" and nothing else.
func ParseHash(s string) (Hash, error) {
	var h Hash
	fail := func(why string) (Hash, error) {
		return Hash{}, fmt.Errorf("%w %q: %s; want sha256: followed by 64 lowercase hex digits", ErrInvalidHash, s, why)
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

// String returns "sha256:<64 lowercase hex digits>".
func (h Hash) String() string { return hashPrefix + h.Hex() }

// Hex returns the 64 lowercase hex digits without the algorithm tag; the
// store uses it as a file name.
func (h Hash) Hex() string { return hex.EncodeToString(h[:]) }

// IsZero reports whether h is the zero Hash ("no hash given").
func (h Hash) IsZero() bool { return h == Hash{} }

// MarshalText implements encoding.TextMarshaler with String's form.
func (h Hash) MarshalText() ([]byte, error) { return []byte(h.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler with ParseHash.
func (h *Hash) UnmarshalText(b []byte) error {
	parsed, err := ParseHash(string(b))
	if err != nil {
		return err
	}
	*h = parsed
	return nil
}

// parseHex parses the 64-digit file name form.
func parseHex(name string) (Hash, bool) {
	h, err := ParseHash(hashPrefix + name)
	return h, err == nil
}
