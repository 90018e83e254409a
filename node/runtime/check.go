package runtime

import (
	"context"
	"fmt"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/imports/wasi_snapshot_preview1"

	"github.com/quantum1net/q1/node/fuel"
)

// Check tells, without a Runtime and without compiling to machine code,
// whether wasm follows q1-http/v1, can be metered (node/fuel) and needs no
// capability beyond granted. It screens the module's declared counts
// (fuel.CheckLimits), then decodes and validates it with wazero's
// interpreter (a fraction of a second for a Go module), so tools can refuse a module before uploading it,
// with the same words a node would use when loading it. The error matches
// ErrInvalidModule when the module is at fault.
func Check(ctx context.Context, wasm []byte, granted []Capability) (*Module, error) {
	r := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfigInterpreter())
	defer r.Close(ctx)
	if _, err := wasi_snapshot_preview1.Instantiate(ctx, r); err != nil {
		return nil, fmt.Errorf("check: instantiate WASI: %w", err)
	}
	if err := screen(wasm); err != nil {
		return nil, fmt.Errorf("check: %w", err)
	}
	cm, err := r.CompileModule(ctx, wasm)
	if err != nil {
		return nil, fmt.Errorf("check: %w", &ModuleError{Problems: []string{compileProblem(err)}})
	}
	defer cm.Close(ctx)
	if _, err := fuel.Instrument(wasm, fuel.V1()); err != nil {
		return nil, fmt.Errorf("check: %w", &ModuleError{Problems: []string{meterProblem(err)}})
	}
	checker := &Runtime{wasi: r.Module(wasiModule).ExportedFunctionDefinitions()}
	m, problems := checker.inspect(cm, wasm)
	g := map[Capability]bool{}
	for _, c := range granted {
		g[c] = true
	}
	problems = append(problems, grantProblems(m, g)...)
	if len(problems) > 0 {
		return nil, fmt.Errorf("check: %w", &ModuleError{Problems: problems})
	}
	return m, nil
}
