package chainquery

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	abci "github.com/cometbft/cometbft/abci/types"

	q1client "github.com/quantum1net/q1/client"
)

// livenessLimit bounds how many offline and online events a query returns.
const livenessLimit = 20

// SharerLiveness returns a sharer's recent offline and online events, newest
// first, from the node's event index: offline comes from the end of a block
// (the liveness sweep), online from the tx of the report that revived it.
func (c *Chain) SharerLiveness(ctx context.Context, address string) (*q1client.SharerLiveness, error) {
	addr, err := accountParam("sharer", address)
	if err != nil {
		return nil, err
	}
	height, err := c.LatestHeight(ctx)
	if err != nil {
		return nil, err
	}
	out := &q1client.SharerLiveness{Sharer: addr, Height: height, Events: []q1client.LivenessEvent{}}
	page, perPage := 1, livenessLimit
	offline := fmt.Sprintf("q1.sharers.v1.EventSharerOffline.sharer CONTAINS '%s'", addr)
	blocks, err := c.ctx.Client.BlockSearch(ctx, offline, &page, &perPage, "desc")
	if err != nil {
		return nil, fmt.Errorf("search offline events of %s: %w", addr, err)
	}
	for _, b := range blocks.Blocks {
		h := b.Block.Height
		res, err := c.ctx.Client.BlockResults(ctx, &h)
		if err != nil {
			return nil, fmt.Errorf("read block %d results: %w", h, err)
		}
		for _, ev := range res.FinalizeBlockEvents {
			if e, ok := livenessEvent(ev, "offline", addr); ok {
				e.Height, e.Time = h, b.Block.Time.UTC().Format("2006-01-02T15:04:05Z")
				out.Events = append(out.Events, e)
			}
		}
	}
	online := fmt.Sprintf("q1.sharers.v1.EventSharerOnline.sharer CONTAINS '%s'", addr)
	txs, err := c.ctx.Client.TxSearch(ctx, online, false, &page, &perPage, "desc")
	if err != nil {
		return nil, fmt.Errorf("search online events of %s: %w", addr, err)
	}
	for _, tx := range txs.Txs {
		for _, ev := range tx.TxResult.Events {
			if e, ok := livenessEvent(ev, "online", addr); ok {
				e.Height, e.Tx = tx.Height, strings.ToUpper(tx.Hash.String())
				out.Events = append(out.Events, e)
			}
		}
	}
	slices.SortStableFunc(out.Events, func(a, b q1client.LivenessEvent) int { return cmp.Compare(b.Height, a.Height) })
	return out, nil
}

// livenessEvent reads a typed EventSharerOffline/Online of sharer addr.
func livenessEvent(ev abci.Event, kind, addr string) (q1client.LivenessEvent, bool) {
	want := "q1.sharers.v1.EventSharerOffline"
	if kind == "online" {
		want = "q1.sharers.v1.EventSharerOnline"
	}
	if ev.Type != want {
		return q1client.LivenessEvent{}, false
	}
	e := q1client.LivenessEvent{Kind: kind}
	for _, a := range ev.Attributes {
		v := strings.Trim(a.Value, `"`)
		n, _ := strconv.ParseUint(v, 10, 64)
		switch a.Key {
		case "sharer":
			if v != addr {
				return e, false
			}
		case "epoch":
			e.Epoch = n
		case "last_reported_epoch":
			e.LastReportedEpoch = n
		case "leases_closed":
			e.LeasesClosed = uint32(n)
		}
	}
	return e, true
}
