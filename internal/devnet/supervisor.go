package devnet

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// ManifestFile is the name of the file in a devnet directory that records
// the network, so `q1 devnet` can resume it and scripts can find its nodes.
const ManifestFile = "devnet.json"

// Save writes the network to dir/devnet.json.
func (n *Network) Save(dir string) error {
	b, err := json.MarshalIndent(n, "", "  ")
	if err != nil {
		return err
	}
	tmp := filepath.Join(dir, ManifestFile+".tmp")
	if err := os.WriteFile(tmp, append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("write %s: %w", ManifestFile, err)
	}
	return os.Rename(tmp, filepath.Join(dir, ManifestFile))
}

// Load reads dir/devnet.json. It returns an error wrapping os.ErrNotExist
// when dir holds no network.
func Load(dir string) (*Network, error) {
	b, err := os.ReadFile(filepath.Join(dir, ManifestFile))
	if err != nil {
		return nil, err
	}
	var n Network
	if err := json.Unmarshal(b, &n); err != nil {
		return nil, fmt.Errorf("read %s: %w", filepath.Join(dir, ManifestFile), err)
	}
	return &n, nil
}

// HostPort returns the host:port of a URL such as http://127.0.0.1:26603.
func HostPort(rawURL string) string {
	if u, err := url.Parse(rawURL); err == nil && u.Host != "" {
		return u.Host
	}
	return rawURL
}

// Supervisor runs a network's nodes as separate `q1 start` processes.
type Supervisor struct {
	// Binary is the q1 executable to run.
	Binary string
	// Net is the network to run.
	Net *Network
	// ExtraArgs are appended to every node's `q1 start` command line.
	ExtraArgs []string
	// Args, if set, replaces the whole command line of node n (e.g. to run
	// another engine for a benchmark baseline); ExtraArgs is then ignored.
	Args func(n Node) []string

	// OnExit, if set, is called (from its own goroutine) when a node's
	// process exits without the supervisor having asked it to: a crash, a
	// kill from outside. It is not called for Stop, Kill or StopAll.
	OnExit func(i int, err error)

	mu    sync.Mutex
	procs []*process
}

type process struct {
	cmd     *exec.Cmd
	log     *os.File
	done    chan struct{}
	err     error
	started time.Time
	// stopping is set when the supervisor itself signals the process.
	stopping bool
}

// NewSupervisor returns a supervisor for net, running binary.
func NewSupervisor(binary string, net *Network) *Supervisor {
	return &Supervisor{Binary: binary, Net: net, procs: make([]*process, len(net.Nodes))}
}

// LogPath is where node i's output goes.
func (s *Supervisor) LogPath(i int) string { return filepath.Join(s.Net.Nodes[i].Home, "node.log") }

// Start starts node i (if it is not running), its output appended to its log.
func (s *Supervisor) Start(i int) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if p := s.procs[i]; p != nil && !p.exited() {
		return nil
	}
	n := s.Net.Nodes[i]
	logf, err := os.OpenFile(s.LogPath(i), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("node %s: open log: %w", n.Name, err)
	}
	args := append([]string{"start",
		"--home", n.Home,
		"--http", HostPort(n.HTTP),
		"--gateway", HostPort(n.Gateway),
	}, s.ExtraArgs...)
	if s.Args != nil {
		args = s.Args(n)
	}
	cmd := exec.Command(s.Binary, args...)
	cmd.Stdout = logf
	cmd.Stderr = logf
	// Own process group: a Ctrl-C in the terminal reaches the supervisor,
	// which stops the nodes in order; and nodes die with it (Linux).
	cmd.SysProcAttr = sysProcAttr()
	if err := cmd.Start(); err != nil {
		logf.Close()
		return fmt.Errorf("node %s: start %s: %w", n.Name, s.Binary, err)
	}
	p := &process{cmd: cmd, log: logf, done: make(chan struct{}), started: time.Now()}
	go func() {
		err := cmd.Wait()
		logf.Close()
		s.mu.Lock()
		p.err = err
		asked := p.stopping
		onExit := s.OnExit
		s.mu.Unlock()
		close(p.done)
		if !asked && onExit != nil {
			onExit(i, err)
		}
	}()
	s.procs[i] = p
	return nil
}

func (p *process) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// Running reports whether node i's process is alive.
func (s *Supervisor) Running(i int) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.procs[i]
	return p != nil && !p.exited()
}

// Pid returns node i's process id, or 0 when it is not running.
func (s *Supervisor) Pid(i int) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if p := s.procs[i]; p != nil && !p.exited() {
		return p.cmd.Process.Pid
	}
	return 0
}

