package servicelogs

import (
	"bytes"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/quantum1net/q1/node/runtime"
)

var t0 = time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)

func logLine(service string, i int, msg string) runtime.LogLine {
	return runtime.LogLine{Time: t0.Add(time.Duration(i) * time.Millisecond), Service: service, Version: "sha256:v1",
		Level: slog.LevelInfo, Stream: "log", Message: msg}
}

func mustOpen(t *testing.T, dir string, opts ...Option) *Store {
	t.Helper()
	s, err := Open(dir, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func messages(lines []Line) string {
	var out []string
	for _, l := range lines {
		out = append(out, fmt.Sprintf("%d:%s", l.Seq, l.Message))
	}
	return strings.Join(out, " ")
}

// TestLinesOutliveARestart: what a store kept is served again after it is
// closed and opened, with the same numbers, and new lines continue them.
func TestLinesOutliveARestart(t *testing.T) {
	dir := t.TempDir()
	s := mustOpen(t, dir)
	for i, m := range []string{"one", "two", "three"} {
		s.Sink("echo").WriteLog(logLine("echo", i, m))
	}
	s.Sink("hello").WriteLog(logLine("hello", 9, "hi"))
	if got, next := s.Since("echo", 1); messages(got) != "1:two 2:three" || next != 3 {
		t.Fatalf("Since(1) = %s, next %d", messages(got), next)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	var warnings bytes.Buffer
	s = mustOpen(t, dir, WithLogger(slog.New(slog.NewTextHandler(&warnings, nil))))
	got, next := s.Since("echo", 0)
	if messages(got) != "0:one 1:two 2:three" || next != 3 {
		t.Fatalf("after reopening: %s, next %d", messages(got), next)
	}
	if l := got[1]; !l.Time.Equal(t0.Add(time.Millisecond)) || l.Version != "sha256:v1" || l.Level != "INFO" || l.Stream != "log" {
		t.Fatalf("a line read back: %+v", l)
	}
	s.Sink("echo").WriteLog(logLine("echo", 3, "four"))
	if got, next := s.Since("echo", 3); messages(got) != "3:four" || next != 4 {
		t.Fatalf("a line after reopening: %s, next %d", messages(got), next)
	}
	if got := strings.Join(s.Services(), ","); got != "echo,hello" {
		t.Fatalf("Services = %s", got)
	}
	if got, next := s.Since("nothing", 5); got != nil || next != 5 {
		t.Fatalf("Since of a service that never logged = %v, %d", got, next)
	}
	if warnings.Len() != 0 {
		t.Fatalf("clean files reported:\n%s", warnings.String())
	}
}

// TestBoundedByBytes: a service's files never pass the bound; the oldest
// lines go first, and what is left is what a reopened store serves.
func TestBoundedByBytes(t *testing.T) {
	dir := t.TempDir()
	const bound = 64 << 10
	s := mustOpen(t, dir, WithMaxBytes(bound))
	msg := strings.Repeat("x", 900)
	const n = 500 // ~500 KB written, far past the bound
	for i := range n {
		s.Sink("chatty").WriteLog(logLine("chatty", i, fmt.Sprintf("%04d %s", i, msg)))
		var size int64
		for _, f := range []string{"chatty.log", "chatty.log.1"} {
			if fi, err := os.Stat(filepath.Join(dir, f)); err == nil {
				size += fi.Size()
			}
		}
		if size > bound {
			t.Fatalf("after line %d the files hold %d bytes, more than the %d bound", i, size, bound)
		}
	}
	kept, next := s.Since("chatty", 0)
	if next != n || len(kept) == 0 || kept[len(kept)-1].Seq != n-1 || kept[0].Seq == 0 {
		t.Fatalf("kept %d lines (%d…), next %d", len(kept), kept[0].Seq, next)
	}
	for i, l := range kept {
		if l.Seq != kept[0].Seq+uint64(i) {
			t.Fatalf("line %d has number %d: the kept lines are not the most recent in a row", i, l.Seq)
		}
	}
	// At least half the bound's worth of the newest lines is kept.
	if bytes := len(kept) * (len(msg) + 100); bytes < bound/2 {
		t.Fatalf("only %d lines kept", len(kept))
	}
	s.Close()
	again, next2 := mustOpen(t, dir, WithMaxBytes(bound)).Since("chatty", 0)
	if messages(again) != messages(kept) || next2 != next {
		t.Fatalf("reopened: %d lines from %d, next %d; want %d from %d, next %d", len(again), again[0].Seq, next2, len(kept), kept[0].Seq, next)
	}
}

// TestDamagedFileAtOpen: a file with a line cut short by a crash and bytes
// that are not lines is reported (file, how many lines, the first one and
// why), its readable lines are served, it is repaired, and the store goes on.
func TestDamagedFileAtOpen(t *testing.T) {
	dir := t.TempDir()
	s := mustOpen(t, dir)
	for i, m := range []string{"zero", "one", "two"} {
		s.Sink("echo").WriteLog(logLine("echo", i, m))
	}
	s.Close()
	path := filepath.Join(dir, "echo.log")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitAfter(string(b), "\n")
	damaged := lines[0] + "\x00\x00garbage from a bad disk\n" + lines[1] + lines[0] + lines[2] + `{"seq":3,"time":"2026-03-04T05:06:07.003Z","mess`
	if err := os.WriteFile(path, []byte(damaged), 0o644); err != nil {
		t.Fatal(err)
	}

	var warnings bytes.Buffer
	s = mustOpen(t, dir, WithLogger(slog.New(slog.NewTextHandler(&warnings, nil))))
	got, next := s.Since("echo", 0)
	if messages(got) != "0:zero 1:one 2:two" || next != 3 {
		t.Fatalf("served %s, next %d", messages(got), next)
	}
	w := warnings.String()
	for _, want := range []string{"level=WARN", "service log file damaged", "file=" + path, "skipped=3", "first_bad_line=2",
		"it is not a log line", "kept=3"} {
		if !strings.Contains(w, want) {
			t.Errorf("the warning lacks %q:\n%s", want, w)
		}
	}
	s.Sink("echo").WriteLog(logLine("echo", 3, "three"))
	s.Close()

	warnings.Reset()
	s = mustOpen(t, dir, WithLogger(slog.New(slog.NewTextHandler(&warnings, nil))))
	if got, _ := s.Since("echo", 0); messages(got) != "0:zero 1:one 2:two 3:three" {
		t.Fatalf("after the repair: %s", messages(got))
	}
	if warnings.Len() != 0 {
		t.Fatalf("the repaired file was reported again:\n%s", warnings.String())
	}
}

// TestCutShortLastLine: only the last line, cut short, is lost.
func TestCutShortLastLine(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "echo.log"), []byte(`{"seq":0,"time":"2026-03-04T05:06:07Z","message":"whole"}`+"\n"+`{"seq":1,"ti`), 0o644); err != nil {
		t.Fatal(err)
	}
	var warnings bytes.Buffer
	s := mustOpen(t, dir, WithLogger(slog.New(slog.NewTextHandler(&warnings, nil))))
	if got, next := s.Since("echo", 0); messages(got) != "0:whole" || next != 1 {
		t.Fatalf("served %s, next %d", messages(got), next)
	}
	if !strings.Contains(warnings.String(), "cut short (no newline at the end): the node stopped while writing it") {
		t.Fatalf("warning:\n%s", warnings.String())
	}
}

func TestRemove(t *testing.T) {
	dir := t.TempDir()
	s := mustOpen(t, dir)
	s.Sink("gone").WriteLog(logLine("gone", 0, "bye"))
	if err := s.Remove("gone"); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Since("gone", 0); len(got) != 0 || len(s.Services()) != 0 {
		t.Fatalf("after Remove: %v, %v", got, s.Services())
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Fatalf("files left: %v", entries)
	}
}

func TestOpenRefusesANonDirectory(t *testing.T) {
	f := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(f, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(f); err == nil || !strings.Contains(err.Error(), "service logs: ") {
		t.Fatalf("Open on a file = %v", err)
	}
}
