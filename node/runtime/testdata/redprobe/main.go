// Command redprobe builds hostile modules and measures each load phase:
// CheckLimits, wazero interpreter validation, fuel instrumentation, wazevo
// compilation and two instantiations (wall time, CPU, bytes allocated,
// peak RSS). Usage: go build -o /tmp/redprobe ./node/runtime/testdata/redprobe
// && /tmp/redprobe ATTACK N [instrument|compile]; see build for attacks.
package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/tetratelabs/wazero"

	"github.com/quantum1net/q1/node/fuel"
	noderuntime "github.com/quantum1net/q1/node/runtime"
)

func u32(b []byte, v uint32) []byte {
	for {
		c := byte(v & 0x7f)
		v >>= 7
		if v != 0 {
			b = append(b, c|0x80)
		} else {
			return append(b, c)
		}
	}
}
func i32c(b []byte, v int32) []byte { // sleb
	for {
		c := byte(v & 0x7f)
		v >>= 7
		if (v == 0 && c&0x40 == 0) || (v == -1 && c&0x40 != 0) {
			return append(b, c)
		}
		b = append(b, c|0x80)
	}
}
func sec(out []byte, id byte, body []byte) []byte {
	out = append(out, id)
	out = u32(out, uint32(len(body)))
	return append(out, body...)
}
func vec(n int, each func(b []byte) []byte) []byte {
	b := u32(nil, uint32(n))
	for range n {
		b = each(b)
	}
	return b
}

type mod struct {
	types, imports, funcs, tables, mems, globals, exports, start, elems, code, data []byte
	customs                                                                         [][]byte
}

func (m *mod) bytes() []byte {
	out := []byte("\x00asm\x01\x00\x00\x00")
	for _, s := range []struct {
		id byte
		b  []byte
	}{{1, m.types}, {2, m.imports}, {3, m.funcs}, {4, m.tables}, {5, m.mems}, {6, m.globals}, {7, m.exports}, {8, m.start}, {9, m.elems}, {10, m.code}, {11, m.data}} {
		if s.b != nil {
			out = sec(out, s.id, s.b)
		}
	}
	for _, c := range m.customs {
		out = sec(out, 0, c)
	}
	return out
}

// funcsOf: n functions of type 0 (no params, no results) with the given body (locals decl + code + end).
func funcsOf(n int, body []byte) *mod {
	m := &mod{}
	m.types = []byte{1, 0x60, 0, 0}
	m.funcs = vec(n, func(b []byte) []byte { return append(b, 0) })
	m.code = vec(n, func(b []byte) []byte { b = u32(b, uint32(len(body))); return append(b, body...) })
	return m
}

