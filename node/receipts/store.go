// Package receipts keeps the receipts a node's replicas produce, with the
// request bytes and host-call tapes an auditor needs to re-execute them,
// per lease and epoch, on disk under the node's data directory.
//
// Each (epoch, lease) has one append-only file, <dir>/<epoch>/<lease>.rcpt,
// of framed records (length, CRC-32C, then the receipt, the request and the
// tape, each length-prefixed). A crash loses at most the records being
// written: at Open a damaged or cut-short tail is cut off, and every whole
// record before it is kept. An epoch is sealed once its report is built
// (Seal): the trees of a sealed epoch never change again, so the root a
// report committed can be proven later, even after a restart (the files are
// synced when sealed, and a SEALED marker refuses later receipts).
//
// Each file is bounded (WithMaxBytes). Once a lease's file for an epoch is
// full, every later receipt of that lease in that epoch is dropped, and a
// line says so: a dropped receipt is in no tree, so it is never billed.
// Whole epochs are deleted once no audit can ask for them (Prune).
package receipts

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/quantum1net/q1/core/receipt"
)

// DefaultMaxBytes bounds one lease's file in one epoch.
const DefaultMaxBytes = 64 << 20

const (
	fileSuffix   = ".rcpt"
	sealedMarker = "SEALED"
	frameHeader  = 8 // payload length, CRC-32C of the payload
	// maxRecord bounds one record when reading: anything longer is damage.
	maxRecord = 64 << 20
)

var crcTable = crc32.MakeTable(crc32.Castagnoli)

// Option configures a Store.
type Option func(*Store)

// WithLogger sets the logger (default: discard).
func WithLogger(l *slog.Logger) Option { return func(s *Store) { s.log = l } }

// WithMaxBytes bounds each lease's file per epoch (default DefaultMaxBytes).
func WithMaxBytes(n int64) Option { return func(s *Store) { s.maxBytes = n } }

// Store keeps receipts per (lease, epoch). It is safe for concurrent use;
// its Receipt method is the runtime's receipt sink.
type Store struct {
	dir      string
	log      *slog.Logger
	maxBytes int64

	mu     sync.Mutex
	epoch  uint64 // the epoch receipts whose seed says nothing go to
	files  map[key]*leaseFile
	sealed map[uint64]bool
	closed bool
}

type key struct{ epoch, lease uint64 }

type pos struct{ instance, index uint64 }

// leaseFile is one (epoch, lease) file and its index.
type leaseFile struct {
	path  string
	f     *os.File // open for appending; nil once closed or read-only
	size  int64
	full  bool   // the size bound was reached: later receipts are dropped
	next  uint64 // the next instance number NextInstance hands out
	items []item
	at    map[pos]int // position in items
}

// item is one stored record: its receipt, and where its parts are.
type item struct {
	r       receipt.Receipt
	raw     []byte // receipt.Marshal
	off     int64  // of the request within the file
	reqLen  int
	tapeLen int
}

// Open opens (creating if needed) the store in dir, reading every epoch's
// files and cutting any damaged tail.
func Open(dir string, opts ...Option) (*Store, error) {
	s := &Store{dir: dir, log: slog.New(slog.DiscardHandler), maxBytes: DefaultMaxBytes,
		files: map[key]*leaseFile{}, sealed: map[uint64]bool{}}
	for _, o := range opts {
		o(s)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("receipt store: %w", err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("receipt store: %w", err)
	}
	for _, e := range entries {
		epoch, err := strconv.ParseUint(e.Name(), 10, 64)
		if err != nil || !e.IsDir() {
			continue
		}
		if err := s.loadEpoch(epoch); err != nil {
			return nil, err
		}
		s.epoch = max(s.epoch, epoch)
	}
	return s, nil
}

func (s *Store) epochDir(epoch uint64) string {
	return filepath.Join(s.dir, strconv.FormatUint(epoch, 10))
}

func (s *Store) loadEpoch(epoch uint64) error {
	dir := s.epochDir(epoch)
	if _, err := os.Stat(filepath.Join(dir, sealedMarker)); err == nil {
		s.sealed[epoch] = true
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("receipt store: %w", err)
	}
	for _, e := range entries {
		name, ok := strings.CutSuffix(e.Name(), fileSuffix)
		if !ok {
			continue
		}
		lease, err := strconv.ParseUint(name, 10, 64)
		if err != nil {
			continue
		}
		lf, err := s.readFile(filepath.Join(dir, e.Name()), epoch, lease)
		if err != nil {
			return err
		}
		s.files[key{epoch, lease}] = lf
	}
	return nil
}

// readFile reads a lease's file, cutting it after its last whole record.
func (s *Store) readFile(path string, epoch, lease uint64) (*leaseFile, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("receipt store: %w", err)
	}
	lf := &leaseFile{path: path, at: map[pos]int{}}
	var off int64
	for off < int64(len(b)) {
		it, n, err := decodeRecord(b[off:], off)
		if err == nil && it.r.LeaseID != lease {
			err = fmt.Errorf("receipt of lease %d in the file of lease %d", it.r.LeaseID, lease)
		}
		if err != nil {
			s.log.Warn("receipt file damaged: cutting it after its last whole record",
				"file", path, "epoch", epoch, "lease", lease, "kept_bytes", off, "lost_bytes", int64(len(b))-off, "err", err)
			if err := os.Truncate(path, off); err != nil {
				return nil, fmt.Errorf("receipt store: cut %s: %w", path, err)
			}
			break
		}
		lf.add(it)
		off += n
	}
	lf.size = off
	lf.full = lf.size >= s.maxBytes
	return lf, nil
}

