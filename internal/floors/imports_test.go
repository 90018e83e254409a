package floors

import (
	"go/parser"
	"go/token"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// TestImportRules checks every import of every package of the module, its
// tests' included, against ImportRules: the chain floor never reaches up
// into node code or tooling, core stays self-contained, each chain module
// uses only its share of core, the guest SDK needs only the standard
// library, and node code never imports the CLI or the end-to-end tests.
func TestImportRules(t *testing.T) {
	pkgs, err := List(nil, "./...", SDKModule+"/...")
	if err != nil {
		t.Fatal(err)
	}
	var checked []string
	for _, p := range pkgs {
		if !p.InModule() {
			continue
		}
		if p.Error != nil {
			t.Fatalf("load %s: %s", p.ImportPath, p.Error.Err)
		}
		for _, imports := range [][]string{p.Imports, p.TestImports, p.XTestImports} {
			for _, problem := range CheckImports(ImportRules, p.Rel(), imports) {
				t.Error(problem)
			}
		}
		checked = append(checked, p.Rel())
	}
	for _, want := range []string{"core/manifest", "x/services/keeper", "app", "node", "node/runtime", "client", "sdk/guest", "sdk", "cmd/q1"} {
		if !slices.Contains(checked, want) {
			t.Errorf("%s was not checked (checked: %s)", want, strings.Join(checked, " "))
		}
	}
}

// TestEachImportRuleFires feeds the checker imports that break each rule,
// and some that keep them.
func TestEachImportRuleFires(t *testing.T) {
	m := func(rel string) string { return Module + "/" + rel }
	cases := []struct {
		pkg     string
		imports []string
		want    []string // the start of each rule broken, in order
	}{
		{"core/sched", []string{"fmt", "cosmossdk.io/math", m("core/manifest")}, nil},
		{"core/sched", []string{m("node/runtime")}, []string{"chain code", "core imports nothing"}},
		{"core/qc", []string{m("x/usage/types")}, []string{"core imports nothing"}},
		{"x/usage/keeper", []string{m("internal/devnet"), m("client")}, []string{"chain code", "chain code"}},
		{"x/services/keeper", []string{m("app")}, []string{"x never imports app"}},
		{"x/services/keeper", []string{m("core/sched"), m("core/manifest")}, []string{"x/<module> imports from core"}},
		{"x/sharers/keeper", []string{m("core/sched"), m("x/services/types")}, nil},
		{"app", []string{m("x/usage/keeper"), m("node")}, []string{"chain code"}},
		{"sdk/guest", []string{"unsafe", m("sdk/guest/abi")}, nil},
		{"sdk/guest", []string{"github.com/tetratelabs/wazero", m("client")}, []string{"sdk (the guest SDK", "sdk (the guest SDK"}},
		{"sdk", []string{"embed", m("node/runtime")}, []string{"sdk (the guest SDK"}},
		{"node/api", []string{m("x/usage/types"), m("client"), m("app"), m("core/qc"), m("internal/txsign")}, nil},
		{"node", []string{m("x/usage/keeper"), m("internal/devnet")}, []string{"node imports", "node imports"}},
		{"node/gateway", []string{m("cmd/q1")}, []string{"node imports", "nothing imports cmd"}},
		{"client", []string{m("core/manifest"), m("x/services/types")}, nil},
		{"client/chainquery", []string{m("node/runtime"), m("x/services/keeper")}, []string{"client imports", "client imports"}},
		{"internal/devnet", []string{m("e2e"), m("app")}, []string{"nothing imports cmd"}},
		{"client/signin", []string{m("node/dashboard")}, []string{"client imports"}},
		{"client/hotkeyfile", []string{m("node/hotkey"), m("client/reqsign")}, []string{"client imports"}},
		{"cmd/q1", []string{m("node/hotkey"), m("node/blob"), m("node"), m("node/runtime"), m("client/signin")}, []string{"cmd imports from node", "cmd imports from node"}},
	}
	for _, c := range cases {
		got := CheckImports(ImportRules, c.pkg, c.imports)
		ok := len(got) == len(c.want)
		for i := 0; ok && i < len(got); i++ {
			_, rule, _ := strings.Cut(got[i], ": ")
			ok = strings.HasPrefix(rule, c.want[i]) && strings.HasPrefix(got[i], c.pkg+" imports ")
		}
		if !ok {
			t.Errorf("%s importing %v:\n got %q\nwant rules starting %q", c.pkg, c.imports, got, c.want)
		}
	}
}

// TestCLIImportsNoNodeInternals checks every file of cmd/q1, its tests'
// included, against CLINodeImports: only q1 start and the deploy check
// import node packages. An allowance no file uses fails too, so the list
// stays what the code does.
func TestCLIImportsNoNodeInternals(t *testing.T) {
	root, err := Root()
	if err != nil {
		t.Fatal(err)
	}
	files, err := filepath.Glob(filepath.Join(root, "cmd", "q1", "*.go"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no files in cmd/q1 (%v)", err)
	}
	used := map[string][]string{}
	for _, path := range files {
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		var imports []string
		for _, spec := range f.Imports {
			p, _ := strconv.Unquote(spec.Path.Value)
			imports = append(imports, p)
			if rel := Rel(p); under(rel, "node") {
				used[filepath.Base(path)] = append(used[filepath.Base(path)], rel)
			}
		}
		for _, problem := range CheckCLIFile(CLINodeImports, filepath.Base(path), imports) {
			t.Error(problem)
		}
	}
	for file, allowed := range CLINodeImports {
		for _, p := range allowed {
			if !slices.Contains(used[file], p) {
				t.Errorf("CLINodeImports lets cmd/q1/%s import %s, which it no longer does: drop the allowance", file, p)
			}
		}
	}
}

// TestCheckCLIFileFires feeds the file check imports that break it, and
// some that keep it.
func TestCheckCLIFileFires(t *testing.T) {
	m := func(rel string) string { return Module + "/" + rel }
	allowed := map[string][]string{"start.go": {"node"}}
	if got := CheckCLIFile(allowed, "start.go", []string{"fmt", m("node"), m("client")}); len(got) != 0 {
		t.Errorf("start.go importing node: %q", got)
	}
	got := CheckCLIFile(allowed, "sharer.go", []string{m("node/hotkey"), m("client/hotkeyfile"), m("app")})
	if len(got) != 1 || got[0] != "cmd/q1/sharer.go imports node/hotkey: only start.go may import node packages (internal/floors.CLINodeImports); reach a node through client/" {
		t.Errorf("sharer.go importing node/hotkey: %q", got)
	}
	if got := CheckCLIFile(allowed, "start.go", []string{m("node/blob")}); len(got) != 1 {
		t.Errorf("start.go importing node/blob: %q", got)
	}
}
