package blob

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

func TestParseHash(t *testing.T) {
	good := Sum([]byte("hello")).String()
	if good != "sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824" {
		t.Fatalf("Sum(hello) = %s", good)
	}
	tests := []struct{ in, want string }{
		{good, ""},
		{"", `invalid blob hash "": it does not start with "sha256:"; want sha256: followed by 64 lowercase hex digits`},
		{good[7:], `it does not start with "sha256:"`},
		{"SHA256:" + good[7:], `it does not start with "sha256:"`},
		{"sha512:abcd", `algorithm "sha512" is not supported`},
		{good[:70], "it has 63 hex digits"},
		{good + "0", "it has 65 hex digits"},
		{"sha256:" + strings.ToUpper(good[7:]), "hex digits must be lowercase"},
		{good[:10] + "g" + good[11:], `'g' at digit 4 is not a hex digit`},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			h, err := ParseHash(tt.in)
			if tt.want == "" {
				if err != nil || h.String() != tt.in {
					t.Fatalf("ParseHash(%q) = %s, %v", tt.in, h, err)
				}
				return
			}
			if !errors.Is(err, ErrInvalidHash) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("ParseHash(%q) error = %v\nwant it to contain %q", tt.in, err, tt.want)
			}
		})
	}
}

func TestHashJSON(t *testing.T) {
	h := Sum([]byte("x"))
	b, err := json.Marshal(PutResponse{Hash: h, Size: 1})
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"hash":"` + h.String() + `","size":1}`; string(b) != want {
		t.Fatalf("JSON = %s, want %s", b, want)
	}
	var back PutResponse
	if err := json.Unmarshal(b, &back); err != nil || back.Hash != h {
		t.Fatalf("round trip = %+v, %v", back, err)
	}
	err = json.Unmarshal([]byte(`{"hash":"md5:00"}`), &back)
	if err == nil || !strings.Contains(err.Error(), `algorithm "md5" is not supported`) {
		t.Fatalf("bad hash in JSON: %v", err)
	}
}

func TestFormatSize(t *testing.T) {
	for n, want := range map[int64]string{
		0: "0 B", 1023: "1023 B", 1024: "1 KiB", 1536: "1.5 KiB",
		64 << 20: "64 MiB", 1 << 30: "1 GiB", 3<<30 + 1<<29: "3.5 GiB",
	} {
		if got := formatSize(n); got != want {
			t.Errorf("formatSize(%d) = %q, want %q", n, got, want)
		}
	}
}
