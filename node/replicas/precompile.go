package replicas

import (
	"container/list"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	q1client "github.com/quantum1net/q1/client"
	"github.com/quantum1net/q1/client/blobhash"
	"github.com/quantum1net/q1/node/runtime"
)

// Compiling ahead. A module's cold compile (wazero's optimizing compiler,
// 1.4–1.9 s for a 5 MB Go module on a small machine) would otherwise sit on
// the path from a lease to the first answer. A node compiles a module ahead
// as soon as it learns of its blob: uploaded to it (PrecompileUploads), or
// announced to it (Warm: by `q1 service deploy`, to the sharers the chain's
// placement preview chose, while the create tx commits). It compiles with
// the runtime's Compile, the same validation, fuel instrumentation and
// compiler settings as a replica's Load, into the same on-disk cache, so the
// replica that follows loads the very code compiled ahead (and waits for it
// if it is still compiling).
//
// Anyone who may upload can make a node compile, so it is bounded:
//   - at most Concurrent compiles ahead at once (default 1: with the
//     runtime's DefaultStartups of 2, a replica's start always finds a
//     slot), and Queue more waiting; further announcements are dropped (a
//     replica placed later compiles its module when it starts, as before);
//   - what compiles ahead left in the caches is counted, and past
//     CachedBytes the least recently used module no replica runs is evicted
//     (runtime.Evict);
//   - a module that does not compile is remembered (the last Failed of
//     them), with the reason, and never compiled again: not on another
//     announcement, and not when a lease places it here (the replica fails
//     at once with that reason).
// Compiles ahead never run inside the guest slots and never hold a lock a
// request needs: serving is not slowed by them beyond the CPU they take.

// PrecompileLimits bound compiling ahead. Zero fields take the defaults.
type PrecompileLimits struct {
	// Concurrent is how many modules compile ahead at once (default 1).
	Concurrent int
	// Queue is how many announced modules may wait (default 16).
	Queue int
	// CachedBytes caps what modules compiled ahead hold in the on-disk
	// caches (default 1 GiB).
	CachedBytes int64
	// Failed is how many modules that did not compile are remembered
	// (default 1024).
	Failed int
}

func (l PrecompileLimits) withDefaults() PrecompileLimits {
	if l.Concurrent <= 0 {
		l.Concurrent = 1
	}
	if l.Queue <= 0 {
		l.Queue = 16
	}
	if l.CachedBytes <= 0 {
		l.CachedBytes = 1 << 30
	}
	if l.Failed <= 0 {
		l.Failed = 1024
	}
	return l
}

// WithPrecompileLimits bounds compiling ahead (default PrecompileLimits{}).
func WithPrecompileLimits(l PrecompileLimits) Option {
	return func(m *Manager) { m.ahead.limits = l.withDefaults() }
}

// precompileFetchTimeout bounds fetching an announced module from peers.
const precompileFetchTimeout = time.Minute

type aheadJob struct {
	hash  blobhash.Hash
	fetch bool // fetch it from peers if the store lacks it
}

// aheadEntry is a module compiled ahead, in the LRU list.
type aheadEntry struct {
	hash   blobhash.Hash
	module string // runtime.Module.Hash
	bytes  int64
}

// PrecompileStats says what compiling ahead did.
type PrecompileStats struct {
	Compiled int    // modules compiled ahead
	Cached   int    // of them, still counted in the caches
	Bytes    int64  // what those hold
	Evicted  int    // modules evicted to stay under CachedBytes
	Failed   int    // modules remembered as not compiling
	Dropped  uint64 // announcements dropped: the queue was full
	Queued   int    // waiting or compiling now
}

type precompiler struct {
	limits PrecompileLimits
	queue  chan aheadJob

	// Guarded by Manager.mu.
	pending     map[blobhash.Hash]bool // queued or compiling
	lru         *list.List             // of *aheadEntry, most recently used first
	cached      map[blobhash.Hash]*list.Element
	total       int64
	failed      map[blobhash.Hash]string
	failedOrder []blobhash.Hash
	stats       PrecompileStats
}

func newPrecompiler() precompiler {
	return precompiler{
		limits:  PrecompileLimits{}.withDefaults(),
		pending: map[blobhash.Hash]bool{},
		lru:     list.New(),
		cached:  map[blobhash.Hash]*list.Element{},
		failed:  map[blobhash.Hash]string{},
	}
}

