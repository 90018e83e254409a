package runtime

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"math"

	"github.com/quantum1net/q1/core/receipt"
)

// The host-call tape records, in call order, every host answer that is not
// a function of the request and the guest's own state: what kv_get,
// kv_put, kv_delete and kv_list found in the store and what http_fetch got
// back. An auditor replays a request with its tape answering those calls
// (Runtime.Replay). The encoding is docs/guest-abi.md §10.3:
//
//	tape  = "q1t" 0x01, then entries
//	entry = op (1 byte) ‖ args (32 bytes) ‖ code (4, big-endian two's
//	        complement) ‖ extra (8, big-endian) ‖ n (4, big-endian) ‖ n bytes
//
// args is the SHA-256 of the call's arguments (argsHash), so a replayed
// call that differs is caught without storing what the guest can
// recompute; the result bytes are the pending result the call left (the
// value, key list, response or error message), empty when it left none.

// tapeOp names a recorded host function.
type tapeOp byte

const (
	tapeKVGet    tapeOp = 1
	tapeKVPut    tapeOp = 2
	tapeKVDelete tapeOp = 3
	tapeKVList   tapeOp = 4
	tapeFetch    tapeOp = 5
	// tapeSecretGet records that secret_get was called and what it
	// returned, never the value (the result is left empty): a replay
	// cannot go past it (Replay stops there, ReplayOutcome.SecretRead).
	tapeSecretGet tapeOp = 6
)

var tapeOpNames = map[tapeOp]string{
	tapeKVGet: "kv_get", tapeKVPut: "kv_put", tapeKVDelete: "kv_delete", tapeKVList: "kv_list", tapeFetch: "http_fetch",
	tapeSecretGet: "secret_get",
}

func (op tapeOp) String() string {
	if n, ok := tapeOpNames[op]; ok {
		return n
	}
	return fmt.Sprintf("op %d", byte(op))
}

// setsResult reports whether a successful call of op leaves a pending
// result (a failed call always leaves its message).
func (op tapeOp) setsResult() bool { return op != tapeKVPut && op != tapeKVDelete }

var tapeMagic = []byte{'q', '1', 't', 0x01}

const tapeEntryHeader = 1 + receipt.HashSize + 4 + 8 + 4

// maxTapeResult bounds one recorded result when decoding.
const maxTapeResult = 64 << 20

type tapeEntry struct {
	op     tapeOp
	args   receipt.Hash
	code   int32
	extra  uint64 // http_fetch: body bytes read before it failed
	result []byte
}

// argsHash hashes a call's arguments: the op, then each argument as a
// 4-byte big-endian length and its bytes.
func argsHash(op tapeOp, args ...[]byte) receipt.Hash {
	h := sha256.New()
	h.Write([]byte{byte(op)})
	var n [4]byte
	for _, a := range args {
		binary.BigEndian.PutUint32(n[:], uint32(len(a)))
		h.Write(n[:])
		h.Write(a)
	}
	var out receipt.Hash
	h.Sum(out[:0])
	return out
}

func u32Arg(v uint32) []byte { return binary.BigEndian.AppendUint32(nil, v) }

// appendTapeEntry appends e's encoding to tape (which starts as the magic).
func appendTapeEntry(tape []byte, e tapeEntry) []byte {
	tape = append(tape, byte(e.op))
	tape = append(tape, e.args[:]...)
	tape = binary.BigEndian.AppendUint32(tape, uint32(e.code))
	tape = binary.BigEndian.AppendUint64(tape, e.extra)
	tape = binary.BigEndian.AppendUint32(tape, uint32(len(e.result)))
	return append(tape, e.result...)
}

func newTape() []byte { return append(make([]byte, 0, 64), tapeMagic...) }