func (lf *leaseFile) add(it item) bool {
	p := pos{it.r.Instance, it.r.Index}
	if _, dup := lf.at[p]; dup {
		return false
	}
	lf.at[p] = len(lf.items)
	lf.items = append(lf.items, it)
	lf.next = max(lf.next, it.r.Instance+1)
	return true
}

// encodeRecord frames a receipt with its request and tape.
func encodeRecord(raw, request, tape []byte) []byte {
	payload := 12 + len(raw) + len(request) + len(tape)
	b := make([]byte, frameHeader, frameHeader+payload)
	for _, part := range [][]byte{raw, request, tape} {
		b = binary.BigEndian.AppendUint32(b, uint32(len(part)))
		b = append(b, part...)
	}
	binary.BigEndian.PutUint32(b[0:], uint32(payload))
	binary.BigEndian.PutUint32(b[4:], crc32.Checksum(b[frameHeader:], crcTable))
	return b
}

// decodeRecord reads the record at the start of b, which is at offset off
// of its file, and returns it and its length.
func decodeRecord(b []byte, off int64) (item, int64, error) {
	if len(b) < frameHeader {
		return item{}, 0, io.ErrUnexpectedEOF
	}
	n := int64(binary.BigEndian.Uint32(b))
	if n > maxRecord {
		return item{}, 0, fmt.Errorf("record of %d bytes", n)
	}
	if int64(len(b)) < frameHeader+n {
		return item{}, 0, io.ErrUnexpectedEOF
	}
	payload := b[frameHeader : frameHeader+n]
	if crc32.Checksum(payload, crcTable) != binary.BigEndian.Uint32(b[4:]) {
		return item{}, 0, errors.New("checksum mismatch")
	}
	var parts [3][]byte
	var starts [3]int64
	p := payload
	for i := range parts {
		if len(p) < 4 {
			return item{}, 0, errors.New("record cut short")
		}
		l := int(binary.BigEndian.Uint32(p))
		if len(p)-4 < l {
			return item{}, 0, errors.New("record cut short")
		}
		starts[i] = off + frameHeader + (n - int64(len(p))) + 4
		parts[i] = p[4 : 4+l]
		p = p[4+l:]
	}
	if len(p) != 0 {
		return item{}, 0, errors.New("trailing bytes in a record")
	}
	r, err := receipt.Unmarshal(parts[0])
	if err != nil {
		return item{}, 0, err
	}
	return item{r: r, raw: bytes.Clone(parts[0]), off: starts[1], reqLen: len(parts[1]), tapeLen: len(parts[2])}, frameHeader + n, nil
}

// SetEpoch sets the current epoch: the one a receipt goes to when its seed
// names none of the epochs around it.
func (s *Store) SetEpoch(e uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.epoch = max(s.epoch, e)
}

// epochOf finds the epoch a receipt was made in: its seed is
// receipt.SeedFor(lease, epoch, instance, index).
func (s *Store) epochOf(r receipt.Receipt) (uint64, bool) {
	for _, e := range []uint64{s.epoch, s.epoch + 1, s.epoch - 1, s.epoch + 2, s.epoch - 2} {
		if receipt.SeedFor(r.LeaseID, e, r.Instance, r.Index) == r.Seed {
			return e, true
		}
	}
	return s.epoch, false
}

