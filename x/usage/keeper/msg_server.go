package keeper

import (
	"context"
	"errors"
	"fmt"
	"math/bits"

	"cosmossdk.io/collections"
	errorsmod "cosmossdk.io/errors"
	sdk "github.com/cosmos/cosmos-sdk/types"

	sharerstypes "github.com/quantum1net/q1/x/sharers/types"
	"github.com/quantum1net/q1/x/usage/types"
)

// msgServer implements types.MsgServer.
type msgServer struct {
	k *Keeper
}

var _ types.MsgServer = msgServer{}

// NewMsgServerImpl returns the module's Msg service over k.
func NewMsgServerImpl(k *Keeper) types.MsgServer {
	return msgServer{k: k}
}

// UsageReport implements types.MsgServer. A report for epoch E is accepted
// once E has ended and while the current epoch is at most E +
// params.report_window_epochs, once per (sharer, epoch), with entries in
// ascending lease id order. The report is stored,
// recorded in x/sharers as the sharer's heartbeat, and charged: each entry
// moves money from its service's escrow to the sharer and the fee collector
// within the caps (see chargeReport), each cap recorded.
func (s msgServer) UsageReport(ctx context.Context, msg *types.MsgUsageReport) (*types.MsgUsageReportResponse, error) {
	k := s.k
	addr, bz, err := k.account("sharer", msg.Sharer)
	if err != nil {
		return nil, err
	}
	p, err := k.GetParams(ctx)
	if err != nil {
		return nil, err
	}
	sh, err := k.sharers.GetSharer(ctx, addr)
	if err != nil {
		return nil, errorsmod.Wrap(types.ErrNotRegistered, err.Error())
	}
	if !sh.Registered() {
		return nil, errorsmod.Wrapf(types.ErrNotRegistered, "sharer %s deregistered; register it again before reporting", addr)
	}
	epoch, err := k.checkEpoch(ctx, p, msg.Epoch)
	if err != nil {
		return nil, err
	}
	switch dup, err := k.Reports.Get(ctx, collections.Join(bz, msg.Epoch)); {
	case err == nil:
		return nil, errorsmod.Wrapf(types.ErrDuplicateReport,
			"sharer %s already reported epoch %d (at height %d); one report per sharer and epoch", addr, msg.Epoch, dup.Height)
	case !errors.Is(err, collections.ErrNotFound):
		return nil, fmt.Errorf("read report of %s for epoch %d: %w", addr, msg.Epoch, err)
	}
	if err := checkEntries(p, msg.Entries); err != nil {
		return nil, err
	}
	r := types.Report{Sharer: addr, Epoch: msg.Epoch, Entries: msg.Entries, Height: sdk.UnwrapSDKContext(ctx).BlockHeight()}
	if err := k.setReport(ctx, bz, r); err != nil {
		return nil, err
	}
	if err := k.sharers.RecordHeartbeat(ctx, addr, msg.Epoch); err != nil {
		return nil, fmt.Errorf("record heartbeat of %s: %w", addr, err)
	}
	ch, err := k.chargeReport(ctx, p, sh, epoch, msg.Entries)
	if err != nil {
		return nil, err
	}
	ev := &types.EventUsageReported{Sharer: addr, Epoch: msg.Epoch, Entries: uint32(len(msg.Entries)),
		Charged: ch.charged, ProtocolShare: ch.share, Caps: ch.caps, Refused: uint32(len(ch.refused))}
	for _, e := range msg.Entries {
		ev.Requests = addSat(ev.Requests, e.Requests)
		ev.Fuel = addSat(ev.Fuel, e.Fuel)
		ev.EgressBytes = addSat(ev.EgressBytes, e.EgressBytes)
	}
	ev.CpuMillis = p.CPUMillis(ev.Fuel)
	if err := emit(ctx, ev); err != nil {
		return nil, err
	}
	return &types.MsgUsageReportResponse{Charged: ch.charged, ProtocolShare: ch.share, Caps: ch.caps, Refused: ch.refused}, nil
}

