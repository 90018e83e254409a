package reqsign

import (
	"encoding/hex"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// Version is the first line of every string to sign. A future scheme changes
// it, so signatures of one version never verify under another.
const Version = "q1-request/v1"

// Request is the part of an HTTP request a signature covers, before
// canonicalisation. Path and Query are raw, percent-encoded, as sent on the
// request line (Query without the '?').
type Request struct {
	Service   string
	Host      string
	Method    string
	Path      string
	Query     string
	BodyHash  [32]byte
	Timestamp int64 // unix seconds
	Nonce     string
}

// StringToSign returns the exact bytes whose SHA-256 the signature covers, as
// specified in the package documentation. It fails when a field cannot be
// represented unambiguously: an empty or multi-line service, host or method,
// an invalid percent-escape in the path or query, a negative timestamp or a
// nonce outside the allowed alphabet.
func (r Request) StringToSign() ([]byte, error) {
	if err := checkLine("service", r.Service); err != nil {
		return nil, err
	}
	if err := checkLine("host", r.Host); err != nil {
		return nil, err
	}
	if err := checkMethod(r.Method); err != nil {
		return nil, err
	}
	path, err := CanonicalPath(r.Path)
	if err != nil {
		return nil, err
	}
	query, err := CanonicalQuery(r.Query)
	if err != nil {
		return nil, err
	}
	if r.Timestamp < 0 {
		return nil, fmt.Errorf("timestamp %d is before 1970", r.Timestamp)
	}
	if err := checkNonce(r.Nonce); err != nil {
		return nil, err
	}
	lines := []string{
		Version,
		r.Service,
		strings.ToLower(r.Host),
		r.Method,
		path,
		query,
		hex.EncodeToString(r.BodyHash[:]),
		strconv.FormatInt(r.Timestamp, 10),
		r.Nonce,
	}
	return []byte(strings.Join(lines, "\n")), nil
}

func checkLine(field, v string) error {
	if v == "" {
		return fmt.Errorf("%s is empty", field)
	}
	for i := 0; i < len(v); i++ {
		if c := v[i]; c <= ' ' || c == 0x7f {
			return fmt.Errorf("%s %q contains a space or control character", field, v)
		}
	}
	return nil
}

// checkMethod accepts an RFC 9110 token.
func checkMethod(m string) error {
	if m == "" {
		return fmt.Errorf("method is empty")
	}
	for i := 0; i < len(m); i++ {
		c := m[i]
		if isUnreserved(c) || strings.IndexByte("!#$%&'*+^`|", c) >= 0 {
			continue
		}
		return fmt.Errorf("method %q is not an HTTP token", m)
	}
	return nil
}

// CanonicalPath returns the canonical form of a raw, percent-encoded request
// path as the package documentation defines it.
func CanonicalPath(raw string) (string, error) {
	if raw == "" {
		return "/", nil
	}
	var b strings.Builder
	b.Grow(len(raw))
	for i := 0; i < len(raw); i++ {
		c, escaped := raw[i], false
		if c == '%' {
			if i+2 >= len(raw) || !isHex(raw[i+1]) || !isHex(raw[i+2]) {
				return "", fmt.Errorf("path %q: invalid percent-escape at byte %d", raw, i)
			}
			c, escaped = unhex(raw[i+1])<<4|unhex(raw[i+2]), true
			i += 2
		}
		if isUnreserved(c) || (c == '/' && !escaped) {
			b.WriteByte(c)
		} else {
			writeEscaped(&b, c)
		}
	}
	return b.String(), nil
}

// CanonicalQuery returns the canonical form of a raw query (without '?') as
// the package documentation defines it.
func CanonicalQuery(raw string) (string, error) {
	if raw == "" {
		return "", nil
	}
	var pairs []string
	for part := range strings.SplitSeq(raw, "&") {
		if part == "" {
			continue
		}
		name, value, _ := strings.Cut(part, "=")
		dn, err := url.QueryUnescape(name)
		if err != nil {
			return "", fmt.Errorf("query parameter %q: invalid percent-escape", part)
		}
		dv, err := url.QueryUnescape(value)
		if err != nil {
			return "", fmt.Errorf("query parameter %q: invalid percent-escape", part)
		}
		pairs = append(pairs, escapeAll(dn)+"="+escapeAll(dv))
	}
	// Sort on (name, value), not on the joined pair, where '=' would be
	// compared against the bytes of a longer name.
	slices.SortFunc(pairs, func(a, b string) int {
		an, av, _ := strings.Cut(a, "=")
		bn, bv, _ := strings.Cut(b, "=")
		if c := strings.Compare(an, bn); c != 0 {
			return c
		}
		return strings.Compare(av, bv)
	})
	return strings.Join(pairs, "&"), nil
}

func escapeAll(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		if c := s[i]; isUnreserved(c) {
			b.WriteByte(c)
		} else {
			writeEscaped(&b, c)
		}
	}
	return b.String()
}

const upperHex = "0123456789ABCDEF"

func writeEscaped(b *strings.Builder, c byte) {
	b.WriteByte('%')
	b.WriteByte(upperHex[c>>4])
	b.WriteByte(upperHex[c&0x0f])
}

// isUnreserved reports RFC 3986 unreserved characters.
func isUnreserved(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
		c == '-' || c == '.' || c == '_' || c == '~'
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c <= 'F':
		return c - 'A' + 10
	default:
		return c - 'a' + 10
	}
}
