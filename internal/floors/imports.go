package floors

import (
	"fmt"
	"slices"
	"strings"
)

// Import is one import of a package, as the import rules see it.
type Import struct {
	// Path is module-relative ("core/sched") for the module's packages,
	// the full import path otherwise.
	Path string
	// InModule is true for the module's own packages.
	InModule bool
	// Std is true for the standard library.
	Std bool
}

// NewImport classifies the full import path path.
func NewImport(path string) Import {
	rel := Rel(path)
	first, _, _ := strings.Cut(path, "/")
	return Import{Path: rel, InModule: rel != path || path == Module, Std: !strings.Contains(first, ".")}
}

// ImportRule is one rule of which packages may import which.
type ImportRule struct {
	// Rule says what the rule demands; failures print it.
	Rule string
	// Applies reports whether the rule governs the package pkg (module-relative).
	Applies func(pkg string) bool
	// Allows reports whether pkg may import imp.
	Allows func(pkg string, imp Import) bool
}

// under reports whether the module-relative path is one of roots or below one.
func under(path string, roots ...string) bool {
	return slices.ContainsFunc(roots, func(r string) bool { return path == r || strings.HasPrefix(path, r+"/") })
}

// xCore lists, per chain module, the only core packages it may import.
// The services hooks hand manifests to x/sharers and x/usage, whose prices
// and placement rules they read; only x/sharers places, with core/sched.
var xCore = map[string][]string{
	"services": {"core/address", "core/limits", "core/manifest"},
	"sharers":  {"core/address", "core/manifest", "core/sched"},
	"usage":    {"core/address", "core/limits", "core/manifest", "core/receipt"},
}

// xModule returns "services" for x/services/keeper.
func xModule(pkg string) string {
	parts := strings.Split(pkg, "/")
	if len(parts) < 2 || parts[0] != "x" {
		return ""
	}
	return parts[1]
}

// ImportRules are the rules between the floors (docs/architecture.md,
// "Floors and import rules"). Each applies to every import of a package,
// its tests' included.
var ImportRules = []ImportRule{
	{
		Rule:    "chain code (core, x, app) imports only chain code from the module: never node, client, cmd, internal tooling, sdk, e2e or examples",
		Applies: func(pkg string) bool { return under(pkg, "core", "x", "app") },
		Allows:  func(_ string, imp Import) bool { return !imp.InModule || under(imp.Path, "core", "x", "app") },
	},
	{
		Rule:    "core imports nothing from the module outside core",
		Applies: func(pkg string) bool { return under(pkg, "core") },
		Allows:  func(_ string, imp Import) bool { return !imp.InModule || under(imp.Path, "core") },
	},
	{
		Rule:    "x never imports app: app wires the modules",
		Applies: func(pkg string) bool { return under(pkg, "x") },
		Allows:  func(_ string, imp Import) bool { return !imp.InModule || !under(imp.Path, "app") },
	},
	{
		Rule:    "x/<module> imports from core only its allow-list (services: core/address, core/limits, core/manifest; sharers: core/address, core/manifest, core/sched; usage: core/address, core/limits, core/manifest, core/receipt)",
		Applies: func(pkg string) bool { return under(pkg, "x") },
		Allows: func(pkg string, imp Import) bool {
			return !imp.InModule || !under(imp.Path, "core") || slices.Contains(xCore[xModule(pkg)], imp.Path)
		},
	},
	{
		Rule:    "sdk (the guest SDK, its own module) imports only the standard library: guests build it without the main module's dependencies",
		Applies: func(pkg string) bool { return under(pkg, "sdk") },
		Allows:  func(_ string, imp Import) bool { return imp.Std || imp.InModule && under(imp.Path, "sdk") },
	},
	{
		// internal/txsign signs the agent's transactions (and loadgen's).
		Rule:    "node imports from the module only node, core, x/*/types, app, client, sdk/guest/abi and internal/txsign: never cmd, e2e, keepers or tooling",
		Applies: func(pkg string) bool { return under(pkg, "node") },
		Allows: func(_ string, imp Import) bool {
			if !imp.InModule || under(imp.Path, "node", "core", "app", "client", "sdk/guest/abi", "internal/txsign") {
				return true
			}
			return isModuleTypes(imp.Path)
		},
	},
	{
		Rule:    "client imports from the module only client, core, app and x/*/types: a client decodes the chain's answers, it never runs chain or node code",
		Applies: func(pkg string) bool { return under(pkg, "client") },
		Allows: func(_ string, imp Import) bool {
			return !imp.InModule || under(imp.Path, "client", "core", "app") || isModuleTypes(imp.Path)
		},
	},
	{
		// The file-level rule is CLINodeImports (TestCLIImportsNoNodeInternals).
		Rule:    "cmd imports from node only node, node/gateway and node/runtime (q1 start runs the node; deploy runs the runtime's module check): what the CLI needs of a node's API is in client",
		Applies: func(pkg string) bool { return under(pkg, "cmd") },
		Allows: func(_ string, imp Import) bool {
			return !imp.InModule || !under(imp.Path, "node") || slices.Contains([]string{"node", "node/gateway", "node/runtime"}, imp.Path)
		},
	},
	{
		Rule:    "nothing imports cmd, e2e or examples",
		Applies: func(string) bool { return true },
		Allows:  func(_ string, imp Import) bool { return !imp.InModule || !under(imp.Path, "cmd", "e2e", "examples") },
	},
}

