package runtime

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestCompileChecksTheABI(t *testing.T) {
	rt := newTestRuntime(t)
	handleType := wasmFunc{params: []byte{tI32}, results: []byte{tI32}}
	tests := []struct {
		name string
		mod  wasmModule
		want string
	}{
		{"command module", wasmModule{
			exports:     []wasmExport{{name: "_start"}, {name: "q1_http_handle", wasmFunc: handleType}},
			memoryPages: 1, exportMemory: true,
		}, "compile: invalid module: module is a WASI command (it exports _start, not _initialize); q1-http/v1 needs a reactor: build it with GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared"},
		{"no handler", wasmModule{
			exports:     []wasmExport{{name: "_initialize"}},
			memoryPages: 1, exportMemory: true,
		}, "compile: invalid module: module does not export q1_http_handle; a Go service must import github.com/quantum1net/q1/sdk/guest and call guest.Handle from init"},
		{"handler of the wrong type", wasmModule{
			exports:     []wasmExport{{name: "_initialize"}, {name: "q1_http_handle", wasmFunc: wasmFunc{params: []byte{tI64}}}},
			memoryPages: 1, exportMemory: true,
		}, "compile: invalid module: module exports q1_http_handle as (i64) -> (); q1-http/v1 defines (i32) -> (i32)"},
		{"memory not exported", wasmModule{
			exports:     []wasmExport{{name: "_initialize"}, {name: "q1_http_handle", wasmFunc: handleType}},
			memoryPages: 1,
		}, `compile: invalid module: module does not export its memory as "memory"`},
		{"foreign import", reactor(nil, wasmImport{"env", "abort", wasmFunc{}}),
			"compile: invalid module: module imports env.abort, but a q1-http/v1 host provides only q1 and wasi_snapshot_preview1 functions (docs/guest-abi.md)"},
		{"undefined q1 function", reactor(nil, wasmImport{"q1", "spawn_process", wasmFunc{results: []byte{tI32}}}),
			"compile: invalid module: module imports q1.spawn_process, which q1-http/v1 does not define (see docs/guest-abi.md)"},
		{"q1 function of the wrong type", reactor(nil, wasmImport{"q1", "kv_get", wasmFunc{[]byte{tI32}, []byte{tI32}}}),
			"compile: invalid module: module imports q1.kv_get as (i32) -> (i32); the host defines (i32, i32) -> (i32)"},
		{"unknown WASI function", reactor(nil, wasmImport{"wasi_snapshot_preview1", "sock_teleport", wasmFunc{}}),
			"compile: invalid module: module imports wasi_snapshot_preview1.sock_teleport, which the host's WASI does not provide"},
		{"imported memory", wasmModule{
			imports: nil, importMemory: true,
			exports: []wasmExport{{name: "_initialize"}, {name: "q1_http_handle", wasmFunc: handleType}},
		}, `compile: invalid module: module does not export its memory as "memory"; module imports memory env.memory; a q1-http/v1 module must define and export its own memory`},
		{"not wasm", wasmModule{}, "compile: invalid module: not a WebAssembly module: invalid magic number"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wasm := tt.mod.encode()
			if tt.name == "not wasm" {
				wasm = []byte("\x7fELF")
			}
			_, err := rt.Compile(context.Background(), wasm)
			if err == nil || err.Error() != tt.want {
				t.Fatalf("Compile error:\n got %v\nwant %s", err, tt.want)
			}
			if !errors.Is(err, ErrInvalidModule) {
				t.Fatalf("error %v does not match ErrInvalidModule", err)
			}
		})
	}
}

func TestCompileReportsWhatAModuleNeeds(t *testing.T) {
	rt := newTestRuntime(t)
	m, err := rt.Compile(context.Background(), capsWasm(t))
	if err != nil {
		t.Fatal(err)
	}
	if want := []Capability{CapabilityEgress, CapabilityKV, CapabilityLog}; !reflect.DeepEqual(m.Capabilities(), want) {
		t.Fatalf("Capabilities() = %v, want %v", m.Capabilities(), want)
	}
	want := []string{"q1.read_result", "q1.response_write", "q1.kv_get", "q1.kv_put", "q1.kv_delete", "q1.kv_list", "q1.log", "q1.http_fetch"}
	if got := m.HostImports(); !sameSet(got, want) {
		t.Fatalf("HostImports() = %v, want %v", got, want)
	}
	if len(m.Hash()) != len("sha256:")+64 {
		t.Fatalf("Hash() = %q", m.Hash())
	}

	// The same module loaded with no capability names every missing grant.
	_, err = rt.Load(context.Background(), ServiceSpec{Name: "caps", Wasm: capsWasm(t)})
	for _, imp := range want[2:] {
		if err == nil || !strings.Contains(err.Error(), "module imports "+imp+" but the manifest grants no") {
			t.Fatalf("Load error %v does not name %s", err, imp)
		}
	}

	hello, err := rt.Compile(context.Background(), helloWasm(t))
	if err != nil {
		t.Fatal(err)
	}
	if len(hello.Capabilities()) != 0 {
		t.Fatalf("hello needs %v", hello.Capabilities())
	}
}

