package runtime

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"

	"github.com/tetratelabs/wazero/api"

	"github.com/quantum1net/q1/sdk/guest/abi"
)

// Capability names a group of host functions that a manifest grants under
// permissions.capabilities.
type Capability string

// The capabilities of q1-http/v1.
const (
	CapabilityEgress  Capability = "egress"
	CapabilityKV      Capability = "kv"
	CapabilityLog     Capability = "log"
	CapabilitySecrets Capability = "secrets"
)

// allCapabilities lists every capability in a stable order.
var allCapabilities = []Capability{CapabilityEgress, CapabilityKV, CapabilityLog, CapabilitySecrets}

const i32 = api.ValueTypeI32

// hostFunc is one function of the q1 host module. Every one returns an i32:
// a non-negative success value or a negative abi code. docs/guest-abi.md
// specifies each.
type hostFunc struct {
	name   string
	cap    Capability // "" for the functions every module gets
	params []api.ValueType
	fn     func(in *instance, mem api.Memory, p []uint64) int32
}

var hostFuncs = []hostFunc{
	{"read_result", "", []api.ValueType{i32, i32}, (*instance).readResult},
	{"response_write", "", []api.ValueType{i32, i32}, (*instance).responseWrite},
	{"log", CapabilityLog, []api.ValueType{i32, i32, i32}, (*instance).log},
	{"kv_get", CapabilityKV, []api.ValueType{i32, i32}, (*instance).kvGet},
	{"kv_put", CapabilityKV, []api.ValueType{i32, i32, i32, i32}, (*instance).kvPut},
	{"kv_delete", CapabilityKV, []api.ValueType{i32, i32}, (*instance).kvDelete},
	{"kv_list", CapabilityKV, []api.ValueType{i32, i32, i32, i32, i32}, (*instance).kvList},
	{"secret_get", CapabilitySecrets, []api.ValueType{i32, i32}, (*instance).secretGet},
	{"http_fetch", CapabilityEgress, []api.ValueType{i32, i32}, (*instance).httpFetch}, // last: FuzzHostFuncs seeds it so
}

var hostFuncByName = func() map[string]hostFunc {
	m := make(map[string]hostFunc, len(hostFuncs))
	for _, f := range hostFuncs {
		m[f.name] = f
	}
	return m
}()

// instantiateHostModule gives the service's wazero runtime a q1 module with
// exactly the functions its capabilities grant.
func (s *Service) instantiateHostModule(ctx context.Context) error {
	b := s.wrt.NewHostModuleBuilder(abi.HostModule)
	for _, hf := range hostFuncs {
		if hf.cap != "" && !s.granted[hf.cap] {
			continue
		}
		fn := hf.fn
		b.NewFunctionBuilder().
			WithGoModuleFunction(api.GoModuleFunc(func(ctx context.Context, mod api.Module, stack []uint64) {
				in, _ := ctx.Value(instanceKey{}).(*instance)
				if in == nil {
					stack[0] = api.EncodeI32(abi.CodeInternal)
					return
				}
				stack[0] = api.EncodeI32(fn(in, mod.Memory(), stack))
			}), hf.params, []api.ValueType{i32}).
			Export(hf.name)
	}
	_, err := b.Instantiate(ctx)
	return err
}

// fail makes msg the pending result and returns code.
func (in *instance) fail(code int32, msg string) int32 {
	in.result, in.resultOff = []byte(msg), 0
	return code
}

// succeed makes b the pending result and returns its length.
func (in *instance) succeed(b []byte) int32 {
	if len(b) > math.MaxInt32 {
		return in.fail(abi.CodeTooLarge, fmt.Sprintf("result of %d bytes does not fit an i32 length", len(b)))
	}
	in.result, in.resultOff = b, 0
	return int32(len(b))
}

// guestBytes returns the guest memory [ptr, ptr+n), or fails the call.
func (in *instance) guestBytes(mem api.Memory, ptr, n uint32, what string) ([]byte, int32) {
	b, ok := mem.Read(ptr, n)
	if !ok {
		return nil, in.fail(abi.CodeInvalid, fmt.Sprintf("%s: bytes [%d, %d) lie outside guest memory (%d bytes)",
			what, ptr, uint64(ptr)+uint64(n), mem.Size()))
	}
	return b, 0
}

