package runtime

// A tiny WebAssembly binary writer, for modules that a Go compiler would
// never produce: wrong shapes, wrong signatures, raw host calls.

const (
	tI32 byte = 0x7f
	tI64 byte = 0x7e
)

type wasmFunc struct {
	params, results []byte
}

type wasmImport struct {
	module, name string
	wasmFunc
}

type wasmExport struct {
	name string
	wasmFunc
	// body is the function's code without the final end; nil returns zero
	// for each result.
	body []byte
}

type wasmModule struct {
	imports      []wasmImport
	exports      []wasmExport
	memoryPages  uint32 // 0: no memory
	exportMemory bool
	importMemory bool
}

func uleb(v uint32) []byte {
	var b []byte
	for {
		c := byte(v & 0x7f)
		v >>= 7
		if v != 0 {
			b = append(b, c|0x80)
			continue
		}
		return append(b, c)
	}
}

func wasmName(s string) []byte { return append(uleb(uint32(len(s))), s...) }

func wasmVec(items [][]byte) []byte {
	out := uleb(uint32(len(items)))
	for _, it := range items {
		out = append(out, it...)
	}
	return out
}

func wasmSection(id byte, content []byte) []byte {
	return append(append([]byte{id}, uleb(uint32(len(content)))...), content...)
}

func (m wasmModule) encode() []byte {
	var types [][]byte
	typeOf := func(f wasmFunc) byte {
		t := append([]byte{0x60}, wasmVec(bytesOf(f.params))...)
		t = append(t, wasmVec(bytesOf(f.results))...)
		types = append(types, t)
		return byte(len(types) - 1)
	}
	var imports, funcs, exports, code [][]byte
	for _, im := range m.imports {
		imports = append(imports, append(append(wasmName(im.module), wasmName(im.name)...), 0x00, typeOf(im.wasmFunc)))
	}
	if m.importMemory {
		imports = append(imports, append(append(wasmName("env"), wasmName("memory")...), 0x02, 0x00, 0x01))
	}
	for i, ex := range m.exports {
		funcs = append(funcs, []byte{typeOf(ex.wasmFunc)})
		exports = append(exports, append(wasmName(ex.name), 0x00, byte(len(m.imports)+i)))
		body := ex.body
		if body == nil {
			for range ex.results {
				body = append(body, 0x41, 0x00) // i32.const 0
			}
		}
		fn := append([]byte{0x00}, append(body, 0x0b)...) // no locals; end
		code = append(code, append(uleb(uint32(len(fn))), fn...))
	}
	out := []byte{0x00, 'a', 's', 'm', 0x01, 0x00, 0x00, 0x00}
	out = append(out, wasmSection(1, wasmVec(types))...)
	if len(imports) > 0 {
		out = append(out, wasmSection(2, wasmVec(imports))...)
	}
	out = append(out, wasmSection(3, wasmVec(funcs))...)
	if m.memoryPages > 0 {
		out = append(out, wasmSection(5, wasmVec([][]byte{append([]byte{0x00}, uleb(m.memoryPages)...)}))...)
	}
	if m.exportMemory {
		exports = append(exports, append(wasmName("memory"), 0x02, 0x00))
	}
	out = append(out, wasmSection(7, wasmVec(exports))...)
	return append(out, wasmSection(10, wasmVec(code))...)
}

func bytesOf(ts []byte) [][]byte {
	out := make([][]byte, len(ts))
	for i, t := range ts {
		out[i] = []byte{t}
	}
	return out
}

// reactor returns a minimal module of the right shape: _initialize,
// q1_http_handle with body handle, and one page of exported memory.
func reactor(handle []byte, imports ...wasmImport) wasmModule {
	return wasmModule{
		imports: imports,
		exports: []wasmExport{
			{name: "_initialize"},
			{name: "q1_http_handle", wasmFunc: wasmFunc{params: []byte{tI32}, results: []byte{tI32}}, body: handle},
		},
		memoryPages:  1,
		exportMemory: true,
	}
}

var (
	responseWriteImport = wasmImport{"q1", "response_write", wasmFunc{[]byte{tI32, tI32}, []byte{tI32}}}
	i32Const            = func(v byte) []byte { return []byte{0x41, v} } // for 0..63
)
