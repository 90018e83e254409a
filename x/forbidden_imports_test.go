package x_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// The chain's modules must be deterministic: every validator must compute
// the same state from the same blocks. So code under x/ may not read the
// wall clock, draw random numbers, start goroutines, touch the network, the
// file system or wazero, or use floating point. Each module may import only
// the internal package DESIGN.md §3 gives it.

// forbiddenImports are packages no non-test file under x/ may import.
var forbiddenImports = []string{
	"math/rand", "math/rand/v2", "crypto/rand",
	"net", "net/http", "net/rpc",
	"os", "os/exec", "os/signal", "io/ioutil", "syscall",
	"sync", "sync/atomic", "unsafe", "runtime", "plugin",
}

// forbiddenPrefixes are import path prefixes no non-test file under x/ may
// import.
var forbiddenPrefixes = []string{
	"github.com/tetratelabs/wazero",
	"github.com/quantum1net/q1/app",
	"github.com/quantum1net/q1/cmd",
	"github.com/quantum1net/q1/node",
	"github.com/quantum1net/q1/internal",
	"github.com/quantum1net/q1/client",
}

// allowedInternal lists, per module, the only packages under core/ it
// may import (DESIGN.md §3). Every module may use core/manifest: the
// services hooks hand manifests to x/sharers and x/usage, whose prices and
// placement rules they read; and core/address, the one check of an account
// address.
var allowedInternal = map[string][]string{
	"services": {"github.com/quantum1net/q1/core/address", "github.com/quantum1net/q1/core/manifest"},
	"sharers":  {"github.com/quantum1net/q1/core/address", "github.com/quantum1net/q1/core/manifest", "github.com/quantum1net/q1/core/sched"},
	"usage":    {"github.com/quantum1net/q1/core/address", "github.com/quantum1net/q1/core/manifest"},
}

// forbiddenTime are the functions of package time that read or wait on the
// wall clock. Types such as time.Duration and time.Time stay allowed: block
// time comes from the context.
var forbiddenTime = []string{"Now", "Since", "Until", "Sleep", "After", "AfterFunc", "Tick", "NewTimer", "NewTicker"}

const internalPrefix = "github.com/quantum1net/q1/core/"

func TestForbiddenImports(t *testing.T) {
	checked := 0
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return err
		}
		src, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		module := strings.Split(filepath.ToSlash(path), "/")[0]
		for _, v := range violations(module, src) {
			t.Errorf("%s: %s", path, v)
		}
		checked++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if checked == 0 {
		t.Fatal("found no Go files under x/")
	}
}

// violations lists what file src of module does that x/ must not.
func violations(module string, src *ast.File) []string {
	var out []string
	timeName := ""
	for _, imp := range src.Imports {
		path, _ := strconv.Unquote(imp.Path.Value)
		switch {
		case slices.Contains(forbiddenImports, path):
			out = append(out, "imports "+path)
		case slices.ContainsFunc(forbiddenPrefixes, func(p string) bool { return path == p || strings.HasPrefix(path, p+"/") }):
			out = append(out, "imports "+path)
		case strings.HasPrefix(path, internalPrefix) && !slices.Contains(allowedInternal[module], path):
			out = append(out, "imports "+path+" (x/"+module+" may import only "+strings.Join(allowedInternal[module], ", ")+" from core/)")
		case path == "time":
			timeName = "time"
			if imp.Name != nil {
				timeName = imp.Name.Name
			}
		}
	}
	ast.Inspect(src, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.GoStmt:
			out = append(out, "starts a goroutine")
		case *ast.Ident:
			if n.Name == "float32" || n.Name == "float64" {
				out = append(out, "uses "+n.Name)
			}
		case *ast.BasicLit:
			if n.Kind == token.FLOAT {
				out = append(out, "uses the floating-point literal "+n.Value)
			}
		case *ast.SelectorExpr:
			if id, ok := n.X.(*ast.Ident); ok && timeName != "" && id.Name == timeName && slices.Contains(forbiddenTime, n.Sel.Name) {
				out = append(out, "calls time."+n.Sel.Name+" (use the block time from the context)")
			}
		}
		return true
	})
	return out
}

// TestViolationsCatchesEachRule makes sure the checker itself works.
func TestViolationsCatchesEachRule(t *testing.T) {
	const bad = `package keeper

import (
	clock "time"
	"math/rand"
	"sync"
	"github.com/tetratelabs/wazero"
	"github.com/quantum1net/q1/core/sched"
	"github.com/quantum1net/q1/core/manifest"
)

var ratio float64 = 0.5

func f() {
	_ = clock.Now()
	_ = clock.Duration(5)
	go f()
}
`
	src, err := parser.ParseFile(token.NewFileSet(), "bad.go", bad, 0)
	if err != nil {
		t.Fatal(err)
	}
	got := violations("services", src)
	want := []string{
		"imports math/rand",
		"imports sync",
		"imports github.com/tetratelabs/wazero",
		"imports github.com/quantum1net/q1/core/sched (x/services may import only github.com/quantum1net/q1/core/address, github.com/quantum1net/q1/core/manifest from core/)",
		"uses float64",
		"uses the floating-point literal 0.5",
		"calls time.Now (use the block time from the context)",
		"starts a goroutine",
	}
	if !slices.Equal(got, want) {
		t.Fatalf("violations =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