// readResult is read_result(ptr, len) -> count: it copies the next bytes of
// the pending result into guest memory. It never replaces the pending result.
func (in *instance) readResult(mem api.Memory, p []uint64) int32 {
	ptr, n := uint32(p[0]), uint32(p[1])
	left := in.result[in.resultOff:]
	k := int(min(uint64(n), uint64(len(left))))
	in.charge(hostCallFuel + byteFuel(k))
	if k > 0 && !mem.Write(ptr, left[:k]) {
		return abi.CodeInvalid
	}
	in.resultOff += k
	return int32(k)
}

// responseWrite is response_write(ptr, len) -> 0: it appends to the response
// message of the request in progress.
func (in *instance) responseWrite(mem api.Memory, p []uint64) int32 {
	in.charge(hostCallFuel + byteFuel(int(uint32(p[1]))))
	c := in.call
	if c == nil {
		return in.fail(abi.CodeInvalid, "response_write: no request in progress")
	}
	limit := in.svc.limits.MaxResponseBytes
	if c.responseTooLarge || uint64(len(c.response))+uint64(uint32(p[1])) > uint64(limit) {
		c.responseTooLarge = true
		return in.fail(abi.CodeTooLarge, fmt.Sprintf("response_write: the response exceeds the service's %s limit", byteSize(int64(limit))))
	}
	b, code := in.guestBytes(mem, uint32(p[0]), uint32(p[1]), "response_write")
	if code != 0 {
		return code
	}
	c.response = append(c.response, b...)
	return 0
}

// log is log(level, ptr, len) -> 0: one line for the service's log.
func (in *instance) log(mem api.Memory, p []uint64) int32 {
	n := min(uint32(p[2]), abi.MaxLogLineBytes)
	in.charge(hostCallFuel + byteFuel(int(n)))
	b, code := in.guestBytes(mem, uint32(p[1]), n, "log")
	if code != 0 {
		return code
	}
	in.svc.writeLog(slog.Level(int32(p[0])), "log", string(b))
	return 0
}

// key reads a KV key argument and checks its length.
func (in *instance) key(mem api.Memory, ptr, n uint32, op string) (string, int32) {
	if n == 0 || n > abi.MaxKeyBytes {
		return "", in.fail(abi.CodeInvalid, fmt.Sprintf("%s: a key must be 1 to %d bytes, not %d", op, abi.MaxKeyBytes, n))
	}
	b, code := in.guestBytes(mem, ptr, n, op)
	return string(b), code
}

// kvGet is kv_get(key_ptr, key_len) -> value length.
func (in *instance) kvGet(mem api.Memory, p []uint64) int32 {
	in.charge(kvCallFuel)
	key, code := in.key(mem, uint32(p[0]), uint32(p[1]), "kv get")
	if code != 0 {
		return code
	}
	in.charge(byteFuel(len(key)))
	args := argsHash(tapeKVGet, []byte(key))
	if in.player != nil {
		code, _ = in.replayed(tapeKVGet, args)
	} else {
		v, err := in.svc.kv.get(key)
		if err != nil {
			code = in.kvFail(err)
		} else {
			code = in.succeed(v)
		}
		in.record(tapeKVGet, args, code, 0)
	}
	in.charge(byteFuel(len(in.result)))
	return code
}

// kvPut is kv_put(key_ptr, key_len, value_ptr, value_len) -> 0.
func (in *instance) kvPut(mem api.Memory, p []uint64) int32 {
	in.charge(kvCallFuel)
	key, code := in.key(mem, uint32(p[0]), uint32(p[1]), "kv put")
	if code != 0 {
		return code
	}
	value, code := in.guestBytes(mem, uint32(p[2]), uint32(p[3]), "kv put")
	if code != 0 {
		return code
	}
	in.charge(byteFuel(len(key) + len(value)))
	args := argsHash(tapeKVPut, []byte(key), value)
	if in.player != nil {
		code, _ = in.replayed(tapeKVPut, args)
		return code
	}
	if err := in.svc.kv.put(key, value, in.svc.kvQuota); err != nil {
		code = in.kvFail(err)
	}
	in.record(tapeKVPut, args, code, 0)
	return code
}

