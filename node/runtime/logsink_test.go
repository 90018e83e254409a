package runtime

import (
	"fmt"
	"log/slog"
	"reflect"
	"strings"
	"testing"
)

func TestLogBufferKeepsTheLastLines(t *testing.T) {
	b := NewLogBuffer(3)
	for i := range 5 {
		b.WriteLog(LogLine{Message: fmt.Sprint(i)})
	}
	var got []string
	for _, l := range b.Lines() {
		got = append(got, l.Message)
	}
	if want := []string{"2", "3", "4"}; !reflect.DeepEqual(got, want) || b.Dropped() != 2 {
		t.Fatalf("lines %q dropped %d, want %q dropped 2", got, b.Dropped(), want)
	}
}

func TestGuestLogLines(t *testing.T) {
	rt := newTestRuntime(t)
	logs := NewLogBuffer(10)
	svc := load(t, rt, ServiceSpec{Name: "caps", Version: "v7", Wasm: capsWasm(t), Capabilities: Capabilities{
		KV:     &KVConfig{Dir: t.TempDir(), QuotaBytes: 64},
		Log:    logs,
		Egress: &EgressConfig{Hosts: []string{"api.example.com"}},
	}})
	get(t, svc, "/log")
	type line struct {
		Service, Version string
		Level            slog.Level
		Stream, Message  string
	}
	var got []line
	for _, l := range logs.Lines() {
		if l.Time.IsZero() {
			t.Fatalf("line %+v has no time", l)
		}
		got = append(got, line{l.Service, l.Version, l.Level, l.Stream, l.Message})
	}
	want := []line{
		{"caps", "v7", slog.LevelWarn, "log", `msg="hello from the guest" path=/log`},
		{"caps", "v7", slog.LevelInfo, "stdout", "a line on stdout"},
		{"caps", "v7", slog.LevelInfo, "stderr", "a line on stderr"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("log lines:\n got %+v\nwant %+v", got, want)
	}
}

func TestLogBufferSince(t *testing.T) {
	b := NewLogBuffer(3)
	write := func(msg string) { b.WriteLog(LogLine{Message: msg}) }
	msgs := func(ls []LogLine) string {
		var s []string
		for _, l := range ls {
			s = append(s, l.Message)
		}
		return strings.Join(s, ",")
	}
	write("a")
	write("b")
	if got, next := b.Since(0); msgs(got) != "a,b" || next != 2 {
		t.Fatalf("Since(0) = %s, %d", msgs(got), next)
	}
	write("c")
	write("d")
	write("e") // a and b pushed out
	if got, next := b.Since(1); msgs(got) != "c,d,e" || next != 5 {
		t.Fatalf("Since(1) = %s, %d", msgs(got), next)
	}
	if got, next := b.Since(4); msgs(got) != "e" || next != 5 {
		t.Fatalf("Since(4) = %s, %d", msgs(got), next)
	}
	if got, next := b.Since(5); len(got) != 0 || next != 5 {
		t.Fatalf("Since(5) = %s, %d", msgs(got), next)
	}
}
