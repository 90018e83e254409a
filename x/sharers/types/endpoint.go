package types

import (
	"fmt"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
)

// MaxEndpointLength is the longest endpoint URL a sharer may register.
const MaxEndpointLength = 256

// cgnat is the shared address space of carrier-grade NAT (RFC 6598), which
// is no more reachable from the internet than a private network.
var cgnat = netip.MustParsePrefix("100.64.0.0/10")

// ValidateEndpoint reports whether s can be a sharer's endpoint: an http or
// https URL with a host, an optional port and path, and no user info, query
// or fragment. The host is a lowercase DNS name of at least two labels or an
// IP literal.
//
// The chain cannot resolve DNS names (the answer would differ between
// validators), so it judges only what it sees: unless allowPrivate is set
// (devnets), it refuses IP literals that are loopback, private, link-local or
// carrier-grade NAT, single-label names, and the name localhost and every
// name under it. The unspecified address and multicast are always refused. A
// public name that resolves to a private address is the gateway's to refuse
// when it connects.
func ValidateEndpoint(s string, allowPrivate bool) error {
	if s == "" {
		return fmt.Errorf("endpoint is empty: give the node's public URL, such as https://node.example.com:8443")
	}
	if len(s) > MaxEndpointLength {
		return fmt.Errorf("endpoint is %d characters long; at most %d are allowed", len(s), MaxEndpointLength)
	}
	u, err := url.Parse(s)
	if err != nil {
		return fmt.Errorf("endpoint %q is not a URL: %v", s, err)
	}
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return fmt.Errorf("endpoint %q must start with http:// or https://", s)
	case u.Opaque != "":
		return fmt.Errorf("endpoint %q must be of the form %s://host[:port][/path]", s, u.Scheme)
	case u.User != nil:
		return fmt.Errorf("endpoint %q must not carry user info (user:password@): the URL is public", s)
	case u.RawQuery != "" || u.ForceQuery:
		return fmt.Errorf("endpoint %q must not have a query (?…)", s)
	case u.Fragment != "" || strings.Contains(s, "#"):
		return fmt.Errorf("endpoint %q must not have a fragment (#…)", s)
	}
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return fmt.Errorf("endpoint %q: port %s must be between 1 and 65535", s, p)
		}
	}
	host := u.Hostname()
	if host == "" {
		return fmt.Errorf("endpoint %q names no host", s)
	}
	if ip, err := netip.ParseAddr(host); err == nil {
		return checkEndpointIP(s, ip, allowPrivate)
	}
	return checkEndpointName(s, host, allowPrivate)
}

// checkEndpointIP judges an IP literal host.
func checkEndpointIP(s string, ip netip.Addr, allowPrivate bool) error {
	if ip.Zone() != "" {
		return fmt.Errorf("endpoint %q: an IPv6 zone (%%%s) only means something on one machine", s, ip.Zone())
	}
	ip = ip.Unmap()
	switch {
	case ip.IsUnspecified():
		return fmt.Errorf("endpoint %q: %s is the unspecified address; give an address callers can reach", s, ip)
	case ip.IsMulticast():
		return fmt.Errorf("endpoint %q: %s is a multicast address; give a unicast address", s, ip)
	}
	var kind string
	switch {
	case ip.IsLoopback():
		kind = "a loopback"
	case ip.IsPrivate():
		kind = "a private"
	case ip.IsLinkLocalUnicast():
		kind = "a link-local"
	case cgnat.Contains(ip):
		kind = "a carrier-grade NAT"
	default:
		return nil
	}
	if allowPrivate {
		return nil
	}
	return fmt.Errorf("endpoint %q: %s is %s address, which other nodes cannot reach; "+
		"give a public address or DNS name (only devnets set params.allow_private_endpoints)", s, ip, kind)
}

// checkEndpointName judges a DNS name host.
func checkEndpointName(s, host string, allowPrivate bool) error {
	if len(host) > 253 {
		return fmt.Errorf("endpoint %q: host name is longer than 253 characters", s)
	}
	if host != strings.ToLower(host) {
		return fmt.Errorf("endpoint %q: write the host name in lowercase", s)
	}
	labels := strings.Split(host, ".")
	for _, l := range labels {
		if !isDNSLabel(l) {
			return fmt.Errorf("endpoint %q: host %q is not a DNS name (labels of 1-63 lowercase letters, digits and '-', "+
				"not starting or ending with '-', no trailing dot)", s, host)
		}
	}
	last := labels[len(labels)-1]
	if strings.Trim(last, "0123456789") == "" {
		return fmt.Errorf("endpoint %q: host %q looks like an IP address but is not one in standard form; write the address as a.b.c.d", s, host)
	}
	if allowPrivate {
		return nil
	}
	if last == "localhost" {
		return fmt.Errorf("endpoint %q: %s names this machine, which other nodes cannot reach; "+
			"give a public DNS name (only devnets set params.allow_private_endpoints)", s, host)
	}
	if len(labels) < 2 {
		return fmt.Errorf("endpoint %q: %s is a single-label name that only a local network resolves; "+
			"give a full DNS name such as node.example.com", s, host)
	}
	return nil
}

// isDNSLabel reports whether s is an RFC 1123 DNS label: 1-63 lowercase
// letters, digits or '-', starting and ending with a letter or digit.
func isDNSLabel(s string) bool {
	if len(s) == 0 || len(s) > 63 || s[0] == '-' || s[len(s)-1] == '-' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}