// startPrecompiler starts the workers; m.mu must be held.
func (m *Manager) startPrecompilerLocked() {
	m.ahead.queue = make(chan aheadJob, m.ahead.limits.Queue)
	for range m.ahead.limits.Concurrent {
		m.goLocked(func() {
			for {
				select {
				case <-m.ctx.Done():
					return
				case j := <-m.ahead.queue:
					m.compileAhead(j)
				}
			}
		})
	}
}

// Precompile compiles a module the local store holds (an upload) into the
// cache in the background, so that a replica placed on this node starts in
// milliseconds instead of seconds. It never blocks.
func (m *Manager) Precompile(h blobhash.Hash) bool { return m.enqueueAhead(aheadJob{hash: h}) }

// Warm is Precompile for a module announced to this node: it is fetched
// from the other sharers' nodes first if the store lacks it. It never blocks
// and reports whether the module is compiled, compiling or queued.
func (m *Manager) Warm(h blobhash.Hash) bool {
	return m.enqueueAhead(aheadJob{hash: h, fetch: true})
}

func (m *Manager) enqueueAhead(j aheadJob) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	a := &m.ahead
	if e, ok := a.cached[j.hash]; ok {
		a.lru.MoveToFront(e)
		return true
	}
	if a.pending[j.hash] {
		return true
	}
	if _, bad := a.failed[j.hash]; bad || m.closed {
		return false
	}
	select {
	case a.queue <- j:
		a.pending[j.hash] = true
		return true
	default:
		a.stats.Dropped++
		if a.stats.Dropped&(a.stats.Dropped-1) == 0 { // 1st, 2nd, 4th, 8th, …: a flood is not logged line by line
			m.log.Info("too many modules to compile ahead; announcement dropped (a replica placed here compiles its module when it starts)",
				"hash", j.hash, "dropped", a.stats.Dropped, "queue", a.limits.Queue)
		}
		return false
	}
}

// compileAhead runs one job: fetch if asked, compile, account.
func (m *Manager) compileAhead(j aheadJob) {
	defer func() {
		m.mu.Lock()
		delete(m.ahead.pending, j.hash)
		m.mu.Unlock()
	}()
	ctx, cancel := context.WithTimeout(m.ctx, 2*time.Minute)
	defer cancel()
	if !m.blobs.Has(j.hash) {
		if !j.fetch {
			return
		}
		fctx, fcancel := context.WithTimeout(ctx, precompileFetchTimeout)
		err := m.blobs.Ensure(fctx, j.hash, m.peers())
		fcancel()
		if err != nil {
			if ctx.Err() == nil {
				m.log.Info("announced module not fetched; not compiled ahead", "hash", j.hash, "err", err)
			}
			return
		}
	}
	wasm, err := m.readBlob(j.hash)
	if err != nil {
		m.log.Warn("compile ahead: read module", "hash", j.hash, "err", err)
		return
	}
	if len(wasm) < 4 || string(wasm[:4]) != "\x00asm" {
		return // other data: blobs are not only modules
	}
	start := time.Now()
	mod, err := m.rt.Compile(ctx, wasm)
	switch {
	case err != nil && errors.Is(err, runtime.ErrInvalidModule):
		m.recordAheadFailure(j.hash, err.Error())
		return
	case err != nil:
		if ctx.Err() == nil {
			m.log.Warn("compile ahead failed; not remembered, the module is not at fault", "hash", j.hash, "err", err)
		}
		return
	}
	m.mu.Lock()
	a := &m.ahead
	a.stats.Compiled++
	if _, ok := a.cached[j.hash]; !ok {
		a.cached[j.hash] = a.lru.PushFront(&aheadEntry{hash: j.hash, module: mod.Hash(), bytes: mod.CompiledBytes()})
		a.total += mod.CompiledBytes()
	}
	evict := m.overBudgetLocked()
	m.mu.Unlock()
	for _, e := range evict {
		m.rt.Evict(e.module)
	}
	m.log.Info("module compiled ahead", "hash", j.hash, "took", time.Since(start).Round(time.Millisecond),
		"cached_bytes", mod.CompiledBytes())
}