// kvDelete is kv_delete(key_ptr, key_len) -> 0.
func (in *instance) kvDelete(mem api.Memory, p []uint64) int32 {
	in.charge(kvCallFuel)
	key, code := in.key(mem, uint32(p[0]), uint32(p[1]), "kv delete")
	if code != 0 {
		return code
	}
	in.charge(byteFuel(len(key)))
	args := argsHash(tapeKVDelete, []byte(key))
	if in.player != nil {
		code, _ = in.replayed(tapeKVDelete, args)
		return code
	}
	if err := in.svc.kv.delete(key); err != nil {
		code = in.kvFail(err)
	}
	in.record(tapeKVDelete, args, code, 0)
	return code
}

// kvList is kv_list(prefix_ptr, prefix_len, after_ptr, after_len, limit) ->
// length of an encoded key list.
func (in *instance) kvList(mem api.Memory, p []uint64) int32 {
	in.charge(kvCallFuel)
	prefix, code := in.guestBytes(mem, uint32(p[0]), uint32(p[1]), "kv list")
	if code != 0 {
		return code
	}
	after, code := in.guestBytes(mem, uint32(p[2]), uint32(p[3]), "kv list")
	if code != 0 {
		return code
	}
	limit := int(max(1, min(uint32(p[4]), abi.MaxListKeys)))
	in.charge(byteFuel(len(prefix) + len(after)))
	args := argsHash(tapeKVList, prefix, after, u32Arg(uint32(limit)))
	if in.player != nil {
		code, _ = in.replayed(tapeKVList, args)
	} else {
		keys, err := in.svc.kv.list(string(prefix), string(after), limit)
		if err != nil {
			code = in.kvFail(err)
		} else {
			code = in.succeed(abi.AppendKeys(nil, keys))
		}
		in.record(tapeKVList, args, code, 0)
	}
	in.charge(byteFuel(len(in.result)))
	return code
}

func (in *instance) kvFail(err error) int32 {
	var qe *quotaError
	switch {
	case errors.Is(err, errKeyNotFound):
		return in.fail(abi.CodeNotFound, err.Error())
	case errors.As(err, &qe):
		return in.fail(abi.CodeQuota, err.Error())
	}
	in.svc.rt.log.Error("kv store failed", "service", in.svc.name, "err", err)
	return in.fail(abi.CodeInternal, err.Error())
}

// httpFetch is http_fetch(request_ptr, request_len) -> length of an encoded
// response. The guest's CPU slot is given up while the host waits.
func (in *instance) httpFetch(mem api.Memory, p []uint64) int32 {
	in.charge(fetchCallFuel)
	c := in.call
	if c == nil {
		return in.fail(abi.CodeInvalid, "http_fetch: egress is only allowed while serving a request")
	}
	b, code := in.guestBytes(mem, uint32(p[0]), uint32(p[1]), "http_fetch")
	if code != 0 {
		return code
	}
	req, err := abi.ParseRequest(b)
	if err != nil {
		return in.fail(abi.CodeInvalid, "http_fetch: "+err.Error())
	}
	in.charge(byteFuel(len(b)))
	args := argsHash(tapeFetch, b)
	var extra uint64
	if in.player != nil {
		code, extra = in.replayed(tapeFetch, args)
	} else {
		var resp []byte
		var ferr *fetchError
		in.whileWaiting(func() { resp, ferr = in.svc.egress.fetch(in.exec, req) })
		if errors.Is(in.exec.Err(), context.DeadlineExceeded) {
			// The request's deadline passed while the guest waited: it
			// stops here, at a point the tape records (tapeDeadline).
			in.result, code = nil, tapeDeadline
		} else if ferr != nil {
			code, extra = in.fail(ferr.code, ferr.msg), uint64(max(ferr.bytesRead, 0))
		} else {
			code = in.succeed(resp)
		}
		in.record(tapeFetch, args, code, extra)
	}
	c.egressBytes += int64(len(b))
	if code == tapeDeadline {
		panic(errHostDeadline)
	}
	if code < 0 {
		c.egressBytes += int64(extra)
	} else {
		c.egressBytes += int64(len(in.result))
	}
	in.charge(byteFuel(len(in.result)))
	return code
}
