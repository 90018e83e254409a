package e2e

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	genutiltypes "github.com/cosmos/cosmos-sdk/x/genutil/types"

	"github.com/quantum1net/q1/app"
	q1client "github.com/quantum1net/q1/client"
	"github.com/quantum1net/q1/client/hotkeyfile"
	"github.com/quantum1net/q1/internal/devnet"
	sharerstypes "github.com/quantum1net/q1/x/sharers/types"
)

// sharerPrices is a complete --price value.
const sharerPrices = "cpu=500uqc/core-s,memory=2uqc/MiB-h,storage=50uqc/GiB-h,requests=10uqc/1k,egress=5000uqc/GiB"

// endpointMe is the endpoint the node registers: a public name, as the
// test's genesis refuses private addresses.
const endpointMe = "https://me.q1.example:8081"

// TestSharers walks sharers through the CLI and the API on a one-node
// network whose genesis refuses private endpoints (as a public network's
// does) and gives leases and liveness all the time the test needs, so that
// nothing here depends on the node acknowledging leases or reporting usage.
// Every refusal's message is checked against testdata/cli/sharers.
func TestSharers(t *testing.T) {
	n := startNodeWithSharerParams(t, func(p *sharerstypes.Params) {
		p.AllowPrivateEndpoints = false
		p.EpochBlocks = 40
		p.OfflineAfterEpochs = sharerstypes.MaxOfflineAfterEpochs
		p.AckTimeoutBlocks = sharerstypes.MaxAckTimeoutBlocks
	})
	wasm := exampleWasm(t, "hello")
	me := strings.TrimSpace(first(runQ1(t, "keys", "show", "default", "-a", "--home", n.home)))
	poor := n.account(t, "poor", "0.5QC")
	names := []string{n.home, "$HOME", n.rpc, "$NODE", n.http, "$API", wasm, "$WASM", me, "$ME", poor, "$POOR"}
	n.replacer = strings.NewReplacer(names...)

	refuseOffers(t, n)
	hot := registerNode(t, n, me)
	n.replacer = strings.NewReplacer(append(names, hot, "$HOT")...)
	refuseSharer(t, n, "register-twice", registerArgs("default", endpointMe)...)
	refuseSharer(t, n, "register-node-taken", registerArgs("poor", endpointMe)...)
	refuseSharer(t, n, "status-not-a-sharer", "sharer", "status", poor)
	if _, err := nodeAPI(n.http).Sharer(bg(), poor); !errors.Is(err, q1client.ErrNotFound) {
		t.Errorf("GET /v1/sharers/POOR: %v, want 404", err)
	}
	lease := leaseOnNode(t, n, me, wasm)
	changeSharerWithLease(t, n, me)
	underPlaced(t, n, wasm)
	testSharerReports(t, n, me, lease)
	testSharerLeaving(t, n)
}

// refuseOffers checks offers the CLI or the chain refuses, before
// anything is registered.
func refuseOffers(t *testing.T, n *singleNode) {
	reg := registerArgs
	for _, tc := range []struct {
		golden string
		args   []string
	}{
		{"register-malformed-endpoint", reg("default", "me.q1.example:8081")},
		{"register-private-endpoint", reg("default", "http://127.0.0.1:8081")},
		{"register-localhost-endpoint", reg("default", "http://localhost:8081")},
		{"register-zero-cpu", reg("default", endpointMe, "--cpu", "0")},
		{"register-absurd-memory", reg("default", endpointMe, "--memory", "100Ti")},
		{"register-zero-price", reg("default", endpointMe, "--price", strings.Replace(sharerPrices, "cpu=500uqc", "cpu=0uqc", 1))},
		{"register-absurd-price", reg("default", endpointMe, "--price", strings.Replace(sharerPrices, "egress=5000uqc", "egress=2000000QC", 1))},
		{"register-price-unit", reg("default", endpointMe, "--price", strings.Replace(sharerPrices, "MiB-h", "GiB-h", 1))},
		{"register-missing-price", reg("default", endpointMe, "--price", "cpu=500uqc/core-s")},
		{"register-attr-syntax", append(reg("default", endpointMe), "--attr", "region:eu")},
		{"register-attr-case", append(reg("default", endpointMe), "--attr", "Region=EU")},
		{"register-low-collateral", append(reg("default", endpointMe), "--collateral", "0.5QC")},
		{"register-poor", reg("poor", endpointMe)},
	} {
		t.Run(tc.golden, func(t *testing.T) { refuseSharer(t, n, tc.golden, tc.args...) })
	}
}

