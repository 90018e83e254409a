package runtime

import (
	"bytes"
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"

	"github.com/quantum1net/q1/sdk/guest/abi"
)

// memoryOnlyWasm is (module (memory (export "memory") 1 1)): one fixed
// 64 KiB page of real wazero guest memory, with no code at all.
var memoryOnlyWasm = []byte{
	0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // magic, version 1
	0x05, 0x04, 0x01, 0x01, 0x01, 0x01, // memory section: min 1, max 1 page
	0x07, 0x0a, 0x01, 0x06, 'm', 'e', 'm', 'o', 'r', 'y', 0x02, 0x00, // export "memory"
}

// discardSink is a LogSink that counts lines and checks their size.
type discardSink struct {
	mu    sync.Mutex
	lines int
	long  string
}

func (s *discardSink) WriteLog(l LogLine) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lines++
	if len(l.Message) > 4*abi.MaxLogLineBytes { // ToValidUTF8 may widen bytes, not by more
		s.long = l.Message[:64]
	}
}

// hostFuncHarness is a service granted every capability (kv in a temp
// directory, log, egress to a host that resolves to loopback, which the
// runtime refuses: nothing leaves the machine) and one page of real guest
// memory, to call host functions from the host side.
type hostFuncHarness struct {
	svc *Service
	mem api.Memory
}

func newHostFuncHarness(tb testing.TB) *hostFuncHarness {
	tb.Helper()
	ctx := context.Background()
	rt := newTestRuntime(tb)
	svc, err := newService(rt, ServiceSpec{
		Name:   "fuzz",
		Limits: Limits{MaxResponseBytes: 4096},
		Capabilities: Capabilities{
			KV:     &KVConfig{Dir: tb.TempDir(), QuotaBytes: 1 << 16},
			Log:    &discardSink{},
			Egress: &EgressConfig{Hosts: []string{"localhost"}},
		},
	})
	if err != nil {
		tb.Fatal(err)
	}
	if svc.kv, err = openKV(tb.TempDir()); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { svc.kv.db.Close() })
	wrt := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfigInterpreter())
	tb.Cleanup(func() { wrt.Close(ctx) })
	mod, err := wrt.Instantiate(ctx, memoryOnlyWasm)
	if err != nil {
		tb.Fatal(err)
	}
	return &hostFuncHarness{svc: svc, mem: mod.Memory()}
}

