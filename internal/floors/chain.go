package floors

import (
	"fmt"
	"go/ast"
	"go/importer"
	"go/parser"
	"go/token"
	"go/types"
	"io"
	"os"
	"path/filepath"
)

// ChainFloor are the package patterns of the chain floor, relative to the
// module root: every package validators execute.
//
// app/ is on the floor and checked like the rest: it wires the SDK's
// modules and ours, and its ante handler, genesis and export code run in
// consensus too. It needs no file system of its own (node homes and
// export files are cmd/q1's job), so no rule is waived for it.
var ChainFloor = []string{"./core/...", "./x/...", "./app/..."}

// CheckChainFloor type-checks every package matched by patterns (relative
// to the module root) and checks their non-test files against every rule.
// It returns the packages checked and the violations, with file names
// relative to the module root.
//
// Packages are loaded with `go list -deps -export`, so dependencies are
// read from the compiler's export data, as go vet does.
func CheckChainFloor(patterns ...string) (checked []string, violations []Violation, err error) {
	root, err := Root()
	if err != nil {
		return nil, nil, err
	}
	pkgs, err := List([]string{"-deps", "-export"}, patterns...)
	if err != nil {
		return nil, nil, err
	}
	exports := map[string]string{}
	for _, p := range pkgs {
		if p.Export != "" {
			exports[p.ImportPath] = p.Export
		}
	}
	fset := token.NewFileSet()
	imp := importer.ForCompiler(fset, "gc", func(path string) (io.ReadCloser, error) {
		file, ok := exports[path]
		if !ok {
			return nil, fmt.Errorf("no export data for %s", path)
		}
		return os.Open(file)
	})
	for _, p := range pkgs {
		if p.DepOnly || !p.InModule() {
			continue
		}
		if p.Error != nil {
			return nil, nil, fmt.Errorf("load %s: %s", p.ImportPath, p.Error.Err)
		}
		vs, err := checkPackage(fset, imp, p)
		if err != nil {
			return nil, nil, err
		}
		for _, v := range vs {
			if rel, err := filepath.Rel(root, v.Pos.Filename); err == nil {
				v.Pos.Filename = rel
			}
			violations = append(violations, v)
		}
		checked = append(checked, p.Rel())
	}
	return checked, violations, nil
}

// checkPackage parses and type-checks one package's non-test files and
// checks them.
func checkPackage(fset *token.FileSet, imp types.Importer, p *Package) ([]Violation, error) {
	var files []*ast.File
	for _, name := range append(p.GoFiles, p.CgoFiles...) {
		f, err := parser.ParseFile(fset, filepath.Join(p.Dir, name), nil, parser.ParseComments|parser.SkipObjectResolution)
		if err != nil {
			return nil, err
		}
		files = append(files, f)
	}
	info := NewInfo()
	conf := types.Config{Importer: mappedImporter{imp, p.ImportMap}}
	if _, err := conf.Check(p.ImportPath, fset, files, info); err != nil {
		return nil, fmt.Errorf("type-check %s: %w", p.ImportPath, err)
	}
	return CheckFiles(fset, files, info), nil
}

// NewInfo returns a types.Info recording what CheckFiles needs.
func NewInfo() *types.Info {
	return &types.Info{
		Types: map[ast.Expr]types.TypeAndValue{},
		Defs:  map[*ast.Ident]types.Object{},
		Uses:  map[*ast.Ident]types.Object{},
	}
}

// mappedImporter resolves import paths through go list's ImportMap (vendored
// or otherwise renamed packages) before importing.
type mappedImporter struct {
	types.Importer
	importMap map[string]string
}

func (m mappedImporter) Import(path string) (*types.Package, error) {
	if to, ok := m.importMap[path]; ok {
		path = to
	}
	return m.Importer.Import(path)
}
