package main

import (
	"os"
	"path/filepath"
	"testing"
)

func TestSelfInvocation(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "bin", "q1")
	other := filepath.Join(dir, "other", "q1")
	for _, f := range []string{bin, other} {
		if err := os.MkdirAll(filepath.Dir(f), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(f, []byte("x"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, tt := range []struct {
		name, exe, wd, onPath, gocache string
		want, elsewhere                string
		goRun                          bool
	}{
		{"go run, first build", "/tmp/go-build3526/b001/exe/q1", dir, "", "", goRunCmd, "q1", true},
		{"go run, cached (Go 1.24+)", "/home/u/.cache/go-build/0d/0dce-d/q1", dir, "", "", goRunCmd, "q1", true},
		{"go run, GOCACHE elsewhere", "/work/cache/0d/0dce-d/q1", dir, "", "/work/cache", goRunCmd, "q1", true},
		{"the q1 on PATH", bin, "/", bin, "", "q1", "q1", false},
		{"another q1 on PATH", bin, dir, other, "", "./" + filepath.Join("bin", "q1"), bin, false},
		{"below the working directory", bin, dir, "", "", "./" + filepath.Join("bin", "q1"), bin, false},
		{"elsewhere", bin, filepath.Join(dir, "other"), "", "", bin, bin, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			inv := selfFrom(tt.exe, tt.wd, tt.onPath, tt.gocache)
			if inv.Cmd != tt.want || inv.GoRun != tt.goRun {
				t.Errorf("selfFrom = %+v, want Cmd %q, GoRun %v", inv, tt.want, tt.goRun)
			}
			if got := inv.elsewhere(); got != tt.elsewhere {
				t.Errorf("elsewhere() = %q, want %q", got, tt.elsewhere)
			}
			if hint := inv.installHint(); (hint != "") != tt.goRun {
				t.Errorf("installHint() = %q", hint)
			}
		})
	}
}