// registerNode registers the node's default account: the offer, the
// collateral and the hot key's grants in one tx, and the sharer recorded in
// the node's hot key file. It returns the hot key's address.
func registerNode(t *testing.T, n *singleNode, me string) string {
	out, errOut, code := n.q1(t, append(registerArgs("default", endpointMe), "--attr", "region=eu")...)
	if code != 0 || !strings.Contains(out, "Registered "+me+" as a sharer with 1QC of collateral") {
		t.Fatalf("sharer register: exit %d\n%s%s", code, out, errOut)
	}
	hot, err := hotkeyfile.Load(n.home)
	if err != nil || hot.Sharer != me {
		t.Fatalf("the hot key file records sharer %q (%v), want %s", hot.Sharer, err, me)
	}
	st := sharerStatus(t, n) // no argument: the node's sharer
	if st.Address != me || st.Status != "active" || st.HotKey != hot.Address().String() || st.Collateral != "1000000" ||
		st.Capacity != (q1client.Capacity{MilliCPU: 2000, MemoryBytes: 2 << 30, StorageBytes: 50 << 30, EgressBytesPerHour: 100 << 30}) ||
		st.Prices.CPUPerCoreSecond != "500" || st.Prices.EgressPerGiB != "5000" || attrs(st.Sharer) != "region=eu" ||
		st.Epoch.BlocksPerEpoch != 40 {
		t.Fatalf("sharer status after register: %+v", st)
	}
	var list q1client.Sharers
	q1JSON(t, n, &list, "sharer", "list", "-o", "json")
	all, err := nodeAPI(n.http).Sharers(bg())
	apiFatal(t, "GET /v1/sharers", err)
	if len(list.Sharers) != 1 || list.Sharers[0].Address != me || len(all.Sharers) != 1 || all.Sharers[0].Endpoint != endpointMe {
		t.Fatalf("sharer list: %+v; GET /v1/sharers: %+v", list.Sharers, all.Sharers)
	}
	return hot.Address().String()
}

