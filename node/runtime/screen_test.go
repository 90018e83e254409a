package runtime

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"strings"
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
		// 21 bodies of 6 bytes, each declaring 50,000 locals: 1,000 such
		// bodies (8 KiB) cost wazero's validation 3 GiB and 14 s of CPU.
		{"a million locals in 160 bytes",
			"\x00asm\x01\x00\x00\x00\x01\x04\x01\x60\x00\x00\x03\x16\x15" + strings.Repeat("\x00", 21) +
				"\x0a\x94\x01\x15" + strings.Repeat("\x06\x01\xd0\x86\x03\x7f\x0b", 21),
			"invalid module: the module declares more than a node accepts (docs/guest-abi.md, Limits), at byte offset 184 (0xb8): " +
				"the module's functions have more than 1000000 parameters and locals in all"},
		// A table of 2^27 elements cost every instance 1 GiB, allocated at
		// instantiation outside the memory limit, and seconds to clear it.
		{"a table of 2^27 elements",
			"\x00asm\x01\x00\x00\x00\x04\x07\x01\x70\x00\x80\x80\x80\x40",
			"invalid module: the module declares more than a node accepts (docs/guest-abi.md, Limits), at byte offset 12 (0xc): " +
				"a table of at least 134217728 elements (at most 10000000)"},
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

// One function of 4,000 nested loops, 12 KiB, took wazevo 3.5 s of CPU to
// compile (its time is quadratic in a function's blocks): the instrumenter
// refuses it by fuel.ControlBudget, before wazevo sees it.
func TestQuadraticControlFlowIsRefusedBeforeCompiling(t *testing.T) {
	body := []byte{0}
	body = append(body, bytes.Repeat([]byte{0x03, 0x40}, 4000)...)
	body = append(body, bytes.Repeat([]byte{0x0b}, 4001)...)
	code := binary.AppendUvarint([]byte{1}, uint64(len(body)))
	code = append(code, body...)
	wasm := []byte("\x00asm\x01\x00\x00\x00\x01\x04\x01\x60\x00\x00\x03\x02\x01\x00\x0a")
	wasm = append(binary.AppendUvarint(wasm, uint64(len(code))), code...)
	const want = "invalid module: the module's control flow is more than a node compiles (docs/guest-abi.md, Limits): " +
		"fuel: function 0, byte offset 22 (0x16): 4000 control operators: " +
		"the module's sum of their squares reaches 16000000, over its budget of 10000000"
	ctx := context.Background()
	if _, err := newTestRuntime(t).Compile(ctx, wasm); err == nil || err.Error() != "compile: "+want || !errors.Is(err, ErrInvalidModule) {
		t.Errorf("Compile:\n got %v\nwant compile: %s", err, want)
	}
	if _, err := Check(ctx, wasm, nil); err == nil || err.Error() != "check: "+want || !errors.Is(err, ErrInvalidModule) {
		t.Errorf("Check:\n got %v\nwant check: %s", err, want)
	}
}
