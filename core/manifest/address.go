package manifest

import (
	"fmt"
	"strings"
)

// HashPrefix starts every content address: of wasm modules and of manifests.
const HashPrefix = "sha256:"

// ValidateWasmHash reports whether s is a wasm content address:
// "sha256:" followed by 64 lowercase hex digits.
func ValidateWasmHash(s string) error {
	hexPart, ok := strings.CutPrefix(s, HashPrefix)
	if !ok || len(hexPart) != 64 || strings.IndexFunc(hexPart, func(r rune) bool {
		return !('0' <= r && r <= '9' || 'a' <= r && r <= 'f')
	}) >= 0 {
		return fmt.Errorf("must be %s followed by 64 lowercase hex digits (the CLI fills it from --wasm), got %q", HashPrefix, s)
	}
	return nil
}
