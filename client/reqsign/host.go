package reqsign

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
)

// ErrMisdirected matches every refusal of CheckHost: the request names a
// host or port this server is not reached at (HTTP 421 Misdirected Request).
var ErrMisdirected = errors.New("misdirected request")

// HostError is a refusal from CheckHost. Its message names the host:port the
// request was signed for and the one(s) this server expects.
type HostError struct {
	Host     string   // the Host header as sent
	Expected []string // the host:port this server answers signed requests on
	msg      string
}

func (e *HostError) Error() string { return e.msg }

// Unwrap makes errors.Is(err, ErrMisdirected) true.
func (e *HostError) Unwrap() error { return ErrMisdirected }

// CheckHost refuses a signed request whose Host is not one this server is
// reached at. A signature covers the Host as the client sent it, port
// included; without this check a request signed for one server could be
// replayed to another that shares its host name but listens on another port
// (two nodes on one machine, say).
//
// Each allowed entry is "host:port" or ":port" (any host name, that port);
// host names compare case-insensitively and without a trailing dot, and IPv6
// literals are written in brackets ("[::1]:8080"). A Host without a port
// addresses the scheme's default port, so it matches an entry with port 80
// or 443. With no allowed entries, CheckHost allows any host name on the
// port of the local address the request arrived on (what net/http stores
// under http.LocalAddrContextKey), so a handler behind its own listener calls
// just CheckHost(r); behind a proxy or a port mapping, pass the ports callers
// use. If neither is known the request is refused.
//
// A handler should check the Host before Verifier.Verify, so a misdirected
// request does not spend its nonce here, and answer a refusal with
// http.StatusMisdirectedRequest and the error's message.
func CheckHost(r *http.Request, allowed ...string) error {
	if len(allowed) == 0 {
		port := LocalPort(r)
		if port == "" {
			return &HostError{Host: r.Host, msg: fmt.Sprintf(
				"this server cannot tell which port it was reached on, so it cannot check that the request "+
					"was signed for it (Host %q)", clipHost(r.Host))}
		}
		allowed = []string{":" + port}
	}
	name, port, err := SplitHost(r.Host)
	if err == nil && name == "" {
		err = errors.New("no host name")
	}
	if err != nil {
		return &HostError{Host: r.Host, Expected: expectedHosts("", allowed), msg: fmt.Sprintf(
			"Host %q is malformed (%v); sign the request for %s", clipHost(r.Host), err,
			strings.Join(expectedHosts("", allowed), " or "))}
	}
	for _, a := range allowed {
		aName, aPort, err := SplitHost(a)
		if err != nil || aPort == "" {
			continue // a bad entry allows nothing
		}
		if aName != "" && aName != name {
			continue
		}
		if aPort == port || (port == "" && (aPort == "80" || aPort == "443")) {
			return nil
		}
	}
	exp := expectedHosts(name, allowed)
	return &HostError{Host: r.Host, Expected: exp, msg: fmt.Sprintf(
		"request signed for %s reached a server that answers signed requests at %s: a signature is bound to "+
			"the host and port it was made for; sign the request for %s",
		describeHost(name, port), strings.Join(exp, " or "), exp[0])}
}

// SplitHost splits a Host header (or an allowed entry) into its host name,
// lowercase, without a trailing dot and without the brackets of an IPv6
// literal, and its port ("" when there is none). It refuses a port that is
// not a decimal number from 1 to 65535.
func SplitHost(host string) (name, port string, err error) {
	h := strings.ToLower(host)
	switch {
	case strings.HasPrefix(h, "["):
		end := strings.IndexByte(h, ']')
		if end < 0 {
			return "", "", errors.New("IPv6 literal without ']'")
		}
		name, rest := h[1:end], h[end+1:]
		if rest == "" {
			return name, "", nil
		}
		p, ok := strings.CutPrefix(rest, ":")
		if !ok {
			return "", "", errors.New("text after the IPv6 literal is not a port")
		}
		if err := checkPort(p); err != nil {
			return "", "", err
		}
		return name, p, nil
	case strings.Count(h, ":") > 1:
		return "", "", errors.New("IPv6 literal without brackets")
	}
	name, p, hasPort := strings.Cut(h, ":")
	name = strings.TrimSuffix(name, ".")
	if !hasPort {
		return name, "", nil
	}
	if err := checkPort(p); err != nil {
		return "", "", err
	}
	return name, p, nil
}

func checkPort(p string) error {
	n, err := strconv.Atoi(p)
	if err != nil || n < 1 || n > 65535 || strconv.Itoa(n) != p {
		return fmt.Errorf("port %q is not a number from 1 to 65535", clipHost(p))
	}
	return nil
}

// LocalPort is the port of the local address a server received r on, ""
// when net/http did not record it (a request built in process).
func LocalPort(r *http.Request) string {
	addr, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr)
	if !ok || addr == nil {
		return ""
	}
	if tcp, ok := addr.(*net.TCPAddr); ok {
		if tcp.Port == 0 {
			return ""
		}
		return strconv.Itoa(tcp.Port)
	}
	_, port, err := net.SplitHostPort(addr.String())
	if err != nil || checkPort(port) != nil {
		return ""
	}
	return port
}

// expectedHosts writes the allowed entries as host:port, putting name in
// entries that allow any host name.
func expectedHosts(name string, allowed []string) []string {
	var out []string
	for _, a := range allowed {
		aName, aPort, err := SplitHost(a)
		if err != nil || aPort == "" {
			continue
		}
		if aName == "" {
			aName = name
		}
		if aName == "" {
			aName = "this server's host"
		}
		out = append(out, net.JoinHostPort(aName, aPort))
	}
	if len(out) == 0 {
		out = []string{"(no valid host:port is configured)"}
	}
	return out
}

func describeHost(name, port string) string {
	if port == "" {
		return name + " (no port: the scheme's default)"
	}
	return net.JoinHostPort(name, port)
}

func clipHost(s string) string {
	if len(s) > 100 {
		return s[:100] + "..."
	}
	return s
}