// FuzzHostFuncs calls every host function the way a hostile guest could:
// any pointers and lengths, any memory contents, with or without a request
// in progress. A call must never panic, must write guest memory only where
// read_result was asked to (and nowhere else, for every other function),
// and must return a success value or an abi error code — with a message as
// the pending result, except read_result, which never replaces it.
func FuzzHostFuncs(f *testing.F) {
	page := uint32(wasmPageSize)
	seed := func(fn uint8, inCall bool, mem []byte, args ...uint32) {
		var a [5]uint32
		copy(a[:], args)
		f.Add(fn, inCall, a[0], a[1], a[2], a[3], a[4], mem)
	}
	for i := range hostFuncs {
		fn := uint8(i)
		seed(fn, true, []byte("key"), 0, 3, 0, 3, 10)     // in bounds
		seed(fn, true, nil, page-1, 2, page, 1, 0)        // straddling the end
		seed(fn, false, nil, page, 0, 0xffffffff, 1, 1)   // at the end, and past it
		seed(fn, true, nil, 0xffffffff, 0xffffffff, 0, 0) // wrapping around
		seed(fn, true, nil, 0, page, 1, page, 0xffffffff) // all of memory
		seed(fn, true, nil, 0x80000000, 0x80000000, 0, 0) // lengths above MaxInt32
	}
	// A well-formed egress request (to a host that resolves to loopback).
	seed(uint8(len(hostFuncs)-1), true, abi.AppendRequest(nil, &abi.Request{Method: "GET", Target: "http://localhost/"}), 0, 64)

	h := newHostFuncHarness(f)
	f.Fuzz(func(t *testing.T, fn uint8, inCall bool, a0, a1, a2, a3, a4 uint32, init []byte) {
		hf := hostFuncs[int(fn)%len(hostFuncs)]
		// Fill the page: the seed bytes, then a pattern, so a write
		// anywhere shows.
		full := bytes.Repeat([]byte{0xA5}, int(page))
		copy(full, init)
		if !h.mem.Write(0, full) {
			t.Fatal("cannot fill guest memory")
		}
		in := &instance{svc: h.svc, exec: context.Background()}
		if inCall {
			in.call = &call{}
		}
		const pending = "the previous result"
		in.result = []byte(pending)
		stack := make([]uint64, max(1, len(hf.params)))
		args := []uint32{a0, a1, a2, a3, a4}
		for i := range hf.params {
			stack[i] = api.EncodeU32(args[i])
		}

		got := hf.fn(in, h.mem, stack)

		after, ok := h.mem.Read(0, page)
		if !ok {
			t.Fatal("cannot read guest memory back")
		}
		changed := -1
		for i := range after {
			if after[i] != full[i] {
				changed = i
				break
			}
		}
		if hf.name == "read_result" {
			// Only [ptr, ptr+count) may change, with the pending bytes.
			if got > 0 {
				end := uint64(a0) + uint64(got)
				if end > uint64(page) || !bytes.Equal(after[a0:end], []byte(pending)[:got]) {
					t.Fatalf("read_result(%d, %d) = %d but memory does not hold the result there", a0, a1, got)
				}
				copy(after[a0:end], full[a0:end])
				changed = bytes.Compare(after, full) // 0: nothing else changed
				if changed == 0 {
					changed = -1
				}
			}
			if changed >= 0 {
				t.Fatalf("read_result(%d, %d) = %d wrote guest memory outside what it returned", a0, a1, got)
			}
			if got < 0 && got != abi.CodeInvalid {
				t.Fatalf("read_result(%d, %d) = %d; want a count or CodeInvalid", a0, a1, got)
			}
			if got < 0 && string(in.result) != pending {
				t.Fatalf("read_result replaced the pending result with %q", in.result)
			}
			return
		}
		if changed >= 0 {
			t.Fatalf("%s(%v) wrote guest memory at byte %d", hf.name, args[:len(hf.params)], changed)
		}
		if got < 0 {
			msg := string(in.result)
			if msg == pending || msg == "" || !utf8Valid(msg) {
				t.Fatalf("%s(%v) = %d with no message of its own (pending result %q)", hf.name, args[:len(hf.params)], got, msg)
			}
			if !knownCode(got) {
				t.Fatalf("%s(%v) = %d, not an abi code: %s", hf.name, args[:len(hf.params)], got, msg)
			}
			// Out-of-bounds arguments are named as such.
			if got == abi.CodeInvalid && strings.Contains(msg, "outside guest memory") && !strings.Contains(msg, "bytes [") {
				t.Fatalf("%s: unclear out-of-bounds message %q", hf.name, msg)
			}
			return
		}
		if int(got) != len(in.result) && got != 0 {
			t.Fatalf("%s(%v) = %d but its pending result has %d bytes", hf.name, args[:len(hf.params)], got, len(in.result))
		}
		if in.call != nil && len(in.call.response) > h.svc.limits.MaxResponseBytes {
			t.Fatalf("response grew to %d bytes past the %d limit", len(in.call.response), h.svc.limits.MaxResponseBytes)
		}
		if sink := h.svc.logSink.(*discardSink); sink.long != "" {
			t.Fatalf("a log line longer than the limit reached the sink: %q...", sink.long)
		}
	})
}

func knownCode(c int32) bool {
	switch c {
	case abi.CodeInvalid, abi.CodeNotFound, abi.CodeTooLarge, abi.CodeQuota, abi.CodeInternal, abi.CodeDenied, abi.CodeUpstream:
		return true
	}
	return false
}

func utf8Valid(s string) bool { return strings.ToValidUTF8(s, "") == s }
