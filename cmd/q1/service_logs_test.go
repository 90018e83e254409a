package main

import (
	"context"
	"encoding/json"
	"net"
	"strings"
	"testing"
	"time"

	q1client "github.com/quantum1net/q1/client"
)

var t0 = time.Date(2026, 7, 8, 9, 10, 11, 0, time.UTC)

func entry(node string, seq uint64, ms int, msg string) q1client.LogEntry {
	return q1client.LogEntry{Node: node, Seq: seq, Time: t0.Add(time.Duration(ms) * time.Millisecond), Message: msg}
}

func order(es []q1client.LogEntry) string {
	var out []string
	for _, e := range es {
		out = append(out, e.Message)
	}
	return strings.Join(out, " ")
}

// TestMergeLogsByTime: lines from several nodes come out in time order, not
// grouped by node; lines of the same time by node, then by number; the
// order does not depend on the order the nodes answered in.
func TestMergeLogsByTime(t *testing.T) {
	a := []q1client.LogEntry{entry("q11a", 0, 0, "a0"), entry("q11a", 1, 30, "a1"), entry("q11a", 2, 30, "a2"), entry("q11a", 3, 90, "a3")}
	b := []q1client.LogEntry{entry("q11b", 7, 10, "b7"), entry("q11b", 8, 30, "b8"), entry("q11b", 9, 100, "b9")}
	c := []q1client.LogEntry{entry("q11c", 0, 5, "c0"), entry("q11c", 1, 95, "c1")}
	want := "a0 c0 b7 a1 a2 b8 a3 c1 b9"
	for _, perm := range [][][]q1client.LogEntry{{a, b, c}, {c, b, a}, {b, a, c}} {
		if got := order(mergeLogs(perm...)); got != want {
			t.Errorf("merged %s, want %s", got, want)
		}
	}
	if got := mergeLogs(); len(got) != 0 {
		t.Errorf("merging nothing gave %v", got)
	}
}

// TestPrintRoundsSortsEachRound: what arrives in a round is printed sorted
// by time, and what is left is printed when the streams end.
func TestPrintRoundsSortsEachRound(t *testing.T) {
	lines := make(chan q1client.LogEntry, 8)
	for _, e := range []q1client.LogEntry{entry("q11b", 5, 20, "b5"), entry("q11a", 3, 10, "a3"), entry("q11a", 4, 40, "a4"), entry("q11c", 1, 30, "c1")} {
		lines <- e
	}
	close(lines)
	var got []q1client.LogEntry
	// A round longer than the test: only the end of the streams prints.
	printRounds(context.Background(), lines, time.Hour, func(e q1client.LogEntry) { got = append(got, e) })
	if order(got) != "a3 b5 c1 a4" {
		t.Fatalf("printed %s", order(got))
	}
}

// TestLogsErrorAsJSON: with -o json a failure is one JSON object on stderr
// with a code and the message, and the exit code is 1.
func TestLogsErrorAsJSON(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now
	home := t.TempDir()
	out, errOut, code := runCLI(t, "service", "logs", "echo", "-o", "json", "--node", "tcp://"+addr, "--home", home)
	var body struct {
		Error struct{ Code, Message string } `json:"error"`
	}
	if code != 1 || out != "" || json.Unmarshal([]byte(errOut), &body) != nil || body.Error.Code != "failed" || body.Error.Message == "" ||
		strings.Count(errOut, "\n") != 1 {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	// Without -o json, the same failure is the usual line.
	_, errOut, code = runCLI(t, "service", "logs", "echo", "--node", "tcp://"+addr, "--home", home)
	if code != 1 || !strings.HasPrefix(errOut, "Error: ") || !strings.Contains(errOut, body.Error.Message) {
		t.Fatalf("text: exit %d, stderr %q (JSON said %q)", code, errOut, body.Error.Message)
	}
}

// TestEmptyLogs: with no line to show, q1 service logs says why from the
// replicas' states, with a code for -o json.
func TestEmptyLogs(t *testing.T) {
	serving := q1client.Replica{Sharer: "q11a", Acked: true, State: "serving"}
	loading := q1client.Replica{Sharer: "q11b", Acked: true, State: "loading"}
	unacked := q1client.Replica{Sharer: "q11c", State: "unreachable"}
	failed := q1client.Replica{Sharer: "q11d", Acked: true, State: "failed", Reason: "module has no q1_handle export"}
	for _, tt := range []struct {
		name string
		reps []q1client.Replica
		code string
		msg  string
	}{
		{"one serves", []q1client.Replica{loading, serving}, logsNothingYet,
			"service echo has logged nothing yet: 1 replica(s) serve, and its code has written no line (lines come when a request makes it log; -f waits for them)"},
		{"placed, not serving", []q1client.Replica{loading, unacked}, logsNotServingYet,
			"service echo has no log lines yet: its replica(s) are placed but not serving yet (loading on q11b; unreachable on q11c, not acknowledged yet); lines come once it serves and logs (wait, or follow with -f)"},
		{"some failed, one loading", []q1client.Replica{failed, loading}, logsNotServingYet,
			"service echo has no log lines yet: its replica(s) are placed but not serving yet (loading on q11b; on q11d: module has no q1_handle export); lines come once it serves and logs (wait, or follow with -f)"},
		{"all failed", []q1client.Replica{failed}, logsReplicaFailed,
			"service echo has no log lines: its replica(s) failed to start (on q11d: module has no q1_handle export); see q1 service status echo"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			code, msg := emptyLogs("echo", tt.reps)
			if code != tt.code || msg != tt.msg {
				t.Errorf("got %s: %q\nwant %s: %q", code, msg, tt.code, tt.msg)
			}
		})
	}
	var b strings.Builder
	printEmptyLogs(&b, true, logsNothingYet, "why")
	if b.String() != `{"empty":{"code":"nothing_logged_yet","message":"why"}}`+"\n" {
		t.Errorf("-o json: %q", b.String())
	}
	b.Reset()
	printEmptyLogs(&b, false, logsNothingYet, "why")
	if b.String() != "why\n" {
		t.Errorf("text: %q", b.String())
	}
}
