package x_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// The chain stores what it reads (DESIGN.md §3): a manifest is parsed and
// validated once, when the msg carrying it is accepted, and every keeper,
// EndBlocker, hook and query reads its stored spec afterwards. A parse of
// stored bytes would let a later release's stricter rules halt the chain.

// parsers are the core/manifest functions that parse manifest bytes.
var parsers = []string{"Parse", "ParseCanonical", "ParseFile"}

// mayParse lists the only files under x/ that may call them, and why: each
// parses input from a msg or a request, never stored state.
var mayParse = map[string]string{
	"services/keeper/manifests.go": "parseManifest: the manifest a create or propose-update msg carries",
	"sharers/keeper/preview.go":    "the placement preview query's draft manifest, sent by a client",
}

func TestNoParsingOfStoredManifests(t *testing.T) {
	calls := 0
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return err
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, 0)
		if err != nil {
			return err
		}
		name := ""
		for _, imp := range f.Imports {
			if p, _ := strconv.Unquote(imp.Path.Value); p == "github.com/quantum1net/q1/core/manifest" {
				name = "manifest"
				if imp.Name != nil {
					name = imp.Name.Name
				}
			}
		}
		if name == "" {
			return nil
		}
		ast.Inspect(f, func(n ast.Node) bool {
			sel, ok := n.(*ast.SelectorExpr)
			if !ok {
				return true
			}
			if id, ok := sel.X.(*ast.Ident); !ok || id.Name != name {
				return true
			}
			for _, p := range parsers {
				if sel.Sel.Name != p {
					continue
				}
				calls++
				if _, ok := mayParse[filepath.ToSlash(path)]; !ok {
					t.Errorf("%s calls manifest.%s: keepers read the stored spec (servicestypes.ServiceSpec), they never parse manifest bytes", path, p)
				}
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if calls == 0 {
		t.Fatal("found no call to a manifest parser at all: the check is looking in the wrong place")
	}
}
