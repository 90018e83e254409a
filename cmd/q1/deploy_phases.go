package main

import (
	"fmt"
	"strings"
	"time"
)

// phases times the steps of a deploy, so a user sees where a slow one spent
// its time: "checks 0.41s · upload 0.20s · committed 1.10s · placed 0.31s ·
// serving 1.92s · total 3.94s".
type phases struct {
	now   func() time.Time
	start time.Time
	last  time.Time
	steps []phase
}

// phase is one step and how long it took.
type phase struct {
	Name string `json:"name"`
	// Millis is the step's duration in milliseconds.
	Millis int64 `json:"ms"`
}

func newPhases(now func() time.Time) *phases {
	t := now()
	return &phases{now: now, start: t, last: t}
}

// done ends the step name, begun where the last one ended.
func (p *phases) done(name string) {
	t := p.now()
	p.steps = append(p.steps, phase{Name: name, Millis: t.Sub(p.last).Milliseconds()})
	p.last = t
}

// total is the time from the first step's start to the last one's end.
func (p *phases) total() time.Duration { return p.last.Sub(p.start) }

func (p *phases) String() string {
	parts := make([]string, 0, len(p.steps)+1)
	for _, s := range p.steps {
		parts = append(parts, fmt.Sprintf("%s %.2fs", s.Name, float64(s.Millis)/1000))
	}
	parts = append(parts, fmt.Sprintf("total %.2fs", p.total().Seconds()))
	return strings.Join(parts, " · ")
}
