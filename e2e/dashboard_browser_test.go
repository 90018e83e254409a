package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// chromiumPath is Debian's chromium, which .ci/run installs.
const chromiumPath = "/usr/bin/chromium"

// browser is one headless chromium tab on a node's dashboard, with every
// console error and uncaught exception the pages produce.
type browser struct {
	t    *testing.T
	ctx  context.Context
	base string

	mu       sync.Mutex
	problems []string
}

func newBrowser(t *testing.T, base string) *browser {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromiumPath), chromedp.NoSandbox, chromedp.WindowSize(1280, 900))
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelTab := chromedp.NewContext(actx)
	t.Cleanup(func() { cancelTab(); cancelAlloc() })
	b := &browser{t: t, ctx: ctx, base: base}
	if err := chromedp.Listen(ctx, func(ev any) {
		switch e := ev.(type) {
		case *runtime.EventConsoleAPICalled:
			if e.Type == runtime.ConsoleAPICalledTypeError || e.Type == runtime.ConsoleAPICalledTypeAssert {
				var parts []string
				for _, a := range e.Args {
					parts = append(parts, strings.Trim(string(a.Value), `"`)+a.Description)
				}
				b.problem("console." + string(e.Type) + ": " + strings.Join(parts, " "))
			}
		case *runtime.EventExceptionThrown:
			d := e.ExceptionDetails
			msg := d.Text
			if d.Exception != nil {
				msg += " " + d.Exception.Description
			}
			b.problem(fmt.Sprintf("uncaught exception at %s:%d: %s", d.URL, d.LineNumber, msg))
		}
	}); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(base)); err != nil {
		t.Fatalf("open the dashboard at %s: %v", base, err)
	}
	// The console listener works: a probe error reaches it (and is dropped).
	b.js(`console.error('q1-console-probe'); ''`)
	waitFor(t, 10*time.Second, "the console probe", func() bool {
		b.mu.Lock()
		defer b.mu.Unlock()
		for i, p := range b.problems {
			if strings.Contains(p, "q1-console-probe") {
				b.problems = append(b.problems[:i], b.problems[i+1:]...)
				return true
			}
		}
		return false
	})
	return b
}

func (b *browser) problem(s string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.problems = append(b.problems, s)
}

// goTo shows a page by its #fragment, as a click on a link does.
func (b *browser) goTo(fragment string) {
	b.t.Helper()
	b.js(`location.hash = ` + strconv.Quote(fragment) + `; ''`)
}

// js evaluates an expression that yields a string.
func (b *browser) js(expr string) string {
	b.t.Helper()
	v, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](expr))
	if err != nil {
		b.t.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}

// value reads data-v (else the text) of the first element matching sel,
// or "" when there is none.
func (b *browser) value(sel string) string {
	b.t.Helper()
	return b.js(`(() => { const e = document.querySelector(` + strconv.Quote(sel) + `); return e ? (e.dataset.v ?? e.textContent).trim() : ''; })()`)
}

func (b *browser) count(sel string) int {
	b.t.Helper()
	n, _ := strconv.Atoi(b.js(`String(document.querySelectorAll(` + strconv.Quote(sel) + `).length)`))
	return n
}

// screenshot saves the page as name.png under $Q1_SCREENSHOTS (relative to
// the repository root), when it is set.
func (b *browser) screenshot(name string) {
	b.t.Helper()
	dir := os.Getenv("Q1_SCREENSHOTS")
	if dir == "" {
		return
	}
	if !filepath.IsAbs(dir) {
		dir = filepath.Join("..", dir)
	}
	png, err := chromedp.Run(b.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Fatalf("screenshot %s: %v", name, err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		b.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		b.t.Fatal(err)
	}
	b.t.Logf("screenshot %s", filepath.Join(dir, name+".png"))
}
