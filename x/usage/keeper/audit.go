package keeper

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"cosmossdk.io/collections"
	"cosmossdk.io/math"
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/quantum1net/q1/core/receipt"
	servicestypes "github.com/quantum1net/q1/x/services/types"
	"github.com/quantum1net/q1/x/usage/types"
)

// Verifiable metering (issue #12). A report's charge is held in the module
// account; sample_delay_blocks after the report, the EndBlocker draws each
// held entry from that block's hash: not chosen, it is paid (unsampled);
// chosen, an Audit opens. The sharer publishes the drawn receipts with
// their proofs, the auditors commit and reveal verdicts, and the audit
// resolves: proven (paid), failed or forfeited (refunded to the escrow, the
// sharer's collateral slashed). Everything is read from ordered stores and
// sorted lists; amounts are integers and LegacyDec.

// hold moves up to amount from service name's escrow into the module
// account, where it waits for the entry's audit. It returns what left the
// escrow (at most its balance) and the protocol's part of it.
func (k *Keeper) hold(ctx context.Context, name string, amount math.Int) (paid, share math.Int, err error) {
	bal, err := k.services.EscrowBalance(ctx, name)
	if err != nil {
		return math.Int{}, math.Int{}, err
	}
	paid = math.MinInt(amount, bal)
	if !paid.IsPositive() {
		return math.ZeroInt(), math.ZeroInt(), nil
	}
	p, err := k.GetParams(ctx)
	if err != nil {
		return math.Int{}, math.Int{}, err
	}
	_, share = types.SplitProtocol(paid, p.ProtocolShare)
	if err := k.services.PayFromEscrowToModule(ctx, name, types.ModuleName, paid); err != nil {
		return math.Int{}, math.Int{}, err
	}
	return paid, share, nil
}

// rootOf is the Merkle-sum root an entry (or record) committed.
func rootOf(hash []byte, leaves, fuel, requests, egress uint64) receipt.Sum {
	s := receipt.Sum{Leaves: leaves, Fuel: fuel, Requests: requests, Egress: egress}
	copy(s.Hash[:], hash)
	return s
}

func rootProto(s receipt.Sum) types.ReceiptsRoot {
	return types.ReceiptsRoot{Hash: append([]byte(nil), s.Hash[:]...), Leaves: s.Leaves, Fuel: s.Fuel, Requests: s.Requests, Egress: s.Egress}
}

// auditRoot is the root an audit checks samples against.
func auditRoot(a *types.Audit) receipt.Sum {
	return rootOf(a.Root.Hash, a.Root.Leaves, a.Root.Fuel, a.Root.Requests, a.Root.Egress)
}

// checkEntryRoot refuses an entry whose root is malformed: receipts_root
// is 32 bytes (or empty when there are no receipts), there are at least as
// many receipts as requests, and an entry without receipts claims nothing.
func checkEntryRoot(i int, en types.UsageEntry) error {
	switch {
	case en.Receipts == 0:
		if en.Requests != 0 || en.Fuel != 0 || en.EgressBytes != 0 {
			return fmt.Errorf("entries[%d] (lease %d): no receipts but %d requests, %d fuel and %d egress bytes claimed; every request and unit of fuel and egress needs a receipt in the tree",
				i, en.LeaseId, en.Requests, en.Fuel, en.EgressBytes)
		}
		if len(en.ReceiptsRoot) != 0 && (len(en.ReceiptsRoot) != receipt.HashSize || !bytes.Equal(en.ReceiptsRoot, make([]byte, receipt.HashSize))) {
			return fmt.Errorf("entries[%d] (lease %d): no receipts, so receipts_root must be empty or 32 zero bytes", i, en.LeaseId)
		}
	case len(en.ReceiptsRoot) != receipt.HashSize:
		return fmt.Errorf("entries[%d] (lease %d): receipts_root is %d bytes; it must be the 32-byte root hash of the lease's receipt tree", i, en.LeaseId, len(en.ReceiptsRoot))
	case en.Receipts < en.Requests:
		return fmt.Errorf("entries[%d] (lease %d): %d receipts cannot hold %d requests (every request has a receipt)", i, en.LeaseId, en.Receipts, en.Requests)
	}
	return nil
}

