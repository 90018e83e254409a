package fuel

import (
	"fmt"
	"strings"
)

// disasm lists the instructions of every function body of wasm, one per
// line as hex bytes, for failure messages and debugging.
func disasm(wasm []byte) string {
	m, err := parseModule(wasm)
	if err != nil {
		return err.Error()
	}
	var sb strings.Builder
	c := V1()
	for _, s := range m.sections {
		if s.id != secCode {
			continue
		}
		r := &reader{b: s.body, off: s.off}
		n, _ := r.u32()
		for i := range int(n) {
			size, _ := r.u32()
			body, _ := r.bytes(int(size))
			br := &reader{b: body}
			groups, _ := br.u32()
			fmt.Fprintf(&sb, "func %d:", m.importedFuncs+i)
			for range groups {
				k, _ := br.u32()
				t, _ := br.byte()
				fmt.Fprintf(&sb, " %d×%02x", k, t)
			}
			sb.WriteString("\n")
			depth := 0
			for !br.eof() {
				in, e := decode(br, &c)
				if e != nil {
					fmt.Fprintf(&sb, "  error: %v\n", e)
					break
				}
				if in.depth < 0 {
					depth--
				}
				fmt.Fprintf(&sb, "  %4d %s% x\n", in.start, strings.Repeat("  ", max(depth, 0)), body[in.start:in.end])
				if in.depth > 0 {
					depth++
				}
			}
		}
	}
	return sb.String()
}
