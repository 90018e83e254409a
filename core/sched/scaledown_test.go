package sched

import (
	"slices"
	"testing"
)

func replicaAt(addr string, memPrice uint64) Replica {
	p := basePrices
	p.MemoryPerMiBHour = memPrice
	return Replica{Sharer: addr, Prices: p}
}

func dropped(rs []Replica) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.Sharer
	}
	return out
}

func TestScaleDown(t *testing.T) {
	equal := []Replica{replicaAt("q1a", 10), replicaAt("q1b", 10), replicaAt("q1c", 10), replicaAt("q1d", 10)}
	byRank := byWeight("hello", []string{"q1a", "q1b", "q1c", "q1d"})
	lowestFirst := slices.Clone(byRank)
	slices.Reverse(lowestFirst)

	tests := []struct {
		name      string
		current   []Replica
		replicas  int
		preferred []string
		want      []string
	}{
		{"nothing to drop", equal, 4, nil, nil},
		{"fewer current than wanted", equal[:2], 4, nil, nil},
		{"lowest weight first", equal, 2, nil, lowestFirst[:2]},
		{"to zero", equal, 0, nil, lowestFirst},
		{"costly outside the band first", []Replica{
			replicaAt("q1a", 10), replicaAt("q1dear", 30), replicaAt("q1b", 10), replicaAt("q1dearer", 40),
		}, 2, nil, []string{"q1dearer", "q1dear"}},
		{"preferred kept", equal, 3, []string{lowestFirst[0]}, []string{lowestFirst[1]}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := bandRequest(tt.replicas)
			req.Current = tt.current
			req.Preferred = tt.preferred
			got, err := ScaleDown(req, DefaultParams())
			if err != nil {
				t.Fatalf("ScaleDown: %v", err)
			}
			if !slices.Equal(dropped(got), tt.want) {
				t.Errorf("ScaleDown dropped %v, want %v", dropped(got), tt.want)
			}
			// Input order never matters.
			req.Current = slices.Clone(tt.current)
			slices.Reverse(req.Current)
			again, _ := ScaleDown(req, DefaultParams())
			if !slices.Equal(dropped(again), dropped(got)) {
				t.Errorf("reversed Current dropped %v, want %v", dropped(again), dropped(got))
			}
		})
	}
}

func TestScaleDownDropsWhatPlaceTakesLast(t *testing.T) {
	all := addrs(6)
	cands := make([]Sharer, len(all))
	for i, a := range all {
		cands[i] = testSharer(a)
	}
	placed := mustPlace(t, testRequest(func(r *Request) { r.Replicas = 6 }), cands, DefaultParams())
	req := testRequest(func(r *Request) { r.Replicas = 4 })
	for _, c := range placed.Chosen {
		req.Current = append(req.Current, Replica{Sharer: c.Sharer, Prices: c.Prices})
	}
	got, err := ScaleDown(req, DefaultParams())
	if err != nil {
		t.Fatalf("ScaleDown: %v", err)
	}
	want := []string{placed.Chosen[5].Sharer, placed.Chosen[4].Sharer}
	if !slices.Equal(dropped(got), want) {
		t.Errorf("ScaleDown dropped %v, want %v (Place's last two, last first)", dropped(got), want)
	}
}

func TestReplace(t *testing.T) {
	all := addrs(6)
	cands := make([]Sharer, len(all))
	for i, a := range all {
		cands[i] = testSharer(a)
	}
	req := testRequest(func(r *Request) { r.Replicas = 3 })
	first := mustPlace(t, req, cands, DefaultParams())
	for _, c := range first.Chosen {
		req.Current = append(req.Current, Replica{Sharer: c.Sharer, Prices: c.Prices})
	}

	// The first choice goes offline; its replica moves to the next in rank.
	lost := first.Chosen[0].Sharer
	for i := range cands {
		if cands[i].Address == lost {
			cands[i].Online = false
		}
	}
	res, err := Replace(req, []string{lost}, cands, DefaultParams())
	if err != nil {
		t.Fatalf("Replace: %v", err)
	}
	want := byWeight("hello", all)[3]
	if got := chosenAddrs(res); len(got) != 1 || got[0] != want {
		t.Errorf("Replace chose %v, want [%s]", got, want)
	}
	if want := "6 sharers: 1 chosen, 2 already placed, 2 not needed, 1 offline"; res.Explain() != want {
		t.Errorf("Explain() = %q, want %q", res.Explain(), want)
	}

	_, err = Replace(req, []string{"q1stranger"}, cands, DefaultParams())
	wantErr := `sched: invalid placement request for service "hello": lost sharer q1stranger holds no current replica: pass only sharers listed in Request.Current`
	if err == nil || err.Error() != wantErr {
		t.Errorf("Replace error = %v, want %s", err, wantErr)
	}
}
