package floors

import (
	"cmp"
	"fmt"
	"go/ast"
	"go/token"
	"go/types"
	"slices"
	"strconv"
	"strings"
)

// Rule names one determinism rule of the chain floor. Every violation says
// which rule it breaks.
type Rule string

// The determinism rules. Each exists because validators that broke it could
// compute different states from the same blocks.
const (
	// WallClock: no reading or waiting on the machine's clock; block time
	// comes from the context.
	WallClock Rule = "wall-clock"
	// Randomness: no global or system randomness.
	Randomness Rule = "randomness"
	// Goroutines: no go statements, channels or select: scheduling order is
	// the machine's.
	Goroutines Rule = "goroutines"
	// Machine: no package that reaches the machine (files, environment,
	// network, system calls, memory layout, the scheduler, locks).
	Machine Rule = "machine"
	// Wazero: running guest code is the node's job, never the chain's.
	Wazero Rule = "wazero"
	// Floats: no floating point; rounding differs across machines and
	// compilers.
	Floats Rule = "floats"
	// MapOrder: no iteration over a map whose random order could reach
	// state, unless the loop is provably order-independent or annotated
	// with MapOrderOK and a reason.
	MapOrder Rule = "map-order"
)

// MapOrderOK is the annotation that allows one range over a map. It goes
// on the line of the for statement, or on the line above, followed by the
// reason the order cannot reach state:
//
//	//q1:maporder-ok only counts entries
const MapOrderOK = "//q1:maporder-ok"

// Violation is one place where code breaks a rule.
type Violation struct {
	Pos  token.Position
	Rule Rule
	What string
}

// String formats v as "file:line:col: [rule] what".
func (v Violation) String() string { return fmt.Sprintf("%s: [%s] %s", v.Pos, v.Rule, v.What) }

// forbiddenImports maps each package the chain floor may not import to the
// rule it breaks.
var forbiddenImports = map[string]Rule{
	"math/rand": Randomness, "math/rand/v2": Randomness, "crypto/rand": Randomness,
	"os": Machine, "syscall": Machine, "net": Machine, "unsafe": Machine, "runtime": Machine,
	"sync": Machine, "plugin": Machine, "io/ioutil": Machine, "reflect": Machine,
	"github.com/tetratelabs/wazero": Wazero,
}

// forbiddenImportTrees are import path prefixes: the package and everything
// below it (os/exec, net/http, sync/atomic, runtime/debug, wazero/api…).
var forbiddenImportTrees = []string{"os", "net", "runtime", "sync", "syscall", "github.com/tetratelabs/wazero"}

// pureImports are packages inside forbiddenImportTrees that only parse and
// format values and never reach the machine.
var pureImports = []string{"net/netip", "net/url"}

// forbiddenImport returns the rule that importing path breaks, or "".
func forbiddenImport(path string) Rule {
	if slices.Contains(pureImports, path) {
		return ""
	}
	if r, ok := forbiddenImports[path]; ok {
		return r
	}
	for _, tree := range forbiddenImportTrees {
		if strings.HasPrefix(path, tree+"/") {
			return forbiddenImports[tree]
		}
	}
	return ""
}

// wallClock are the functions of package time that read or wait on the
// wall clock. Types such as time.Time and time.Duration stay allowed.
var wallClock = []string{"Now", "Since", "Until", "Sleep", "After", "AfterFunc", "Tick", "NewTimer", "NewTicker"}

// checker walks one type-checked file and collects violations.
type checker struct {
	fset *token.FileSet
	info *types.Info
	// okLines are the lines carrying a MapOrderOK annotation with a reason.
	okLines map[int]bool
	out     []Violation
	// floatLines are the lines with a float already reported: one float
	// expression holds many float subexpressions.
	floatLines map[int]bool
}

func (c *checker) report(pos token.Pos, rule Rule, format string, args ...any) {
	p := c.fset.Position(pos)
	if rule == Floats {
		if c.floatLines[p.Line] {
			return
		}
		c.floatLines[p.Line] = true
	}
	c.out = append(c.out, Violation{Pos: p, Rule: rule, What: fmt.Sprintf(format, args...)})
}