// addrBytes decodes a bech32 address the chain wrote itself.
func (k *Keeper) addrBytes(addr string) (sdk.AccAddress, error) {
	bz, err := k.addressCodec.StringToBytes(addr)
	if err != nil {
		return nil, fmt.Errorf("address %q: %w", addr, err)
	}
	return bz, nil
}

// getStats returns the sharer's audit counters (zero if none).
func (k *Keeper) getStats(ctx context.Context, addr string) (types.AuditStats, sdk.AccAddress, error) {
	bz, err := k.addrBytes(addr)
	if err != nil {
		return types.AuditStats{}, nil, err
	}
	st, err := k.AuditStats.Get(ctx, bz)
	if errors.Is(err, collections.ErrNotFound) {
		return types.AuditStats{Sharer: addr}, bz, nil
	}
	if err != nil {
		return types.AuditStats{}, nil, fmt.Errorf("read audit counters of %s: %w", addr, err)
	}
	return st, bz, nil
}

// updateStats applies fn to the sharer's audit counters.
func (k *Keeper) updateStats(ctx context.Context, addr string, fn func(*types.AuditStats)) (types.AuditStats, error) {
	st, bz, err := k.getStats(ctx, addr)
	if err != nil {
		return st, err
	}
	fn(&st)
	if err := k.AuditStats.Set(ctx, bz, st); err != nil {
		return st, fmt.Errorf("write audit counters of %s: %w", addr, err)
	}
	return st, nil
}

func (k *Keeper) countUnsampled(ctx context.Context, sharer string) error {
	_, err := k.updateStats(ctx, sharer, func(s *types.AuditStats) { s.Unsampled++ })
	return err
}

// auditsEndBlock draws the entries due at this height, then acts on the
// audits whose deadline is this height (or passed): an audit not published
// by its publish deadline is forfeited, one at its reveal deadline is
// resolved. Each entry and audit is worked on a cached store written only
// when it succeeds; a failure is logged and its queue entry dropped, so
// that one entry's trouble never halts the chain.
func (k *Keeper) auditsEndBlock(ctx context.Context) error {
	h := sdk.UnwrapSDKContext(ctx).BlockHeight()
	var draws []collections.Triple[int64, uint64, uint64]
	var services []string
	rng := new(collections.Range[collections.Triple[int64, uint64, uint64]]).EndExclusive(collections.Join3(h+1, uint64(0), uint64(0)))
	if err := k.DrawQueue.Walk(ctx, rng, func(key collections.Triple[int64, uint64, uint64], service string) (bool, error) {
		draws = append(draws, key)
		services = append(services, service)
		return false, nil
	}); err != nil {
		return fmt.Errorf("read the draw queue: %w", err)
	}
	var auditors []string // read once per block, when first needed
	for i, key := range draws {
		if err := k.DrawQueue.Remove(ctx, key); err != nil {
			return fmt.Errorf("dequeue the draw of lease %d for epoch %d: %w", key.K2(), key.K3(), err)
		}
		cache, write := sdk.UnwrapSDKContext(ctx).CacheContext()
		if err := k.draw(cache, services[i], key.K3(), key.K2(), &auditors); err != nil {
			k.Logger(ctx).Error("audit draw failed; the entry's charge stays held",
				"service", services[i], "lease", key.K2(), "epoch", key.K3(), "err", err)
			continue
		}
		write()
	}
	var due []collections.Pair[int64, uint64]
	qr := new(collections.Range[collections.Pair[int64, uint64]]).EndExclusive(collections.Join(h+1, uint64(0)))
	if err := k.AuditQueue.Walk(ctx, qr, func(key collections.Pair[int64, uint64]) (bool, error) {
		due = append(due, key)
		return false, nil
	}); err != nil {
		return fmt.Errorf("read the audit queue: %w", err)
	}
	for _, key := range due {
		if err := k.AuditQueue.Remove(ctx, key); err != nil {
			return fmt.Errorf("dequeue audit %d: %w", key.K2(), err)
		}
		cache, write := sdk.UnwrapSDKContext(ctx).CacheContext()
		if err := k.deadline(cache, key.K2(), key.K1()); err != nil {
			k.Logger(ctx).Error("audit resolution failed; the entry's charge stays held",
				"audit", key.K2(), "deadline", key.K1(), "err", err)
			continue
		}
		write()
	}
	return nil
}