// isModuleTypes reports whether path (module-relative) is a module's types
// package, x/<module>/types: the chain's wire types.
func isModuleTypes(path string) bool {
	parts := strings.Split(path, "/")
	return len(parts) == 3 && parts[0] == "x" && parts[2] == "types"
}

// CheckImports checks the imports (full paths) of the module package pkg
// (module-relative) against rules, and returns one "PKG imports X: RULE"
// line per broken rule.
func CheckImports(rules []ImportRule, pkg string, imports []string) []string {
	var out []string
	for _, path := range imports {
		imp := NewImport(path)
		for _, r := range rules {
			if r.Applies(pkg) && !r.Allows(pkg, imp) {
				out = append(out, fmt.Sprintf("%s imports %s: %s", pkg, imp.Path, r.Rule))
			}
		}
	}
	return out
}

// CLINodeImports names the only files of cmd/q1 that import node packages,
// and the packages each may import: start.go, because `q1 start` runs the
// node; service_deploy.go, because deploy and propose check a module with
// the runtime's own checks (runtime.Check: wazero stays in node/runtime);
// service_new_test.go, because it runs a scaffolded service in the
// runtime to prove the scaffold answers. Every other file reaches nodes through client/ (the typed HTTP client,
// the hot key file, blob hashes, dashboard sign-in).
var CLINodeImports = map[string][]string{
	"start.go":            {"node", "node/gateway", "node/runtime"},
	"service_deploy.go":   {"node/runtime"},
	"service_new_test.go": {"node/runtime"},
}

// CheckCLIFile checks the imports (full paths) of one file of cmd/q1 (its
// base name) against allowed, and returns one line per node import the
// file may not have.
func CheckCLIFile(allowed map[string][]string, file string, imports []string) []string {
	var out []string
	for _, path := range imports {
		imp := NewImport(path)
		if imp.InModule && under(imp.Path, "node") && !slices.Contains(allowed[file], imp.Path) {
			out = append(out, fmt.Sprintf("cmd/q1/%s imports %s: only %s may import node packages (internal/floors.CLINodeImports); reach a node through client/",
				file, imp.Path, strings.Join(allowedFiles(allowed), " and ")))
		}
	}
	return out
}

func allowedFiles(allowed map[string][]string) []string {
	var files []string
	for f := range allowed {
		files = append(files, f)
	}
	slices.Sort(files)
	return files
}
