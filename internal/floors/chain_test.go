package floors

import (
	"go/ast"
	"go/importer"
	"go/parser"
	"go/token"
	"go/types"
	"slices"
	"strings"
	"testing"
)

// TestChainFloorIsDeterministic checks every non-test file of every package
// consensus runs (ChainFloor: core/, x/, app/) against the determinism rules:
// no wall clock, randomness, goroutines, machine access, wazero, floats, or
// map order that may reach state. Validators that broke one could compute
// different states from the same blocks.
func TestChainFloorIsDeterministic(t *testing.T) {
	checked, violations, err := CheckChainFloor(ChainFloor...)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"core/manifest", "core/sched", "core/qc", "x/services/keeper", "x/sharers/keeper", "x/usage/keeper", "x/usage/ante", "app"} {
		if !slices.Contains(checked, want) {
			t.Errorf("%s was not checked (checked: %s)", want, strings.Join(checked, " "))
		}
	}
	used := make([]bool, len(waivers))
	for _, v := range violations {
		if i := slices.IndexFunc(waivers, func(w waiver) bool { return w.matches(v) }); i >= 0 {
			used[i] = true
			continue
		}
		t.Error(v)
	}
	for i, w := range waivers {
		if !used[i] {
			t.Errorf("waiver for %s [%s] %q matches nothing; delete it", w.file, w.rule, w.what)
		}
	}
	if len(violations) > 0 {
		t.Logf("%d violations in %d packages; see the rules in internal/floors/purity.go", len(violations), len(checked))
	}
}

// waiver accepts violations on purpose. It matches a violation's file, rule
// and the start of its text, not its line, so edits around it do not break
// it; a waiver that matches nothing fails the test, so the list cannot go
// stale. Prefer fixing the code, or a //q1:maporder-ok annotation beside it.
type waiver struct {
	file string
	rule Rule
	what string
	why  string
}

func (w waiver) matches(v Violation) bool {
	return v.Pos.Filename == w.file && v.Rule == w.rule && strings.HasPrefix(v.What, w.what)
}

// waivers are the violations accepted on the chain floor, each with why.
var waivers = []waiver{
	{"app/params.go", Machine, "imports sync",
		"SetSDKConfig seals the SDK's process-wide address config once (sync.Once) at start-up, outside consensus"},
	{"app/app.go", MapOrder, "ranges over a map (map[string]any)",
		"AutoCliOpts builds the CLI's module map keyed by module name, outside consensus; " +
			"to go once app/app.go carries a //q1:maporder-ok annotation"},
}

// badSource breaks every rule once (and keeps within them where noted).
const badSource = `package bad

import (
	"crypto/rand"
	"maps"
	"math"
	"os/exec"
	"slices"
	"sort"
	"sync"
	clock "time"

	_ "github.com/tetratelabs/wazero"
)

var _ = rand.Reader
var _ = exec.Command
var _ sync.Mutex

func wallClock() {
	_ = clock.Now()
	_ = clock.Duration(5) // allowed: a type, not the clock
}

func goroutines() {
	ch := make(chan int)
	go func() { ch <- 1 }()
	select {}
}

var ratio float64

const half = 0.5

var root = math.Sqrt

func floats(d clock.Duration) int64 { return int64(d.Hours()) }

func mapOrder(m map[string]int) (keys []string, total int) {
	for k := range m {
		keys = append(keys, k)
	}
	for k, v := range m { // allowed: integer sum, constant writes, entries keyed by k
		total += v
		if v > 0 {
			m[k] = 1
		}
	}
	var sorted []string
	for k := range m { // allowed: sorted right after
		sorted = append(sorted, k)
	}
	sort.Strings(sorted)
	for k := range maps.Keys(m) {
		keys = append(keys, k)
	}
	_ = slices.Sorted(maps.Keys(m)) // allowed
	_ = slices.Collect(maps.Values(m))
	//q1:maporder-ok only looks for an entry; any one will do
	for _, v := range m {
		if v < 0 {
			return nil, v
		}
	}
	for _, v := range m { //q1:maporder-ok
		return nil, v
	}
	return keys, total
}
`

// TestEachRuleFires feeds the checker known-bad source and checks that each
// rule fires where it should, and only there.
func TestEachRuleFires(t *testing.T) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "bad.go", badSource, parser.ParseComments)
	if err != nil {
		t.Fatal(err)
	}
	info := NewInfo()
	conf := types.Config{Importer: importer.Default(), Error: func(error) {}} // wazero is not importable here
	_, _ = conf.Check("bad", fset, []*ast.File{f}, info)
	var got []string
	for _, v := range CheckFiles(fset, []*ast.File{f}, info) {
		got = append(got, v.String())
	}
	want := []string{
		"bad.go:4:2: [randomness] imports crypto/rand",
		"bad.go:7:2: [machine] imports os/exec",
		"bad.go:10:2: [machine] imports sync",
		"bad.go:13:2: [wazero] imports github.com/tetratelabs/wazero",
		"bad.go:21:12: [wall-clock] uses time.Now; use the block time from the context",
		"bad.go:26:13: [goroutines] uses a channel",
		"bad.go:27:2: [goroutines] starts a goroutine",
		"bad.go:28:2: [goroutines] uses select",
		"bad.go:31:11: [floats] uses float64",
		"bad.go:33:14: [floats] uses the floating-point literal 0.5",
		"bad.go:35:17: [floats] uses math.Sqrt",
		"bad.go:37:52: [floats] computes a float64 value",
		"bad.go:40:2: [map-order] ranges over a map (map[string]int), whose order is random and may reach state; sort the keys first, or annotate //q1:maporder-ok <why>",
		"bad.go:54:2: [map-order] ranges over maps.Keys(…), whose order is random and may reach state; sort the keys first, or annotate //q1:maporder-ok <why>",
		"bad.go:58:21: [map-order] calls maps.Values, whose order is random; use slices.Sorted(maps.Values(…)) or annotate //q1:maporder-ok <why>",
		"bad.go:65:2: [map-order] ranges over a map (map[string]int), whose order is random and may reach state; sort the keys first, or annotate //q1:maporder-ok <why>",
		"bad.go:65:24: [map-order] //q1:maporder-ok needs a reason: why can the order not reach state?",
	}
	if !slices.Equal(got, want) {
		t.Errorf("violations =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