// deadline acts on audit id at its queued deadline.
func (k *Keeper) deadline(ctx context.Context, id uint64, at int64) error {
	a, err := k.GetAudit(ctx, id)
	if err != nil {
		return err
	}
	switch {
	case a.Phase == types.PhaseResolved:
		return nil
	case a.PublishedHeight == 0 && at >= a.PublishDeadline:
		return k.resolve(ctx, &a, fmt.Sprintf("sharer %s did not publish the drawn receipts by height %d (the publish deadline)", a.Sharer, a.PublishDeadline))
	case at >= a.RevealDeadline:
		return k.resolve(ctx, &a, fmt.Sprintf("the reveal window closed at height %d", a.RevealDeadline))
	}
	return nil
}

// GetAudit returns audit id, or an error wrapping types.ErrAuditNotFound.
func (k *Keeper) GetAudit(ctx context.Context, id uint64) (types.Audit, error) {
	a, err := k.Audits.Get(ctx, id)
	if errors.Is(err, collections.ErrNotFound) {
		return types.Audit{}, fmt.Errorf("%w: audit %d does not exist", types.ErrAuditNotFound, id)
	}
	if err != nil {
		return types.Audit{}, fmt.Errorf("read audit %d: %w", id, err)
	}
	return a, nil
}

// draw decides whether the held entry of lease in epoch (of service) is
// audited, from the hash of this block: chosen with probability
// params.audit_probability when it has receipts and another active sharer
// can audit it. Not chosen, its charge is paid.
func (k *Keeper) draw(ctx context.Context, service string, epoch, lease uint64, auditors *[]string) error {
	rec, err := k.Records.Get(ctx, collections.Join3(service, epoch, lease))
	if err != nil {
		return fmt.Errorf("read usage record of lease %d for epoch %d: %w", lease, epoch, err)
	}
	if rec.AuditState != types.AuditPending {
		return nil
	}
	p, err := k.GetParams(ctx)
	if err != nil {
		return err
	}
	sdkCtx := sdk.UnwrapSDKContext(ctx)
	root := rootOf(rec.ReceiptsRoot, rec.Receipts, rec.Fuel, rec.Requests, rec.EgressBytes)
	seed := receipt.SampleSeed(sdkCtx.HeaderHash(), rec.Sharer, epoch, lease, root.Hash)
	num, den := p.AuditOdds()
	if rec.Receipts == 0 || !receipt.Chosen(seed, num, den) {
		_, err := k.payOut(ctx, &rec, nil)
		return err
	}
	if *auditors == nil {
		all, err := k.sharers.ActiveSharers(ctx)
		if err != nil {
			return err
		}
		*auditors = append(make([]string, 0, len(all)), all...)
	}
	var eligible []string
	for _, s := range *auditors {
		if s != rec.Sharer {
			eligible = append(eligible, s)
		}
	}
	if len(eligible) == 0 {
		_, err := k.payOut(ctx, &rec, nil)
		return err
	}
	hashes, err := k.moduleHashes(ctx, service, epoch)
	if err != nil {
		return err
	}
	next, err := k.AuditSeq.Next(ctx)
	if err != nil {
		return fmt.Errorf("next audit id: %w", err)
	}
	id := next + 1
	h := sdkCtx.BlockHeight()
	a := types.Audit{
		Id: id, Service: service, Sharer: rec.Sharer, Epoch: epoch, LeaseId: lease,
		Root: rootProto(root), Seed: seed[:], ModuleHashes: hashes,
		OpenedHeight: h, State: types.AuditSampled, Phase: types.PhasePublish,
		Charged: rec.Charged, ToSharer: rec.ToSharer, ProtocolShare: rec.ProtocolShare,
		Refunded: math.ZeroInt(), Slashed: math.ZeroInt(), Burned: math.ZeroInt(), AuditorFees: math.ZeroInt(),
	}
	if len(hashes) > 0 {
		a.ModuleHash = hashes[0]
	}
	for _, d := range receipt.Draws(seed, root, int(p.SamplesWeighted), int(p.SamplesUniform)) {
		a.Draws = append(a.Draws, types.AuditDraw{Weighted: d.Weighted, Point: d.Point, Index: d.Index})
	}
	for _, i := range receipt.Pick(seed, len(eligible), int(p.AuditorsPerAudit)) {
		a.Auditors = append(a.Auditors, eligible[i])
		a.Votes = append(a.Votes, types.AuditVote{Auditor: eligible[i], Fee: math.ZeroInt()})
	}
	a.PublishDeadline = h + int64(p.PublishWindowBlocks)
	a.CommitDeadline = a.PublishDeadline + int64(p.CommitWindowBlocks)
	a.RevealDeadline = a.CommitDeadline + int64(p.RevealWindowBlocks)
	if err := k.putAudit(ctx, &a, true); err != nil {
		return err
	}
	if err := k.AuditQueue.Set(ctx, collections.Join(a.PublishDeadline, id)); err != nil {
		return fmt.Errorf("queue audit %d: %w", id, err)
	}
	rec.AuditState, rec.AuditId = types.AuditSampled, id
	if err := k.Records.Set(ctx, collections.Join3(service, epoch, lease), rec); err != nil {
		return fmt.Errorf("write usage record of lease %d for epoch %d: %w", lease, epoch, err)
	}
	return emit(ctx, &types.EventAuditOpened{
		AuditId: id, Service: service, Sharer: rec.Sharer, Epoch: epoch, LeaseId: lease, Root: a.Root, Draws: a.Draws,
		Auditors: a.Auditors, PublishDeadline: a.PublishDeadline, CommitDeadline: a.CommitDeadline, RevealDeadline: a.RevealDeadline,
		State: a.State, ModuleHash: a.ModuleHash, ModuleHashes: a.ModuleHashes,
	})
}

