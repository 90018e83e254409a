// Command mutation is a small mutation tester for the money paths of the
// chain's keepers: it makes one-token changes to the target files (a
// comparison's boundary or sense, + and -, * and /, && and ||, ++ and --, a
// unary minus dropped, and in method calls LT/LTE/GT/GTE, Add/Sub,
// MinInt/MaxInt, Before/After), runs the package's tests on each through `go test
// -overlay` (no copy of the module), and reports every change no test
// caught. Comparisons with nil (err != nil) and string concatenations are
// left alone: nearly every error check is killed by some test, and they
// were most of the mutants gremlins made here. Run it with scripts/mutation.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"
)

// target is a package and the files of it that are mutated.
type target struct {
	Name  string
	Dir   string
	Files []string
}

// targets are the money paths: rent, depletion and charges (x/usage), the
// escrow and its depletion (x/services), collateral (x/sharers).
var targets = []target{
	{"usage-rent", "x/usage/keeper", []string{"rent.go", "lifecycle.go"}},
	{"services-escrow", "x/services/keeper", []string{"escrow.go", "depletion.go"}},
	{"sharers-collateral", "x/sharers/keeper", []string{"msg_server.go", "msg_server_ops.go", "leases.go"}},
	{"usage-charge", "x/usage/keeper", []string{"charge.go", "msg_server.go"}},
}

// mutant is one change: the bytes at [Off, Off+len(Old)) of File become New.
type mutant struct {
	Target string `json:"target"`
	File   string `json:"file"` // relative to the module root
	Line   int    `json:"line"`
	Col    int    `json:"col"`
	Off    int    `json:"-"`
	Old    string `json:"old"`
	New    string `json:"new"`
	Kind   string `json:"kind"`
	Status string `json:"status"` // killed, lived, timed out, not built
}

func (m mutant) String() string {
	return fmt.Sprintf("%-9s %s:%d:%d %s %q → %q", strings.ToUpper(m.Status), m.File, m.Line, m.Col, m.Kind, m.Old, m.New)
}

func main() {
	only := flag.String("run", "", "regexp: only the targets whose name matches")
	dry := flag.Bool("dry-run", false, "list the mutants without running tests")
	workers := flag.Int("workers", 1, "mutants tested at once")
	timeout := flag.Duration("timeout", 5*time.Minute, "per mutant: a test run longer than this counts as timed out")
	out := flag.String("json", "", "write every mutant and its status to this file")
	flag.Parse()
	if err := run(*only, *dry, *workers, *timeout, *out); err != nil {
		fmt.Fprintln(os.Stderr, "mutation:", err)
		os.Exit(1)
	}
}

func run(only string, dry bool, workers int, timeout time.Duration, out string) error {
	re, err := regexp.Compile(only)
	if err != nil {
		return fmt.Errorf("-run: %w", err)
	}
	tmp, err := os.MkdirTemp("", "q1-mutation-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	var all []mutant
	start := time.Now()
	for _, t := range targets {
		if !re.MatchString(t.Name) {
			continue
		}
		ms, err := mutants(t)
		if err != nil {
			return err
		}
		fmt.Printf("--- %s: %s (%s): %d mutants\n", t.Name, t.Dir, strings.Join(t.Files, " "), len(ms))
		if dry {
			for _, m := range ms {
				fmt.Printf("  %s:%d:%d %s %q → %q\n", m.File, m.Line, m.Col, m.Kind, m.Old, m.New)
			}
			continue
		}
		// The package's tests must pass unchanged (this also fills the
		// build cache).
		if st, log := test(t.Dir, "", 4*timeout); st != "lived" {
			return fmt.Errorf("the tests of %s do not pass without mutations (%s):\n%s", t.Dir, st, log)
		}
		testAll(ms, t, workers, timeout, tmp)
		all = append(all, ms...)
	}
	if dry {
		return nil
	}
	sum := map[string]int{}
	for _, m := range all {
		sum[m.Status]++
	}
	killed, lived := sum["killed"]+sum["timed out"], sum["lived"]
	score := 0.0
	if killed+lived > 0 {
		score = 100 * float64(killed) / float64(killed+lived)
	}
	fmt.Printf("total: %d mutants: %d killed (%d by timeout), %d lived, %d did not build; score %.1f%% (killed of killed+lived) in %s\n",
		len(all), killed, sum["timed out"], lived, sum["not built"], score, time.Since(start).Round(time.Second))
	if out != "" {
		b, err := json.MarshalIndent(all, "", "  ")
		if err != nil {
			return err
		}
		if err := os.WriteFile(out, append(b, '\n'), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// testAll runs the tests on each mutant of t, printing each as it ends.
func testAll(ms []mutant, t target, workers int, timeout time.Duration, tmp string) {
	var mu sync.Mutex
	var wg sync.WaitGroup
	next := make(chan int)
	for w := 0; w < max(workers, 1); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				m := &ms[i]
				m.Status = testMutant(*m, t, timeout, filepath.Join(tmp, fmt.Sprintf("%s-%d", t.Name, i)))
				mu.Lock()
				fmt.Println(" ", m)
				mu.Unlock()
			}
		}()
	}
	for i := range ms {
		next <- i
	}
	close(next)
	wg.Wait()
}

// testMutant writes m's file into dir and runs the package's tests with
// it in place of the original.
func testMutant(m mutant, t target, timeout time.Duration, dir string) string {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "not built"
	}
	src, err := os.ReadFile(m.File)
	if err != nil {
		return "not built"
	}
	mutated := append(append(append([]byte{}, src[:m.Off]...), m.New...), src[m.Off+len(m.Old):]...)
	file := filepath.Join(dir, filepath.Base(m.File))
	abs, err := filepath.Abs(m.File)
	if err != nil {
		return "not built"
	}
	overlay, err := json.Marshal(map[string]map[string]string{"Replace": {abs: file}})
	if err != nil {
		return "not built"
	}
	ov := filepath.Join(dir, "overlay.json")
	if os.WriteFile(file, mutated, 0o644) != nil || os.WriteFile(ov, overlay, 0o644) != nil {
		return "not built"
	}
	st, _ := test(t.Dir, ov, timeout)
	return st
}

