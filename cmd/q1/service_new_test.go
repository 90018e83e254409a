package main

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"go/format"
	"io/fs"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/quantum1net/q1/core/manifest"
	"github.com/quantum1net/q1/node/runtime"
	sharerstypes "github.com/quantum1net/q1/x/sharers/types"
)

// goEnv is the environment of the go command building a new service as
// its author would, with nothing to download: no module proxy at all (the
// SDK is a local copy), no workspace, -mod=mod.
func goEnv(extra ...string) []string {
	return append(os.Environ(), append([]string{"GOPROXY=off", "GOFLAGS=-mod=mod", "GOWORK=off"}, extra...)...)
}

func goIn(t *testing.T, dir string, env []string, args ...string) string {
	t.Helper()
	cmd := exec.Command("go", args...)
	cmd.Dir = dir
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go %s in %s: %v\n%s", strings.Join(args, " "), dir, err, out)
	}
	return string(out)
}

// TestServiceNewBuildsValidatesAndServes runs the steps of
// docs/first-service.md up to the network: q1 service new into a directory
// outside the repository, the project's own tests, a wasip1 build with the
// Go toolchain alone, the manifest through the repository's validation and
// completed as q1 service deploy completes it, and the module in the node's
// runtime answering HTTP requests and logging.
func TestServiceNewBuildsValidatesAndServes(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a wasm module; skipped with -short")
	}
	dir := filepath.Join(t.TempDir(), "greeter")
	out, errOut, code := runCLI(t, "service", "new", "greeter", "--dir", dir)
	if code != 0 {
		t.Fatalf("q1 service new: exit %d: %s", code, errOut)
	}
	for _, want := range []string{
		"Created the service greeter in " + dir + " (module example.com/greeter, SDK copy in q1sdk/).",
		"GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o greeter.wasm .",
		" service deploy -f service.yaml --wasm greeter.wasm --from default --deposit 100QC --wait-serving 2m --home ",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}

	// Go files as gofmt writes them; a go.mod that uses the copy.
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || filepath.Ext(path) != ".go" {
			return err
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if formatted, err := format.Source(src); err != nil || string(formatted) != string(src) {
			t.Errorf("%s is not gofmt-formatted (%v)", path, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	gomod, _ := os.ReadFile(filepath.Join(dir, "go.mod"))
	for _, want := range []string{"module example.com/greeter\n", "\nrequire github.com/quantum1net/q1/sdk v0.0.0\n", "\nreplace github.com/quantum1net/q1/sdk => ./q1sdk\n"} {
		if !strings.Contains(string(gomod), want) {
			t.Errorf("go.mod lacks %q:\n%s", want, gomod)
		}
	}

	// The author's loop: vet and test on the host, vet and build for wasip1.
	goIn(t, dir, goEnv(), "vet", "./...")
	goIn(t, dir, goEnv(), "test", "./...")
	goIn(t, dir, goEnv("GOOS=wasip1", "GOARCH=wasm"), "vet", "./...")
	goIn(t, dir, goEnv("GOOS=wasip1", "GOARCH=wasm"), "build", "-buildmode=c-shared", "-o", "greeter.wasm", ".")
	wasm, err := os.ReadFile(filepath.Join(dir, "greeter.wasm"))
	if err != nil {
		t.Fatal(err)
	}

	// The manifest: valid as a draft (q1 manifest validate), and complete
	// once deploy fills code.wasm and the owner, as the chain will check it.
	path := filepath.Join(dir, "service.yaml")
	out, errOut, code = runCLI(t, "manifest", "validate", path)
	if code != 0 || !strings.HasPrefix(out, "greeter (a draft") {
		t.Fatalf("q1 manifest validate: exit %d\n%s%s", code, out, errOut)
	}
	src, _ := os.ReadFile(path)
	m, err := manifest.Parse(src, manifest.ParseOptions{Filename: path, AllowMissingWasm: true, AllowMissingOwners: true})
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(wasm)
	m.Code.Wasm = "sha256:" + hex.EncodeToString(sum[:])
	m.Permissions.Owners.Accounts = []string{"q11qyqszqgpqyqszqgpqyqszqgpqyqszqgpjtw6m7"}
	m.Permissions.Owners.Threshold = 1
	if _, err := manifest.ParseCanonical(canonicalOf(m)); err != nil {
		t.Fatalf("the completed manifest is not what the chain accepts: %v", err)
	}

	// The node's runtime, as a node loads a replica: checked against the
	// granted capabilities, memory split over a pool of two instances.
	ctx := context.Background()
	caps := runtime.CapabilitiesFor(m, "", nil)
	if _, err := runtime.Check(ctx, wasm, caps.Granted()); err != nil {
		t.Fatalf("runtime.Check: %v", err)
	}
	rt, err := runtime.New(filepath.Join(t.TempDir(), "cache"))
	if err != nil {
		t.Fatal(err)
	}
	defer rt.Close(ctx)
	logs := runtime.NewLogBuffer(10)
	svc, err := rt.Load(ctx, runtime.ServiceSpec{
		Name: m.Name, Version: "v1", Wasm: wasm, Instances: 2,
		Limits:       runtime.Limits{MemoryBytes: uint64(m.Resources.Memory) / 2, RequestTimeout: m.Resources.RequestTimeout},
		Capabilities: runtime.CapabilitiesFor(m, "", logs),
	})
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	defer svc.Close(ctx)
	for _, tt := range []struct {
		path   string
		status int
		body   string
	}{
		{"/", http.StatusOK, "Hello from greeter! Try /hello/yourname\n"},
		{"/hello/ada", http.StatusOK, "Hello, ada!\n"},
		{"/nothing", http.StatusNotFound, "404 page not found\n"},
	} {
		resp, err := svc.Handle(ctx, &runtime.Request{Method: "GET", Path: tt.path, Host: "greeter.localhost:8081"})
		if err != nil {
			t.Fatalf("GET %s: %v", tt.path, err)
		}
		if resp.Status != tt.status || string(resp.Body) != tt.body {
			t.Errorf("GET %s = %d %q, want %d %q", tt.path, resp.Status, resp.Body, tt.status, tt.body)
		}
	}
	lines := logs.Lines()
	if len(lines) != 1 || lines[0].Service != "greeter" || !strings.Contains(lines[0].Message, "greeted name=ada") {
		t.Errorf("log lines %+v, want one saying greeted name=ada", lines)
	}
}

// TestServiceNewIsPlacedAtDevnetPrices checks the new manifest's prices
// against every devnet sharer's (q1 devnet --nodes up to 50) and the
// example prices of q1 sharer register's help: a sharer is chosen only when
// none of its prices is above the service's.
func TestServiceNewIsPlacedAtDevnetPrices(t *testing.T) {
	files, err := newServiceFiles(newServiceParams{Name: "greeter", Module: "example.com/greeter", SDKModule: "github.com/quantum1net/q1/sdk", Version: "test", Home: "h"})
	if err != nil {
		t.Fatal(err)
	}
	var m *manifest.Manifest
	for _, f := range files {
		if f.path == "service.yaml" {
			if m, err = manifest.Parse(f.data, manifest.ParseOptions{AllowMissingWasm: true, AllowMissingOwners: true}); err != nil {
				t.Fatal(err)
			}
		}
	}
	if m == nil {
		t.Fatal("no service.yaml")
	}
	offers := []string{examplePrices}
	for i := range 50 {
		offers = append(offers, devnetPrices(i))
	}
	for _, offer := range offers {
		p, err := parsePrices([]string{offer}, sharerstypes.Prices{}, true)
		if err != nil {
			t.Fatal(err)
		}
		mp := m.Pricing
		if p.CpuPerCoreSecond > uint64(mp.CPUPerCoreSecond) || p.MemoryPerMibHour > uint64(mp.MemoryPerMiBHour) ||
			p.StoragePerGibHour > uint64(mp.StoragePerGiBHour) || p.Per_1KRequests > uint64(mp.Per1kRequests) ||
			p.EgressPerGib > uint64(mp.EgressPerGiB) {
			t.Errorf("a sharer offering %s would not host the new service (it pays at most %+v)", offer, mp)
		}
	}
	if m.Placement.Replicas != 1 {
		t.Errorf("replicas %d: a one-node network must be able to host the new service", m.Placement.Replicas)
	}
}

func TestServiceNewRefuses(t *testing.T) {
	tmp := t.TempDir()
	full := filepath.Join(tmp, "full")
	if err := os.MkdirAll(full, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(full, "keep.txt"), []byte("mine"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"service", "new", "Bad_Name", "--dir", filepath.Join(tmp, "a")},
			`Error: "Bad_Name" cannot name a service: must be a DNS label: 1 to 63 lowercase letters, digits or '-', starting and ending with a letter or digit; got "Bad_Name"` + "\n"},
		{[]string{"service", "new", "logs", "--dir", filepath.Join(tmp, "b")},
			`Error: "logs" cannot name a service: "logs" is reserved: nodes sign their own requests with that purpose; choose another name` + "\n"},
		{[]string{"service", "new", "ok", "--dir", full},
			"Error: " + full + " already exists and is not empty: choose another --dir, or remove it\n"},
		{[]string{"service", "new", "ok", "--dir", filepath.Join(tmp, "c"), "--module", "greeter"},
			`Error: --module "greeter": the first element of a module path needs a dot (a domain, such as example.com/greeter); paths without one belong to the standard library` + "\n"},
		{[]string{"service", "new"}, "Error: accepts 1 arg(s), received 0\n"},
	} {
		out, errOut, code := runCLI(t, tt.args...)
		if code != 1 || out != "" || errOut != tt.want {
			t.Errorf("q1 %s: exit %d, stdout %q, stderr %q; want exit 1 and stderr %q", strings.Join(tt.args, " "), code, out, errOut, tt.want)
		}
	}
	for _, d := range []string{"a", "b", "c"} {
		if _, err := os.Stat(filepath.Join(tmp, d)); err == nil {
			t.Errorf("a refused q1 service new left %s behind", d)
		}
	}
	if b, err := os.ReadFile(filepath.Join(full, "keep.txt")); err != nil || string(b) != "mine" {
		t.Errorf("a refused q1 service new touched an existing directory: %q, %v", b, err)
	}
}

// TestDocumentedCommandsParse reads every q1 command line of the guide and
// of a new service's README and checks that the command exists and takes
// those flags and that many arguments, so the documents cannot drift from
// the CLI.
func TestDocumentedCommandsParse(t *testing.T) {
	files, err := newServiceFiles(newServiceParams{Name: "greeter", Module: "example.com/greeter", SDKModule: "github.com/quantum1net/q1/sdk", Version: "test", Home: "/h"})
	if err != nil {
		t.Fatal(err)
	}
	docs := map[string]string{}
	for _, f := range files {
		if f.path == "README.md" || f.path == "service.yaml" {
			docs["new service's "+f.path] = string(f.data)
		}
	}
	guide, err := os.ReadFile("../../docs/first-service.md")
	if err != nil {
		t.Fatal(err)
	}
	docs["docs/first-service.md"] = string(guide)
	root := NewRootCmd() // parsing leaves flag values behind, which does not matter here
	addRootFlags(root)
	for doc, text := range docs {
		n := 0
		sc := bufio.NewScanner(strings.NewReader(text))
		for sc.Scan() {
			line := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(sc.Text()), "#"))
			if !strings.HasPrefix(line, "q1 ") {
				continue
			}
			line, _, _ = strings.Cut(line, "  ") // drop trailing comments after two spaces
			args := strings.Fields(line)[1:]
			for i, a := range args {
				args[i] = strings.NewReplacer("$H", "/h", "$(", "", ")", "").Replace(a)
			}
			c, rest, err := root.Find(args)
			if err != nil || c == root {
				t.Errorf("%s: %q: no such command (%v)", doc, line, err)
				continue
			}
			if err := c.ParseFlags(rest); err != nil {
				t.Errorf("%s: %q: %v", doc, line, err)
				continue
			}
			if c.HasSubCommands() && len(c.Flags().Args()) > 0 {
				t.Errorf("%s: %q: %q has no subcommand %q", doc, line, c.CommandPath(), c.Flags().Arg(0))
			} else if err := c.ValidateArgs(c.Flags().Args()); err != nil {
				t.Errorf("%s: %q: %v", doc, line, err)
			}
			n++
		}
		if want := map[string]int{"docs/first-service.md": 11}[doc]; n == 0 || n < want {
			t.Errorf("%s: only %d q1 command lines found", doc, n)
		}
	}
}
