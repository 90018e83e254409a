package guest

import (
	"unsafe"

	"github.com/quantum1net/q1/sdk/guest/abi"
)

// codeNoHost is the SDK's own result code for "not running inside a host";
// a host never returns it.
const codeNoHost int32 = -1000

// ptr returns the address of b's first byte, or nil for an empty slice: the
// host reads and writes only the [ptr, ptr+len) ranges a call names.
func ptr(b []byte) unsafe.Pointer { return unsafe.Pointer(unsafe.SliceData(b)) }

// sptr is ptr for a string; the host only reads it.
func sptr(s string) unsafe.Pointer { return unsafe.Pointer(unsafe.StringData(s)) }

// readResult copies the host's pending result, n bytes long, into a new slice.
func readResult(n int32) []byte {
	b := make([]byte, n)
	for off := 0; off < len(b); {
		got := hostReadResult(ptr(b[off:]), uint32(len(b)-off))
		if got <= 0 {
			return b[:off]
		}
		off += int(got)
	}
	return b
}

// resultMessage drains the pending result of a failed call: the host's
// explanation of the failure.
func resultMessage() string {
	var msg []byte
	var chunk [256]byte
	for len(msg) < 64<<10 {
		got := hostReadResult(unsafe.Pointer(&chunk[0]), uint32(len(chunk)))
		if got <= 0 {
			break
		}
		msg = append(msg, chunk[:got]...)
	}
	return string(msg)
}

// check turns a host function result into an error for op.
func check(op string, code int32) error {
	if code >= 0 {
		return nil
	}
	if code == codeNoHost {
		return &Error{Op: op, Code: code, Message: op + ": " + ErrNoHost.Error()}
	}
	msg := resultMessage()
	if msg == "" {
		msg = op + ": " + abi.CodeText(code)
	}
	return &Error{Op: op, Code: code, Message: msg}
}
