package services

import (
	autocliv1 "cosmossdk.io/api/cosmos/autocli/v1"

	"github.com/quantum1net/q1/x/services/types"
)

// AutoCLIOptions describes the module's query and tx commands for the
// SDK's autocli. Creating a service and proposing an update carry manifest
// bytes, so they are left to the CLI's own `q1 service` commands, which read
// and canonicalize the manifest file.
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
				{RpcMethod: "Service", Use: "service [name]", Short: "Show a service, its current manifest, pending proposal and escrow", PositionalArgs: arg("name")},
				{RpcMethod: "Services", Use: "services", Short: "List every service, by name"},
				{RpcMethod: "History", Use: "history [name]", Short: "List every version of a service", PositionalArgs: arg("name")},
				{RpcMethod: "Proposal", Use: "proposal [id]", Short: "Show a proposal", PositionalArgs: arg("id")},
				{RpcMethod: "Params", Use: "params", Short: "Show the module's parameters"},
				{RpcMethod: "Secrets", Use: "secrets [service]", Short: "List a service's secret records: names, versions, wraps (never a value)", PositionalArgs: arg("service")},
			},
		},
		Tx: &autocliv1.ServiceCommandDescriptor{
			Service: types.Msg_serviceDesc.ServiceName,
			RpcCommandOptions: []*autocliv1.RpcCommandOptions{
				{RpcMethod: "CreateService", Skip: true},
				{RpcMethod: "ProposeUpdate", Skip: true},
				{RpcMethod: "UpdateParams", Skip: true}, // governance only
				// Secrets are encrypted by q1 service secret set; a node wraps
				// for another itself.
				{RpcMethod: "SetSecret", Skip: true},
				{RpcMethod: "DeleteSecret", Skip: true},
				{RpcMethod: "WrapSecret", Skip: true},
				{RpcMethod: "ApproveProposal", Use: "approve [name] [proposal-id] [hash]", Short: "Approve a pending proposal, naming its id and hash", PositionalArgs: arg("name", "proposal_id", "hash")},
				{RpcMethod: "CancelProposal", Use: "cancel [name] [proposal-id]", Short: "Cancel a proposal that is not yet approved", PositionalArgs: arg("name", "proposal_id")},
				{RpcMethod: "PauseService", Use: "pause [name]", Short: "Pause a service (owners and operators)", PositionalArgs: arg("name")},
				{RpcMethod: "ResumeService", Use: "resume [name]", Short: "Resume a paused service (owners and operators)", PositionalArgs: arg("name")},
				{RpcMethod: "DeleteService", Use: "delete [name] [refund-to]", Short: "Propose deleting a service; its escrow goes to refund-to", PositionalArgs: arg("name", "refund_to")},
				{RpcMethod: "FundEscrow", Use: "fund [name] [amount]", Short: "Add uqc to a service's escrow (anyone)", PositionalArgs: arg("name", "amount")},
				{RpcMethod: "WithdrawEscrow", Use: "withdraw [name] [amount] [to]", Short: "Propose withdrawing uqc from a service's escrow", PositionalArgs: arg("name", "amount", "to")},
				{RpcMethod: "ScaleService", Use: "scale [name] [replicas]", Short: "Set placement.replicas within placement.replicasMax (owners and operators)", PositionalArgs: arg("name", "replicas")},
			},
		},
	}
}
