package keeper_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/quantum1net/q1/x/services/types"
)

// TestPausedServiceNameTaken: a paused service still holds its name,
// whether its owner paused it or its escrow ran dry: creating a service of
// that name is refused with the name-taken error (saying it is in use, not
// deleted), and moves no money.
func TestPausedServiceNameTaken(t *testing.T) {
	f := newFixture(t)
	f.mustCreate("alice", spec{name: "byowner"}, 1_000_000)
	f.mustCreate("alice", spec{name: "bydepletion"}, 1_000_000)
	noErr(t, f.pause("alice", "byowner"))
	noErr(t, f.tx(func(ctx context.Context) error { return f.k.PauseForDepletion(ctx, "bydepletion") }))
	for _, name := range []string{"byowner", "bydepletion"} {
		svc := f.service(name).Service
		if svc.Status != types.StatusPaused {
			t.Fatalf("%s: status %v, want paused", name, svc.Status)
		}
		f.addr("bob") // funded on first use
		before, module := f.balance("bob"), f.moduleBalance()
		_, err := f.create("bob", spec{name: name, owners: []string{"bob"}}, 1_000_000)
		if !errors.Is(err, types.ErrNameTaken) {
			t.Fatalf("re-creating paused %s: %v, want ErrNameTaken", name, err)
		}
		wantErr(t, err, fmt.Sprintf("name %s is taken by an existing service (created at height %d); names are never reused", name, svc.CreatedHeight))
		if f.balance("bob") != before || f.moduleBalance() != module {
			t.Errorf("a refused create moved money: bob %d → %d, module %d → %d", before, f.balance("bob"), module, f.moduleBalance())
		}
		if got := f.service(name).Service; got.Creator != f.addr("alice") || got.Status != types.StatusPaused {
			t.Errorf("%s after the refused create: %+v", name, got)
		}
	}
	f.checkConservation()
}
