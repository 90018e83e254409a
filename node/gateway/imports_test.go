package gateway

import (
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestImports keeps the gateway off the runtime's and the chain's code: it
// reaches them only through the interfaces in deps.go.
func TestImports(t *testing.T) {
	forbidden := []string{
		"github.com/quantum1net/q1/node/runtime",
		"github.com/quantum1net/q1/node",
		"github.com/quantum1net/q1/x/",
		"github.com/quantum1net/q1/app",
		"github.com/tetratelabs/wazero",
	}
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range files {
		f, err := parser.ParseFile(token.NewFileSet(), name, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range f.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			for _, bad := range forbidden {
				if strings.HasPrefix(path, bad) {
					t.Errorf("%s imports %s; the gateway must reach it through an interface", name, path)
				}
			}
		}
	}
}
