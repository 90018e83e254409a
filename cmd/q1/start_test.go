package main

import (
	"log/slog"
	"testing"
)

func TestSlogLevel(t *testing.T) {
	for in, want := range map[string]slog.Level{
		"":                       slog.LevelInfo,
		"info":                   slog.LevelInfo,
		"debug":                  slog.LevelDebug,
		"trace":                  slog.LevelDebug,
		"warn":                   slog.LevelWarn,
		"error":                  slog.LevelError,
		"consensus:debug,*:info": slog.LevelInfo, // one module's level is not ours
		"consensus:info,*:debug": slog.LevelDebug,
		"p2p:error":              slog.LevelInfo,
		"nonsense":               slog.LevelInfo,
	} {
		if got := slogLevel(in); got != want {
			t.Errorf("--log_level %q: slog level %v, want %v", in, got, want)
		}
	}
}

func TestHotKeyFirstGas(t *testing.T) {
	if f, err := hotKeyFirstGas(""); err != nil || !f.IsNil() {
		t.Errorf("no flag: %v, %v; want unset", f, err)
	}
	if f, err := hotKeyFirstGas("0.9"); err != nil || f.String() != "0.900000000000000000" {
		t.Errorf("0.9: %v, %v", f, err)
	}
	for _, bad := range []string{"0", "-1", "x"} {
		if _, err := hotKeyFirstGas(bad); err == nil {
			t.Errorf("--hot-key-first-gas %q accepted", bad)
		}
	}
}
