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
			"fee too low: offered 10uqc, the node requires 2500uqc (raise gas-prices in client.toml or --gas-prices)",
		},
		{
			"insufficient fees; got:  required: 2500uqc: insufficient fee",
			"fee too low: offered nothing, the node requires 2500uqc (raise gas-prices in client.toml or --gas-prices)",
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
