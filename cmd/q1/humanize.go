package main

import (
	"context"
	"encoding/hex"
	"fmt"
	"io"
	"regexp"
	"strings"
	"time"

	sdkmath "cosmossdk.io/math"
	coretypes "github.com/cometbft/cometbft/rpc/core/types"
	"github.com/cosmos/cosmos-sdk/client"
	"google.golang.org/grpc/status"

	"github.com/quantum1net/q1/core/qc"
)

// waitForTx polls the node until the tx with hash is in a block.
func waitForTx(ctx context.Context, c client.Context, stderr io.Writer, hash string, wait time.Duration) (*coretypes.ResultTx, error) {
	raw, err := hex.DecodeString(hash)
	if err != nil {
		return nil, err
	}
	progress := newProgress(stderr, fmt.Sprintf("tx %s broadcast; waiting for it to be committed", shortHash(hash)))
	defer progress.done()
	ctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	// Search by hash rather than Tx(hash): a tx not committed yet is an
	// empty result, not an error to tell apart by its text.
	query := fmt.Sprintf("tx.hash='%X'", raw)
	for {
		res, err := c.Client.TxSearch(ctx, query, false, nil, nil, "")
		switch {
		case err == nil && len(res.Txs) > 0:
			return res.Txs[0], nil
		case err != nil && ctx.Err() == nil:
			// The node may be restarting; keep asking until the deadline.
			progress.note("node: " + err.Error())
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("tx %s was broadcast but not committed within %s; check later with: q1 query tx %s", hash, wait, hash)
		case <-tick.C:
			progress.tick()
		}
	}
}

func shortHash(h string) string {
	if len(h) > 12 {
		return h[:12] + "…"
	}
	return h
}

var (
	// Noise the SDK and gRPC wrap around a chain's answer.
	reNoise = []*regexp.Regexp{
		regexp.MustCompile(`rpc error: code = \w+ desc = `),
		regexp.MustCompile(`failed to execute message; message index: \d+: `),
		regexp.MustCompile(` \[[^\]]*\.go:\d+\]`),
		regexp.MustCompile(` with gas used: '\d+'`),
		regexp.MustCompile(`: unknown request$`),
	}
	reUqc       = regexp.MustCompile(`\b(\d+)uqc\b`)
	reSpendable = regexp.MustCompile(`spendable balance (\d+)uqc is smaller than (\d+)uqc`)
	reFeeLow    = regexp.MustCompile(`insufficient fees; got: (\S*) required: ([^\s:]+)`)
	reChainID   = regexp.MustCompile(`chain-id \(([^)]*)\)`)
)

// stripNoise removes what gRPC and the SDK wrap around an error.
func stripNoise(msg string) string {
	for _, re := range reNoise {
		msg = re.ReplaceAllString(msg, "")
	}
	return msg
}

// humanizeLog turns a chain's error log into words a person understands,
// amounts in QC.
func humanizeLog(log string) string {
	log = humanizeKnown(stripNoise(log))
	return reUqc.ReplaceAllStringFunc(log, func(m string) string { return uqcString(strings.TrimSuffix(m, "uqc")) })
}

func humanizeKnown(log string) string {
	if m := reSpendable.FindStringSubmatch(log); m != nil {
		return fmt.Sprintf("insufficient funds: have %s, need %s", uqcString(m[1]), uqcString(m[2]))
	}
	if m := reFeeLow.FindStringSubmatch(log); m != nil {
		return fmt.Sprintf("fee too low: offered %s, the node requires %s (raise gas-prices in client.toml or --gas-prices)", orNothing(m[1]), m[2])
	}
	if strings.Contains(log, "signature verification failed") {
		if m := reChainID.FindStringSubmatch(log); m != nil {
			return fmt.Sprintf("signature rejected: signed for chain id %q, which may not be this chain's; check --chain-id", m[1])
		}
	}
	if strings.Contains(log, "account sequence mismatch") {
		return "account sequence mismatch: another tx from this key was sent at the same time; try again (" + log + ")"
	}
	return log
}

// humanize turns an error from a node into words a person understands.
func humanize(err error) string {
	if err == nil {
		return ""
	}
	msg := err.Error()
	if s, ok := status.FromError(err); ok {
		msg = s.Message()
	}
	return humanizeLog(msg)
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
