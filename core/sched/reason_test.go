package sched

import (
	"fmt"
	"slices"
	"testing"
)

func TestExplain(t *testing.T) {
	lackMemory := func(s *Sharer) { s.Free.MemoryBytes = mi }
	tooDear := func(s *Sharer) { s.Prices.EgressPerGiB = 1 << 40 }
	offline := func(s *Sharer) { s.Online = false }
	build := func(mods ...func(*Sharer)) []Sharer {
		out := make([]Sharer, len(mods))
		for i, m := range mods {
			out[i] = testSharer(fmt.Sprintf("q1s%02d", i), m)
		}
		return out
	}
	ok := func(*Sharer) {}
	tests := []struct {
		name  string
		req   Request
		cands []Sharer
		want  string
	}{
		{"design example", testRequest(),
			build(lackMemory, offline, tooDear, lackMemory, tooDear, lackMemory, offline, tooDear, lackMemory),
			"9 sharers: 4 lacked memory, 3 above max price, 2 offline"},
		{"chosen first", testRequest(),
			build(lackMemory, ok, tooDear),
			"3 sharers: 1 chosen, 1 lacked memory, 1 above max price"},
		{"equal counts keep reason order", testRequest(),
			build(tooDear, offline, lackMemory),
			"3 sharers: 1 offline, 1 lacked memory, 1 above max price"},
		{"one sharer", testRequest(), build(ok), "1 sharer: 1 chosen"},
		{"not needed", testRequest(func(r *Request) { r.Replicas = 2 }), build(ok, ok, ok),
			"3 sharers: 2 chosen, 1 not needed"},
		{"no sharers", testRequest(), nil, "no sharers"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := mustPlace(t, tt.req, tt.cands, DefaultParams())
			if got := res.Explain(); got != tt.want {
				t.Errorf("Explain() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestExclusionsInReasonOrder(t *testing.T) {
	var res Result
	res.excluded[ReasonPrice] = 3
	res.excluded[ReasonOffline] = 1
	res.excluded[ReasonMemory] = 4
	want := []ReasonCount{{ReasonOffline, 1}, {ReasonMemory, 4}, {ReasonPrice, 3}}
	if got := res.Exclusions(); !slices.Equal(got, want) {
		t.Errorf("Exclusions() = %v, want %v", got, want)
	}
	if got := res.Excluded(ReasonMemory); got != 4 {
		t.Errorf("Excluded(ReasonMemory) = %d, want 4", got)
	}
	if got := res.Excluded(Reason(200)); got != 0 {
		t.Errorf("Excluded(200) = %d, want 0", got)
	}
}

func TestReasonNamesAreDistinct(t *testing.T) {
	keys, phrases := map[string]Reason{}, map[string]Reason{}
	for r := ReasonNone; r < numReasons; r++ {
		if r.Key() == "" || r.String() == "" {
			t.Errorf("reason %d has an empty key or phrase", r)
		}
		if prev, dup := keys[r.Key()]; dup {
			t.Errorf("reasons %d and %d share key %q", prev, r, r.Key())
		}
		if prev, dup := phrases[r.String()]; dup {
			t.Errorf("reasons %d and %d share phrase %q", prev, r, r.String())
		}
		keys[r.Key()], phrases[r.String()] = r, r
	}
	if got, want := Reason(99).String(), "reason(99)"; got != want {
		t.Errorf("Reason(99).String() = %q, want %q", got, want)
	}
	if got, want := ReasonMemory.Key(), "lacked_memory"; got != want {
		t.Errorf("ReasonMemory.Key() = %q, want %q", got, want)
	}
}
