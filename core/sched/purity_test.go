package sched

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// allowedImports are the only packages placement code may use. Anything that
// reads the clock, draws randomness, starts goroutines or touches the outside
// world would let validators disagree.
var allowedImports = map[string]bool{
	"bytes": true, "cmp": true, "crypto/sha256": true, "errors": true, "fmt": true,
	"math": true, "math/big": true, "math/bits": true, "slices": true, "strconv": true,
	"strings": true, "cosmossdk.io/math": true,
}

// TestPackageStaysDeterministic fails when non-test code imports a package
// outside allowedImports, or uses a map (iteration order is random), a float,
// a goroutine, a channel or select.
func TestPackageStaysDeterministic(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		src, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		f, err := parser.ParseFile(fset, name, src, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range f.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			if !allowedImports[path] {
				t.Errorf("%s imports %q: placement must stay deterministic; extend allowedImports only with a package that is", fset.Position(imp.Pos()), path)
			}
		}
		ast.Inspect(f, func(n ast.Node) bool {
			var what string
			switch n := n.(type) {
			case *ast.MapType:
				what = "a map (random iteration order)"
			case *ast.GoStmt:
				what = "a goroutine"
			case *ast.ChanType, *ast.SelectStmt:
				what = "a channel"
			case *ast.Ident:
				switch n.Name {
				case "float32", "float64", "complex64", "complex128":
					what = "a float"
				}
			}
			if what != "" {
				t.Errorf("%s uses %s: placement must stay deterministic", fset.Position(n.Pos()), what)
			}
			return true
		})
	}
}
