package reqsign

import (
	"strings"
	"testing"
)

func TestCanonicalPath(t *testing.T) {
	tests := []struct{ raw, want, err string }{
		{raw: "", want: "/"},
		{raw: "/", want: "/"},
		{raw: "/v1/blobs", want: "/v1/blobs"},
		{raw: "/a b/%7e%2f", want: "/a%20b/~%2F"}, // the package doc's example
		{raw: "/%41%62c", want: "/Abc"},
		{raw: "/caf%c3%a9", want: "/caf%C3%A9"},
		{raw: "/café", want: "/caf%C3%A9"},
		{raw: "/x;y=1/(p)!:@", want: "/x%3By%3D1/%28p%29%21%3A%40"},
		{raw: "/a%2Fb", want: "/a%2Fb"},
		{raw: "/%", err: `path "/%": invalid percent-escape at byte 1`},
		{raw: "/%4", err: `path "/%4": invalid percent-escape at byte 1`},
		{raw: "/a%zz", err: `path "/a%zz": invalid percent-escape at byte 2`},
	}
	for _, tt := range tests {
		t.Run(tt.raw, func(t *testing.T) {
			got, err := CanonicalPath(tt.raw)
			if tt.err != "" {
				if err == nil || err.Error() != tt.err {
					t.Fatalf("CanonicalPath(%q) error = %v, want %q", tt.raw, err, tt.err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("CanonicalPath(%q) = %q, %v; want %q", tt.raw, got, err, tt.want)
			}
		})
	}
}

func TestCanonicalQuery(t *testing.T) {
	tests := []struct{ raw, want, err string }{
		{raw: "", want: ""},
		{raw: "b=2&a=x+y&a", want: "a=&a=x%20y&b=2"}, // the package doc's example
		{raw: "a=1&a=0", want: "a=0&a=1"},
		{raw: "&&a=1&", want: "a=1"},
		{raw: "k=v%2Bw&k=v+w", want: "k=v%20w&k=v%2Bw"},
		{raw: "ab=1&a=2", want: "a=2&ab=1"}, // by name, not by joined pair
		{raw: "a%3Db=c", want: "a%3Db=c"},
		{raw: "x=a=b", want: "x=a%3Db"},
		{raw: "%7e=%7E", want: "~=~"},
		{raw: "semi;colon=1", want: "semi%3Bcolon=1"},
		{raw: "a=%zz", err: `query parameter "a=%zz": invalid percent-escape`},
		{raw: "%=1", err: `query parameter "%=1": invalid percent-escape`},
	}
	for _, tt := range tests {
		t.Run(tt.raw, func(t *testing.T) {
			got, err := CanonicalQuery(tt.raw)
			if tt.err != "" {
				if err == nil || err.Error() != tt.err {
					t.Fatalf("CanonicalQuery(%q) error = %v, want %q", tt.raw, err, tt.err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("CanonicalQuery(%q) = %q, %v; want %q", tt.raw, got, err, tt.want)
			}
		})
	}
}

// TestStringToSignVector pins the exact bytes and signature of one request, a
// test vector for clients written in other languages.
func TestStringToSignVector(t *testing.T) {
	r := Request{
		Service:   "blob",
		Host:      "Node.Example:1317",
		Method:    "PUT",
		Path:      "/v1/blobs",
		Query:     "b=2&a=x+y&a",
		BodyHash:  hashOf([]byte("hello")),
		Timestamp: 1767225600,
		Nonce:     "AAAAAAAAAAAAAAAAAAAAAA",
	}
	msg, err := r.StringToSign()
	if err != nil {
		t.Fatal(err)
	}
	want := strings.Join([]string{
		"q1-request/v1",
		"blob",
		"node.example:1317",
		"PUT",
		"/v1/blobs",
		"a=&a=x%20y&b=2",
		"2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824",
		"1767225600",
		"AAAAAAAAAAAAAAAAAAAAAA",
	}, "\n")
	if string(msg) != want {
		t.Fatalf("StringToSign =\n%s\nwant\n%s", msg, want)
	}
}

func TestStringToSignRejects(t *testing.T) {
	valid := Request{Service: "blob", Host: "h", Method: "GET", Path: "/", Nonce: "AAAAAAAAAAAAAAAAAAAAAA"}
	tests := []struct {
		name   string
		mutate func(r *Request)
		want   string
	}{
		{"empty service", func(r *Request) { r.Service = "" }, "service is empty"},
		{"multi-line service", func(r *Request) { r.Service = "a\nb" }, `service "a\nb" contains a space or control character`},
		{"empty host", func(r *Request) { r.Host = "" }, "host is empty"},
		{"method", func(r *Request) { r.Method = "GE T" }, `method "GE T" is not an HTTP token`},
		{"timestamp", func(r *Request) { r.Timestamp = -1 }, "timestamp -1 is before 1970"},
		{"nonce", func(r *Request) { r.Nonce = "short" }, "nonce is 5 characters; want 16 to 64"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := valid
			tt.mutate(&r)
			_, err := r.StringToSign()
			if err == nil || err.Error() != tt.want {
				t.Fatalf("StringToSign error = %v, want %q", err, tt.want)
			}
		})
	}
}
