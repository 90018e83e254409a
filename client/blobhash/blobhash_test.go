package blobhash

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
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
			h, err := Parse(tt.in)
			if tt.want == "" {
				if err != nil || h.String() != tt.in {
					t.Fatalf("Parse(%q) = %s, %v", tt.in, h, err)
				}
				return
			}
			if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Parse(%q) error = %v\nwant it to contain %q", tt.in, err, tt.want)
			}
		})
	}
}

func TestHashJSON(t *testing.T) {
	h := Sum([]byte("x"))
	type putResponse struct {
		Hash Hash  `json:"hash"`
		Size int64 `json:"size"`
	}
	b, err := json.Marshal(putResponse{Hash: h, Size: 1})
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"hash":"` + h.String() + `","size":1}`; string(b) != want {
		t.Fatalf("JSON = %s, want %s", b, want)
	}
	var back putResponse
	if err := json.Unmarshal(b, &back); err != nil || back.Hash != h {
		t.Fatalf("round trip = %+v, %v", back, err)
	}
	err = json.Unmarshal([]byte(`{"hash":"md5:00"}`), &back)
	if err == nil || !strings.Contains(err.Error(), `algorithm "md5" is not supported`) {
		t.Fatalf("bad hash in JSON: %v", err)
	}
}

func TestOfAndParseHex(t *testing.T) {
	h, n, err := Of(strings.NewReader("hello"))
	if err != nil || n != 5 || h != Sum([]byte("hello")) {
		t.Fatalf("Of(hello) = %s, %d, %v", h, n, err)
	}
	back, err := ParseHex(h.Hex())
	if err != nil || back != h {
		t.Fatalf("ParseHex(%s) = %s, %v", h.Hex(), back, err)
	}
	if _, err := ParseHex("sha256:" + h.Hex()); !errors.Is(err, ErrInvalid) {
		t.Fatalf("ParseHex of a tagged hash: %v, want ErrInvalid", err)
	}
}