// leaseOnNode deploys hello, which gets a lease on the node's sharer at its
// prices (under-placed: it wants two replicas), seen through the CLI and
// the API; it returns the lease's id.
func leaseOnNode(t *testing.T, n *singleNode, me, wasm string) uint64 {
	// One sharer for two replicas: the deploy says so and --force goes ahead.
	out, errOut, code := n.q1(t, "service", "deploy", "-f", "../examples/hello/service.yaml", "--wasm", wasm,
		"--from", "default", "--deposit", "100QC", "--force")
	if code != 0 || !strings.Contains(errOut, "warning (--force): only 1 of 2 replica(s) of hello can be placed now: 1 sharer: 1 chosen") {
		t.Fatalf("deploy hello --force: exit %d\n%s%s", code, out, errOut)
	}
	var pl q1client.Placement
	waitFor(t, time.Minute, "hello's lease on the sharer", func() bool {
		q1JSON(t, n, &pl, "service", "placement", "hello", "-o", "json")
		return len(pl.Leases) == 1
	})
	lease := pl.Leases[0]
	if pl.Wanted != 2 || pl.Placed != 1 || pl.Explanation != "1 sharer: 1 chosen" || lease.Sharer != me ||
		lease.Status != "open" || lease.Prices.CPUPerCoreSecond != "500" || lease.Resources.MemoryBytes != 32<<20 {
		t.Fatalf("placement of hello: %+v", pl)
	}
	node := nodeAPI(n.http)
	apiPl, err := node.Placement(bg(), "hello")
	apiFatal(t, "GET /v1/services/hello/placement", err)
	leases, err := node.Leases(bg(), q1client.LeaseFilter{Service: "hello"})
	apiFatal(t, "GET /v1/leases?service=hello", err)
	if apiPl.Placed != 1 || len(leases.Leases) != 1 || leases.Leases[0].ID != lease.ID || leases.Leases[0].Sharer != me {
		t.Fatalf("GET placement: %+v; GET /v1/leases?service=hello: %+v", apiPl, leases)
	}
	leases, err = node.Leases(bg(), q1client.LeaseFilter{Sharer: me})
	apiFatal(t, "GET /v1/leases?sharer="+me, err)
	if len(leases.Leases) != 1 || leases.Leases[0].Service != "hello" {
		t.Fatalf("GET /v1/leases?sharer=ME: %+v", leases)
	}
	apiSt, err := node.Sharer(bg(), me)
	apiFatal(t, "GET /v1/sharers/"+me, err)
	if apiSt.LeaseCount != 1 || len(apiSt.Leases) != 1 || apiSt.Used.MemoryBytes != 32<<20 || apiSt.Free.MilliCPU != 1900 {
		t.Fatalf("GET /v1/sharers/ME with a lease: %+v", apiSt)
	}
	if out, _, _ := n.q1(t, "service", "placement", "hello"); !strings.Contains(out, "hello: 1 of 2 replicas placed") ||
		!strings.Contains(out, me) {
		t.Fatalf("service placement hello printed:\n%s", out)
	}
	if out, _, _ := n.q1(t, "sharer", "status"); !strings.Contains(out, "Sharer "+me+" (active)") ||
		!strings.Contains(out, "hello") || !strings.Contains(out, "100m of 2 reserved") {
		t.Fatalf("sharer status printed:\n%s", out)
	}
	return lease.ID
}

// changeSharerWithLease checks what a sharer holding a lease may not do,
// then moves collateral above the locked part and changes the offer.
func changeSharerWithLease(t *testing.T, n *singleNode, me string) {
	refuseSharer(t, n, "deregister-with-leases", "sharer", "deregister", "--from", "default")
	refuseSharer(t, n, "withdraw-locked", "sharer", "collateral", "withdraw", "1QC", "--from", "default")
	refuseSharer(t, n, "update-shrink", "sharer", "update", "--from", "default", "--memory", "16Mi")
	refuseSharer(t, n, "update-nothing", "sharer", "update", "--from", "default")
	refuseSharer(t, n, "update-not-a-sharer", "sharer", "update", "--from", "poor", "--cpu", "1")

	// Collateral above the locked part comes and goes.
	for _, args := range [][]string{
		{"sharer", "collateral", "add", "2QC", "--from", "default"},
		{"sharer", "collateral", "withdraw", "1QC", "--from", "default"},
		{"sharer", "update", "--from", "default", "--price", "cpu=400uqc/core-s", "--attr", "region=eu", "--attr", "zone=eu-west-1"},
		{"sharer", "update", "--from", "default", "--drain"},
	} {
		if out, errOut, code := n.q1(t, args...); code != 0 {
			t.Fatalf("q1 %v: exit %d\n%s%s", args, code, out, errOut)
		}
	}
	st := sharerStatus(t, n, me)
	if st.Collateral != "2000000" || st.Prices.CPUPerCoreSecond != "400" || st.Prices.MemoryPerMiBHour != "2" ||
		attrs(st.Sharer) != "region=eu,zone=eu-west-1" || !st.Draining || len(st.Leases) != 1 {
		t.Fatalf("sharer status after collateral and offer changes: %+v", st)
	}
	// The lease keeps the price it locked.
	leases, err := nodeAPI(n.http).Leases(bg(), q1client.LeaseFilter{Service: "hello"})
	apiFatal(t, "GET /v1/leases?service=hello", err)
	if len(leases.Leases) != 1 || leases.Leases[0].Prices.CPUPerCoreSecond != "500" {
		t.Fatalf("hello's lease after the price change: %+v", leases.Leases)
	}
	if _, errOut, code := n.q1(t, "sharer", "update", "--from", "default", "--drain=false"); code != 0 {
		t.Fatalf("sharer update --drain=false: %s", errOut)
	}
	if st = sharerStatus(t, n, me); st.Draining {
		t.Fatal("still draining after --drain=false")
	}
}