// checkEpoch refuses an epoch that has not ended or ended too long ago, and
// returns the ended epoch's heights.
func (k *Keeper) checkEpoch(ctx context.Context, p types.Params, n uint64) (sharerstypes.EpochInfo, error) {
	cur, err := k.sharers.CurrentEpoch(ctx)
	if err != nil {
		return sharerstypes.EpochInfo{}, err
	}
	switch {
	case n == cur.Number:
		return sharerstypes.EpochInfo{}, errorsmod.Wrapf(types.ErrEpochNotEnded,
			"epoch %d has not ended yet (it began at height %d); report it once the next epoch begins", n, cur.StartHeight)
	case n > cur.Number:
		return sharerstypes.EpochInfo{}, errorsmod.Wrapf(types.ErrEpochNotEnded,
			"epoch %d is in the future: the current epoch is %d", n, cur.Number)
	case cur.Number-n > p.ReportWindowEpochs:
		return sharerstypes.EpochInfo{}, errorsmod.Wrapf(types.ErrReportTooOld,
			"epoch %d ended more than %d epochs ago (params.report_window_epochs); the current epoch is %d, so reports are accepted for epochs %d to %d",
			n, p.ReportWindowEpochs, cur.Number, cur.Number-p.ReportWindowEpochs, cur.Number-1)
	}
	e, ok, err := k.sharers.GetEpoch(ctx, n)
	if err != nil {
		return sharerstypes.EpochInfo{}, err
	}
	if !ok {
		return sharerstypes.EpochInfo{}, errorsmod.Wrapf(types.ErrReportTooOld, "epoch %d is no longer kept by the chain", n)
	}
	return e, nil
}

// checkEntries refuses a malformed report: more entries than
// params.max_entries_per_report, entries out of lease id order, or an
// entry whose receipts root is malformed (checkEntryRoot). What
// is wrong with one entry's lease (not the sharer's, not open during the
// epoch) does not refuse the report: chargeReport charges that entry
// nothing and says why.
func checkEntries(p types.Params, entries []types.UsageEntry) error {
	if len(entries) > int(p.MaxEntriesPerReport) {
		return errorsmod.Wrapf(types.ErrInvalidEntry, "the report has %d entries; at most %d are allowed (params.max_entries_per_report)",
			len(entries), p.MaxEntriesPerReport)
	}
	for i, en := range entries {
		if err := checkEntryRoot(i, en); err != nil {
			return errorsmod.Wrap(types.ErrInvalidEntry, err.Error())
		}
		if i > 0 && en.LeaseId <= entries[i-1].LeaseId {
			return errorsmod.Wrapf(types.ErrInvalidEntry,
				"entries[%d]: lease %d comes after lease %d; list entries in ascending lease id order, each lease once", i, en.LeaseId, entries[i-1].LeaseId)
		}
	}
	return nil
}

// addSat returns a + b, or the largest uint64 if the sum overflows.
func addSat(a, b uint64) uint64 {
	sum, carry := bits.Add64(a, b, 0)
	if carry != 0 {
		return ^uint64(0)
	}
	return sum
}

// UpdateParams implements types.MsgServer: only the governance authority
// may change the parameters.
func (s msgServer) UpdateParams(ctx context.Context, msg *types.MsgUpdateParams) (*types.MsgUpdateParamsResponse, error) {
	k := s.k
	if msg.Authority != k.authority {
		return nil, errorsmod.Wrapf(types.ErrUnauthorized, "%s: not the authority (%s); the parameters change only through governance", msg.Authority, k.authority)
	}
	if err := msg.Params.Validate(); err != nil {
		return nil, errorsmod.Wrap(types.ErrInvalidParams, err.Error())
	}
	if err := k.checkRetention(ctx, msg.Params); err != nil {
		return nil, err
	}
	if err := k.Params.Set(ctx, msg.Params); err != nil {
		return nil, fmt.Errorf("write params: %w", err)
	}
	if err := emit(ctx, &types.EventParamsUpdated{Params: msg.Params}); err != nil {
		return nil, err
	}
	return &types.MsgUpdateParamsResponse{}, nil
}
