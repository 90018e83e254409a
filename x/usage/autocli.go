package usage

import (
	autocliv1 "cosmossdk.io/api/cosmos/autocli/v1"

	"github.com/quantum1net/q1/x/usage/types"
)

// AutoCLIOptions describes the module's query commands for the SDK's
// autocli. Usage reports are sent by the node's reporter, not typed in.
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
				{RpcMethod: "Report", Use: "report [sharer] [epoch]", Short: "Show a sharer's usage report for an epoch", PositionalArgs: arg("sharer", "epoch")},
				{RpcMethod: "Reports", Use: "reports [sharer]", Short: "List a sharer's usage reports, oldest first", PositionalArgs: arg("sharer")},
				{RpcMethod: "Params", Use: "params", Short: "Show the module's parameters"},
				{RpcMethod: "ServiceUsage", Use: "service-usage [service]", Short: "List a service's usage records, or their sums --by sharer or epoch", PositionalArgs: arg("service")},
				{RpcMethod: "SharerEarnings", Use: "earnings [sharer]", Short: "Show what a sharer earned, in total and --by service or epoch", PositionalArgs: arg("sharer")},
				{RpcMethod: "ServiceEconomics", Use: "economics [service]", Short: "Show a service's escrow, burn per hour and time left", PositionalArgs: arg("service")},
				{RpcMethod: "Audit", Use: "audit [id]", Short: "Show an audit: its draws, auditors, samples, votes and outcome", PositionalArgs: arg("id")},
				{RpcMethod: "Audits", Use: "audits", Short: "List audits of a --service, of a --sharer (audited) or of an --auditor, newest first"},
				{RpcMethod: "AuditStats", Use: "audit-stats [sharer]", Short: "Show a sharer's audits passed, failed and forfeited, and audits it performed and missed", PositionalArgs: arg("sharer")},
				{RpcMethod: "Invariants", Use: "invariants", Short: "Audit the economy's invariants over the whole state"},
			},
		},
		Tx: &autocliv1.ServiceCommandDescriptor{
			Service: types.Msg_serviceDesc.ServiceName,
			RpcCommandOptions: []*autocliv1.RpcCommandOptions{
				{RpcMethod: "UsageReport", Skip: true},  // sent by the node
				{RpcMethod: "UpdateParams", Skip: true}, // governance only
				// Audit messages are sent by the node's auditor.
				{RpcMethod: "PublishSamples", Skip: true},
				{RpcMethod: "AuditCommit", Skip: true},
				{RpcMethod: "AuditReveal", Skip: true},
			},
		},
	}
}