// underPlaced deploys a service asking for more memory than the sharer
// offers: it is not placed, and the explanation says why.
func underPlaced(t *testing.T, n *singleNode, wasm string) {
	big := writeBigManifest(t, "3Gi")
	// The deploy stops before anything is uploaded or sent...
	out, errOut, code := n.q1(t, "service", "deploy", "-f", big, "--wasm", wasm, "--from", "default", "--deposit", "10QC")
	if code != 1 || !strings.Contains(errOut, "only 0 of 1 replica(s) of big can be placed now: 1 sharer: 1 lacked memory") ||
		!strings.Contains(errOut, "nothing was uploaded or sent") || strings.Contains(errOut, "uploading") {
		t.Fatalf("deploy big: exit %d, want 1 and the placement refusal:\n%s%s", code, out, errOut)
	}
	if _, errOut, code := n.q1(t, "service", "status", "big"); code != 1 || !strings.Contains(errOut, "no service named big") {
		t.Fatalf("after a refused deploy, service big exists (exit %d): %s", code, errOut)
	}
	// ...and --force deploys it anyway.
	if out, errOut, code := n.q1(t, "service", "deploy", "-f", big, "--wasm", wasm, "--from", "default", "--deposit", "10QC", "--force"); code != 0 {
		t.Fatalf("deploy big --force: %s%s", out, errOut)
	}
	var pl q1client.Placement
	waitFor(t, time.Minute, "big's placement attempt", func() bool {
		q1JSON(t, n, &pl, "service", "placement", "big", "-o", "json")
		return pl.PlacedHeight > 0
	})
	if pl.Placed != 0 || pl.Explanation != "1 sharer: 1 lacked memory" || len(pl.Reasons) != 1 ||
		pl.Reasons[0] != (q1client.ReasonCount{Reason: "lacked_memory", Count: 1}) {
		t.Fatalf("placement of big: %+v", pl)
	}
	out, _, _ = n.q1(t, "service", "placement", "big")
	goldenCheck(t, "sharers/placement-big.stdout", out, n.replacer)
}

// testSharerLeaving registers a sharer too small for any service, then
// deregisters it and takes its collateral back: the record is gone.
func testSharerLeaving(t *testing.T, n *singleNode) {
	home, dave := sharerHome(t, n, "dave", "10QC")
	q1 := func(args ...string) string {
		t.Helper()
		out, errOut, code := runQ1(t, append(args, "--home", home)...)
		if code != 0 {
			t.Fatalf("q1 %v: exit %d\n%s%s", args, code, out, errOut)
		}
		return out
	}
	q1(registerArgs("dave", "https://dave.q1.example", "--cpu", "10m", "--memory", "1Mi")...)
	q1("sharer", "deregister", "--from", "dave")
	if hk, err := hotkeyfile.Load(home); err != nil || hk.Sharer != "" {
		t.Fatalf("after deregister the hot key file still names sharer %q (%v)", hk.Sharer, err)
	}
	var st q1client.SharerStatus
	if err := json.Unmarshal([]byte(q1("sharer", "status", "-o", "json")), &st); err != nil ||
		st.Status != "deregistered" || st.Collateral != "1000000" {
		t.Fatalf("status after deregister: %+v (%v)", st, err)
	}
	q1("sharer", "collateral", "withdraw", "all", "--from", "dave")
	_, errOut, code := runQ1(t, "sharer", "status", dave, "--home", home)
	if code != 1 {
		t.Fatalf("status of a sharer that left: exit %d", code)
	}
	goldenCheck(t, "sharers/status-gone", errOut, strings.NewReplacer(dave, "$DAVE"))
}

