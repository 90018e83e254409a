package runtime

import (
	"context"
	"errors"
	"testing"
)

// A module of a few bytes that declares millions of entries is refused by
// its numbers, before wazero decodes it and reserves memory by them (the
// first module below made wazero reserve gigabytes for 255 million exports
// and spend a minute clearing them; node/fuel's FuzzInstrument found it).
func TestDeclaredCountBombsAreRefusedBeforeDecoding(t *testing.T) {
	rt := newTestRuntime(t)
	ctx := context.Background()
	for _, tc := range []struct {
		name, wasm, want string
	}{
		{"255 million exports",
			"\x00asm\x01\x00\x00\x00\x01\x06\x01`\x01\x7f\x01\x7f\x03\x02\x01\x00\a\x05\xf9\xf9\xf9\xf9\x00\f\x00\v\v \x01@",
			"invalid module: the module declares more than a node accepts (docs/guest-abi.md, Limits), at byte offset 22 (0x16): " +
				"section 7 declares 255753465 exports in the 0 bytes that follow"},
		{"4 billion locals",
			"\x00asm\x01\x00\x00\x00\x01\x04\x01\x60\x00\x00\x03\x02\x01\x00\x0a\x0a\x01\x08\x01\xff\xff\xff\xff\x0f\x7f\x0b",
			"invalid module: the module declares more than a node accepts (docs/guest-abi.md, Limits), at byte offset 23 (0x17): " +
				"a function declares more than 50000 locals"},
		{"a section past the end", "\x00asm\x01\x00\x00\x00\x07\xff\x01\x00",
			"invalid module: malformed module, at byte offset 8 (0x8): section 7: size 255 runs past the end of the module"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := rt.Compile(ctx, []byte(tc.wasm))
			if err == nil || err.Error() != "compile: "+tc.want || !errors.Is(err, ErrInvalidModule) {
				t.Errorf("Compile:\n got %v\nwant compile: %s", err, tc.want)
			}
			_, err = rt.Load(ctx, ServiceSpec{Name: "bomb", Wasm: []byte(tc.wasm)})
			if err == nil || err.Error() != "load service bomb: "+tc.want || !errors.Is(err, ErrInvalidModule) {
				t.Errorf("Load:\n got %v\nwant load service bomb: %s", err, tc.want)
			}
			_, err = Check(ctx, []byte(tc.wasm), nil)
			if err == nil || err.Error() != "check: "+tc.want || !errors.Is(err, ErrInvalidModule) {
				t.Errorf("Check:\n got %v\nwant check: %s", err, tc.want)
			}
		})
	}
}
