package floors

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// Module is the import path of the module whose floors are checked.
const Module = "github.com/quantum1net/q1"

// SDKModule is the repository's other module: the Go SDK for services
// (sdk/go.mod), which the main module uses through a replace of ./sdk.
// Its packages are checked with the main module's.
const SDKModule = Module + "/sdk"

// Package is what `go list -json` says about one package.
type Package struct {
	ImportPath   string
	Dir          string
	GoFiles      []string
	CgoFiles     []string
	Export       string
	Standard     bool
	DepOnly      bool
	Imports      []string
	ImportMap    map[string]string
	TestImports  []string
	XTestImports []string
	Module       *struct{ Path string }
	Error        *struct{ Err string }
}

// InModule reports whether p belongs to this module or to the SDK module
// beside it.
func (p *Package) InModule() bool {
	return p.Module != nil && (p.Module.Path == Module || p.Module.Path == SDKModule)
}

// Rel returns p's import path relative to the module ("core/sched"), or
// the full path for packages outside it.
func (p *Package) Rel() string { return Rel(p.ImportPath) }

// Rel returns path relative to the module ("core/sched"); "." for the
// module's root package; path itself when it is outside the module.
func Rel(path string) string {
	if path == Module {
		return "."
	}
	if rest, ok := strings.CutPrefix(path, Module+"/"); ok {
		return rest
	}
	return path
}

// Root returns the directory of the module's go.mod, found with `go env GOMOD`.
func Root() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return "", errors.New("go env GOMOD: not inside a module")
	}
	return filepath.Dir(gomod), nil
}

// List runs `go list -e -json [flags] patterns...` in the module root and
// decodes every package it prints, in its order.
func List(flags []string, patterns ...string) ([]*Package, error) {
	root, err := Root()
	if err != nil {
		return nil, err
	}
	args := append([]string{"list", "-e", "-json"}, flags...)
	cmd := exec.Command("go", append(args, patterns...)...)
	cmd.Dir = root
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("go %s: %w\n%s", strings.Join(cmd.Args[1:], " "), err, stderr.String())
	}
	var pkgs []*Package
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		p := new(Package)
		if err := dec.Decode(p); errors.Is(err, io.EOF) {
			return pkgs, nil
		} else if err != nil {
			return nil, fmt.Errorf("decode go list output: %w", err)
		}
		pkgs = append(pkgs, p)
	}
}
