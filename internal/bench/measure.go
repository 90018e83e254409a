package bench

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	rpchttp "github.com/cometbft/cometbft/rpc/client/http"
	"golang.org/x/sync/errgroup"

	"github.com/quantum1net/q1/internal/devnet"
)

// progressEvery is how often a progress line is printed during the load.
const progressEvery = 2 * time.Second

// measurement is one network's load run: warm-up, window, drain.
type measurement struct {
	cfg      ChainConfig
	label    string
	progress io.Writer
	procs    *nodeProcs
	driver   *driver
	watcher  *watcher
}

// run drives the network for one step and returns what it measured.
func (m *measurement) run(ctx context.Context) (Step, error) {
	res := Step{Depth: m.driver.depth}
	start, err := devnet.Height(ctx, m.procs.net.Nodes[0])
	if err != nil {
		return res, fmt.Errorf("read the start height: %w", err)
	}

	g, gctx := errgroup.WithContext(ctx)
	watchCtx, stopWatch := context.WithCancel(gctx)
	defer stopWatch()
	loadCtx, stopLoad := context.WithCancel(gctx)
	defer stopLoad()
	g.Go(func() error { return m.watcher.run(watchCtx, start) })
	g.Go(func() error { return m.driver.run(loadCtx) })
	g.Go(func() error {
		select {
		case err := <-m.procs.exited(watchCtx):
			return err
		case <-watchCtx.Done():
			return nil
		}
	})
	var ph phase
	ph.set("warming up", m.cfg.Warmup)
	g.Go(func() error { m.report(watchCtx, &ph); return nil })

	from, to, err := m.phases(gctx, stopLoad, &ph, &res)
	stopWatch()
	if gerr := g.Wait(); gerr != nil {
		return res, gerr
	}
	if err != nil {
		return res, err
	}

	if err := m.watcher.readResults(ctx, from, to); err != nil {
		return res, err
	}
	if res.Throughput, err = MeasureThroughput(m.watcher.snapshot(), from, to); err != nil {
		return res, err
	}
	latencies, refusals, examples := m.driver.results()
	res.Latency = SummarizeLatencies(latencies)
	res.Refusals, res.RefusalExamples = refusals, examples
	res.Submitted = m.driver.submitted.Load()
	res.Uncommitted = m.driver.inFlight()
	fmt.Fprintf(m.progress, "[%s] %.0f tx/s committed over %d blocks; p50 %s, p99 %s\n", m.label,
		res.Throughput.PerSecond, res.Throughput.Blocks, round(res.Latency.P50), round(res.Latency.P99))
	return res, nil
}

// phases runs warm-up, window and drain while the load runs, and returns
// the heights that bound the window; it records the window's CPU use in
// res. stopLoad stops the senders.
func (m *measurement) phases(ctx context.Context, stopLoad func(), ph *phase, res *Step) (from, to int64, err error) {
	if err := sleep(ctx, m.cfg.Warmup); err != nil {
		return 0, 0, err
	}
	m.driver.openWindow(time.Now())
	from = m.watcher.latest.Load()
	cpu0 := m.sampleCPU()
	ph.set("measuring", m.cfg.Duration)
	if err := sleep(ctx, m.cfg.Duration); err != nil {
		return 0, 0, err
	}
	to = m.watcher.latest.Load()
	m.driver.closeWindow(time.Now())
	res.NodeCPU, res.DriverCPU = m.sampleCPU().coresSince(cpu0)
	stopLoad()

	ph.set("draining", drainTimeout)
	deadline := time.Now().Add(drainTimeout)
	for m.driver.inFlight() > 0 && time.Now().Before(deadline) {
		if err := sleep(ctx, 50*time.Millisecond); err != nil {
			return 0, 0, err
		}
	}
	return from, to, nil
}

// cpuSample is the CPU time used so far by the nodes and by the driver.
type cpuSample struct {
	at              time.Time
	nodes, driver   time.Duration
	nodesOK, selfOK bool
}

