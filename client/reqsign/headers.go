package reqsign

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"net/http"
	"strconv"

	"github.com/cosmos/cosmos-sdk/crypto/keys/secp256k1"

	"github.com/quantum1net/q1/core/address"
)

// Names of the headers a signed request carries (see the package documentation).
const (
	HeaderAccount   = "X-Q1-Account"
	HeaderPubKey    = "X-Q1-Pubkey"
	HeaderTimestamp = "X-Q1-Timestamp"
	HeaderNonce     = "X-Q1-Nonce"
	HeaderSignature = "X-Q1-Signature"
)

const (
	minNonceLen  = 16
	maxNonceLen  = 64
	signatureLen = 64
	addressLen   = address.KeyAccountLen
)

// signedHeaders is the parsed form of a request's signature headers.
type signedHeaders struct {
	account   []byte // 20-byte address decoded from X-Q1-Account
	pubKey    *secp256k1.PubKey
	timestamp int64
	nonce     string
	signature []byte
}

var allHeaders = []string{HeaderAccount, HeaderPubKey, HeaderTimestamp, HeaderNonce, HeaderSignature}

// parseHeaders reads the five signature headers of h. It returns an error of
// kind ErrNotSigned when none is present and ErrMalformed when any is missing,
// repeated or unparsable.
func parseHeaders(h http.Header, accountPrefix string) (signedHeaders, error) {
	var (
		sh      signedHeaders
		present int
	)
	vals := make(map[string]string, len(allHeaders))
	for _, name := range allHeaders {
		vs := h.Values(name)
		if len(vs) > 0 {
			present++
		}
		if len(vs) > 1 {
			return sh, refuse(ErrMalformed, fmt.Sprintf("header %s appears %d times; send it once", name, len(vs)))
		}
		if len(vs) == 1 {
			vals[name] = vs[0]
		}
	}
	if present == 0 {
		return sh, refuse(ErrNotSigned, fmt.Sprintf(
			"request is not signed: it has no %s header (sign it with a %s account key)", HeaderSignature, accountPrefix))
	}
	for _, name := range allHeaders {
		if _, ok := vals[name]; !ok {
			return sh, refuse(ErrMalformed, fmt.Sprintf("signed request is missing header %s", name))
		}
	}

	var err error
	if sh.account, err = parseAccount(vals[HeaderAccount], accountPrefix); err != nil {
		return sh, malformed(HeaderAccount, err)
	}
	if sh.pubKey, err = parsePubKey(vals[HeaderPubKey]); err != nil {
		return sh, malformed(HeaderPubKey, err)
	}
	if sh.timestamp, err = parseTimestamp(vals[HeaderTimestamp]); err != nil {
		return sh, malformed(HeaderTimestamp, err)
	}
	if err = checkNonce(vals[HeaderNonce]); err != nil {
		return sh, malformed(HeaderNonce, err)
	}
	sh.nonce = vals[HeaderNonce]
	if sh.signature, err = parseSignature(vals[HeaderSignature]); err != nil {
		return sh, malformed(HeaderSignature, err)
	}
	return sh, nil
}

func malformed(header string, err error) error {
	return refuse(ErrMalformed, fmt.Sprintf("header %s: %v", header, err))
}

func parseAccount(v, prefix string) ([]byte, error) {
	addr, err := address.ParseAccountWithPrefix(prefix, v)
	if err != nil {
		return nil, err
	}
	if len(addr) != addressLen {
		return nil, fmt.Errorf("%q holds %d bytes: it is a module or multisig account, which cannot sign; sign with a key account (%d bytes)", v, len(addr), addressLen)
	}
	return addr, nil
}

func parsePubKey(v string) (*secp256k1.PubKey, error) {
	b, err := base64.StdEncoding.Strict().DecodeString(v)
	if err != nil {
		return nil, fmt.Errorf("not standard padded base64")
	}
	if len(b) != secp256k1.PubKeySize || (b[0] != 2 && b[0] != 3) {
		return nil, fmt.Errorf("%d bytes; want a %d-byte compressed secp256k1 public key (02 or 03 first)",
			len(b), secp256k1.PubKeySize)
	}
	return &secp256k1.PubKey{Key: b}, nil
}

func parseTimestamp(v string) (int64, error) {
	ts, err := strconv.ParseInt(v, 10, 64)
	if err != nil || ts < 0 || v[0] == '+' || (v[0] == '0' && len(v) > 1) {
		return 0, fmt.Errorf("%q is not a unix time in whole seconds (decimal digits, no leading zeros)", v)
	}
	return ts, nil
}

func checkNonce(v string) error {
	if len(v) < minNonceLen || len(v) > maxNonceLen {
		return fmt.Errorf("nonce is %d characters; want %d to %d", len(v), minNonceLen, maxNonceLen)
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_' {
			continue
		}
		return fmt.Errorf("nonce %q has a character outside A-Z a-z 0-9 - _", v)
	}
	return nil
}

func parseSignature(v string) ([]byte, error) {
	b, err := base64.StdEncoding.Strict().DecodeString(v)
	if err != nil {
		return nil, fmt.Errorf("not standard padded base64")
	}
	if len(b) != signatureLen {
		return nil, fmt.Errorf("%d bytes; want a %d-byte R||S secp256k1 signature", len(b), signatureLen)
	}
	return b, nil
}

// setHeaders writes the signature headers, replacing any already present.
func setHeaders(h http.Header, account string, pub *secp256k1.PubKey, ts int64, nonce string, sig []byte) {
	h.Set(HeaderAccount, account)
	h.Set(HeaderPubKey, base64.StdEncoding.EncodeToString(pub.Key))
	h.Set(HeaderTimestamp, strconv.FormatInt(ts, 10))
	h.Set(HeaderNonce, nonce)
	h.Set(HeaderSignature, base64.StdEncoding.EncodeToString(sig))
}

// sameAddress reports whether the public key hashes to addr.
func sameAddress(pub *secp256k1.PubKey, addr []byte) bool {
	return bytes.Equal(pub.Address(), addr)
}