// decodeTape splits a tape into its entries; an empty tape has none.
func decodeTape(b []byte) ([]tapeEntry, error) {
	if len(b) == 0 {
		return nil, nil
	}
	if !bytes.HasPrefix(b, tapeMagic) {
		return nil, errors.New("tape: bad magic")
	}
	b = b[len(tapeMagic):]
	var out []tapeEntry
	for len(b) > 0 {
		if len(b) < tapeEntryHeader {
			return nil, fmt.Errorf("tape: entry %d cut short", len(out))
		}
		e := tapeEntry{op: tapeOp(b[0])}
		copy(e.args[:], b[1:])
		b = b[1+receipt.HashSize:]
		e.code = int32(binary.BigEndian.Uint32(b))
		e.extra = binary.BigEndian.Uint64(b[4:])
		n := binary.BigEndian.Uint32(b[12:])
		b = b[16:]
		if _, ok := tapeOpNames[e.op]; !ok {
			return nil, fmt.Errorf("tape: entry %d has unknown op %d", len(out), byte(e.op))
		}
		if n > maxTapeResult || uint64(n) > uint64(len(b)) {
			return nil, fmt.Errorf("tape: entry %d result of %d bytes, %d left", len(out), n, len(b))
		}
		e.result = b[:n:n]
		b = b[n:]
		out = append(out, e)
	}
	return out, nil
}

// tapeDeadline is the code a call records when the request's wall-clock
// deadline passed while the guest waited in it (http_fetch): not a code
// the guest ever sees. The guest is stopped there (errHostDeadline), and a
// replay served this entry stops at the same point, with the same fuel:
// unlike a deadline passing in the guest's own code, this stop is a
// function of the recorded inputs, so it has a receipt and is billed.
const tapeDeadline int32 = math.MinInt32

// errHostDeadline stops a guest whose request's deadline passed while it
// waited in a host call.
var errHostDeadline = errors.New("the request's timeout passed while the guest waited for an egress request")

// errDivergence stops a replayed guest whose host calls left the tape.
var errDivergence = errors.New("host calls diverged from the tape")

// errSecretRead stops a replayed guest at a recorded secret_get.
var errSecretRead = errors.New("the guest read a secret, which a replay does not have")

// tapePlayer serves a recorded tape back to a replayed guest.
type tapePlayer struct {
	entries []tapeEntry
	next    int
	step    int
	diverge *TapeDivergence
	// secretRead is set when the replayed guest reached a recorded
	// secret_get, whose value the tape does not hold.
	secretRead *SecretRead
}

// record notes a host call's answer on the tape of the step in progress.
// op's arguments hash to args; code is what the call returns and the
// pending result (if op left one) what it answered.
func (in *instance) record(op tapeOp, args receipt.Hash, code int32, extra uint64) {
	e := tapeEntry{op: op, args: args, code: code, extra: extra}
	if code < 0 || op.setsResult() {
		e.result = in.result
	}
	in.tape = appendTapeEntry(in.tape, e)
}

// replayed answers a host call from the tape during a replay, or stops the
// guest when the call is not the one recorded next.
func (in *instance) replayed(op tapeOp, args receipt.Hash) (code int32, extra uint64) {
	p := in.player
	call := p.next
	diverge := func(what string) {
		p.diverge = &TapeDivergence{Step: p.step, Call: call, What: what}
		panic(errDivergence)
	}
	if call >= len(p.entries) {
		diverge(fmt.Sprintf("the guest called %s, but the tape records only %d calls", op, len(p.entries)))
	}
	e := p.entries[call]
	switch {
	case e.op != op:
		diverge(fmt.Sprintf("the guest called %s where the tape records %s", op, e.op))
	case e.args != args:
		diverge(fmt.Sprintf("the guest called %s with other arguments than recorded (arguments hash %x, recorded %x)", op, args[:8], e.args[:8]))
	}
	p.next++
	if e.code < 0 || op.setsResult() {
		in.result, in.resultOff = e.result, 0
	}
	in.tape = appendTapeEntry(in.tape, e)
	return e.code, e.extra
}
