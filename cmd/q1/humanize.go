package main

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	errorsmod "cosmossdk.io/errors"
	sdkmath "cosmossdk.io/math"
	sdkerrors "github.com/cosmos/cosmos-sdk/types/errors"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/quantum1net/q1/core/qc"
)

// A node's answer is put into people's words by what it is, never by its
// text: a refused tx carries the codespace and code of a registered error
// (ours or the SDK's), a failed query a gRPC status code. Only the SDK's own
// errors whose numbers we restate (balances, fees, the chain id) have their
// log read, and only after the code said which error it is. Our modules'
// messages already say what was wrong and what to do, so they pass through
// with the transport's wrapping removed and amounts in QC.

// refusal is a tx a node refused, in simulation, CheckTx or DeliverTx. Its
// message is in people's words; errors.Is matches the registered error its
// codespace and code name (servicestypes.ErrNameTaken, …).
type refusal struct {
	codespace string
	code      uint32
	log       string
}

func (r *refusal) Error() string { return humanizeTx(r.codespace, r.code, r.log) }

// Unwrap returns the registered error the codespace and code name, wrapped
// with the log.
func (r *refusal) Unwrap() error { return errorsmod.ABCIError(r.codespace, r.code, r.log) }

var (
	// Noise the SDK and gRPC wrap around a chain's answer.
	reNoise = []*regexp.Regexp{
		regexp.MustCompile(`rpc error: code = \w+ desc = `),
		regexp.MustCompile(`failed to simulate tx: `),
		regexp.MustCompile(`failed to execute message; message index: \d+: `),
		regexp.MustCompile(` \[[^\]]*\.go:\d+\]`),
		regexp.MustCompile(` with gas used: '\d+'`),
		regexp.MustCompile(`: unknown request$`),
	}
	reUqc       = regexp.MustCompile(`\b(\d+)uqc\b`)
	reSpendable = regexp.MustCompile(`spendable balance (\d+)uqc is smaller than (\d+)uqc`)
	reFeeLow    = regexp.MustCompile(`insufficient fees; got: (\S*) required: ([^\s:]+)`)
	reChainID   = regexp.MustCompile(`signature verification failed.*chain-id \(([^)]*)\)`)
)

// stripNoise removes what gRPC and the SDK wrap around an error.
func stripNoise(msg string) string {
	for _, re := range reNoise {
		msg = re.ReplaceAllString(msg, "")
	}
	return msg
}

// humanizeTx turns a refused tx's codespace, code and log into words a
// person understands, amounts in QC.
func humanizeTx(codespace string, code uint32, log string) string {
	err := errorsmod.ABCIError(codespace, code, log)
	log = stripNoise(log)
	msg := log
	switch {
	case errors.Is(err, sdkerrors.ErrInsufficientFunds):
		if m := reSpendable.FindStringSubmatch(log); m != nil {
			msg = fmt.Sprintf("insufficient funds: have %s, need %s", uqcString(m[1]), uqcString(m[2]))
		}
	case errors.Is(err, sdkerrors.ErrInsufficientFee):
		if m := reFeeLow.FindStringSubmatch(log); m != nil {
			msg = fmt.Sprintf("fee too low: offered %s, the node requires %s (raise gas-prices in client.toml or --gas-prices)", orNothing(m[1]), m[2])
		}
	case errors.Is(err, sdkerrors.ErrUnauthorized):
		if m := reChainID.FindStringSubmatch(log); m != nil {
			msg = fmt.Sprintf("signature rejected: signed for chain id %q, which may not be this chain's; check --chain-id", m[1])
		}
	case errors.Is(err, sdkerrors.ErrWrongSequence):
		msg = "account sequence mismatch: another tx from this key was sent at the same time; try again (" + log + ")"
	}
	return inQC(msg)
}

// sdkQueryWrappers are the SDK errors a node wraps a failed query in, by the
// gRPC code the client then sees (baseapp's gRPCErrorToSDKError): their
// text adds nothing for people.
var sdkQueryWrappers = map[codes.Code]*errorsmod.Error{
	codes.NotFound:        sdkerrors.ErrKeyNotFound,
	codes.InvalidArgument: sdkerrors.ErrInvalidRequest,
	codes.Unauthenticated: sdkerrors.ErrUnauthorized,
	codes.Unknown:         sdkerrors.ErrUnknownRequest,
}

// humanize turns an error from a node (a failed query, or a connection
// problem) into words a person understands, amounts in QC.
func humanize(err error) string {
	if err == nil {
		return ""
	}
	var r *refusal
	if errors.As(err, &r) {
		return err.Error()
	}
	msg := err.Error()
	if s, ok := status.FromError(err); ok {
		msg = s.Message()
		if w, ok := sdkQueryWrappers[s.Code()]; ok {
			msg = strings.TrimSuffix(msg, ": "+w.Error())
		}
	}
	return inQC(stripNoise(msg))
}

// inQC writes every uqc amount in msg in QC.
func inQC(msg string) string {
	return reUqc.ReplaceAllStringFunc(msg, func(m string) string { return uqcString(strings.TrimSuffix(m, "uqc")) })
}

func uqcString(s string) string {
	v, ok := sdkmath.NewIntFromString(s)
	if !ok {
		return s + "uqc"
	}
	return qc.Format(v)
}

func orNothing(s string) string {
	if s == "" {
		return "nothing"
	}
	return s
}