// overBudgetLocked takes out of the LRU, oldest first, modules no replica
// here runs until the rest fit CachedBytes, and returns them for eviction.
func (m *Manager) overBudgetLocked() []*aheadEntry {
	a := &m.ahead
	inUse := map[string]bool{}
	for _, code := range m.code {
		inUse[code] = true
	}
	for _, r := range m.running {
		inUse[r.code] = true
	}
	var out []*aheadEntry
	for e := a.lru.Back(); e != nil && a.total > a.limits.CachedBytes; {
		prev := e.Prev()
		ae := e.Value.(*aheadEntry)
		if !inUse[ae.hash.String()] {
			a.lru.Remove(e)
			delete(a.cached, ae.hash)
			a.total -= ae.bytes
			a.stats.Evicted++
			out = append(out, ae)
		}
		e = prev
	}
	return out
}

// recordAheadFailure remembers that a module does not compile.
func (m *Manager) recordAheadFailure(h blobhash.Hash, reason string) {
	m.mu.Lock()
	a := &m.ahead
	if _, ok := a.failed[h]; !ok {
		if len(a.failedOrder) >= a.limits.Failed {
			delete(a.failed, a.failedOrder[0])
			a.failedOrder = a.failedOrder[1:]
		}
		a.failed[h] = reason
		a.failedOrder = append(a.failedOrder, h)
	}
	m.mu.Unlock()
	m.log.Info("module does not compile; remembered, not compiled again", "hash", h, "err", reason)
}

// aheadFailure returns why a module did not compile ahead, if it did not.
func (m *Manager) aheadFailure(h blobhash.Hash) (string, bool) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	r, ok := m.ahead.failed[h]
	return r, ok
}

// touchAhead marks a module compiled ahead as just used.
func (m *Manager) touchAhead(h blobhash.Hash) {
	m.mu.Lock()
	if e, ok := m.ahead.cached[h]; ok {
		m.ahead.lru.MoveToFront(e)
	}
	m.mu.Unlock()
}

// PrecompileStats returns what compiling ahead did so far.
func (m *Manager) PrecompileStats() PrecompileStats {
	m.mu.RLock()
	defer m.mu.RUnlock()
	s := m.ahead.stats
	s.Cached = m.ahead.lru.Len()
	s.Bytes = m.ahead.total
	s.Failed = len(m.ahead.failed)
	s.Queued = len(m.ahead.pending)
	return s
}

// readBlob reads a module from the store (which bounds its size) and
// refuses what is not wasm.
func (m *Manager) readBlob(h blobhash.Hash) ([]byte, error) {
	f, _, err := m.blobs.Open(h)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	wasm, err := io.ReadAll(f)
	if err != nil {
		return nil, err
	}
	return wasm, nil
}

// PrecompileUploads wraps the blob store's handler: a module uploaded here
// is compiled into the cache at once, since the service it belongs to is
// about to be created and may be placed on this node.
func PrecompileUploads(h http.Handler, replicas *Manager) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPut {
			h.ServeHTTP(w, r)
			return
		}
		sw := &statusWriter{ResponseWriter: w}
		h.ServeHTTP(sw, r)
		if sw.status/100 == 2 {
			if hash, err := blobhash.Parse(r.Header.Get(q1client.HeaderBlobHash)); err == nil {
				replicas.Precompile(hash)
			}
		}
	})
}

// WarmHandler serves POST …/blobs/{hash}/warm: an announcement that a
// module may be placed on this node soon (q1 service deploy sends it to the
// sharers the placement preview chose). The node fetches the module from
// the other sharers' nodes and compiles it ahead, within the bounds of
// PrecompileLimits. It answers 202 when the module is compiled, compiling
// or queued, 429 when the queue is full, 422 when the module is known not
// to compile.
func WarmHandler(replicas *Manager) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h, err := blobhash.Parse(r.PathValue("hash"))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		if reason, bad := replicas.aheadFailure(h); bad {
			http.Error(w, "the module does not compile: "+reason, http.StatusUnprocessableEntity)
			return
		}
		if !replicas.Warm(h) {
			http.Error(w, "too many modules to compile ahead; try later", http.StatusTooManyRequests)
			return
		}
		w.WriteHeader(http.StatusAccepted)
		fmt.Fprintln(w, "compiling ahead")
	})
}

// statusWriter remembers the status a handler answered with.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}
