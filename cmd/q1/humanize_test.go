package main

import (
	"errors"
	"fmt"
	"testing"

	sdkerrors "github.com/cosmos/cosmos-sdk/types/errors"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	servicestypes "github.com/quantum1net/q1/x/services/types"
	sharerstypes "github.com/quantum1net/q1/x/sharers/types"
	usagetypes "github.com/quantum1net/q1/x/usage/types"
)

const sdkSpace = sdkerrors.RootCodespace

func TestHumanizeTx(t *testing.T) {
	for _, tc := range []struct {
		name      string
		codespace string
		code      uint32
		log, want string
	}{
		{
			"bank: insufficient funds", sdkSpace, sdkerrors.ErrInsufficientFunds.ABCICode(),
			"failed to execute message; message index: 0: spendable balance 3000000uqc is smaller than 5000000uqc: insufficient funds",
			"insufficient funds: have 3QC, need 5QC",
		},
		{
			"fee too low", sdkSpace, sdkerrors.ErrInsufficientFee.ABCICode(),
			"insufficient fees; got: 10uqc required: 2500uqc: insufficient fee",
			"fee too low: offered 0.00001QC, the node requires 0.0025QC (raise gas-prices in client.toml or --gas-prices)",
		},
		{
			"no fee", sdkSpace, sdkerrors.ErrInsufficientFee.ABCICode(),
			"insufficient fees; got:  required: 2500uqc: insufficient fee",
			"fee too low: offered nothing, the node requires 0.0025QC (raise gas-prices in client.toml or --gas-prices)",
		},
		{
			"signed for another chain", sdkSpace, sdkerrors.ErrUnauthorized.ABCICode(),
			"signature verification failed; please verify account number (7) and chain-id (q1-other): (unable to verify single signer signature): unauthorized",
			`signature rejected: signed for chain id "q1-other", which may not be this chain's; check --chain-id`,
		},
		{
			"sequence", sdkSpace, sdkerrors.ErrWrongSequence.ABCICode(),
			"account sequence mismatch, expected 5, got 4: incorrect account sequence",
			"account sequence mismatch: another tx from this key was sent at the same time; try again (account sequence mismatch, expected 5, got 4: incorrect account sequence)",
		},
		{
			"unregistered code", "elsewhere", 77, "something else entirely", "something else entirely",
		},
		// Our modules' messages pass through, wrapping removed, amounts in QC.
		{
			"services: insufficient escrow in simulation", servicestypes.ModuleName, servicestypes.ErrInsufficientEscrow.ABCICode(),
			"failed to simulate tx: failed to execute message; message index: 0: service hello can withdraw at most 105000000uqc (escrow balance minus 0uqc owed), not 1000000000uqc: insufficient escrow",
			"service hello can withdraw at most 105QC (escrow balance minus 0QC owed), not 1000QC: insufficient escrow",
		},
		{
			"sharers: already registered", sharerstypes.ModuleName, sharerstypes.ErrAlreadyRegistered.ABCICode(),
			"failed to execute message; message index: 0: q11abc is already registered (since height 7); change its offer with q1 sharer update: already registered",
			"q11abc is already registered (since height 7); change its offer with q1 sharer update: already registered",
		},
		// Dispatch is by code: a module's message that happens to read like
		// the bank's is not rewritten as one.
		{
			"usage: text like the bank's", usagetypes.ModuleName, usagetypes.ErrInvalidEntry.ABCICode(),
			"entry 0: spendable balance 3uqc is smaller than 5uqc: invalid usage entry",
			"entry 0: spendable balance 0.000003QC is smaller than 0.000005QC: invalid usage entry",
		},
		{
			"bank code without the bank's numbers", sdkSpace, sdkerrors.ErrInsufficientFunds.ABCICode(),
			"0uqc is smaller than 1uqc: insufficient funds",
			"0QC is smaller than 0.000001QC: insufficient funds",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := humanizeTx(tc.codespace, tc.code, tc.log); got != tc.want {
				t.Errorf("humanizeTx(%s, %d, %q)\n got: %s\nwant: %s", tc.codespace, tc.code, tc.log, got, tc.want)
			}
		})
	}
}

func TestRefusalMatchesRegisteredError(t *testing.T) {
	err := fmt.Errorf("create service gov: %w", &refusal{servicestypes.ModuleName, servicestypes.ErrNameTaken.ABCICode(),
		"failed to execute message; message index: 0: name gov is taken (deleted at height 9); names are never reused: name taken"})
	if !errors.Is(err, servicestypes.ErrNameTaken) {
		t.Fatalf("%v does not match ErrNameTaken", err)
	}
	if errors.Is(err, servicestypes.ErrServiceNotFound) {
		t.Fatalf("%v matches ErrServiceNotFound", err)
	}
	const want = "create service gov: name gov is taken (deleted at height 9); names are never reused: name taken"
	if err.Error() != want {
		t.Fatalf("\n got: %s\nwant: %s", err, want)
	}
}

func TestHumanizeQuery(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
		want string
	}{
		{"not found (the node wraps it in the SDK's key not found)",
			status.Error(codes.NotFound, "service nope does not exist: service not found: key not found"),
			"service nope does not exist: service not found"},
		{"invalid argument",
			status.Error(codes.InvalidArgument, `q1xyz: "q1xyz" is not a valid account address: invalid address: invalid request`),
			`q1xyz: "q1xyz" is not a valid account address: invalid address`},
		{"unknown, with the tx service's wrapping",
			status.Error(codes.Unknown, "rpc error: code = Unknown desc = failed to execute message; message index: 0: service hello can withdraw at most 105000000uqc (escrow balance minus 0uqc owed), not 1000000000uqc: insufficient escrow [/work/main/x/services/keeper/execute.go:95] with gas used: '63786': unknown request"),
			"service hello can withdraw at most 105QC (escrow balance minus 0QC owed), not 1000QC: insufficient escrow"},
		{"not a status", errors.New("dial tcp: connection refused"), "dial tcp: connection refused"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := humanize(tc.err); got != tc.want {
				t.Errorf("\n got: %s\nwant: %s", got, tc.want)
			}
		})
	}
}