func TestRawGuests(t *testing.T) {
	rt := newTestRuntime(t)
	tests := []struct {
		name   string
		handle []byte
		limits Limits
		kind   ErrorKind
		want   string
	}{
		{"no response", nil, Limits{}, KindBadResponse,
			"service raw: guest returned without writing a response"},
		{"error code", i32Const(7), Limits{}, KindBadResponse,
			"service raw: guest's q1_http_handle returned 7 instead of 0"},
		{"claims a 1 GiB response", // response_write(0, 1 GiB): refused on the length alone
			append(append(append(i32Const(0), 0x41, 0x80, 0x80, 0x80, 0x80, 0x04), 0x10, 0x00, 0x1a), i32Const(0)...),
			Limits{MaxResponseBytes: 1 << 20}, KindResponseTooLarge,
			"service raw: response exceeds the service's 1 MiB limit"},
		{"garbage response", // response_write(0, 16) of a zeroed page
			append(append(append(i32Const(0), i32Const(16)...), 0x10, 0x00, 0x1a), i32Const(0)...),
			Limits{}, KindBadResponse,
			`service raw: guest wrote an invalid response: abi: malformed response at byte 0: does not start with "q1s\x01"`},
		{"unreachable", []byte{0x00}, Limits{}, KindTrap,
			"service raw: guest failed: wasm error: unreachable; the instance was replaced"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			svc := load(t, rt, ServiceSpec{Name: "raw", Wasm: reactor(tt.handle, responseWriteImport).encode(), Limits: tt.limits, Instances: 1})
			defer svc.Close(context.Background())
			_, err := svc.Handle(context.Background(), &Request{Method: "GET", Path: "/"})
			requireError(t, err, tt.kind, tt.want)
		})
	}
}

func TestLoadRejectsBadSpecs(t *testing.T) {
	rt := newTestRuntime(t)
	valid := reactor(nil).encode()
	tests := []struct {
		name string
		spec ServiceSpec
		want string
	}{
		{"no name", ServiceSpec{Wasm: valid}, "load service : empty service name"},
		{"memory below a page", ServiceSpec{Name: "m", Wasm: valid, Limits: Limits{MemoryBytes: 1000}},
			"load service m: memory limit 1000 bytes is outside 64 KiB to 4 GiB, what a wasm32 instance can address"},
		{"module needs more memory than allowed", ServiceSpec{Name: "m", Wasm: wasmModule{
			exports:     reactor(nil).exports,
			memoryPages: 100, exportMemory: true,
		}.encode(), Limits: Limits{MemoryBytes: 1 << 20}},
			"load service m: invalid module: the module's memory does not fit the service's memory limit (resources.memory): section memory: min 100 pages (6 Mi) over limit of 16 pages (1 Mi)"},
		{"kv without a directory", ServiceSpec{Name: "k", Wasm: valid, Capabilities: Capabilities{KV: &KVConfig{QuotaBytes: 1}}},
			"load service k: kv capability: empty store directory"},
		{"kv without a quota", ServiceSpec{Name: "k", Wasm: valid, Capabilities: Capabilities{KV: &KVConfig{Dir: t.TempDir()}}},
			"load service k: kv capability: quota must be positive, not 0"},
		{"egress host with a scheme", ServiceSpec{Name: "e", Wasm: valid, Capabilities: Capabilities{Egress: &EgressConfig{Hosts: []string{"http://x.example"}}}},
			`load service e: egress capability: egress host 0 "http://x.example": must be a bare host name`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := rt.Load(context.Background(), tt.spec)
			if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
				t.Fatalf("Load error:\n got %v\nwant %s", err, tt.want)
			}
		})
	}
}

func sameSet(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	seen := map[string]int{}
	for _, s := range a {
		seen[s]++
	}
	for _, s := range b {
		seen[s]--
	}
	for _, n := range seen {
		if n != 0 {
			return false
		}
	}
	return true
}

func TestCheckWithoutARuntime(t *testing.T) {
	ctx := context.Background()
	m, err := Check(ctx, capsWasm(t), []Capability{CapabilityKV, CapabilityLog, CapabilityEgress})
	if err != nil {
		t.Fatalf("caps with every grant: %v", err)
	}
	if want := []Capability{CapabilityEgress, CapabilityKV, CapabilityLog}; !reflect.DeepEqual(m.Capabilities(), want) {
		t.Fatalf("Capabilities() = %v, want %v", m.Capabilities(), want)
	}

	_, err = Check(ctx, capsWasm(t), []Capability{CapabilityKV})
	if !errors.Is(err, ErrInvalidModule) {
		t.Fatalf("caps with kv only: %v, want ErrInvalidModule", err)
	}
	for _, want := range []string{
		"module imports q1.log but the manifest grants no log capability (permissions.capabilities.log)",
		"module imports q1.http_fetch but the manifest grants no egress capability (permissions.capabilities.egress)",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	if strings.Contains(err.Error(), "kv capability") {
		t.Errorf("error %q complains about the granted kv", err)
	}

	_, err = Check(ctx, []byte("#!/bin/sh\necho hi\n"), nil)
	if !errors.Is(err, ErrInvalidModule) || !strings.Contains(err.Error(), "not a WebAssembly module") {
		t.Fatalf("a shell script: %v", err)
	}
	if _, err := Check(ctx, helloWasm(t), nil); err != nil {
		t.Fatalf("hello needs nothing: %v", err)
	}
}