// test runs the tests of the package in dir (with overlay, if set):
// lived when they pass, killed when a test fails, not built when the
// package does not compile, timed out.
func test(dir, overlay string, timeout time.Duration) (status, log string) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	args := []string{"test", "-count=1", "-failfast", "-timeout", (timeout + time.Minute).String()}
	if overlay != "" {
		args = append(args, "-overlay", overlay)
	}
	args = append(args, "./"+dir)
	cmd := exec.CommandContext(ctx, "go", args...)
	var buf bytes.Buffer
	cmd.Stdout, cmd.Stderr = &buf, &buf
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case ctx.Err() != nil:
		return "timed out", buf.String()
	case err == nil:
		return "lived", buf.String()
	case !errors.As(err, &exit):
		return "not built", buf.String()
	case strings.Contains(buf.String(), "[build failed]") || strings.Contains(buf.String(), "[setup failed]"):
		return "not built", buf.String()
	default:
		return "killed", buf.String()
	}
}

// swaps are the operator changes made, by operator.
var swaps = map[token.Token][]struct {
	to   token.Token
	kind string
}{
	token.LSS:  {{token.LEQ, "boundary"}, {token.GEQ, "negation"}},
	token.LEQ:  {{token.LSS, "boundary"}, {token.GTR, "negation"}},
	token.GTR:  {{token.GEQ, "boundary"}, {token.LEQ, "negation"}},
	token.GEQ:  {{token.GTR, "boundary"}, {token.LSS, "negation"}},
	token.EQL:  {{token.NEQ, "negation"}},
	token.NEQ:  {{token.EQL, "negation"}},
	token.ADD:  {{token.SUB, "arithmetic"}},
	token.SUB:  {{token.ADD, "arithmetic"}},
	token.MUL:  {{token.QUO, "arithmetic"}},
	token.QUO:  {{token.MUL, "arithmetic"}},
	token.LAND: {{token.LOR, "logical"}},
	token.LOR:  {{token.LAND, "logical"}},
}

// methods are the method and function changes made, by name: the
// comparisons and arithmetic of cosmossdk.io/math's Int and LegacyDec,
// and of time.Time, which carry the money and the clock.
var methods = map[string]string{
	"LT": "LTE", "LTE": "LT", "GT": "GTE", "GTE": "GT",
	"Add": "Sub", "Sub": "Add",
	"MinInt": "MaxInt", "MaxInt": "MinInt", "LegacyMinDec": "LegacyMaxDec", "LegacyMaxDec": "LegacyMinDec",
	"Before": "After", "After": "Before",
}

// mutants lists the mutants of t's files, in file and position order.
func mutants(t target) ([]mutant, error) {
	var out []mutant
	for _, name := range t.Files {
		path := filepath.Join(t.Dir, name)
		src, err := os.ReadFile(path)
		if err != nil {
			return nil, err
		}
		fset := token.NewFileSet()
		f, err := parser.ParseFile(fset, path, src, 0)
		if err != nil {
			return nil, err
		}
		add := func(pos token.Pos, old, new, kind string) {
			p := fset.Position(pos)
			out = append(out, mutant{Target: t.Name, File: path, Line: p.Line, Col: p.Column, Off: p.Offset, Old: old, New: new, Kind: kind})
		}
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.GenDecl:
				return n.Tok != token.IMPORT && n.Tok != token.CONST // constants are pinned by what uses them
			case *ast.BinaryExpr:
				if isNil(n.X) || isNil(n.Y) || isString(n.X) || isString(n.Y) {
					return true
				}
				for _, s := range swaps[n.Op] {
					add(n.OpPos, n.Op.String(), s.to.String(), s.kind)
				}
			case *ast.CallExpr:
				if sel, ok := n.Fun.(*ast.SelectorExpr); ok {
					if to, ok := methods[sel.Sel.Name]; ok {
						add(sel.Sel.NamePos, sel.Sel.Name, to, "method")
					}
				}
			case *ast.IncDecStmt:
				to := map[token.Token]string{token.INC: "--", token.DEC: "++"}[n.Tok]
				add(n.TokPos, n.Tok.String(), to, "increment")
			case *ast.UnaryExpr:
				if n.Op == token.SUB {
					add(n.OpPos, "-", " ", "negative")
				}
			}
			return true
		})
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].File != out[j].File {
			return out[i].File < out[j].File
		}
		return out[i].Off < out[j].Off
	})
	return out, nil
}

func isNil(e ast.Expr) bool {
	id, ok := e.(*ast.Ident)
	return ok && id.Name == "nil"
}

// isString reports whether e is a string literal, or a concatenation
// starting or ending with one: messages, not arithmetic.
func isString(e ast.Expr) bool {
	switch e := e.(type) {
	case *ast.BasicLit:
		return e.Kind == token.STRING
	case *ast.BinaryExpr:
		return e.Op == token.ADD && (isString(e.X) || isString(e.Y))
	case *ast.ParenExpr:
		return isString(e.X)
	}
	return false
}