func build(name string, n int) []byte {
	switch name {
	case "nest-block": // one function, n nested blocks
		body := []byte{0}
		body = append(body, bytes.Repeat([]byte{0x02, 0x40}, n)...)
		body = append(body, bytes.Repeat([]byte{0x0b}, n)...)
		return funcsOf(1, append(body, 0x0b)).bytes()
	case "seq-block":
		body := []byte{0}
		body = append(body, bytes.Repeat([]byte{0x02, 0x40, 0x0b}, n)...)
		return funcsOf(1, append(body, 0x0b)).bytes()
	case "nest-depth": // n/1000 functions... blocks nested 1000 deep, repeated n/1000 times
		body := []byte{0}
		for range n / 1000 {
			body = append(body, bytes.Repeat([]byte{0x02, 0x40}, 1000)...)
			body = append(body, bytes.Repeat([]byte{0x0b}, 1000)...)
		}
		return funcsOf(1, append(body, 0x0b)).bytes()
	case "nest-loop":
		body := []byte{0}
		body = append(body, bytes.Repeat([]byte{0x03, 0x40}, n)...)
		body = append(body, bytes.Repeat([]byte{0x0b}, n)...)
		return funcsOf(1, append(body, 0x0b)).bytes()
	case "nest-if": // n nested if with a local
		body := []byte{1, 1, 0x7f}
		body = append(body, bytes.Repeat([]byte{0x20, 0, 0x04, 0x40}, n)...)
		body = append(body, bytes.Repeat([]byte{0x0b}, n)...)
		return funcsOf(1, append(body, 0x0b)).bytes()
	case "nest-loop-locals": // 1000 locals, n nested loops, innermost uses all locals
		body := []byte{1}
		body = u32(body, 1000)
		body = append(body, 0x7f)
		body = append(body, bytes.Repeat([]byte{0x03, 0x40}, n)...)
		for i := range 1000 {
			body = append(body, 0x20)
			body = u32(body, uint32(i))
			body = append(body, 0x1a)
		}
		body = append(body, bytes.Repeat([]byte{0x0b}, n)...)
		return funcsOf(1, append(body, 0x0b)).bytes()
	case "brtable": // n nested blocks, a br_table of n*k targets
		body := []byte{0}
		body = append(body, bytes.Repeat([]byte{0x02, 0x40}, 1000)...)
		body = append(body, 0x41, 0, 0x0e)
		body = u32(body, uint32(n))
		for i := range n {
			body = u32(body, uint32(i%1000))
		}
		body = append(body, 0)
		body = append(body, bytes.Repeat([]byte{0x0b}, 1000)...)
		return funcsOf(1, append(body, 0x0b)).bytes()
	case "brtable-many": // n br_tables of 100 targets each in one function
		body := []byte{0}
		body = append(body, bytes.Repeat([]byte{0x02, 0x40}, 100)...)
		for range n {
			body = append(body, 0x02, 0x40, 0x41, 0, 0x0e, 100)
			for i := range 100 {
				body = append(body, byte(i))
			}
			body = append(body, 0, 0x0b)
		}
		body = append(body, bytes.Repeat([]byte{0x0b}, 100)...)
		return funcsOf(1, append(body, 0x0b)).bytes()
	case "locals": // n functions each declaring 50000 locals
		body := []byte{1}
		body = u32(body, 50000)
		body = append(body, 0x7f, 0x0b)
		return funcsOf(n, body).bytes()
	case "locals-i64": // 50000 v128? no; f64
		body := []byte{1}
		body = u32(body, 50000)
		body = append(body, 0x7c, 0x0b)
		return funcsOf(n, body).bytes()
	case "stack": // one function pushing n constants then dropping them
		body := []byte{0}
		body = append(body, bytes.Repeat([]byte{0x41, 0}, n)...)
		body = append(body, bytes.Repeat([]byte{0x1a}, n)...)
		return funcsOf(1, append(body, 0x0b)).bytes()
	case "stack-add": // push n constants, then n-1 adds, drop
		body := []byte{0}
		body = append(body, bytes.Repeat([]byte{0x41, 1}, n)...)
		body = append(body, bytes.Repeat([]byte{0x6a}, n-1)...)
		body = append(body, 0x1a)
		return funcsOf(1, append(body, 0x0b)).bytes()
	case "straight": // one long function: local.get 0; i32.const 1; i32.add; local.set 0 repeated
		body := []byte{1, 1, 0x7f}
		body = append(body, bytes.Repeat([]byte{0x20, 0, 0x41, 1, 0x6a, 0x21, 0}, n)...)
		return funcsOf(1, append(body, 0x0b)).bytes()
	case "brif-straight": // one long function of n (i32.const 0; br_if 0)
		body := []byte{0}
		body = append(body, bytes.Repeat([]byte{0x41, 0, 0x0d, 0}, n)...)
		return funcsOf(1, append(body, 0x0b)).bytes()
	case "calls": // n tiny functions
		return funcsOf(n, []byte{0, 0x0b}).bytes()
	case "tables": // n tables of 10M each
		m := funcsOf(1, []byte{0, 0x0b})
		m.tables = vec(n, func(b []byte) []byte { b = append(b, 0x70, 0); return u32(b, 10_000_000) })
		return m.bytes()
	case "table1": // one table of n elements
		m := funcsOf(1, []byte{0, 0x0b})
		m.tables = vec(1, func(b []byte) []byte { b = append(b, 0x70, 0); return u32(b, uint32(n)) })
		return m.bytes()
	case "elem-fill": // one table of 10M, n element segments each covering 10M? no: segments of refs
		m := funcsOf(1, []byte{0, 0x0b})
		m.tables = vec(1, func(b []byte) []byte { b = append(b, 0x70, 0); return u32(b, 10_000_000) })
		m.elems = vec(1, func(b []byte) []byte {
			b = append(b, 0, 0x41, 0, 0x0b)
			return vec(n, func(b []byte) []byte { return append(b, 0) })
		})
		return m.bytes()
	case "memory": // memory with n initial pages
		m := funcsOf(1, []byte{0, 0x0b})
		m.mems = append([]byte{1, 0}, u32(nil, uint32(n))...)
		return m.bytes()
	case "data": // n data segments of 1 byte at offset far apart, memory 1024 pages
		m := funcsOf(1, []byte{0, 0x0b})
		m.mems = append([]byte{1, 0}, u32(nil, 1024)...)
		m.data = vec(n, func(b []byte) []byte {
			b = append(b, 0, 0x41)
			b = i32c(b, int32(n%60000000))
			return append(b, 0x0b, 1, 7)
		})
		return m.bytes()
	case "globals": // n globals i32
		m := funcsOf(1, []byte{0, 0x0b})
		m.globals = vec(n, func(b []byte) []byte { return append(b, 0x7f, 0, 0x41, 0, 0x0b) })
		return m.bytes()
	case "types": // n distinct types with up to 1000 params
		m := funcsOf(1, []byte{0, 0x0b})
		m.types = vec(n, func(b []byte) []byte {
			b = append(b, 0x60)
			b = u32(b, 1000)
			b = append(b, bytes.Repeat([]byte{0x7f}, 1000)...)
			return append(b, 0)
		})
		return m.bytes()
	case "params": // n functions with 1000 params each (type 0 has 1000 params)
		m := funcsOf(n, []byte{0, 0x0b})
		m.types = append([]byte{1, 0x60}, u32(nil, 1000)...)
		m.types = append(m.types, bytes.Repeat([]byte{0x7f}, 1000)...)
		m.types = append(m.types, 0)
		return m.bytes()
	case "imports": // n function imports
		m := funcsOf(1, []byte{0, 0x0b})
		m.imports = vec(n, func(b []byte) []byte { b = append(b, 1, 'm'); b = append(b, 1, 'f'); return append(b, 0, 0) })
		return m.bytes()
	case "exports": // n exports of function 0
		m := funcsOf(1, []byte{0, 0x0b})
		i := 0
		m.exports = vec(n, func(b []byte) []byte {
			s := strconv.Itoa(i)
			i++
			b = u32(b, uint32(len(s)))
			b = append(b, s...)
			return append(b, 0, 0)
		})
		return m.bytes()
	case "names-locals": // name section with local names: n functions x 1 local each... funcs with local names
		m := funcsOf(1, []byte{0, 0x0b})
		sub := vec(n, func(b []byte) []byte {
			b = append(b, 0)
			return vec(1, func(b []byte) []byte { return append(b, 0, 1, 'x') })
		})
		c := u32(nil, 4)
		c = append(c, "name"...)
		c = append(c, 2)
		c = u32(c, uint32(len(sub)))
		c = append(c, sub...)
		m.customs = append(m.customs, c)
		return m.bytes()
	}
	panic("unknown attack " + name)
}

