package main

import (
	"testing"
	"time"
)

func TestPhases(t *testing.T) {
	at := time.Unix(100, 0)
	clock := func() time.Time { return at }
	p := newPhases(clock)
	for _, s := range []struct {
		name string
		took time.Duration
	}{{"checks", 410 * time.Millisecond}, {"upload", 200 * time.Millisecond}, {"committed", 1100 * time.Millisecond},
		{"placed", 310 * time.Millisecond}, {"serving", 1920 * time.Millisecond}} {
		at = at.Add(s.took)
		p.done(s.name)
	}
	if want := "checks 0.41s · upload 0.20s · committed 1.10s · placed 0.31s · serving 1.92s · total 3.94s"; p.String() != want {
		t.Fatalf("phases\n got %s\nwant %s", p, want)
	}
	if p.steps[2].Millis != 1100 || p.total() != 3940*time.Millisecond {
		t.Fatalf("steps %+v, total %s", p.steps, p.total())
	}
}