// registerArgs is q1 sharer register with a valid offer, flag values in
// set (pairs) replacing the defaults.
func registerArgs(from, endpoint string, set ...string) []string {
	flags := [][2]string{{"--cpu", "2"}, {"--memory", "2Gi"}, {"--disk", "50Gi"}, {"--egress", "100Gi"}, {"--price", sharerPrices}}
	for i := 0; i+1 < len(set); i += 2 {
		for j := range flags {
			if flags[j][0] == set[i] {
				flags[j][1] = set[i+1]
			}
		}
	}
	args := []string{"sharer", "register", "--from", from, "--endpoint", endpoint}
	for _, f := range flags {
		args = append(args, f[0], f[1])
	}
	return args
}

// refuseSharer runs a q1 command that must fail and compares its stderr
// with testdata/cli/sharers/GOLDEN.golden.
func refuseSharer(t *testing.T, n *singleNode, golden string, args ...string) {
	t.Helper()
	_, errOut, code := n.q1(t, args...)
	if code != 1 {
		t.Fatalf("q1 %v: exit %d, want 1 (stderr %q)", args, code, errOut)
	}
	goldenCheck(t, "sharers/"+golden, errOut, n.replacer)
}

// startNodeWithSharerParams is startSingleNode with the sharers module's
// genesis parameters changed by edit before the node first starts, and
// startArgs added to its q1 start.
func startNodeWithSharerParams(t *testing.T, edit func(*sharerstypes.Params), startArgs ...string) *singleNode {
	t.Helper()
	if testing.Short() {
		t.Skip("multi-process test skipped in -short mode")
	}
	home := filepath.Join(t.TempDir(), "node")
	if out, errOut, code := runQ1(t, "init", "--single-node", "--home", home, "--block-time", "100ms"); code != 0 {
		t.Fatalf("q1 init --single-node: exit %d\n%s%s", code, out, errOut)
	}
	editSharerGenesis(t, home, edit)
	p := freePorts(t, 5)
	n := &singleNode{home: home, rpc: fmt.Sprintf("tcp://127.0.0.1:%d", p[0]), http: fmt.Sprintf("http://127.0.0.1:%d", p[3])}
	if err := devnet.WriteClientConfig(home, devnet.ClientConfig{
		ChainID: "q1-local", DefaultKey: devnet.DefaultKeyName, Node: n.rpc, API: n.http,
	}); err != nil {
		t.Fatal(err)
	}
	net := &devnet.Network{ChainID: "q1-local", Nodes: []devnet.Node{{
		Name: "single", Home: home, RPC: n.rpc, HTTP: n.http, Gateway: fmt.Sprintf("http://127.0.0.1:%d", p[4]),
	}}}
	n.sup = devnet.NewSupervisor(q1Bin, net)
	n.sup.ExtraArgs = []string{
		"--rpc.laddr", n.rpc,
		"--p2p.laddr", fmt.Sprintf("tcp://127.0.0.1:%d", p[1]),
		"--grpc.address", fmt.Sprintf("127.0.0.1:%d", p[2]),
	}
	n.sup.ExtraArgs = append(n.sup.ExtraArgs, startArgs...)
	if err := n.sup.Start(0); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.sup.StopAll(10 * time.Second) })
	ctx, cancel := contextWithTimeout(2 * time.Minute)
	defer cancel()
	if err := n.sup.WaitForHeight(ctx, 0, 2, nil); err != nil {
		t.Fatal(err)
	}
	return n
}