func cpu() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
func hwm() string {
	b, _ := os.ReadFile("/proc/self/status")
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "VmHWM:") {
			return strings.TrimSpace(strings.TrimPrefix(l, "VmHWM:"))
		}
	}
	return "?"
}

func phase(name string, f func() error) bool {
	runtime.GC()
	t, c := time.Now(), cpu()
	var ms0, ms1 runtime.MemStats
	runtime.ReadMemStats(&ms0)
	err := f()
	runtime.ReadMemStats(&ms1)
	es := "ok"
	if err != nil {
		es = err.Error()
		if len(es) > 200 {
			es = es[:200]
		}
	}
	fmt.Printf("  %-12s wall %8.3fs cpu %8.3fs alloc %8.1f MiB  hwm %s  %s\n", name, time.Since(t).Seconds(), (cpu() - c).Seconds(), float64(ms1.TotalAlloc-ms0.TotalAlloc)/(1<<20), hwm(), es)
	return err == nil
}

func main() {
	name := os.Args[1]
	n, _ := strconv.Atoi(os.Args[2])
	stop := ""
	if len(os.Args) > 3 {
		stop = os.Args[3]
	}
	if f := os.Getenv("PROF"); f != "" {
		pf, _ := os.Create(f)
		pprof.StartCPUProfile(pf)
		defer pprof.StopCPUProfile()
	}
	wasm := build(name, n)
	fmt.Printf("%s n=%d: %d bytes (%.2f MiB)\n", name, n, len(wasm), float64(len(wasm))/(1<<20))
	ctx := context.Background()
	if !phase("checklimits", func() error { return fuel.CheckLimits(wasm) }) {
		return
	}
	if !phase("interp", func() error {
		r := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfigInterpreter())
		defer r.Close(ctx)
		_, err := r.CompileModule(ctx, wasm)
		return err
	}) {
		return
	}
	var inst []byte
	if !phase("instrument", func() (err error) {
		inst, err = fuel.InstrumentWithStartFuel(wasm, fuel.V1(), noderuntime.StartupFuel)
		return err
	}) {
		return
	}
	fmt.Printf("  instrumented: %d bytes (x%.2f)\n", len(inst), float64(len(inst))/float64(len(wasm)))
	if stop == "instrument" {
		return
	}
	r := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfigCompiler().WithMemoryLimitPages(1024).WithCloseOnContextDone(true))
	var cm wazero.CompiledModule
	if !phase("wazevo", func() (err error) { cm, err = r.CompileModule(ctx, inst); return err }) {
		return
	}
	if stop == "compile" {
		return
	}
	for i := range 2 {
		phase("instantiate"+strconv.Itoa(i), func() error {
			c, cancel := context.WithTimeout(ctx, 30*time.Second)
			defer cancel()
			_, err := r.InstantiateModule(c, cm, wazero.NewModuleConfig().WithName("").WithStartFunctions())
			return err
		})
	}
}
