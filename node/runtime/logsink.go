package runtime

import (
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/quantum1net/q1/sdk/guest/abi"
)

// LogLine is one line a service logged.
type LogLine struct {
	// Time is when the host received the line.
	Time time.Time
	// Service and Version name the service that logged it.
	Service, Version string
	// Level is the slog level the guest gave (Info for stdout and stderr).
	Level slog.Level
	// Stream is "log" for the log host function, "stdout" or "stderr" for
	// the guest's standard output streams.
	Stream string
	// Message is the line, at most 4 KiB, valid UTF-8, without a newline.
	Message string
}

// LogSink receives a service's log lines: granting it is the log capability.
// WriteLog runs on the request path, so it must return quickly.
type LogSink interface {
	WriteLog(LogLine)
}

// LogBuffer is a LogSink that keeps the most recent lines in memory.
// It is safe for concurrent use.
type LogBuffer struct {
	mu      sync.Mutex
	lines   []LogLine
	next    int // where the next line goes once lines is full
	dropped uint64
}

// NewLogBuffer returns a LogBuffer that keeps the last capacity lines
// (at least 1).
func NewLogBuffer(capacity int) *LogBuffer {
	return &LogBuffer{lines: make([]LogLine, 0, max(1, capacity))}
}

// WriteLog keeps l, dropping the oldest line when the buffer is full.
func (b *LogBuffer) WriteLog(l LogLine) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.lines) < cap(b.lines) {
		b.lines = append(b.lines, l)
		return
	}
	b.lines[b.next] = l
	b.next = (b.next + 1) % len(b.lines)
	b.dropped++
}

// Lines returns the kept lines, oldest first.
func (b *LogBuffer) Lines() []LogLine {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := make([]LogLine, 0, len(b.lines))
	out = append(out, b.lines[b.next:]...)
	return append(out, b.lines[:b.next]...)
}

// Since returns the kept lines numbered seq and later (lines are numbered
// from 0 in the order they were written), oldest first, and the number the
// next line will get. Lines pushed out before they were read are skipped.
func (b *LogBuffer) Since(seq uint64) ([]LogLine, uint64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	first := b.dropped // the number of the oldest kept line
	next := first + uint64(len(b.lines))
	if seq < first {
		seq = first
	}
	var out []LogLine
	for n := seq; n < next; n++ {
		i := int(n-first) + b.next
		if len(b.lines) == cap(b.lines) {
			i %= len(b.lines)
		} else {
			i = int(n - first)
		}
		out = append(out, b.lines[i])
	}
	return out, next
}

// Dropped counts lines that were pushed out by newer ones.
func (b *LogBuffer) Dropped() uint64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.dropped
}

// writeLog sends one line to the service's sink, if it has one.
func (s *Service) writeLog(level slog.Level, stream, msg string) {
	if s.logSink == nil {
		return
	}
	if len(msg) > abi.MaxLogLineBytes {
		msg = msg[:abi.MaxLogLineBytes]
	}
	s.logSink.WriteLog(LogLine{
		Time:    time.Now(),
		Service: s.name,
		Version: s.version,
		Level:   level,
		Stream:  stream,
		Message: strings.ToValidUTF8(msg, "\uFFFD"),
	})
}
