package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	q1client "github.com/quantum1net/q1/client"
	"github.com/quantum1net/q1/client/hotkeyfile"
	"github.com/quantum1net/q1/internal/devnet"
)

// exampleServices are deployed by q1 devnet, in this order.
var exampleServices = []string{"hello", "counter", "echo"}

// q1Run runs this binary with args and returns its combined output.
func q1Run(ctx context.Context, args ...string) (string, error) {
	self, err := os.Executable()
	if err != nil {
		return "", err
	}
	out, err := exec.CommandContext(ctx, self, args...).CombinedOutput()
	return string(out), err
}

// examplesDir finds the examples' sources: q1 devnet deploys them when run
// from a Quantum1Net checkout (as `go run ./cmd/q1 devnet` is).
func examplesDir() (string, bool) {
	dir, err := filepath.Abs("examples")
	if err != nil {
		return "", false
	}
	for _, name := range exampleServices {
		if _, err := os.Stat(filepath.Join(dir, name, "main.go")); err != nil {
			return "", false
		}
	}
	return dir, true
}

// buildExample compiles an example to wasm with the Go toolchain.
func buildExample(ctx context.Context, srcDir, name, outDir string) (string, error) {
	out := filepath.Join(outDir, name+".wasm")
	cmd := exec.CommandContext(ctx, "go", "build", "-buildmode=c-shared", "-o", out, "./"+name)
	cmd.Dir = srcDir
	cmd.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm")
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("build examples/%s: %v\n%s", name, err, b)
	}
	return out, nil
}

// deployExamples builds and deploys the example services from node0's
// default key, skipping those the network already has (a resumed devnet).
func deployExamples(ctx context.Context, stderr io.Writer, dir string, net *devnet.Network) ([]string, error) {
	src, ok := examplesDir()
	if !ok {
		fmt.Fprintln(stderr, "Not in a Quantum1Net checkout (no ./examples): no example services deployed.")
		return nil, nil
	}
	home := net.Nodes[0].Home
	wasmDir := filepath.Join(dir, "wasm")
	if err := os.MkdirAll(wasmDir, 0o755); err != nil {
		return nil, err
	}
	var deployed []string
	for _, name := range exampleServices {
		if _, err := q1Run(ctx, "service", "status", name, "--home", home); err == nil {
			deployed = append(deployed, name) // already there
			continue
		}
		fmt.Fprintf(stderr, "Building examples/%s for wasm…\n", name)
		wasm, err := buildExample(ctx, src, name, wasmDir)
		if err != nil {
			return deployed, err
		}
		fmt.Fprintf(stderr, "Deploying %s…\n", name)
		// --force: on a devnet of fewer nodes than an example's replicas,
		// those that fit run and the rest wait, as before deploys checked.
		out, err := q1Run(ctx, "service", "deploy", "-f", filepath.Join(src, name, "service.yaml"),
			"--wasm", wasm, "--from", devnet.DefaultKeyName, "--deposit", "1000QC", "--home", home, "--force")
		if err != nil {
			return deployed, fmt.Errorf("deploy %s: %v\n%s", name, err, out)
		}
		deployed = append(deployed, name)
	}
	return deployed, nil
}

// waitServing waits until each service answers through node0's gateway.
func waitServing(ctx context.Context, stderr io.Writer, gateway string, services []string) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	p := newProgress(stderr, fmt.Sprintf("waiting for %s to be placed and warm", strings.Join(services, ", ")))
	defer p.done()
	gw := q1client.NewGateway(gateway)
	for _, name := range services {
		url := strings.TrimRight(gateway, "/") + "/s/" + name + "/"
		for !answered(ctx, gw, name) {
			select {
			case <-ctx.Done():
				return fmt.Errorf("%s did not start serving at %s within 2 minutes (see q1 service placement %s)", name, url, name)
			case <-time.After(200 * time.Millisecond):
				p.tick()
			}
		}
	}
	return nil
}

// answered says whether a service answers / through the gateway with
// anything but a 5xx, within 5 seconds.
func answered(ctx context.Context, gw *q1client.Gateway, name string) bool {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	resp, err := gw.Call(ctx, q1client.CallRequest{Service: name, Path: "/"})
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode < 500
}

// serviceURLs returns a service's URLs on a node's gateway: its own origin
// and the path form.
func serviceURLs(gateway, name string) (string, string) {
	hostPort := devnet.HostPort(gateway)
	_, port, _ := strings.Cut(hostPort, ":")
	return fmt.Sprintf("http://%s.localhost:%s/", name, port), strings.TrimRight(gateway, "/") + "/s/" + name + "/"
}

// sharerRegistered reports whether a node's home already serves a sharer.
func sharerRegistered(home string) bool {
	k, err := hotkeyfile.Load(home)
	return err == nil && k.Sharer != ""
}

// devnetPrices are the devnet sharers' prices: the examples' manifests
// accept them, they differ a little per node so placement has a choice, and
// they are high enough that earnings show within a minute (a 32Mi replica
// earns 16,000 uqc an hour; each request 1 uqc).
func devnetPrices(i int) string {
	return fmt.Sprintf("cpu=%duqc/core-s,memory=500uqc/MiB-h,storage=50uqc/GiB-h,requests=1000uqc/1k,egress=5000uqc/GiB", 400+10*i)
}

// devnetOffer is the offer of a devnet's node i, as q1 sharer register
// flags (the endpoint aside); each locks the chain's min_collateral.
func devnetOffer(i int) []string {
	return []string{"--cpu", "2", "--memory", "4Gi", "--disk", "20Gi", "--egress", "100Gi",
		"--attr", "region=local", "--price", devnetPrices(i)}
}

// registerSharers makes every node of a devnet a sharer (skipping those
// already registered): each node's default key registers its node with
// `q1 sharer register`, as an operator would on that machine.
func registerSharers(ctx context.Context, stderr io.Writer, net *devnet.Network) error {
	for i, n := range net.Nodes {
		if sharerRegistered(n.Home) {
			continue
		}
		fmt.Fprintf(stderr, "Registering %s as a sharer…\n", n.Name)
		args := append([]string{"sharer", "register", "--from", devnet.DefaultKeyName, "--home", n.Home, "--endpoint", n.Gateway},
			devnetOffer(i)...)
		out, err := q1Run(ctx, args...)
		if err != nil {
			return fmt.Errorf("register %s as a sharer: %v\n%s", n.Name, err, out)
		}
	}
	return nil
}