// Receipt stores a receipt with its request and tape (the runtime's
// receipt sink). It never fails the request: what cannot be kept is dropped
// with a log line, and is in no tree, so it is not billed.
func (s *Store) Receipt(r receipt.Receipt, request, tape []byte) {
	raw := r.Marshal()
	rec := encodeRecord(raw, request, tape)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	epoch, known := s.epochOf(r)
	if !known {
		s.log.Debug("receipt seed names no epoch near the current one; kept in the current epoch",
			"lease", r.LeaseID, "instance", r.Instance, "index", r.Index, "epoch", epoch)
	}
	if s.sealed[epoch] {
		s.log.Warn("receipt arrived after its epoch's report was built: dropped, not billed",
			"lease", r.LeaseID, "epoch", epoch, "instance", r.Instance, "index", r.Index, "fuel", r.Fuel)
		return
	}
	lf, err := s.open(epoch, r.LeaseID)
	if err != nil {
		s.log.Warn("receipt not kept: dropped, not billed", "lease", r.LeaseID, "epoch", epoch, "err", err)
		return
	}
	if lf.full {
		return
	}
	if lf.size+int64(len(rec)) > s.maxBytes {
		lf.full = true
		s.log.Warn("receipt store: the lease's receipts for this epoch reached their size bound; its later receipts this epoch are dropped and not billed",
			"lease", r.LeaseID, "epoch", epoch, "bound_bytes", s.maxBytes, "kept", len(lf.items))
		return
	}
	if _, dup := lf.at[pos{r.Instance, r.Index}]; dup {
		s.log.Warn("receipt for a position already stored: dropped", "lease", r.LeaseID, "epoch", epoch,
			"instance", r.Instance, "index", r.Index)
		return
	}
	if _, err := lf.f.Write(rec); err != nil {
		// Cut what may have been written, so the file stays whole.
		_ = lf.f.Truncate(lf.size)
		s.log.Warn("receipt not written: dropped, not billed", "lease", r.LeaseID, "epoch", epoch, "err", err)
		return
	}
	it := item{r: r, raw: raw, off: lf.size + frameHeader + 4 + int64(len(raw)) + 4, reqLen: len(request), tapeLen: len(tape)}
	lf.size += int64(len(rec))
	lf.add(it)
}

// open returns the (epoch, lease) file, open for appending. s.mu is held.
func (s *Store) open(epoch, lease uint64) (*leaseFile, error) {
	k := key{epoch, lease}
	lf := s.files[k]
	if lf != nil && lf.f != nil {
		return lf, nil
	}
	if lf == nil {
		lf = &leaseFile{path: filepath.Join(s.epochDir(epoch), strconv.FormatUint(lease, 10)+fileSuffix), at: map[pos]int{}}
		s.files[k] = lf
	}
	if err := os.MkdirAll(s.epochDir(epoch), 0o755); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(lf.path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	lf.f = f
	return lf, nil
}

// NextInstance numbers a new instance of lease in epoch
// (runtime.InstanceNumberer): after every number stored or handed out
// before, restarts included, so no two instances of an epoch share one.
func (s *Store) NextInstance(lease, epoch uint64) uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := key{epoch, lease}
	lf := s.files[k]
	if lf == nil {
		lf = &leaseFile{path: filepath.Join(s.epochDir(epoch), strconv.FormatUint(lease, 10)+fileSuffix), at: map[pos]int{}}
		s.files[k] = lf
	}
	n := lf.next
	lf.next++
	return n
}

// Seal ends epoch: its receipts are synced to disk and later ones for it
// are dropped, so the trees built from it stay the same. Sealing twice is
// harmless.
func (s *Store) Seal(epoch uint64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.sealed[epoch] {
		return nil
	}
	var errs []error
	for k, lf := range s.files {
		if k.epoch != epoch || lf.f == nil {
			continue
		}
		errs = append(errs, lf.f.Sync(), lf.f.Close())
		lf.f = nil
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("receipt store: seal epoch %d: %w", epoch, err)
	}
	if err := os.MkdirAll(s.epochDir(epoch), 0o755); err != nil {
		return fmt.Errorf("receipt store: seal epoch %d: %w", epoch, err)
	}
	if err := os.WriteFile(filepath.Join(s.epochDir(epoch), sealedMarker), nil, 0o644); err != nil {
		return fmt.Errorf("receipt store: seal epoch %d: %w", epoch, err)
	}
	s.sealed[epoch] = true
	return nil
}

// Sealed reports whether epoch was sealed.
func (s *Store) Sealed(epoch uint64) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sealed[epoch]
}

// Leases lists the leases with receipts in epoch, in order.
func (s *Store) Leases(epoch uint64) []uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []uint64
	for k, lf := range s.files { //q1:maporder-ok sorted below
		if k.epoch == epoch && len(lf.items) > 0 {
			out = append(out, k.lease)
		}
	}
	slices.Sort(out)
	return out
}