// AnyExited returns a channel that receives an error when any node's
// current process exits, until ctx ends.
func (s *Supervisor) AnyExited(ctx context.Context) <-chan error {
	ch := make(chan error, len(s.Net.Nodes))
	for i, n := range s.Net.Nodes {
		done, exitErr := s.Exited(i)
		if done == nil {
			continue
		}
		go func() {
			select {
			case <-done:
				ch <- fmt.Errorf("node %s exited (%v); see %s", n.Name, exitErr(), s.LogPath(i))
			case <-ctx.Done():
			}
		}()
	}
	return ch
}

// Exited returns a channel closed when node i's current process exits, and
// a function returning its exit error; nil if it was never started.
func (s *Supervisor) Exited(i int) (<-chan struct{}, func() error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.procs[i]
	if p == nil {
		return nil, nil
	}
	return p.done, func() error {
		s.mu.Lock()
		defer s.mu.Unlock()
		return p.err
	}
}

// NodeState is what the supervisor knows of one node's process.
type NodeState struct {
	Name    string    `json:"name"`
	Running bool      `json:"running"`
	Pid     int       `json:"pid,omitempty"`
	Started time.Time `json:"started,omitzero"`
	// Exit is how the last process ended ("signal: killed", "exit status
	// 1"), empty while it runs or if it was never started.
	Exit string `json:"exit,omitempty"`
	Log  string `json:"log"`
}

// States returns the state of every node, in order.
func (s *Supervisor) States() []NodeState {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]NodeState, len(s.Net.Nodes))
	for i, n := range s.Net.Nodes {
		st := NodeState{Name: n.Name, Log: s.LogPath(i)}
		if p := s.procs[i]; p != nil {
			st.Started = p.started
			if p.exited() {
				st.Exit = exitText(p.err)
			} else {
				st.Running, st.Pid = true, p.cmd.Process.Pid
			}
		}
		out[i] = st
	}
	return out
}

// exitText says how a process ended: "exit status 1", "signal: killed", or
// "exited cleanly".
func exitText(err error) string {
	if err == nil {
		return "exited cleanly"
	}
	return err.Error()
}

// Index returns the index of the node called name, or -1.
func (s *Supervisor) Index(name string) int {
	for i, n := range s.Net.Nodes {
		if n.Name == name {
			return i
		}
	}
	return -1
}

// Kill sends SIGKILL to node i and waits for it to die.
func (s *Supervisor) Kill(i int) error { return s.signal(i, syscall.SIGKILL, 30*time.Second) }

// Stop asks node i to stop (SIGTERM) and waits up to timeout, then kills it.
func (s *Supervisor) Stop(i int, timeout time.Duration) error {
	if err := s.signal(i, syscall.SIGTERM, timeout); err == nil {
		return nil
	}
	return s.Kill(i)
}

func (s *Supervisor) signal(i int, sig syscall.Signal, timeout time.Duration) error {
	s.mu.Lock()
	p := s.procs[i]
	if p != nil {
		p.stopping = true
	}
	s.mu.Unlock()
	if p == nil || p.exited() {
		return nil
	}
	if err := p.cmd.Process.Signal(sig); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("node %s: signal %v: %w", s.Net.Nodes[i].Name, sig, err)
	}
	select {
	case <-p.done:
		return nil
	case <-time.After(timeout):
		return fmt.Errorf("node %s did not exit within %s of %v", s.Net.Nodes[i].Name, timeout, sig)
	}
}

// StopAll stops every node, in parallel, each with timeout to exit cleanly.
func (s *Supervisor) StopAll(timeout time.Duration) {
	var wg sync.WaitGroup
	for i := range s.Net.Nodes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_ = s.Stop(i, timeout)
		}()
	}
	wg.Wait()
}

// Height asks node i's CometBFT RPC for its latest block height.
func Height(ctx context.Context, n Node) (int64, error) {
	rpc := strings.Replace(n.RPC, "tcp://", "http://", 1)
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rpc+"/status", nil)
	if err != nil {
		return 0, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	var st struct {
		Result struct {
			SyncInfo struct {
				LatestBlockHeight string `json:"latest_block_height"`
			} `json:"sync_info"`
		} `json:"result"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&st); err != nil {
		return 0, fmt.Errorf("decode status of %s: %w", n.Name, err)
	}
	return strconv.ParseInt(st.Result.SyncInfo.LatestBlockHeight, 10, 64)
}

// WaitForHeight polls node i until it reports at least height, the node
// exits, or ctx ends. onPoll (if set) sees each height read.
func (s *Supervisor) WaitForHeight(ctx context.Context, i int, height int64, onPoll func(int64)) error {
	n := s.Net.Nodes[i]
	done, exitErr := s.Exited(i)
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		h, err := Height(ctx, n)
		if err == nil {
			if onPoll != nil {
				onPoll(h)
			}
			if h >= height {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("node %s did not reach height %d: %w (see %s)", n.Name, height, ctx.Err(), s.LogPath(i))
		case <-done:
			return fmt.Errorf("node %s exited (%v) before reaching height %d; see %s", n.Name, exitErr(), height, s.LogPath(i))
		case <-tick.C:
		}
	}
}
