package chainquery

import (
	"context"
	"errors"
	"strings"
	"testing"

	abci "github.com/cometbft/cometbft/abci/types"

	q1client "github.com/quantum1net/q1/client"
)

// TestPrunedLookupsBounded: with maxPrunedLookups searches of the event
// index under way, another is refused at once as unavailable, saying why,
// without touching the node.
func TestPrunedLookupsBounded(t *testing.T) {
	for range maxPrunedLookups {
		prunedLookups <- struct{}{}
	}
	defer func() {
		for range maxPrunedLookups {
			<-prunedLookups
		}
	}()
	var c Chain // no client: a search that went ahead would panic
	err := c.searchBlockEvents(context.Background(), "q", "pruned records of hello", func(abci.Event) error { return nil })
	if !errors.Is(err, q1client.ErrUnavailable) || !strings.Contains(err.Error(), "2 searches of the pruned history are under way on this node") {
		t.Fatalf("err = %v", err)
	}
}
