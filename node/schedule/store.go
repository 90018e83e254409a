package schedule

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	q1client "github.com/quantum1net/q1/client"
	"github.com/quantum1net/q1/core/manifest"
)

// Store keeps what this node knows of its services' schedules: per
// service and schedule, the last run it made or learned of from another
// replica's node, the ticks counted as missed and the runs counted, in
// memory and in one JSON file (rewritten after each run: a few hundred
// bytes per schedule). A record belongs to a schedule's index, cron and
// path: when an update changes them, the record starts afresh.
type Store struct {
	path string
	mu   sync.Mutex
	recs map[string]*q1client.ScheduleState // by recKey
}

func recKey(service string, index int) string { return service + "/" + strconv.Itoa(index) }

// OpenStore reads the store kept in file path ("" keeps it in memory only).
func OpenStore(path string) (*Store, error) {
	s := &Store{path: path, recs: map[string]*q1client.ScheduleState{}}
	if path == "" {
		return s, nil
	}
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return s, nil
	}
	if err != nil {
		return nil, err
	}
	var saved map[string]*q1client.ScheduleState
	if err := json.Unmarshal(b, &saved); err != nil {
		// A damaged file loses the history, not the node: start afresh.
		return s, nil //nolint:nilerr // documented: the record is advisory
	}
	for k, v := range saved {
		if v != nil {
			s.recs[k] = v
		}
	}
	return s, nil
}

// get returns the record of schedule index of service, matching sc, or a
// fresh one; s.mu must be held.
func (s *Store) get(service string, index int, sc manifest.Schedule) *q1client.ScheduleState {
	k := recKey(service, index)
	r := s.recs[k]
	if r == nil || r.Cron != sc.Cron || r.Path != sc.Path {
		r = &q1client.ScheduleState{Index: index, Cron: sc.Cron, Path: sc.Path}
		s.recs[k] = r
	}
	return r
}

// Last returns the last run known of the schedule, if any.
func (s *Store) Last(service string, index int, sc manifest.Schedule) (q1client.ScheduleState, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.get(service, index, sc)
	return *r, r.LastRun != nil
}

// MaxClockSkew is client.MaxClockSkew.
const MaxClockSkew = q1client.MaxClockSkew

// Plausible is client.PlausibleSchedule.
func Plausible(sc manifest.Schedule, st q1client.ScheduleState, now time.Time) error {
	return q1client.PlausibleSchedule(sc, st, now)
}

// Learn takes in another node's record of the schedule when its last run
// is later than the one known here (the record then carries the counts)
// and Plausible at now.
func (s *Store) Learn(service string, index int, sc manifest.Schedule, other q1client.ScheduleState, now time.Time) bool {
	if other.LastRun == nil || other.Cron != sc.Cron || other.Path != sc.Path || other.Index != index {
		return false
	}
	if Plausible(sc, other, now) != nil {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.get(service, index, sc)
	if !q1client.RunIsLater(other.LastRun, r.LastRun) {
		return false
	}
	cp := other
	run := *other.LastRun
	cp.LastRun = &run
	s.recs[recKey(service, index)] = &cp
	return true
}

// begin records that this node starts tick's run, with the ticks missed
// since the last known run.
func (s *Store) begin(service string, index int, sc manifest.Schedule, run q1client.ScheduleRun, missed []time.Time, atLeast bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.get(service, index, sc)
	run.Running = true
	r.LastRun = &run
	r.Runs++
	if len(missed) > 0 {
		r.Missed += uint64(len(missed))
		last := missed[len(missed)-1]
		r.LastMissed = &last
	}
	r.MissedAtLeast = r.MissedAtLeast || atLeast
}

// finish records the run's result and saves the store.
func (s *Store) finish(service string, index int, sc manifest.Schedule, tick time.Time, status int, errText string, took time.Duration) error {
	s.mu.Lock()
	r := s.get(service, index, sc)
	if r.LastRun != nil && r.LastRun.Tick.Equal(tick) {
		r.LastRun.Running = false
		r.LastRun.Status = status
		r.LastRun.Error = errText
		r.LastRun.DurationMs = took.Milliseconds()
	}
	b, err := json.Marshal(s.recs)
	s.mu.Unlock()
	if err != nil || s.path == "" {
		return err
	}
	return writeFile(s.path, b)
}

func writeFile(path string, b []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("save schedule records: %w", err)
	}
	return nil
}

// States returns what this node knows of every schedule of m (by index),
// with each one's next tick after now.
func (s *Store) States(service string, m *manifest.Manifest, now time.Time) []q1client.ScheduleState {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := []q1client.ScheduleState{}
	for i, sc := range m.Schedules {
		r := *s.get(service, i, sc)
		if r.LastRun != nil {
			run := *r.LastRun
			r.LastRun = &run
		}
		if c, err := manifest.ParseCron(sc.Cron); err == nil {
			r.Next = c.Next(now)
		}
		out = append(out, r)
	}
	return out
}

// Merge is client.MergeSchedules.
func Merge(lists ...[]q1client.ScheduleState) []q1client.ScheduleState {
	return q1client.MergeSchedules(lists...)
}