// editSharerGenesis changes the sharers module's params in home's genesis.
func editSharerGenesis(t *testing.T, home string, edit func(*sharerstypes.Params)) {
	t.Helper()
	path := filepath.Join(home, "config", "genesis.json")
	gen, err := genutiltypes.AppGenesisFromFile(path)
	if err != nil {
		t.Fatal(err)
	}
	state, err := genutiltypes.GenesisStateFromAppGenesis(gen)
	if err != nil {
		t.Fatal(err)
	}
	cdc := app.NewTemp().EncodingConfig().Codec
	var sg sharerstypes.GenesisState
	if err := cdc.UnmarshalJSON(state[sharerstypes.ModuleName], &sg); err != nil {
		t.Fatal(err)
	}
	edit(&sg.Params)
	if err := sg.Params.Validate(); err != nil {
		t.Fatal(err)
	}
	if state[sharerstypes.ModuleName], err = cdc.MarshalJSON(&sg); err != nil {
		t.Fatal(err)
	}
	if gen.AppState, err = json.Marshal(state); err != nil {
		t.Fatal(err)
	}
	if err := gen.SaveAs(path); err != nil {
		t.Fatal(err)
	}
}

// sharerHome makes a client home (client.toml and a funded key called name)
// for a sharer whose hot key the running node does not use.
func sharerHome(t *testing.T, n *singleNode, name, funds string) (home, addr string) {
	t.Helper()
	home = filepath.Join(t.TempDir(), name)
	if err := os.MkdirAll(filepath.Join(home, "config"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := devnet.WriteClientConfig(home, devnet.ClientConfig{
		ChainID: "q1-local", DefaultKey: name, Node: n.rpc, API: n.http,
	}); err != nil {
		t.Fatal(err)
	}
	if _, errOut, code := runQ1(t, "keys", "add", name, "--home", home); code != 0 {
		t.Fatalf("keys add %s: %s", name, errOut)
	}
	addr = strings.TrimSpace(first(runQ1(t, "keys", "show", name, "-a", "--home", home)))
	if _, errOut, code := n.q1(t, "wallet", "send", "--from", "default", addr, funds); code != 0 {
		t.Fatalf("fund %s: %s", name, errOut)
	}
	return home, addr
}

// sharerStatus is q1 sharer status [args] -o json in the node's home.
func sharerStatus(t *testing.T, n *singleNode, args ...string) q1client.SharerStatus {
	t.Helper()
	var st q1client.SharerStatus
	q1JSON(t, n, &st, append(append([]string{"sharer", "status"}, args...), "-o", "json")...)
	return st
}

// q1JSON runs a q1 command against the node and decodes its JSON output.
func q1JSON(t *testing.T, n *singleNode, v any, args ...string) {
	t.Helper()
	out, errOut, code := n.q1(t, args...)
	if code != 0 {
		t.Fatalf("q1 %v: exit %d: %s", args, code, errOut)
	}
	if err := json.Unmarshal([]byte(out), v); err != nil {
		t.Fatalf("q1 %v: %v\n%s", args, err, out)
	}
}

// attrs writes a sharer's attributes as k=v,k=v.
func attrs(s q1client.Sharer) string {
	parts := make([]string, len(s.Attributes))
	for i, a := range s.Attributes {
		parts[i] = a.Key + "=" + a.Value
	}
	return strings.Join(parts, ",")
}

// writeBigManifest writes the manifest of service big, one replica asking
// for memory, and returns its path.
func writeBigManifest(t *testing.T, memory string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "big.yaml")
	doc := `apiVersion: q1/v1
name: big
permissions:
  callers:
    - {paths: ["/*"], allow: public}
resources: {cpu: 100m, memory: ` + memory + `}
placement: {replicas: 1}
pricing: {cpuPerCoreSecond: 500uqc, memoryPerMiBHour: 2uqc, storagePerGiBHour: 50uqc, per1kRequests: 10uqc, egressPerGiB: 5000uqc}
`
	if err := os.WriteFile(p, []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}