// CheckFiles checks the type-checked files of one package against every
// rule and returns the violations in source order. Generated files (with
// a "Code generated … DO NOT EDIT." header) are skipped: their code comes
// from protoc plugins, not from us.
func CheckFiles(fset *token.FileSet, files []*ast.File, info *types.Info) []Violation {
	var out []Violation
	for _, f := range files {
		if ast.IsGenerated(f) {
			continue
		}
		c := &checker{fset: fset, info: info, okLines: map[int]bool{}, floatLines: map[int]bool{}}
		c.annotations(f)
		c.imports(f)
		c.walk(f)
		slices.SortStableFunc(c.out, func(a, b Violation) int {
			return cmp.Or(cmp.Compare(a.Pos.Line, b.Pos.Line), cmp.Compare(a.Pos.Column, b.Pos.Column))
		})
		out = append(out, c.out...)
	}
	return out
}

// annotations records the lines with a MapOrderOK annotation, and reports
// annotations that give no reason.
func (c *checker) annotations(f *ast.File) {
	for _, g := range f.Comments {
		for _, cm := range g.List {
			rest, ok := strings.CutPrefix(cm.Text, MapOrderOK)
			if !ok {
				continue
			}
			if strings.TrimSpace(rest) == "" {
				c.report(cm.Pos(), MapOrder, "%s needs a reason: why can the order not reach state?", MapOrderOK)
				continue
			}
			c.okLines[c.fset.Position(cm.Pos()).Line] = true
		}
	}
}

func (c *checker) imports(f *ast.File) {
	for _, imp := range f.Imports {
		path, _ := strconv.Unquote(imp.Path.Value)
		if rule := forbiddenImport(path); rule != "" {
			c.report(imp.Pos(), rule, "imports %s", path)
		}
	}
}

func (c *checker) walk(f *ast.File) {
	// sortedKeys are calls to maps.Keys/Values/All consumed in a way that
	// cannot leak their order (sorted at once, or ranged order-independently).
	allowed := map[*ast.CallExpr]bool{}
	ast.Inspect(f, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.GoStmt:
			c.report(n.Pos(), Goroutines, "starts a goroutine")
		case *ast.ChanType:
			c.report(n.Pos(), Goroutines, "uses a channel")
		case *ast.SelectStmt:
			c.report(n.Pos(), Goroutines, "uses select")
		case *ast.BasicLit:
			if n.Kind == token.FLOAT || n.Kind == token.IMAG {
				c.report(n.Pos(), Floats, "uses the floating-point literal %s", n.Value)
			}
		case *ast.Ident:
			c.ident(n)
		case *ast.BlockStmt:
			c.rangesIn(n.List, allowed)
		case *ast.CaseClause:
			c.rangesIn(n.Body, allowed)
		case *ast.CommClause:
			c.rangesIn(n.Body, allowed)
		case *ast.CallExpr:
			if name := mapIterator(c.info, n); name != "" && !allowed[n] {
				c.report(n.Pos(), MapOrder, "calls %s, whose order is random; use slices.Sorted(%s(…)) or annotate %s <why>", name, name, MapOrderOK)
			}
			if name := sortedCall(c.info, n); name == "slices.Sorted" && len(n.Args) > 0 {
				if inner, ok := ast.Unparen(n.Args[0]).(*ast.CallExpr); ok {
					allowed[inner] = true
				}
			}
		}
		if e, ok := n.(ast.Expr); ok {
			if tv, ok := c.info.Types[e]; ok && tv.Type != nil && !tv.IsType() && isFloat(tv.Type) {
				c.report(e.Pos(), Floats, "computes a %s value", tv.Type)
			}
		}
		return true
	})
}

// ident reports identifiers that name a float type, a function or float
// constant of package math, or a wall-clock function of package time.
func (c *checker) ident(id *ast.Ident) {
	obj := c.info.Uses[id]
	if obj == nil {
		return
	}
	if tn, ok := obj.(*types.TypeName); ok && tn.Parent() == types.Universe && isFloat(tn.Type()) {
		c.report(id.Pos(), Floats, "uses %s", id.Name)
		return
	}
	if obj.Pkg() == nil {
		return
	}
	switch obj.Pkg().Path() {
	case "math":
		switch o := obj.(type) {
		case *types.Func:
			c.report(id.Pos(), Floats, "uses math.%s", id.Name)
		case *types.Const:
			if isFloat(o.Type()) {
				c.report(id.Pos(), Floats, "uses math.%s", id.Name)
			}
		}
	case "time":
		if _, ok := obj.(*types.Func); ok && obj.Parent() == obj.Pkg().Scope() && slices.Contains(wallClock, id.Name) {
			c.report(id.Pos(), WallClock, "uses time.%s; use the block time from the context", id.Name)
		}
	}
}

// isFloat reports whether t is a floating-point or complex type.
func isFloat(t types.Type) bool {
	b, ok := t.Underlying().(*types.Basic)
	return ok && b.Info()&(types.IsFloat|types.IsComplex) != 0
}
