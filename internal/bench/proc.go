package bench

import (
	"context"
	"time"

	"github.com/quantum1net/q1/internal/devnet"
)

// nodeProcs runs one OS process per node of a network (q1 nodes or the
// kvstore baseline) through devnet.Supervisor.
type nodeProcs struct {
	net *devnet.Network
	sup *devnet.Supervisor
}

// startNodes starts binary with args(node) for every node of net.
func startNodes(net *devnet.Network, binary string, args func(devnet.Node) []string) (*nodeProcs, error) {
	sup := devnet.NewSupervisor(binary, net)
	sup.Args = args
	np := &nodeProcs{net: net, sup: sup}
	for i := range net.Nodes {
		if err := sup.Start(i); err != nil {
			sup.StopAll(10 * time.Second)
			return nil, err
		}
	}
	return np, nil
}

// exited returns a channel that receives an error when any node exits.
func (np *nodeProcs) exited(ctx context.Context) <-chan error { return np.sup.AnyExited(ctx) }

// waitForHeight waits until every node reports at least height h.
func (np *nodeProcs) waitForHeight(ctx context.Context, h int64) error {
	for i := range np.net.Nodes {
		if err := np.sup.WaitForHeight(ctx, i, h, nil); err != nil {
			return err
		}
	}
	return nil
}

// cpu returns the CPU time all nodes' processes have used so far.
func (np *nodeProcs) cpu() (time.Duration, error) {
	var total time.Duration
	for i := range np.net.Nodes {
		d, err := processCPU(np.sup.Pid(i))
		if err != nil {
			return 0, err
		}
		total += d
	}
	return total, nil
}

// stop asks every node to stop (SIGTERM), waits up to timeout, then kills
// those still running.
func (np *nodeProcs) stop(timeout time.Duration) { np.sup.StopAll(timeout) }
