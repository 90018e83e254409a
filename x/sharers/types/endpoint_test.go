package types

import (
	"strings"
	"testing"
)

func TestValidateEndpoint(t *testing.T) {
	long := "https://node.example.com/" + strings.Repeat("x", 240)
	for _, tc := range []struct {
		endpoint     string
		allowPrivate bool
		want         string // "" for valid; else a part of the message
	}{
		{"https://node.example.com", false, ""},
		{"https://node.example.com:8443", false, ""},
		{"http://node.example.com/q1", false, ""},
		{"https://203.0.113.7:8443", false, ""},
		{"https://[2001:db8::1]:8443", false, ""},
		{"http://127.0.0.1:26660", true, ""},
		{"http://localhost:8080", true, ""},
		{"http://node1:8080", true, ""},
		{"http://10.1.2.3", true, ""},

		{"", false, "endpoint is empty"},
		{long, false, "at most 256 are allowed"},
		{"node.example.com:8443", false, "must start with http:// or https://"},
		{"ftp://node.example.com", false, "must start with http:// or https://"},
		{"https:node.example.com", false, "must be of the form https://host[:port][/path]"},
		{"https://user:pw@node.example.com", false, "must not carry user info"},
		{"https://node.example.com/?x=1", false, "must not have a query"},
		{"https://node.example.com/?", false, "must not have a query"},
		{"https://node.example.com/#top", false, "must not have a fragment"},
		{"https://node.example.com:0", false, "port 0 must be between 1 and 65535"},
		{"https://node.example.com:70000", false, "port 70000 must be between 1 and 65535"},
		{"https://:8443", false, "names no host"},
		{"https://Node.Example.com", false, "write the host name in lowercase"},
		{"https://node_1.example.com", false, "is not a DNS name"},
		{"https://node.example.com.", false, "is not a DNS name"},
		{"https://127.1", true, "looks like an IP address"},
		{"https://0x7f.0.0.1", true, "looks like an IP address"},
		{"https://0.0.0.0:80", true, "unspecified address"},
		{"https://[::]:80", true, "unspecified address"},
		{"https://224.0.0.1", true, "multicast"},
		{"https://[fe80::1%25eth0]:80", true, "IPv6 zone"},
		{"http://127.0.0.1:26660", false, "127.0.0.1 is a loopback address"},
		{"http://[::1]:8080", false, "::1 is a loopback address"},
		{"http://[::ffff:127.0.0.1]:8080", false, "127.0.0.1 is a loopback address"},
		{"http://10.1.2.3", false, "10.1.2.3 is a private address"},
		{"http://192.168.1.10", false, "private address"},
		{"http://172.16.0.1", false, "private address"},
		{"http://[fd00::1]", false, "private address"},
		{"http://169.254.169.254", false, "link-local address"},
		{"http://100.64.0.1", false, "carrier-grade NAT address"},
		{"http://localhost:8080", false, "localhost names this machine"},
		{"http://hello.localhost:8080", false, "hello.localhost names this machine"},
		{"http://node1:8080", false, "single-label name"},
	} {
		t.Run(tc.endpoint, func(t *testing.T) {
			err := ValidateEndpoint(tc.endpoint, tc.allowPrivate)
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("ValidateEndpoint(%q, %t) = %v, want nil", tc.endpoint, tc.allowPrivate, err)
			case tc.want != "" && err == nil:
				t.Fatalf("ValidateEndpoint(%q, %t) = nil, want an error containing %q", tc.endpoint, tc.allowPrivate, tc.want)
			case tc.want != "" && !strings.Contains(err.Error(), tc.want):
				t.Fatalf("ValidateEndpoint(%q, %t) = %q, want it to contain %q", tc.endpoint, tc.allowPrivate, err, tc.want)
			}
		})
	}
}
