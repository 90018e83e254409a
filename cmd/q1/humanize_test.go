package main

import "testing"

func TestHumanizeLog(t *testing.T) {
	for _, tc := range []struct{ log, want string }{
		{
			"failed to execute message; message index: 0: spendable balance 3000000uqc is smaller than 5000000uqc: insufficient funds",
			"insufficient funds: have 3QC, need 5QC",
		},
		{
			"insufficient fees; got: 10uqc required: 2500uqc: insufficient fee",
			"fee too low: offered 0.00001QC, the node requires 0.0025QC (raise gas-prices in client.toml or --gas-prices)",
		},
		{
			"insufficient fees; got:  required: 2500uqc: insufficient fee",
			"fee too low: offered nothing, the node requires 0.0025QC (raise gas-prices in client.toml or --gas-prices)",
		},
		{
			"signature verification failed; please verify account number (7) and chain-id (q1-other): (unable to verify single signer signature): unauthorized",
			`signature rejected: signed for chain id "q1-other", which may not be this chain's; check --chain-id`,
		},
		{"something else entirely", "something else entirely"},
	} {
		if got := humanizeLog(tc.log); got != tc.want {
			t.Errorf("humanizeLog(%q)\n got: %s\nwant: %s", tc.log, got, tc.want)
		}
	}
}

func TestHumanizeStripsNoise(t *testing.T) {
	in := "rpc error: code = Unknown desc = failed to execute message; message index: 0: service hello can withdraw at most 105000000uqc (escrow balance minus 0uqc owed), not 1000000000uqc: insufficient escrow [/work/main/x/services/keeper/execute.go:95] with gas used: '63786': unknown request"
	want := "service hello can withdraw at most 105QC (escrow balance minus 0QC owed), not 1000QC: insufficient escrow"
	if got := humanizeLog(in); got != want {
		t.Fatalf("\n got: %s\nwant: %s", got, want)
	}
}
