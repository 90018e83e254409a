package main

import (
	"context"
	"fmt"

	sdkmath "cosmossdk.io/math"
	"cosmossdk.io/x/feegrant"
	"github.com/cosmos/cosmos-sdk/client"
	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/cosmos-sdk/x/authz"

	"github.com/quantum1net/q1/app"
	servicestypes "github.com/quantum1net/q1/x/services/types"
	sharerstypes "github.com/quantum1net/q1/x/sharers/types"
	usagetypes "github.com/quantum1net/q1/x/usage/types"
)

// hotKeyFeeLimit bounds the fees a node's hot key may spend from the
// sharer's account: about a hundred thousand reports and acks at the
// default gas price, and a bounded loss if the node is compromised.
var hotKeyFeeLimit = sdkmath.NewInt(100_000_000)

// hotKeyFeeLimitQC is hotKeyFeeLimit for people.
const hotKeyFeeLimitQC = "100QC"

// hotKeyMsgs are the msgs a sharer lets its node's hot key send for it.
var hotKeyMsgs = []string{
	sdk.MsgTypeURL(&usagetypes.MsgUsageReport{}),
	sdk.MsgTypeURL(&sharerstypes.MsgAckLease{}),
	sdk.MsgTypeURL(&usagetypes.MsgPublishSamples{}),
	sdk.MsgTypeURL(&usagetypes.MsgAuditCommit{}),
	sdk.MsgTypeURL(&usagetypes.MsgAuditReveal{}),
	sdk.MsgTypeURL(&servicestypes.MsgWrapSecret{}),
}

// hotKeyGrants returns the msgs that let hot act for the signing sharer:
// an authz generic grant per msg of hotKeyMsgs, and a fee allowance of
// hotKeyFeeLimit for authz MsgExec only. An allowance left from an earlier
// registration is revoked first, so the limit starts afresh (authz grants
// are simply overwritten).
func hotKeyGrants(ctx context.Context, c client.Context, hot sdk.AccAddress) ([]sdk.Msg, error) {
	granter := c.FromAddress
	var msgs []sdk.Msg
	for _, typeURL := range hotKeyMsgs {
		g, err := authz.NewMsgGrant(granter, hot, authz.NewGenericAuthorization(typeURL), nil)
		if err != nil {
			return nil, fmt.Errorf("grant %s to the hot key: %w", typeURL, err)
		}
		msgs = append(msgs, g)
	}
	basic := &feegrant.BasicAllowance{SpendLimit: sdk.NewCoins(sdk.NewCoin(app.BondDenom, hotKeyFeeLimit))}
	allowance, err := feegrant.NewAllowedMsgAllowance(basic, []string{sdk.MsgTypeURL(&authz.MsgExec{})})
	if err != nil {
		return nil, fmt.Errorf("fee allowance for the hot key: %w", err)
	}
	exists, err := hasFeeAllowance(ctx, c, granter, hot)
	if err != nil {
		return nil, err
	}
	if exists {
		revoke := feegrant.NewMsgRevokeAllowance(granter, hot)
		msgs = append(msgs, &revoke)
	}
	grant, err := feegrant.NewMsgGrantAllowance(allowance, granter, hot)
	if err != nil {
		return nil, fmt.Errorf("fee allowance for the hot key: %w", err)
	}
	return append(msgs, grant), nil
}

// hasFeeAllowance reports whether granter pays grantee's fees already. It
// lists grantee's allowances rather than asking for one: the feegrant
// module answers a missing one with codes.Internal, which a caller cannot
// tell from a failure without reading the text.
func hasFeeAllowance(ctx context.Context, c client.Context, granter, grantee sdk.AccAddress) (bool, error) {
	res, err := feegrant.NewQueryClient(c).Allowances(ctx, &feegrant.QueryAllowancesRequest{Grantee: grantee.String()})
	if err != nil {
		return false, fmt.Errorf("query the hot key's fee allowances: %s", humanize(err))
	}
	for _, g := range res.Allowances {
		if g.Granter == granter.String() {
			return true, nil
		}
	}
	return false, nil
}
