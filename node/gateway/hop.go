package gateway

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/quantum1net/q1/core/address"
	"github.com/quantum1net/q1/core/manifest"
)

// Versions start the tagged messages, so a tag made for one purpose never
// verifies for another.
const (
	hopVersion   = "q1-gateway-hop/v1"
	proofVersion = "q1-gateway-served/v1"
)

// Route values of HeaderHopRoute.
const (
	hopRouteHost = "host" // the caller used the service's origin; the target runs as is
	hopRoutePath = "path" // the caller used /s/{service}/; the serving node strips it
)

const challengeBytes = 32

var hopHeaders = []string{
	HeaderHopFrom, HeaderHopTo, HeaderHopService, HeaderHopRoute,
	HeaderHopClient, HeaderHopChallenge, HeaderHopAuth,
}

// hop is what a forwarding node says about a request it passes on.
type hop struct {
	from, to, service, route, client, challenge string
	tag                                         []byte // HMAC-SHA256 under the pair key of from and to
}

// parseHop reads the X-Q1-Hop-* headers. Each must appear exactly once and
// be well formed; the error names the header and what is wrong with it.
func parseHop(h http.Header) (*hop, error) {
	vals := make(map[string]string, len(hopHeaders))
	for _, name := range hopHeaders {
		vs := h.Values(name)
		switch len(vs) {
		case 0:
			return nil, fmt.Errorf("forwarded request is missing header %s", name)
		case 1:
			vals[name] = vs[0]
		default:
			return nil, fmt.Errorf("header %s appears %d times; a forwarding node sends it once", name, len(vs))
		}
	}
	hp := &hop{
		from:      vals[HeaderHopFrom],
		to:        vals[HeaderHopTo],
		service:   vals[HeaderHopService],
		route:     vals[HeaderHopRoute],
		client:    vals[HeaderHopClient],
		challenge: vals[HeaderHopChallenge],
	}
	if err := address.ValidateAccount(hp.from); err != nil {
		return nil, fmt.Errorf("header %s: %v", HeaderHopFrom, err)
	}
	if err := address.ValidateAccount(hp.to); err != nil {
		return nil, fmt.Errorf("header %s: %v", HeaderHopTo, err)
	}
	if err := manifest.ValidateName(hp.service); err != nil {
		return nil, fmt.Errorf("header %s: service name %v", HeaderHopService, err)
	}
	if hp.route != hopRouteHost && hp.route != hopRoutePath {
		return nil, fmt.Errorf("header %s is %q; want %q or %q", HeaderHopRoute, clip(hp.route), hopRouteHost, hopRoutePath)
	}
	if hp.client == "" || len(hp.client) > 64 || strings.ContainsAny(hp.client, " \t,") {
		return nil, fmt.Errorf("header %s is %q; want one IP address", HeaderHopClient, clip(hp.client))
	}
	if err := checkChallenge(hp.challenge); err != nil {
		return nil, fmt.Errorf("header %s: %v", HeaderHopChallenge, err)
	}
	tag, err := base64.StdEncoding.Strict().DecodeString(vals[HeaderHopAuth])
	if err != nil || len(tag) != macSize {
		return nil, fmt.Errorf("header %s: want a %d-byte tag as standard padded base64", HeaderHopAuth, macSize)
	}
	hp.tag = tag
	return hp, nil
}

// setHeaders writes the hop's headers onto h.
func (hp *hop) setHeaders(h http.Header) {
	h.Set(HeaderHopFrom, hp.from)
	h.Set(HeaderHopTo, hp.to)
	h.Set(HeaderHopService, hp.service)
	h.Set(HeaderHopRoute, hp.route)
	h.Set(HeaderHopClient, hp.client)
	h.Set(HeaderHopChallenge, hp.challenge)
	h.Set(HeaderHopAuth, base64.StdEncoding.EncodeToString(hp.tag))
}

// message is what the forwarding node tags: the hop itself and the
// request it carries (method, Host, target, body, and the caller's own
// signature if any), one field a line. No field can hold a newline: header
// values and request targets never do.
func (hp *hop) message(method, host, target string, bodyHash [32]byte, callerSig string) []byte {
	return []byte(strings.Join([]string{
		hopVersion, hp.from, hp.to, hp.service, hp.route, hp.client, hp.challenge,
		method, host, target, hex.EncodeToString(bodyHash[:]), callerSig,
	}, "\n"))
}

// proofMessage is what a serving node tags to prove it answered a
// forwarded request: who it is, the forwarder's challenge, and the answer
// (status, whether it ran, SHA-256 of the body as sent).
func proofMessage(sharer, challenge, service string, status int, notRun string, bodyHash [32]byte) []byte {
	return []byte(strings.Join([]string{
		proofVersion, sharer, challenge, service, strconv.Itoa(status), notRun, hex.EncodeToString(bodyHash[:]),
	}, "\n"))
}

// newChallenge returns 32 random bytes as unpadded base64url.
func newChallenge() (string, error) {
	var b [challengeBytes]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("read random challenge: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b[:]), nil
}

func checkChallenge(c string) error {
	b, err := base64.RawURLEncoding.Strict().DecodeString(c)
	if err != nil || len(b) != challengeBytes {
		return fmt.Errorf("want %d random bytes as unpadded base64url", challengeBytes)
	}
	return nil
}