// putAudit writes a; when indexing, it also writes its service, sharer
// and auditor indexes (done once, when the audit opens).
func (k *Keeper) putAudit(ctx context.Context, a *types.Audit, index bool) error {
	if err := k.Audits.Set(ctx, a.Id, *a); err != nil {
		return fmt.Errorf("write audit %d: %w", a.Id, err)
	}
	if !index {
		return nil
	}
	if err := k.AuditsByService.Set(ctx, collections.Join(a.Service, a.Id)); err != nil {
		return fmt.Errorf("index audit %d: %w", a.Id, err)
	}
	bz, err := k.addrBytes(a.Sharer)
	if err != nil {
		return err
	}
	if err := k.AuditsBySharer.Set(ctx, collections.Join(bz, a.Id)); err != nil {
		return fmt.Errorf("index audit %d: %w", a.Id, err)
	}
	for _, au := range a.Auditors {
		bz, err := k.addrBytes(au)
		if err != nil {
			return err
		}
		if err := k.AuditsByAuditor.Set(ctx, collections.Join(bz, a.Id)); err != nil {
			return fmt.Errorf("index audit %d: %w", a.Id, err)
		}
	}
	return nil
}

// moduleHashes returns the code hashes of the versions of service a node
// may have run for a lease during epoch, newest first: those active at some
// height of the epoch, and those replaced in it or in the epoch before. A
// node switches to a new version only once it has seen it committed and has
// it warm (compiling a module takes seconds), serving the old code
// meanwhile; when the new version activated late in an epoch, or in its
// first block, that runs into the next epoch. So replaced code stays valid
// through the epoch after the one it was replaced in; from then on the node
// serves it unbilled (replicas.Manager.SetEpoch). Refusing it forfeited the
// audits of honest sharers, whose samples could not be published, and
// slashed them.
func (k *Keeper) moduleHashes(ctx context.Context, service string, epoch uint64) ([][]byte, error) {
	e, ok, err := k.sharers.GetEpoch(ctx, epoch)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, fmt.Errorf("epoch %d is no longer kept", epoch)
	}
	from := e.StartHeight
	if epoch > 0 {
		prev, ok, err := k.sharers.GetEpoch(ctx, epoch-1)
		if err != nil {
			return nil, err
		}
		if ok {
			from = prev.StartHeight
		}
	}
	svc, err := k.services.GetService(ctx, service)
	if err != nil {
		return nil, err
	}
	var out [][]byte
	for n := svc.CurrentVersion; n >= 1; n-- {
		v, err := k.services.GetVersion(ctx, service, n)
		if err != nil {
			return nil, err
		}
		if v.ActivatedHeight > e.EndHeight {
			continue // activated after the epoch
		}
		spec, err := k.services.GetSpec(ctx, service, n)
		if err != nil {
			return nil, err
		}
		h, err := codeHash(spec)
		if err != nil {
			return nil, fmt.Errorf("version %d of service %s: %w", n, service, err)
		}
		if !containsBytes(out, h) {
			out = append(out, h)
		}
		if v.ActivatedHeight < from {
			break // activated before the previous epoch: older ones are past their last valid epoch
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("service %s had no version active during epoch %d", service, epoch)
	}
	return out, nil
}

