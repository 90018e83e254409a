package keeper

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

// forbiddenImports are packages keeper code must not use: each reads the
// machine (clock, randomness, files, network) or runs concurrently, any of
// which would let validators compute different states.
var forbiddenImports = map[string]bool{
	"math/rand": true, "math/rand/v2": true, "crypto/rand": true, "os": true, "os/exec": true,
	"net": true, "net/http": true, "sync": true, "sync/atomic": true, "runtime": true,
	"unsafe": true, "reflect": true, "github.com/tetratelabs/wazero": true,
}

// forbiddenTime are the time functions that read the wall clock or wait.
var forbiddenTime = map[string]bool{
	"Now": true, "Since": true, "Until": true, "Sleep": true, "After": true, "Tick": true,
	"NewTimer": true, "NewTicker": true, "AfterFunc": true,
}

// mapsAllowed are files that may use maps: audit code that only looks
// values up and never iterates a map.
var mapsAllowed = map[string]bool{}

// TestKeeperStaysDeterministic fails when non-test code imports a forbidden
// package, reads the wall clock, or uses a map (iteration order is random),
// a float, a goroutine, a channel or select.
func TestKeeperStaysDeterministic(t *testing.T) {
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
			if forbiddenImports[path] {
				t.Errorf("%s imports %q: keepers must stay deterministic", fset.Position(imp.Pos()), path)
			}
		}
		ast.Inspect(f, func(n ast.Node) bool {
			var what string
			switch n := n.(type) {
			case *ast.MapType:
				if !mapsAllowed[name] {
					what = "a map (random iteration order)"
				}
			case *ast.GoStmt:
				what = "a goroutine"
			case *ast.ChanType, *ast.SelectStmt:
				what = "a channel"
			case *ast.SelectorExpr:
				if x, ok := n.X.(*ast.Ident); ok && x.Name == "time" && forbiddenTime[n.Sel.Name] {
					what = "the wall clock (time." + n.Sel.Name + "); use the block time from the context"
				}
			case *ast.Ident:
				switch n.Name {
				case "float32", "float64", "complex64", "complex128":
					what = "a float"
				}
			}
			if what != "" {
				t.Errorf("%s uses %s: keepers must stay deterministic", fset.Position(n.Pos()), what)
			}
			return true
		})
	}
}
