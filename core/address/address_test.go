package address

import (
	"bytes"
	"testing"

	"github.com/cosmos/cosmos-sdk/types/bech32"
)

func encode(t *testing.T, prefix string, n int) string {
	t.Helper()
	s, err := bech32.ConvertAndEncode(prefix, bytes.Repeat([]byte{1}, n))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestValidateAccount(t *testing.T) {
	key, module := encode(t, AccountPrefix, 20), encode(t, AccountPrefix, 32)
	short, valoper := encode(t, AccountPrefix, 10), encode(t, ValidatorPrefix, 20)
	cosmos := encode(t, "cosmos", 20)
	for _, tc := range []struct{ name, addr, want string }{
		{"key account", key, ""},
		{"module account", module, ""},
		{"empty", "", "account address is empty"},
		{"capitals", "Q1" + key[2:], `"Q1` + key[2:] + `" is not a Quantum1Net account address: it has capital letters; write it in lowercase`},
		{"not bech32", "q1xyz", `"q1xyz" is not a Quantum1Net account address: decoding bech32 failed: invalid bech32 string length 5`},
		{"another network", cosmos, `"` + cosmos + `" is not a Quantum1Net account address: it starts with "cosmos1", but Quantum1Net accounts start with "q11"`},
		{"validator operator", valoper, `"` + valoper + `" is not a Quantum1Net account address: it is a validator operator address; give the operator's account address (q11…)`},
		{"wrong length", short, `"` + short + `" is not a Quantum1Net account address: it holds 10 bytes, want 20 or 32`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := ValidateAccount(tc.addr)
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("ValidateAccount(%q) = %v, want nil", tc.addr, err)
			case tc.want != "" && (err == nil || err.Error() != tc.want):
				t.Fatalf("ValidateAccount(%q)\n got: %v\nwant: %s", tc.addr, err, tc.want)
			}
		})
	}
}

func TestParseAccountWithPrefix(t *testing.T) {
	q1 := encode(t, AccountPrefix, 20)
	if _, err := ParseAccountWithPrefix("cosmos", encode(t, "cosmos", 20)); err != nil {
		t.Fatalf("cosmos address with prefix cosmos: %v", err)
	}
	_, err := ParseAccountWithPrefix("cosmos", q1)
	want := `"` + q1 + `" is not a cosmos account address: it starts with "q11", but cosmos accounts start with "cosmos1"`
	if err == nil || err.Error() != want {
		t.Fatalf("got %v\nwant %s", err, want)
	}
	b, err := ParseAccount(q1)
	if err != nil || !bytes.Equal(b, bytes.Repeat([]byte{1}, 20)) {
		t.Fatalf("ParseAccount = %x, %v", b, err)
	}
}