// codeHash is the SHA-256 a spec's code.wasm names ("sha256:<64 hex>").
func codeHash(spec *servicestypes.ServiceSpec) ([]byte, error) {
	hexHash, ok := strings.CutPrefix(spec.Code.Wasm, "sha256:")
	if !ok {
		return nil, fmt.Errorf("code.wasm %q is not sha256:<hex>", spec.Code.Wasm)
	}
	h, err := hex.DecodeString(hexHash)
	if err != nil || len(h) != receipt.HashSize {
		return nil, fmt.Errorf("code.wasm %q is not sha256:<64 hex digits>", spec.Code.Wasm)
	}
	return h, nil
}

func containsBytes(list [][]byte, b []byte) bool {
	for _, x := range list {
		if bytes.Equal(x, b) {
			return true
		}
	}
	return false
}

// payOut pays a held entry out: to_sharer to its sharer, the protocol
// share to the fee collector, less the auditor fees (params.auditor_fee of
// the protocol share, in equal parts to winners) when an audit proved it.
// It returns the fee each winner was paid. The record becomes unsampled
// (no audit) or proven.
func (k *Keeper) payOut(ctx context.Context, rec *types.UsageRecord, winners []string) (math.Int, error) {
	p, err := k.GetParams(ctx)
	if err != nil {
		return math.Int{}, err
	}
	denom := k.denom(ctx)
	sharer, err := k.addrBytes(rec.Sharer)
	if err != nil {
		return math.Int{}, err
	}
	if rec.ToSharer.IsPositive() {
		if err := k.bank.SendCoinsFromModuleToAccount(ctx, types.ModuleName, sharer, sdk.NewCoins(sdk.NewCoin(denom, rec.ToSharer))); err != nil {
			return math.Int{}, fmt.Errorf("pay %s%s held for lease %d (epoch %d) to %s: %w", rec.ToSharer, denom, rec.LeaseId, rec.Epoch, rec.Sharer, err)
		}
	}
	share, per := rec.ProtocolShare, math.ZeroInt()
	if len(winners) > 0 && share.IsPositive() {
		per = p.AuditorFee.MulInt(share).TruncateInt().QuoRaw(int64(len(winners)))
	}
	if per.IsPositive() {
		for _, w := range winners {
			bz, err := k.addrBytes(w)
			if err != nil {
				return math.Int{}, err
			}
			if err := k.bank.SendCoinsFromModuleToAccount(ctx, types.ModuleName, bz, sdk.NewCoins(sdk.NewCoin(denom, per))); err != nil {
				return math.Int{}, fmt.Errorf("pay auditor %s: %w", w, err)
			}
		}
		share = share.Sub(per.MulRaw(int64(len(winners))))
	}
	if share.IsPositive() {
		if err := k.bank.SendCoinsFromModuleToModule(ctx, types.ModuleName, k.feeCollector, sdk.NewCoins(sdk.NewCoin(denom, share))); err != nil {
			return math.Int{}, fmt.Errorf("pay the protocol share held for lease %d (epoch %d): %w", rec.LeaseId, rec.Epoch, err)
		}
	}
	state := types.AuditUnsampled
	if rec.AuditId != 0 {
		state = types.AuditProven
	} else if err := k.countUnsampled(ctx, rec.Sharer); err != nil {
		return math.Int{}, err
	}
	rec.AuditState = state
	if err := k.Records.Set(ctx, collections.Join3(rec.Service, rec.Epoch, rec.LeaseId), *rec); err != nil {
		return math.Int{}, fmt.Errorf("write usage record of lease %d for epoch %d: %w", rec.LeaseId, rec.Epoch, err)
	}
	return per, emit(ctx, &types.EventUsageReleased{Service: rec.Service, Sharer: rec.Sharer, Epoch: rec.Epoch, LeaseId: rec.LeaseId,
		State: state, AuditId: rec.AuditId, ToSharer: rec.ToSharer, ProtocolShare: rec.ProtocolShare})
}

