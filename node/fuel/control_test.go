package fuel

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

// wazevo's SSA passes (loop detection, the loop nesting forest) take time
// quadratic in a function's basic blocks: one function of 4,000 nested
// loops (12 KiB) took 3.5 s of CPU to compile, 20,000 nested ifs (100 KiB)
// 14 s, 100,000 empty blocks (300 KiB) a minute. Instrument refuses a
// module whose functions' control operators, squared and summed, exceed
// its ControlBudget.
func TestInstrumentRefusesQuadraticControlFlow(t *testing.T) {
	fn := func(body ...[]byte) []byte {
		var a asm
		a.fn(a.typ(nil, nil), nil, append(body, end)...)
		return a.bytes()
	}
	nested := func(op byte, n int) []byte {
		return fn(bytes.Repeat([]byte{op, 0x40}, n), bytes.Repeat([]byte{opEnd}, n))
	}
	for _, tc := range []struct {
		name string
		wasm []byte
		want string
	}{
		{"4000 nested loops", nested(opLoop, 4000),
			"4000 control operators: the module's sum of their squares reaches 16000000, over its budget of 10000000"},
		{"100000 blocks", fn(bytes.Repeat([]byte{opBlock, 0x40, opEnd}, 100_000)),
			"100000 control operators: the module's sum of their squares reaches 10000000000, over its budget of 10000000"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Instrument(tc.wasm, V1())
			var e *Error
			if !errors.As(err, &e) || !errors.Is(err, ErrLimit) || !strings.Contains(e.What, tc.want) || e.Func != 0 {
				t.Errorf("Instrument: %v; want an ErrLimit in function 0: %q", err, tc.want)
			}
		})
	}
	// Within the budget: a function of 3,000 (9,000,000).
	if _, err := Instrument(nested(opLoop, 3000), V1()); err != nil {
		t.Errorf("3000 nested loops: %v", err)
	}
}
