// Package servicelogs keeps the log lines of the services a node runs (the
// services whose manifest grants the log capability), so that `q1 service
// logs` and the dashboard can read them: in memory for readers, and on disk
// so that a restarted node still serves what its replicas wrote before.
//
// Each service has two files under the store's directory:
//
//	{service}.log     the current file, one JSON line per log line, appended to
//	{service}.log.1   the previous file
//
// A service's lines are bounded by bytes (WithMaxBytes, default
// DefaultMaxBytes): when the current file would pass half of the bound it
// becomes the previous file (replacing the one before, the oldest lines),
// and a new current file starts. So a service keeps between half the bound
// and the bound of its most recent lines, on disk and in memory.
//
// Lines are numbered per service (Seq) from 0, in the order they were
// written, and keep their numbers across restarts, so a reader can ask for
// the lines after the last one it saw. Each line is written to its file
// when it is logged (one write, no fsync): a node killed with SIGKILL keeps
// every line the kernel received; a machine that loses power may lose the
// last ones. A damaged file found when the store opens (a line cut short by
// a crash, bytes that are not a line) is reported in the node's log with
// the file and line, the readable lines are kept and the file is rewritten
// without the rest; the node goes on.
//
// Handler serves a service's kept lines over HTTP to the viewers its
// manifest allows (GET /v1/services/{name}/logs on the node's API, and its
// copy under /_q1 on the gateway).
package servicelogs

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/quantum1net/q1/node/runtime"
)

// DefaultMaxBytes bounds what a node keeps of one service's log: 4 MiB on
// disk (two files of up to 2 MiB), roughly 20,000 lines of 200 bytes.
const DefaultMaxBytes = 4 << 20

// minMaxBytes is the smallest bound WithMaxBytes accepts: room for a few
// lines of the largest size (a 4 KiB message, escaped).
const minMaxBytes = 64 << 10

const (
	currentSuffix  = ".log"
	previousSuffix = ".log.1"
)

// Line is one kept log line.
type Line struct {
	// Seq numbers the service's lines from 0, in the order written.
	Seq uint64 `json:"seq"`
	// Time is when the node received the line.
	Time time.Time `json:"time"`
	// Version is the manifest hash of the replica that wrote it.
	Version string `json:"version"`
	// Level is the slog level ("INFO", "ERROR", …).
	Level string `json:"level"`
	// Stream is "log", "stdout" or "stderr".
	Stream  string `json:"stream"`
	Message string `json:"message"`
}

// Option configures a Store.
type Option func(*Store)

// WithMaxBytes bounds each service's kept lines to n bytes on disk (at
// least 64 KiB; default DefaultMaxBytes).
func WithMaxBytes(n int64) Option { return func(s *Store) { s.maxBytes = max(n, minMaxBytes) } }

// WithLogger sets where damaged files and failed writes are reported
// (default: discard).
func WithLogger(l *slog.Logger) Option { return func(s *Store) { s.log = l } }

// Store keeps every service's log lines under one directory. It is safe
// for concurrent use.
type Store struct {
	dir      string
	maxBytes int64
	log      *slog.Logger

	mu       sync.Mutex
	closed   bool
	services map[string]*serviceLog
}

// serviceLog is one service's kept lines and its current file.
type serviceLog struct {
	store *Store
	name  string

	mu        sync.Mutex
	lines     []Line // the previous file's lines, then the current file's; Seq increasing
	prevCount int    // how many of lines are the previous file's
	curBytes  int64  // the current file's size (counted in memory too when the disk fails)
	next      uint64 // the Seq of the next line
	file      *os.File
	failed    bool // a write failed and was reported; lines stay in memory until the next rotation
}