// refund returns a held entry's whole charge to its service's escrow and
// takes it out of the totals: the service account's usage charged and
// protocol share, the sharer's earnings, and the record (charged,
// to_sharer and protocol_share become 0, refunded says how much went
// back). The escrow is projected again. A depleted service is not resumed
// by a refund (only a deposit resumes it), but the refund counts towards
// the balance a deposit must reach. A deleted service whose held-back
// escrow was already released gets the refund released to its refund
// account at once.
func (k *Keeper) refund(ctx context.Context, rec *types.UsageRecord, state string) error {
	charged, share := rec.Charged, rec.ProtocolShare
	if charged.IsPositive() {
		if err := k.services.RefundToEscrow(ctx, rec.Service, types.ModuleName, charged); err != nil {
			return err
		}
	}
	a, err := k.GetAccount(ctx, rec.Service)
	if err != nil {
		return err
	}
	a.UsageCharged = a.UsageCharged.Sub(charged)
	a.ProtocolShare = a.ProtocolShare.Sub(share)
	if err := k.setAccount(ctx, a); err != nil {
		return err
	}
	if err := k.addEarnings(ctx, rec.Sharer, rec.Service, rec.Epoch, charged.Neg(), math.ZeroInt(), share.Neg()); err != nil {
		return err
	}
	rec.Refunded = rec.Refunded.Add(charged)
	rec.Charged, rec.ToSharer, rec.ProtocolShare = math.ZeroInt(), math.ZeroInt(), math.ZeroInt()
	rec.AuditState = state
	if err := k.Records.Set(ctx, collections.Join3(rec.Service, rec.Epoch, rec.LeaseId), *rec); err != nil {
		return fmt.Errorf("write usage record of lease %d for epoch %d: %w", rec.LeaseId, rec.Epoch, err)
	}
	if _, err := k.touch(ctx, rec.Service); err != nil {
		return err
	}
	svc, err := k.services.GetService(ctx, rec.Service)
	if err != nil {
		return err
	}
	a, err = k.GetAccount(ctx, rec.Service)
	if err != nil {
		return err
	}
	if svc.Status == servicestypes.StatusDeleted && a.ReleaseEpoch == 0 && charged.IsPositive() {
		if _, err := k.services.RefundHeldBack(ctx, rec.Service); err != nil {
			return err
		}
	}
	return nil
}

