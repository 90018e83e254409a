package devnet

import (
	"errors"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"
)

// sleepers is a supervisor whose "nodes" are sleep processes: enough to
// test how it reports deaths and restarts without building a chain.
func sleepers(t *testing.T, n int) *Supervisor {
	t.Helper()
	net := &Network{}
	for i := range n {
		net.Nodes = append(net.Nodes, Node{Name: "node" + string(rune('0'+i)), Home: t.TempDir()})
	}
	s := NewSupervisor("/bin/sleep", net)
	s.Args = func(Node) []string { return []string{"600"} }
	t.Cleanup(func() { s.StopAll(5 * time.Second) })
	return s
}

func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestControlRestartsAKilledNode(t *testing.T) {
	s := sleepers(t, 3)
	died := make(chan string, 4)
	s.OnExit = func(i int, err error) { died <- s.Net.Nodes[i].Name + ": " + exitText(err) }
	for i := range s.Net.Nodes {
		if err := s.Start(i); err != nil {
			t.Fatal(err)
		}
	}
	dir, err := os.MkdirTemp("", "q1ctl") // short: a socket path has 107 bytes at most
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	stop, err := s.ServeControl(t.Context(), dir)
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	if _, err := s.ServeControl(t.Context(), dir); err == nil || !strings.Contains(err.Error(), "another q1 devnet is already running in "+dir) {
		t.Fatalf("a second supervisor on the same dir: %v", err)
	}

	c, err := DialControl(dir)
	if err != nil {
		t.Fatal(err)
	}
	nodes, err := c.Nodes(t.Context())
	if err != nil || len(nodes) != 3 || !nodes[1].Running || nodes[1].Pid == 0 {
		t.Fatalf("Nodes() = %+v, %v", nodes, err)
	}

	// Killed from outside: reported, the others untouched.
	if err := syscall.Kill(nodes[1].Pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	select {
	case got := <-died:
		if got != "node1: signal: killed" {
			t.Fatalf("OnExit saw %q", got)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("OnExit was not called for a killed node")
	}
	nodes, _ = c.Nodes(t.Context())
	if nodes[1].Running || nodes[1].Exit != "signal: killed" || !nodes[0].Running || !nodes[2].Running {
		t.Fatalf("after the kill: %+v", nodes)
	}

	st, err := c.Restart(t.Context(), "node1")
	if err != nil || !st.Running || st.Pid == 0 || st.Pid == nodes[1].Pid {
		t.Fatalf("Restart(node1) = %+v, %v", st, err)
	}
	// A stop the user asked for is not a death to report.
	if st, err := c.Stop(t.Context(), "node2"); err != nil || st.Running {
		t.Fatalf("Stop(node2) = %+v, %v", st, err)
	}
	select {
	case got := <-died:
		t.Fatalf("OnExit called for a requested stop: %q", got)
	case <-time.After(200 * time.Millisecond):
	}
	if _, err := c.Restart(t.Context(), "node9"); err == nil || err.Error() != `no node named "node9"; this network has node0, node1, node2` {
		t.Fatalf("Restart(node9): %v", err)
	}
	waitUntil(t, "node1 to stay up", func() bool { return s.Running(1) })
}

func TestDialControlWithoutDevnet(t *testing.T) {
	dir := t.TempDir()
	_, err := DialControl(dir)
	if !errors.Is(err, ErrNotRunning) || !strings.Contains(err.Error(), "has no running network (start one with q1 devnet --dir "+dir+")") {
		t.Fatalf("DialControl on an empty dir: %v", err)
	}
}
