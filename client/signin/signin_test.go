package signin

import (
	"errors"
	"strings"
	"testing"

	"github.com/cosmos/cosmos-sdk/crypto/keys/secp256k1"

	"github.com/quantum1net/q1/client/reqsign"
)

// testNode is the CometBFT id of the node the tests' challenges name.
const testNode = "0123456789abcdef0123456789abcdef01234567"

func signer(seed string) reqsign.KeySigner {
	return reqsign.KeySigner{Key: secp256k1.GenPrivKeyFromSecret([]byte(seed))}
}

// TestChallengeNamesChainAndNode: the text a person signs says where they
// sign in.
func TestChallengeNamesChainAndNode(t *testing.T) {
	ch, err := NewChallenge("q1-test", testNode)
	if err != nil {
		t.Fatal(err)
	}
	p, err := ParseChallenge(ch)
	if err != nil || p.Chain != "q1-test" || p.Node != testNode {
		t.Fatalf("ParseChallenge(%q) = %+v, %v", ch, p, err)
	}
	want := "Quantum1Net dashboard sign-in\nchain: q1-test\nnode: " + testNode + "\nchallenge: " + ch
	if got := string(Message(ch)); got != want {
		t.Fatalf("Message = %q, want %q", got, want)
	}
	if again, _ := NewChallenge("q1-test", testNode); again == ch {
		t.Fatalf("two challenges are the same: %s", ch)
	}
	for _, bad := range [][2]string{{"q1 test; rm -rf", testNode}, {"q1-test", strings.ToUpper(testNode)}, {"q1-test", "abc"}} {
		if _, err := NewChallenge(bad[0], bad[1]); err == nil {
			t.Errorf("NewChallenge(%q, %q) made a challenge", bad[0], bad[1])
		}
	}
}

func TestCLIRefusesToSignOtherText(t *testing.T) {
	for _, s := range []string{"", "q1-dashboard-", "q1-dashboard-xyz", "sign this tx", "q1-dashboard-00000000000000000000000000000000\nmore",
		"q1-dashboard-q1-test-" + testNode + "-00000000000000000000000000000000\nmore",
		"q1-dashboard-q1 test-" + testNode + "-00000000000000000000000000000000",
		"q1-dashboard-q1-test-" + strings.ToUpper(testNode) + "-00000000000000000000000000000000"} {
		if _, err := Sign(s, signer("alice")); err == nil || !strings.Contains(err.Error(), "is not a dashboard challenge") {
			t.Errorf("Sign(%q) = %v", s, err)
		}
	}
}

// TestTokenSaysWhoSigned: a token round-trips, names its signer, and a
// changed one is refused with what is wrong.
func TestTokenSaysWhoSigned(t *testing.T) {
	alice, mallory := signer("alice"), signer("mallory")
	aliceAddr, err := reqsign.AccountAddress(reqsign.AccountPrefix, alice.Key.PubKey())
	if err != nil {
		t.Fatal(err)
	}
	ch, _ := NewChallenge("q1-test", testNode)
	s, err := Sign(ch, alice)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := DecodeToken(s)
	if err != nil {
		t.Fatal(err)
	}
	if acc, err := tok.Account(); err != nil || acc != aliceAddr || tok.Challenge != ch {
		t.Fatalf("token of %s for %s: %+v, %q, %v", aliceAddr, ch, tok, acc, err)
	}
	if err := tok.CheckSignature(); err != nil {
		t.Fatal(err)
	}

	other, _ := DecodeToken(mustSign(t, ch, mallory))
	other.Address = aliceAddr
	if _, err := other.Account(); !errors.Is(err, ErrWrongAddress) {
		t.Errorf("a token naming another address: %v", err)
	}
	forged := tok
	forged.Signature = append([]byte(nil), tok.Signature...)
	forged.Signature[3] ^= 0xff
	if err := forged.CheckSignature(); !errors.Is(err, ErrBadSignature) || !strings.Contains(err.Error(), "sign exactly the challenge shown") {
		t.Errorf("a changed signature: %v", err)
	}
	for in, want := range map[string]string{
		"hello":              `a token starts with "q1token."`,
		s[:len(s)-10]:        "it is cut or changed",
		EncodeToken(Token{}): "it lacks the address, the challenge or the signature",
	} {
		if _, err := DecodeToken(in); !errors.Is(err, ErrBadToken) || !strings.Contains(err.Error(), want) {
			t.Errorf("DecodeToken(%.20q) = %v, want %q", in, err, want)
		}
	}
}

func mustSign(t *testing.T, ch string, s reqsign.Signer) string {
	t.Helper()
	tok, err := Sign(ch, s)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}
