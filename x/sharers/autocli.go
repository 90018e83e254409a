package sharers

import (
	autocliv1 "cosmossdk.io/api/cosmos/autocli/v1"

	"github.com/quantum1net/q1/x/sharers/types"
)

// AutoCLIOptions describes the module's query and tx commands for the SDK's
// autocli. Registering and updating carry a whole offer, so they are left to
// the CLI's own `q1 sharer` commands; lease acks are sent by the node.
func (AppModule) AutoCLIOptions() *autocliv1.ModuleOptions {
	arg := func(names ...string) []*autocliv1.PositionalArgDescriptor {
		out := make([]*autocliv1.PositionalArgDescriptor, len(names))
		for i, n := range names {
			out[i] = &autocliv1.PositionalArgDescriptor{ProtoField: n}
		}
		return out
	}
	return &autocliv1.ModuleOptions{
		Query: &autocliv1.ServiceCommandDescriptor{
			Service: types.Query_serviceDesc.ServiceName,
			RpcCommandOptions: []*autocliv1.RpcCommandOptions{
				{RpcMethod: "Sharer", Use: "sharer [address]", Short: "Show a sharer's offer, collateral and standing", PositionalArgs: arg("address")},
				{RpcMethod: "Sharers", Use: "sharers", Short: "List sharers"},
				{RpcMethod: "Leases", Use: "leases", Short: "List open leases of a sharer (--sharer) or service (--service), or all lease records"},
				{RpcMethod: "Lease", Use: "lease [id]", Short: "Show a lease", PositionalArgs: arg("id")},
				{RpcMethod: "Placement", Use: "placement [service]", Short: "Show a service's leases and why sharers were or were not chosen", PositionalArgs: arg("service")},
				{RpcMethod: "Epoch", Use: "epoch", Short: "Show the current liveness epoch"},
				{RpcMethod: "Params", Use: "params", Short: "Show the module's parameters"},
				{RpcMethod: "PlacementPreview", Skip: true}, // takes a manifest file: q1 service deploy --dry-run
			},
		},
		Tx: &autocliv1.ServiceCommandDescriptor{
			Service: types.Msg_serviceDesc.ServiceName,
			RpcCommandOptions: []*autocliv1.RpcCommandOptions{
				{RpcMethod: "RegisterSharer", Skip: true},
				{RpcMethod: "UpdateSharer", Skip: true},
				{RpcMethod: "UpdateParams", Skip: true}, // governance only
				{RpcMethod: "DeregisterSharer", Use: "deregister", Short: "Withdraw the signer's offer (refused while it holds leases)"},
				{RpcMethod: "AddCollateral", Use: "add-collateral [amount]", Short: "Lock more uqc as collateral", PositionalArgs: arg("amount")},
				{RpcMethod: "WithdrawCollateral", Use: "withdraw-collateral [amount]", Short: "Return uqc of collateral above what is locked", PositionalArgs: arg("amount")},
				{RpcMethod: "AckLease", Use: "ack [lease-id]", Short: "Acknowledge a lease whose replica is warm (normally the node does this)", PositionalArgs: arg("lease_id")},
			},
		},
	}
}