func (m *measurement) sampleCPU() cpuSample {
	s := cpuSample{at: time.Now()}
	var err error
	s.nodes, err = m.procs.cpu()
	s.nodesOK = err == nil
	s.driver, err = selfCPU()
	s.selfOK = err == nil
	return s
}

// coresSince returns the cores the nodes and the driver used on average
// between the two samples, 0 where unknown.
func (s cpuSample) coresSince(earlier cpuSample) (nodes, driver float64) {
	secs := s.at.Sub(earlier.at).Seconds()
	if secs <= 0 {
		return 0, 0
	}
	if s.nodesOK && earlier.nodesOK {
		nodes = (s.nodes - earlier.nodes).Seconds() / secs
	}
	if s.selfOK && earlier.selfOK {
		driver = (s.driver - earlier.driver).Seconds() / secs
	}
	return nodes, driver
}

// report prints a progress line every progressEvery until ctx ends.
func (m *measurement) report(ctx context.Context, ph *phase) {
	t := time.NewTicker(progressEvery)
	defer t.Stop()
	last, lastAt := m.driver.committed.Load(), time.Now()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			c := m.driver.committed.Load()
			rate := float64(c-last) / now.Sub(lastAt).Seconds()
			last, lastAt = c, now
			name, left := ph.get()
			fmt.Fprintf(m.progress, "[%s] %s (%s left): height %d, %.0f tx/s committed, %d in flight\n",
				m.label, name, left.Round(time.Second), m.watcher.latest.Load(), rate, m.driver.inFlight())
		}
	}
}

// phase is the run's current phase and when it ends, for progress lines.
type phase struct {
	mu   sync.Mutex
	name string
	end  time.Time
}

func (p *phase) set(name string, d time.Duration) {
	p.mu.Lock()
	p.name, p.end = name, time.Now().Add(d)
	p.mu.Unlock()
}

func (p *phase) get() (string, time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.name, max(time.Until(p.end), 0)
}

// sleep waits d or until ctx ends, returning ctx's error then.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}

// rpcClients returns a CometBFT RPC client per node, each keeping enough
// idle connections for every sender, so that no request pays a new TCP
// connection (CometBFT's default client keeps two).
func rpcClients(network *devnet.Network, senders int) ([]*rpchttp.HTTP, error) {
	var out []*rpchttp.HTTP
	for _, n := range network.Nodes {
		hc := &http.Client{Transport: &http.Transport{
			DialContext:         (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
			DisableCompression:  true,
			MaxIdleConns:        senders + 4,
			MaxIdleConnsPerHost: senders + 4,
			// Below the RPC server's idle timeout (its 10s read timeout),
			// so a request never goes out on a connection being closed.
			IdleConnTimeout: 5 * time.Second,
		}}
		c, err := rpchttp.NewWithClient(strings.Replace(n.RPC, "tcp://", "http://", 1), "/websocket", hc)
		if err != nil {
			return nil, fmt.Errorf("rpc client for node %s at %s: %w", n.Name, n.RPC, err)
		}
		out = append(out, c)
	}
	return out, nil
}

// freePorts finds n ports free on loopback right now.
func freePorts(n int) ([]int, error) {
	var lns []net.Listener
	defer func() {
		for _, ln := range lns {
			ln.Close()
		}
	}()
	ports := make([]int, n)
	for i := range ports {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("find a free port: %w", err)
		}
		lns = append(lns, ln)
		ports[i] = ln.Addr().(*net.TCPAddr).Port
	}
	return ports, nil
}

func round(d time.Duration) time.Duration {
	switch {
	case d >= 10*time.Second:
		return d.Round(100 * time.Millisecond)
	case d >= time.Second:
		return d.Round(10 * time.Millisecond)
	default:
		return d.Round(time.Millisecond)
	}
}
