package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"golang.org/x/term"
)

// progress shows that something slow is under way: a spinner with the
// elapsed time on a terminal, a single line otherwise.
type progress struct {
	w     io.Writer
	tty   bool
	msg   string
	start time.Time
	n     int
}

func newProgress(w io.Writer, msg string) *progress {
	p := &progress{w: w, msg: msg, start: time.Now()}
	if f, ok := w.(*os.File); ok {
		p.tty = term.IsTerminal(int(f.Fd()))
	}
	if !p.tty {
		fmt.Fprintf(p.w, "%s…\n", msg)
	}
	return p
}

var spinner = []rune("⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏")

func (p *progress) tick() {
	if !p.tty {
		return
	}
	p.n++
	fmt.Fprintf(p.w, "\r%c %s (%.1fs)", spinner[p.n%len(spinner)], p.msg, time.Since(p.start).Seconds())
}

// bytes shows a transfer's progress: a bar on a terminal, nothing otherwise
// (the start line was printed; done ends it).
func (p *progress) bytes(sent, total int64) {
	if !p.tty || total <= 0 {
		return
	}
	const width = 30
	filled := int(sent * width / total)
	fmt.Fprintf(p.w, "\r%s [%s%s] %3d%%", p.msg, strings.Repeat("=", filled), strings.Repeat(" ", width-filled), sent*100/total)
}

func (p *progress) note(s string) {
	if p.tty {
		fmt.Fprintf(p.w, "\r\033[K  %s\n", s)
	}
}

func (p *progress) done() {
	if p.tty {
		fmt.Fprint(p.w, "\r\033[K")
	}
}
