package hotkey

import (
	"errors"
	"fmt"

	errorsmod "cosmossdk.io/errors"
)

// ErrNotGranted means the chain does not know the hot key yet: the sharer
// has not granted it (q1 sharer register does).
var ErrNotGranted = errors.New("the hot key has no account on chain: the sharer has not granted it (q1 sharer register)")

// ErrNotCommitted means a tx passed CheckTx but the node did not see it in
// a block before the sender stopped waiting: it may still be committed
// later, or dropped from the mempool. Its outcome is unknown, so the sender
// reads its account again before the next tx.
var ErrNotCommitted = errors.New("tx not committed in time")

// Stage is where the chain judged a tx.
type Stage string

// The stages a tx is judged in, in order.
const (
	// StageSimulation is the node's simulation of the tx (/app/simulate),
	// before it is signed with its gas.
	StageSimulation Stage = "simulation"
	// StageCheck is the node's CheckTx: the tx never reached the mempool.
	StageCheck Stage = "CheckTx"
	// StageBlock is the tx's committed result: it is in a block, its fee
	// is paid, and its msgs had no effect.
	StageBlock Stage = "block"
)

// TxError is a tx the chain refused, in simulation, in CheckTx or in its
// block, by the codespace and code of a registered error. errors.Is finds
// that error (sdkerrors.ErrOutOfGas, sharerstypes.ErrAlreadyAcked, …)
// through Unwrap; its text is for people only.
type TxError struct {
	Stage Stage
	// Hash is the tx's hash (uppercase hex); empty in simulation.
	Hash string
	// Height is the block the tx failed in (StageBlock only).
	Height    int64
	Codespace string
	Code      uint32
	Log       string
	// GasWanted and GasUsed are the block's accounting (StageBlock), or
	// what CheckTx reported.
	GasWanted, GasUsed int64
}

func (e *TxError) Error() string {
	where := string(e.Stage)
	if e.Hash != "" {
		where = fmt.Sprintf("tx %s in %s", e.Hash, e.Stage)
	}
	if e.Stage == StageBlock {
		where = fmt.Sprintf("tx %s in block %d", e.Hash, e.Height)
	}
	msg := fmt.Sprintf("%s: refused with code %d of codespace %q", where, e.Code, e.Codespace)
	if e.Stage == StageBlock || e.GasWanted > 0 {
		msg += fmt.Sprintf(" (gas wanted %d, used %d)", e.GasWanted, e.GasUsed)
	}
	return msg + ": " + e.Log
}

// Unwrap returns the registered error the codespace and code name,
// wrapped with the log.
func (e *TxError) Unwrap() error { return errorsmod.ABCIError(e.Codespace, e.Code, e.Log) }

// LogAttrs are the attributes a log line about a failed hot-key tx
// carries: the error, and, when the chain refused it, where and by which
// codespace and code, and the tx's hash and gas.
func LogAttrs(err error) []any {
	attrs := []any{"err", err}
	var te *TxError
	if !errors.As(err, &te) {
		return attrs
	}
	attrs = append(attrs, "stage", string(te.Stage), "codespace", te.Codespace, "code", te.Code)
	if te.Hash != "" {
		attrs = append(attrs, "tx", te.Hash)
	}
	if te.Stage == StageBlock {
		attrs = append(attrs, "height", te.Height, "gas_wanted", te.GasWanted, "gas_used", te.GasUsed)
	}
	return attrs
}
