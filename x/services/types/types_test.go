package types_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"cosmossdk.io/math"
	"github.com/quantum1net/q1/x/services/types"
)

func TestActionHashes(t *testing.T) {
	const to = "q11qyqszqgpqyqszqgpqyqszqgpqyqszqgpjtw6m7"
	// The text forms are part of the protocol: clients compute the same
	// hashes (printf 'q1/services/v1 withdraw hello 5uqc to q11…' | sha256sum).
	w := types.WithdrawHash("hello", math.NewInt(5), "uqc", to)
	if want := "sha256:b859cc080da91d120e27634c972ccb1505d4e32a144c9640ae9cb29c13748b73"; w != want {
		t.Fatalf("WithdrawHash = %s, want %s", w, want)
	}
	if d, want := types.DeleteHash("hello", to), "sha256:6a1b9ff864746d3c894f815f460ed8423d7cd30eb4b7afcb2a4d33fc8ad325d2"; d != want {
		t.Fatalf("DeleteHash = %s, want %s", d, want)
	}
	distinct := map[string]string{
		w: "withdraw",
		types.WithdrawHash("hello", math.NewInt(6), "uqc", to): "another amount",
		types.WithdrawHash("world", math.NewInt(5), "uqc", to): "another service",
		types.DeleteHash("hello", to):                          "delete",
		types.DeleteHash("world", to):                          "delete another",
	}
	if len(distinct) != 5 {
		t.Fatalf("action hashes collide: %v", distinct)
	}
	if w != types.WithdrawHash("hello", math.NewInt(5), "uqc", to) {
		t.Fatal("WithdrawHash is not a function of its inputs")
	}
}

func TestParamsValidate(t *testing.T) {
	tests := []struct {
		name   string
		params types.Params
		want   string
	}{
		{"default", types.DefaultParams(), ""},
		{"zero minimum", types.Params{Denom: "uqc", MinDeposit: math.ZeroInt()}, ""},
		{"bad denom", types.Params{Denom: "1x", MinDeposit: math.ZeroInt()}, "params.denom: invalid denom: 1x"},
		{"negative minimum", types.Params{Denom: "uqc", MinDeposit: math.NewInt(-1)}, "params.min_deposit: must be zero or more, got -1"},
		{"missing minimum", types.Params{Denom: "uqc"}, "params.min_deposit: must be zero or more"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.params.Validate()
			if tt.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error = %v, want %q", err, tt.want)
			}
		})
	}
}

type failingHooks struct {
	types.MultiServicesHooks
	calls *[]string
	err   error
}

func (h failingHooks) AfterServiceDeleted(_ context.Context, name string) error {
	*h.calls = append(*h.calls, name)
	return h.err
}

func TestMultiHooksCallsEveryHookAndJoinsErrors(t *testing.T) {
	var calls []string
	first, second := errors.New("first refused"), errors.New("second refused")
	mh := types.NewMultiServicesHooks(
		failingHooks{calls: &calls, err: first},
		failingHooks{calls: &calls},
		failingHooks{calls: &calls, err: second},
	)
	err := mh.AfterServiceDeleted(context.Background(), "hello")
	if len(calls) != 3 || !errors.Is(err, first) || !errors.Is(err, second) {
		t.Fatalf("calls %q, err %v", calls, err)
	}
}
