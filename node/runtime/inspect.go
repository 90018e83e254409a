package runtime

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"

	"github.com/quantum1net/q1/sdk/guest/abi"
)

const wasiModule = "wasi_snapshot_preview1"

// inspect checks a compiled module against q1-http/v1: the exports it must
// have and the imports it may have. It returns what the module needs, or
// every problem found.
func (r *Runtime) inspect(cm wazero.CompiledModule, wasm []byte) (*Module, []string) {
	sum := sha256.Sum256(wasm)
	m := &Module{hash: "sha256:" + hex.EncodeToString(sum[:])}
	problems := checkExports(cm)

	needs := map[Capability]bool{}
	for _, def := range cm.ImportedFunctions() {
		module, name, _ := def.Import()
		switch module {
		case abi.HostModule:
			hf, ok := hostFuncByName[name]
			if !ok {
				problems = append(problems, fmt.Sprintf("module imports %s.%s, which q1-http/v1 does not define (see docs/guest-abi.md)", module, name))
				continue
			}
			if p := signatureProblem(module, name, def, hf.params, []api.ValueType{i32}); p != "" {
				problems = append(problems, p)
				continue
			}
			m.imports = append(m.imports, module+"."+name)
			if hf.cap != "" {
				needs[hf.cap] = true
			}
		case wasiModule:
			want, ok := r.wasi[name]
			if !ok {
				problems = append(problems, fmt.Sprintf("module imports %s.%s, which the host's WASI does not provide", module, name))
				continue
			}
			if p := signatureProblem(module, name, def, want.ParamTypes(), want.ResultTypes()); p != "" {
				problems = append(problems, p)
			}
		default:
			problems = append(problems, fmt.Sprintf("module imports %s.%s, but a q1-http/v1 host provides only %s and %s functions (docs/guest-abi.md)", module, name, abi.HostModule, wasiModule))
		}
	}
	for _, mem := range cm.ImportedMemories() {
		module, name, _ := mem.Import()
		problems = append(problems, fmt.Sprintf("module imports memory %s.%s; a q1-http/v1 module must define and export its own memory", module, name))
	}
	for _, c := range allCapabilities {
		if needs[c] {
			m.needs = append(m.needs, c)
		}
	}
	return m, problems
}

// checkExports checks the reactor shape: _initialize, q1_http_handle and memory.
func checkExports(cm wazero.CompiledModule) []string {
	var problems []string
	exports := cm.ExportedFunctions()
	if init, ok := exports[abi.ExportInitialize]; !ok {
		if _, isCommand := exports["_start"]; isCommand {
			problems = append(problems, "module is a WASI command (it exports _start, not _initialize); q1-http/v1 needs a reactor: build it with GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared")
		} else {
			problems = append(problems, "module does not export _initialize; q1-http/v1 needs a reactor (Go: go build -buildmode=c-shared)")
		}
	} else if len(init.ParamTypes()) != 0 || len(init.ResultTypes()) != 0 {
		problems = append(problems, fmt.Sprintf("module exports _initialize as %s; q1-http/v1 defines () -> ()", signature(init.ParamTypes(), init.ResultTypes())))
	}
	if h, ok := exports[abi.ExportHandle]; !ok {
		problems = append(problems, "module does not export "+abi.ExportHandle+"; a Go service must import github.com/quantum1net/q1/sdk/guest and call guest.Handle from init")
	} else if want := []api.ValueType{i32}; !slices.Equal(h.ParamTypes(), want) || !slices.Equal(h.ResultTypes(), want) {
		problems = append(problems, fmt.Sprintf("module exports %s as %s; q1-http/v1 defines %s", abi.ExportHandle, signature(h.ParamTypes(), h.ResultTypes()), signature(want, want)))
	}
	if _, ok := cm.ExportedMemories()[abi.ExportMemory]; !ok {
		problems = append(problems, `module does not export its memory as "memory"`)
	}
	return problems
}

func signatureProblem(module, name string, def api.FunctionDefinition, params, results []api.ValueType) string {
	if slices.Equal(def.ParamTypes(), params) && slices.Equal(def.ResultTypes(), results) {
		return ""
	}
	return fmt.Sprintf("module imports %s.%s as %s; the host defines %s", module, name,
		signature(def.ParamTypes(), def.ResultTypes()), signature(params, results))
}

func signature(params, results []api.ValueType) string {
	names := func(ts []api.ValueType) string {
		s := make([]string, len(ts))
		for i, t := range ts {
			s[i] = api.ValueTypeName(t)
		}
		return strings.Join(s, ", ")
	}
	return "(" + names(params) + ") -> (" + names(results) + ")"
}

// grantProblems names every q1 import the grants do not cover.
func grantProblems(m *Module, granted map[Capability]bool) []string {
	var problems []string
	for _, imp := range m.imports {
		name := strings.TrimPrefix(imp, abi.HostModule+".")
		c := hostFuncByName[name].cap
		if c != "" && !granted[c] {
			problems = append(problems, fmt.Sprintf("module imports %s but the manifest grants no %s capability (permissions.capabilities.%s)", imp, c, c))
		}
	}
	return problems
}

// compileProblem explains a wazero compilation failure.
func compileProblem(err error) string {
	msg := err.Error()
	switch {
	case strings.Contains(msg, "invalid magic number"):
		return "not a WebAssembly module: " + msg
	case strings.Contains(msg, "over limit of"):
		return "the module's memory does not fit the service's memory limit (resources.memory): " + msg
	}
	return "compile: " + msg
}