// resolve ends audit a: not published → forfeited; else a strict majority
// of the revealed verdicts FAIL → failed, UNAVAILABLE → forfeited; else
// (PASS majority, a tie, or no reveals) → proven. why says what triggered
// it. The auditors whose revealed verdict is the outcome's share the
// auditor fee; the others (once the samples were published) count a miss.
func (k *Keeper) resolve(ctx context.Context, a *types.Audit, why string) error {
	p, err := k.GetParams(ctx)
	if err != nil {
		return err
	}
	h := sdk.UnwrapSDKContext(ctx).BlockHeight()
	var pass, fail, unavail, revealed int
	verdicts := make([]types.Verdict, len(a.Votes))
	for i, v := range a.Votes {
		if v.RevealedHeight == 0 {
			continue
		}
		verdicts[i] = v.Verdict
		revealed++
		switch v.Verdict {
		case types.Verdict_VERDICT_PASS:
			pass++
		case types.Verdict_VERDICT_FAIL:
			fail++
		case types.Verdict_VERDICT_UNAVAILABLE:
			unavail++
		}
	}
	published := a.PublishedHeight != 0
	var outcome types.Verdict
	switch {
	case !published:
		a.State, outcome = types.AuditForfeited, types.Verdict_VERDICT_UNSPECIFIED
	case 2*fail > revealed:
		a.State, outcome = types.AuditFailed, types.Verdict_VERDICT_FAIL
		why += fmt.Sprintf("; %d of %d revealed verdicts found a sample that differs", fail, revealed)
	case 2*unavail > revealed:
		a.State, outcome = types.AuditForfeited, types.Verdict_VERDICT_UNAVAILABLE
		why += fmt.Sprintf("; %d of %d revealed verdicts say the sharer did not serve the samples' data", unavail, revealed)
	default:
		a.State, outcome = types.AuditProven, types.Verdict_VERDICT_PASS
		switch {
		case revealed == 0:
			why += "; no auditor revealed a verdict, so the claim stands"
		case 2*pass > revealed:
			why += fmt.Sprintf("; %d of %d revealed verdicts passed every sample", pass, revealed)
		default:
			why += fmt.Sprintf("; no majority among %d revealed verdicts (%d pass, %d fail, %d unavailable), so the claim stands", revealed, pass, fail, unavail)
		}
	}
	var winners []string
	for _, v := range a.Votes {
		if v.RevealedHeight != 0 && v.Verdict == outcome {
			winners = append(winners, v.Auditor)
		}
	}
	rec, err := k.Records.Get(ctx, collections.Join3(a.Service, a.Epoch, a.LeaseId))
	if err != nil {
		return fmt.Errorf("read usage record of lease %d for epoch %d: %w", a.LeaseId, a.Epoch, err)
	}
	var per math.Int
	ev := &types.EventAuditResolved{AuditId: a.Id, Service: a.Service, Sharer: a.Sharer, Epoch: a.Epoch, LeaseId: a.LeaseId,
		Auditors: a.Auditors, Verdicts: verdicts, Refunded: math.ZeroInt(), Slashed: math.ZeroInt(), Burned: math.ZeroInt(),
		AuditorFees: math.ZeroInt(), Paid: math.ZeroInt()}
	if a.State == types.AuditProven {
		if per, err = k.payOut(ctx, &rec, winners); err != nil {
			return err
		}
		ev.Paid = rec.ToSharer
	} else {
		charged := rec.Charged
		if err := k.refund(ctx, &rec, a.State); err != nil {
			return err
		}
		a.Refunded = charged
		amount := math.MaxInt(p.SlashMultiplier.MulInt(charged).TruncateInt(), p.MinSlash)
		sl, err := k.sharers.SlashCollateral(ctx, a.Sharer, amount, p.AuditorFee, winners,
			fmt.Sprintf("audit %d of lease %d (service %s, epoch %d) %s", a.Id, a.LeaseId, a.Service, a.Epoch, a.State))
		if err != nil {
			return err
		}
		a.Slashed, a.Burned, per = sl.Amount, sl.Burned, sl.PerPayee
	}
	a.AuditorFees = per.MulRaw(int64(len(winners)))
	for i := range a.Votes {
		v := &a.Votes[i]
		if v.RevealedHeight != 0 && v.Verdict == outcome {
			v.Fee = per
			if _, err := k.updateStats(ctx, v.Auditor, func(s *types.AuditStats) {
				s.AuditsPerformed++
				s.ConsecutiveMisses = 0
			}); err != nil {
				return err
			}
			continue
		}
		if !published {
			continue // nothing to audit: not the auditors' fault
		}
		v.Missed = true
		if err := k.miss(ctx, p, a.Id, v.Auditor); err != nil {
			return err
		}
	}
	if _, err := k.updateStats(ctx, a.Sharer, func(s *types.AuditStats) {
		switch a.State {
		case types.AuditProven:
			s.AuditsPassed++
		case types.AuditFailed:
			s.AuditsFailed++
		default:
			s.AuditsForfeited++
		}
	}); err != nil {
		return err
	}
	if a.Phase != types.PhaseResolved && published {
		// The reveal deadline may still be queued (resolved early).
		if err := k.AuditQueue.Remove(ctx, collections.Join(a.RevealDeadline, a.Id)); err != nil {
			return fmt.Errorf("dequeue audit %d: %w", a.Id, err)
		}
	}
	a.Phase, a.ResolvedHeight, a.Resolution = types.PhaseResolved, h, why
	if err := k.putAudit(ctx, a, false); err != nil {
		return err
	}
	ev.State, ev.Refunded, ev.Slashed, ev.Burned, ev.AuditorFees, ev.Resolution = a.State, a.Refunded, a.Slashed, a.Burned, a.AuditorFees, why
	return emit(ctx, ev)
}