// Open opens (creating it if needed) the store in dir and loads every
// service's kept lines. Damaged files are repaired and reported to the
// logger; only a directory that cannot be created or listed is an error.
func Open(dir string, opts ...Option) (*Store, error) {
	s := &Store{dir: dir, maxBytes: DefaultMaxBytes, log: slog.New(slog.DiscardHandler), services: map[string]*serviceLog{}}
	for _, o := range opts {
		o(s)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("service logs: %w", err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("service logs: %w", err)
	}
	var names []string
	for _, e := range entries {
		name, ok := serviceOfFile(e.Name())
		if ok && !e.IsDir() && !slices.Contains(names, name) {
			names = append(names, name)
		}
	}
	for _, name := range names {
		s.services[name] = s.load(name)
	}
	return s, nil
}

// serviceOfFile returns the service a file name in the store belongs to.
func serviceOfFile(file string) (string, bool) {
	for _, suffix := range []string{previousSuffix, currentSuffix} {
		if name, ok := strings.CutSuffix(file, suffix); ok && validName(name) {
			return name, true
		}
	}
	return "", false
}

// validName accepts what can be a file name in the store: service names
// are DNS labels, checked by the manifest; this only keeps a name from
// reaching outside the directory.
func validName(name string) bool {
	return name != "" && name[0] != '.' && !strings.ContainsAny(name, `/\`+"\x00")
}

func (s *Store) current(name string) string  { return filepath.Join(s.dir, name+currentSuffix) }
func (s *Store) previous(name string) string { return filepath.Join(s.dir, name+previousSuffix) }

// load reads a service's two files; see the package doc for what happens
// to a damaged one.
func (s *Store) load(name string) *serviceLog {
	l := &serviceLog{store: s, name: name}
	var last seqSeen
	prev, _ := s.readFile(s.previous(name), &last)
	cur, curBytes := s.readFile(s.current(name), &last)
	l.lines = append(prev, cur...)
	l.prevCount = len(prev)
	l.curBytes = curBytes
	if last.any {
		l.next = last.seq + 1
	}
	if f, err := os.OpenFile(s.current(name), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644); err != nil {
		s.log.Warn("service log file cannot be written; its new lines are kept in memory only", "service", name, "err", err)
		l.failed = true
	} else {
		l.file = f
	}
	return l
}

// seqSeen is the highest Seq read so far, if any.
type seqSeen struct {
	seq uint64
	any bool
}

// readFile reads one file's lines whose Seq is above *last (and moves
// *last), and returns them with the size of the file as it is left. Lines
// that cannot be read are skipped and reported, and the file is rewritten
// without them.
func (s *Store) readFile(path string, last *seqSeen) ([]Line, int64) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, 0
	}
	if err != nil {
		s.log.Warn("service log file cannot be read; serving the service's lines without it", "file", path, "err", err)
		return nil, 0
	}
	var (
		lines     []Line
		good      bytes.Buffer
		skipped   int
		firstBad  int
		badReason string
	)
	bad := func(n int, why string) {
		if skipped == 0 {
			firstBad, badReason = n, why
		}
		skipped++
	}
	for n, rest := 1, b; len(rest) > 0; n++ {
		raw, after, complete := bytes.Cut(rest, []byte("\n"))
		rest = after
		if !complete {
			bad(n, "it is cut short (no newline at the end): the node stopped while writing it")
			break
		}
		var l Line
		if err := json.Unmarshal(raw, &l); err != nil {
			bad(n, "it is not a log line: "+err.Error())
			continue
		}
		if l.Time.IsZero() {
			bad(n, "it is not a log line: it has no time")
			continue
		}
		if last.any && l.Seq <= last.seq {
			bad(n, fmt.Sprintf("its number %d does not follow %d", l.Seq, last.seq))
			continue
		}
		*last = seqSeen{seq: l.Seq, any: true}
		lines = append(lines, l)
		good.Write(raw)
		good.WriteByte('\n')
	}
	if skipped == 0 {
		return lines, int64(len(b))
	}
	s.log.Warn("service log file damaged: skipped the lines that cannot be read, kept the rest",
		"file", path, "skipped", skipped, "first_bad_line", firstBad, "reason", badReason, "kept", len(lines))
	if err := writeAtomically(path, good.Bytes()); err != nil {
		s.log.Warn("service log file could not be repaired; it is left as it was", "file", path, "err", err)
		return lines, int64(len(b))
	}
	return lines, int64(good.Len())
}

// writeAtomically replaces path with b.
func writeAtomically(path string, b []byte) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// sink is what a service writes its lines to.
type sink struct {
	store   *Store
	service string
}

// WriteLog keeps l (runtime.LogSink).
func (k sink) WriteLog(l runtime.LogLine) {
	if sl := k.store.service(k.service, true); sl != nil {
		sl.write(l)
	}
}

// Sink returns the sink a service's replicas log into (every version of
// the service shares it). Nothing is kept, in memory or on disk, until the
// service logs its first line.
func (s *Store) Sink(service string) runtime.LogSink { return sink{store: s, service: service} }

// service returns a service's log, creating it when create is set; nil
// when there is none, or the store is closed, or the name cannot be a file.
func (s *Store) service(name string, create bool) *serviceLog {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	l := s.services[name]
	if l == nil && create && validName(name) {
		l = s.load(name)
		s.services[name] = l
	}
	return l
}

// write keeps one line: in memory, and appended to the current file.
func (l *serviceLog) write(in runtime.LogLine) {
	line := Line{Time: in.Time.UTC(), Version: in.Version, Level: in.Level.String(), Stream: in.Stream, Message: in.Message}
	l.mu.Lock()
	defer l.mu.Unlock()
	line.Seq = l.next
	b, err := json.Marshal(line)
	if err != nil {
		return // cannot happen: strings and a time
	}
	b = append(b, '\n')
	if l.curBytes > 0 && l.curBytes+int64(len(b)) > l.store.maxBytes/2 {
		l.rotate()
	}
	l.next++
	l.lines = append(l.lines, line)
	l.curBytes += int64(len(b))
	if l.file == nil {
		return
	}
	if _, err := l.file.Write(b); err != nil && !l.failed {
		l.failed = true
		l.store.log.Warn("service log file write failed; new lines are kept in memory only until the file is replaced",
			"service", l.name, "file", l.file.Name(), "err", err)
	}
}

// rotate makes the current file the previous one (dropping the previous
// file's lines) and starts a new current file.
func (l *serviceLog) rotate() {
	l.lines = slices.Delete(l.lines, 0, l.prevCount)
	l.prevCount = len(l.lines)
	l.curBytes = 0
	s := l.store
	if l.file != nil {
		_ = l.file.Close()
		l.file = nil
	}
	l.failed = false
	if err := os.Rename(s.current(l.name), s.previous(l.name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		s.log.Warn("service log file could not be rotated", "service", l.name, "err", err)
	}
	f, err := os.OpenFile(s.current(l.name), os.O_WRONLY|os.O_CREATE|os.O_TRUNC|os.O_APPEND, 0o644)
	if err != nil {
		l.failed = true
		s.log.Warn("service log file cannot be written; its new lines are kept in memory only", "service", l.name, "err", err)
		return
	}
	l.file = f
}

// Since returns a service's kept lines numbered seq and later, oldest
// first, and the number the next line will get. Lines dropped to keep the
// bound are skipped.
func (s *Store) Since(service string, seq uint64) ([]Line, uint64) {
	l := s.service(service, false)
	if l == nil {
		return nil, seq
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	i := sort.Search(len(l.lines), func(i int) bool { return l.lines[i].Seq >= seq })
	return slices.Clone(l.lines[i:]), l.next
}

// Services lists the services with kept lines (in memory or on disk).
func (s *Store) Services() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]string, 0, len(s.services))
	for name := range s.services {
		out = append(out, name)
	}
	slices.Sort(out)
	return out
}

// Remove deletes a service's kept lines, in memory and on disk (the node
// no longer runs it). A replica still running keeps logging into a new,
// empty log.
func (s *Store) Remove(service string) error {
	s.mu.Lock()
	l := s.services[service]
	delete(s.services, service)
	s.mu.Unlock()
	if l != nil {
		l.mu.Lock()
		if l.file != nil {
			_ = l.file.Close()
			l.file = nil
		}
		l.lines = nil
		l.mu.Unlock()
	}
	var errs []error
	for _, p := range []string{s.current(service), s.previous(service)} {
		if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Close closes the files; lines logged afterwards are dropped.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	var errs []error
	for _, l := range s.services {
		l.mu.Lock()
		if l.file != nil {
			errs = append(errs, l.file.Close())
			l.file = nil
		}
		l.mu.Unlock()
	}
	return errors.Join(errs...)
}