// Tree is one lease's receipts in one epoch, in tree order (by instance,
// then index), and the Merkle-sum tree over them.
type Tree struct {
	*receipt.Tree
	Lease, Epoch uint64
	receipts     []receipt.Receipt
}

// Receipt is leaf i's receipt.
func (t *Tree) Receipt(i uint64) receipt.Receipt { return t.receipts[i] }

// Receipts are the tree's receipts in leaf order.
func (t *Tree) Receipts() []receipt.Receipt { return t.receipts }

// Tree builds the tree of lease's receipts in epoch (an empty tree if it
// has none).
func (s *Store) Tree(lease, epoch uint64) (*Tree, error) {
	s.mu.Lock()
	var rs []receipt.Receipt
	if lf := s.files[key{epoch, lease}]; lf != nil {
		rs = make([]receipt.Receipt, len(lf.items))
		for i, it := range lf.items {
			rs[i] = it.r
		}
	}
	s.mu.Unlock()
	slices.SortFunc(rs, func(a, b receipt.Receipt) int {
		return cmp.Or(cmp.Compare(a.Instance, b.Instance), cmp.Compare(a.Index, b.Index))
	})
	leaves := make([]receipt.Sum, len(rs))
	for i, r := range rs {
		leaves[i] = r.Leaf()
	}
	t, err := receipt.Build(leaves)
	if err != nil {
		return nil, fmt.Errorf("receipt tree of lease %d, epoch %d: %w", lease, epoch, err)
	}
	return &Tree{Tree: t, Lease: lease, Epoch: epoch, receipts: rs}, nil
}

// Item is one step of an instance's history: the receipt (as marshalled),
// the request bytes and the tape.
type Item struct {
	Receipt []byte
	Request []byte
	Tape    []byte
}

// ErrNotFound says the store holds no such receipt.
var ErrNotFound = errors.New("no such receipt here")

// History returns instance's history in lease's epoch: its receipts from
// the start-up (index 0) to index upto, with their requests and tapes.
func (s *Store) History(lease, epoch, instance, upto uint64) ([]Item, error) {
	s.mu.Lock()
	lf := s.files[key{epoch, lease}]
	var its []item
	var path string
	if lf != nil {
		path = lf.path
		for i := uint64(0); i <= upto; i++ {
			j, ok := lf.at[pos{instance, i}]
			if !ok {
				s.mu.Unlock()
				return nil, fmt.Errorf("%w: lease %d, epoch %d, instance %d, index %d", ErrNotFound, lease, epoch, instance, i)
			}
			its = append(its, lf.items[j])
		}
	}
	s.mu.Unlock()
	if lf == nil {
		return nil, fmt.Errorf("%w: lease %d, epoch %d", ErrNotFound, lease, epoch)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("receipt store: %w", err)
	}
	defer f.Close()
	out := make([]Item, len(its))
	for i, it := range its {
		buf := make([]byte, it.reqLen+4+it.tapeLen)
		if _, err := f.ReadAt(buf, it.off); err != nil {
			return nil, fmt.Errorf("receipt store: read %s: %w", path, err)
		}
		out[i] = Item{Receipt: it.raw, Request: nilIfEmpty(buf[:it.reqLen]), Tape: nilIfEmpty(buf[it.reqLen+4:])}
	}
	return out, nil
}

func nilIfEmpty(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	return b
}

// Prune deletes every epoch before keepFrom: no report or audit can ask
// for them any more.
func (s *Store) Prune(keepFrom uint64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	var errs []error
	epochs := map[uint64]bool{}
	for k, lf := range s.files {
		if k.epoch >= keepFrom {
			continue
		}
		if lf.f != nil {
			lf.f.Close()
		}
		delete(s.files, k)
		epochs[k.epoch] = true
	}
	entries, err := os.ReadDir(s.dir)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	for _, e := range entries {
		if n, err := strconv.ParseUint(e.Name(), 10, 64); err == nil && n < keepFrom {
			epochs[n] = true
		}
	}
	for e := range epochs {
		delete(s.sealed, e)
		if err := os.RemoveAll(s.epochDir(e)); err != nil {
			errs = append(errs, err)
			continue
		}
		s.log.Info("receipts deleted: no report or audit can ask for them any more", "epoch", e)
	}
	return errors.Join(errs...)
}

// Close closes the store's files.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	var errs []error
	for _, lf := range s.files {
		if lf.f != nil {
			errs = append(errs, lf.f.Close())
			lf.f = nil
		}
	}
	return errors.Join(errs...)
}
