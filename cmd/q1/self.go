package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// invocation says how the user can run this q1 again, so that the commands
// q1 suggests (in banners and next steps) work as typed.
type invocation struct {
	// Cmd is what to type: "q1" when the q1 on PATH is this binary, its
	// path otherwise ("./q1", "/opt/q1/bin/q1"), or "go run ./cmd/q1" when
	// it was started with go run (which works only in the checkout).
	Cmd string
	// Path is the binary's absolute path.
	Path string
	// GoRun is true when this binary was built by go run.
	GoRun bool
}

// goRunCmd is how the README runs q1 without installing it.
const goRunCmd = "go run ./cmd/q1"

// self finds out how this process was started.
func self() invocation {
	exe, err := os.Executable()
	if err != nil {
		return invocation{Cmd: "q1"}
	}
	if resolved, err := filepath.EvalSymlinks(exe); err == nil {
		exe = resolved
	}
	wd, _ := os.Getwd()
	onPath, _ := exec.LookPath("q1")
	return selfFrom(exe, wd, onPath, os.Getenv("GOCACHE"))
}

// selfFrom is self with its inputs: this binary's path, the working
// directory, what "q1" resolves to on PATH ("" if nothing) and $GOCACHE.
func selfFrom(exe, wd, onPath, gocache string) invocation {
	if builtByGoRun(exe, gocache) {
		return invocation{Cmd: goRunCmd, Path: exe, GoRun: true}
	}
	if onPath != "" {
		a, errA := os.Stat(onPath)
		b, errB := os.Stat(exe)
		if errA == nil && errB == nil && os.SameFile(a, b) {
			return invocation{Cmd: "q1", Path: exe}
		}
	}
	if wd != "" {
		if rel, err := filepath.Rel(wd, exe); err == nil && !strings.HasPrefix(rel, "..") && !filepath.IsAbs(rel) {
			return invocation{Cmd: "." + string(filepath.Separator) + rel, Path: exe}
		}
	}
	return invocation{Cmd: exe, Path: exe}
}

// builtByGoRun reports whether exe is a binary go run built: it lives in a
// go-build temporary directory or, since Go 1.24, in the build cache.
func builtByGoRun(exe, gocache string) bool {
	if gocache != "" && gocache != "off" && strings.HasPrefix(exe, filepath.Clean(gocache)+string(filepath.Separator)) {
		return true
	}
	for _, part := range strings.Split(filepath.ToSlash(filepath.Dir(exe)), "/") {
		if strings.HasPrefix(part, "go-build") {
			return true
		}
	}
	return false
}

// elsewhere is the command to type in another directory: a relative path
// becomes absolute, and go run (tied to the checkout) becomes plain q1,
// which the caller should explain with installHint.
func (i invocation) elsewhere() string {
	switch {
	case i.GoRun:
		return "q1"
	case strings.HasPrefix(i.Cmd, "."):
		return i.Path
	}
	return i.Cmd
}

// installHint tells a go run user how to get q1 on PATH; "" otherwise.
func (i invocation) installHint() string {
	if !i.GoRun {
		return ""
	}
	return "To type q1 instead of " + goRunCmd + ", install it from the checkout: go install ./cmd/q1 (into $(go env GOPATH)/bin, which must be on your PATH)"
}
