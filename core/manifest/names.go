package manifest

import (
	"fmt"
	"strings"
)

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

// ValidateName reports whether name can name a service: a DNS label, so that
// it can be the service's own origin (name.gateway-host).
func ValidateName(name string) error {
	if !isDNSLabel(name) {
		return fmt.Errorf("must be a DNS label: 1 to 63 lowercase letters, digits or '-', "+
			"starting and ending with a letter or digit; got %q", name)
	}
	if reservedNames[name] {
		return fmt.Errorf("%q is reserved: nodes sign their own requests with that purpose; choose another name", name)
	}
	return nil
}

// reservedNames cannot name a service: they are the purposes of signed
// requests the nodes handle themselves (client/reqsign), so a signature
// made for one could never be taken as a call to a service.
var reservedNames = map[string]bool{"blob": true, "logs": true, "node": true}

// MaxSecretNameLen is the longest secret name.
const MaxSecretNameLen = 64

// ValidateSecretName reports whether name can name a secret: 1 to 64
// letters, digits, '_', '-' or '.', starting with a letter or '_'.
func ValidateSecretName(name string) error {
	ok := len(name) > 0 && len(name) <= MaxSecretNameLen &&
		(name[0] == '_' || 'a' <= name[0] && name[0] <= 'z' || 'A' <= name[0] && name[0] <= 'Z')
	for i := 0; ok && i < len(name); i++ {
		c := name[i]
		ok = 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '-' || c == '.'
	}
	if !ok {
		return fmt.Errorf("secret name %q must be 1 to %d letters, digits, '_', '-' or '.', starting with a letter or '_'", name, MaxSecretNameLen)
	}
	return nil
}

// validateHost reports whether s is an egress host pattern: a lowercase DNS
// name of at least two labels, optionally starting with "*." to allow every
// subdomain. IP addresses are not accepted: egress is by name.
func validateHost(s string) error {
	name := strings.TrimPrefix(s, "*.")
	if len(s) > 253 {
		return fmt.Errorf("host %q is longer than 253 characters", s)
	}
	labels := strings.Split(name, ".")
	if len(labels) < 2 {
		return fmt.Errorf("host %q must be a full DNS name such as api.example.com", s)
	}
	for _, l := range labels {
		if !isDNSLabel(l) {
			return fmt.Errorf("host %q is not a lowercase DNS name (labels of letters, digits and '-'; "+
				"a leading *. allows every subdomain)", s)
		}
	}
	if strings.Trim(labels[len(labels)-1], "0123456789") == "" {
		return fmt.Errorf("host %q looks like an IP address; egress is granted by DNS name", s)
	}
	return nil
}

// matchHost reports whether host is allowed by pattern: an exact name, or
// "*.example.com" for any name below example.com (not example.com itself).
// Case and a trailing dot in host are ignored.
func matchHost(pattern, host string) bool {
	host = strings.TrimSuffix(strings.ToLower(host), ".")
	if suffix, ok := strings.CutPrefix(pattern, "*"); ok {
		return len(host) > len(suffix) && strings.HasSuffix(host, suffix)
	}
	return host == pattern
}

// isAttrKey reports whether s can be a sharer attribute key (and so a spread
// key): 1-63 characters of lowercase letters, digits and - . _ /, starting
// and ending with a letter or digit, such as region or topology/zone.
func isAttrKey(s string) bool {
	return isToken(s, func(c byte) bool { return 'a' <= c && c <= 'z' || '0' <= c && c <= '9' },
		"-._/")
}

// isAttrValue reports whether s can be a sharer attribute value: 1-63
// letters, digits and - . _, starting and ending with a letter or digit.
func isAttrValue(s string) bool {
	return isToken(s, func(c byte) bool {
		return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
	}, "-._")
}

func isToken(s string, alnum func(byte) bool, inner string) bool {
	if len(s) == 0 || len(s) > 63 || !alnum(s[0]) || !alnum(s[len(s)-1]) {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !alnum(s[i]) && strings.IndexByte(inner, s[i]) < 0 {
			return false
		}
	}
	return true
}