// miss counts a miss of auditor on audit id; at params.auditor_miss_limit
// consecutive misses it slashes params.auditor_miss_slash of the auditor's
// collateral (all burned) and starts counting again.
func (k *Keeper) miss(ctx context.Context, p types.Params, id uint64, auditor string) error {
	st, err := k.updateStats(ctx, auditor, func(s *types.AuditStats) {
		s.AuditsMissed++
		s.ConsecutiveMisses++
	})
	if err != nil {
		return err
	}
	slashed := math.ZeroInt()
	if st.ConsecutiveMisses >= p.AuditorMissLimit {
		if _, err := k.updateStats(ctx, auditor, func(s *types.AuditStats) { s.ConsecutiveMisses = 0 }); err != nil {
			return err
		}
		sh, err := k.sharers.GetSharer(ctx, auditor)
		if err != nil {
			return err
		}
		amount := p.AuditorMissSlash.MulInt(sh.Collateral).TruncateInt()
		sl, err := k.sharers.SlashCollateral(ctx, auditor, amount, math.LegacyZeroDec(), nil,
			fmt.Sprintf("auditor missed %d audits in a row (the last: audit %d)", st.ConsecutiveMisses, id))
		if err != nil {
			return err
		}
		slashed = sl.Amount
	}
	return emit(ctx, &types.EventAuditorMissed{AuditId: id, Auditor: auditor, ConsecutiveMisses: st.ConsecutiveMisses, Slashed: slashed})
}
