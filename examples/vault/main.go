// Command vault uses a secret without ever showing it: GET /sign?msg=TEXT
// returns the hex HMAC-SHA256 of TEXT under the service's secret
// SIGNING_KEY, which a caller who knows the key can check, and nobody else
// can forge. It needs the secrets capability
// (permissions.capabilities.secrets); the owner sets the key with
//
//	q1 service secret set vault SIGNING_KEY --value-stdin
//
// and may rotate it the same way: the next request signs with the new key.
//
// Build: GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o vault.wasm ./examples/vault
package main

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"

	"github.com/quantum1net/q1/sdk/guest"
)

const secretName = "SIGNING_KEY"

func init() {
	guest.Handle(http.HandlerFunc(serve))
}

func serve(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case "/":
		_, _ = w.Write([]byte("vault: GET /sign?msg=TEXT signs TEXT with the secret " + secretName + "\n"))
		return
	case "/sign":
	default:
		http.NotFound(w, r)
		return
	}
	key, err := guest.Secret(secretName)
	if errors.Is(err, guest.ErrNotFound) {
		http.Error(w, "no signing key yet: the owner sets it with q1 service secret set vault "+secretName, http.StatusServiceUnavailable)
		return
	}
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(r.URL.Query().Get("msg")))
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = w.Write([]byte(hex.EncodeToString(mac.Sum(nil)) + "\n"))
}

// main never runs in a -buildmode=c-shared module; init registers the handler.
func main() {}
