package main

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// recordAddresses writes the addresses `q1 start` serves on into the
// home's config/client.toml ("node", "api", "gateway"), which is where q1
// commands run with --home look for their node. Without it, a node started
// with --http, --gateway or --rpc.laddr other than what q1 init wrote left
// the CLI talking to the old addresses: "cannot reach a node", or worse
// another node that happens to listen there. Only those three lines change;
// comments and every other setting stay. It returns what changed, in
// words, for the log. Addresses whose port is chosen at bind time (":0")
// or that are not TCP are left alone.
func recordAddresses(home, rpcListen, httpAddr, gatewayAddr string) ([]string, error) {
	want := map[string]string{}
	if a, ok := strings.CutPrefix(rpcListen, "tcp://"); ok {
		if hp, ok := dialable(a); ok {
			want["node"] = "tcp://" + hp
		}
	}
	if hp, ok := dialable(httpAddr); ok {
		want["api"] = "http://" + hp
	}
	if hp, ok := dialable(gatewayAddr); ok {
		want["gateway"] = "http://" + hp
	}
	path := filepath.Join(home, "config", "client.toml")
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("record the node's addresses: %w", err)
	}
	lines := strings.Split(string(data), "\n")
	// Top-level keys only: they end at the first [table].
	top := len(lines)
	for i, line := range lines {
		if strings.HasPrefix(strings.TrimSpace(line), "[") {
			top = i
			break
		}
	}
	seen := map[string]bool{}
	var changes []string
	for i, line := range lines[:top] {
		key, value, rest, ok := tomlString(line)
		if want[key] == "" || seen[key] {
			continue
		}
		seen[key] = true // a value we cannot read is left as the user wrote it
		if ok && value != want[key] {
			lines[i] = fmt.Sprintf("%s = %q%s", key, want[key], rest)
			changes = append(changes, fmt.Sprintf("%s %s (was %s)", key, want[key], value))
		}
	}
	var missing []string
	for _, key := range []string{"node", "api", "gateway"} {
		if want[key] != "" && !seen[key] {
			missing = append(missing, fmt.Sprintf("%s = %q", key, want[key]))
			changes = append(changes, fmt.Sprintf("%s %s", key, want[key]))
		}
	}
	if len(missing) > 0 {
		at := top
		for at > 0 && strings.TrimSpace(lines[at-1]) == "" {
			at-- // before the blank lines that end the top level
		}
		lines = append(lines[:at], append(missing, lines[at:]...)...)
	}
	if len(changes) == 0 {
		return nil, nil
	}
	if err := os.WriteFile(path, []byte(strings.Join(lines, "\n")), 0o644); err != nil {
		return nil, fmt.Errorf("record the node's addresses: %w", err)
	}
	return changes, nil
}

// recordStartAddresses is recordAddresses for q1 start, run before the
// node's listeners bind: when the HTTP API's or the gateway's port is
// taken, the start fails and nothing is recorded, so the CLI is never
// pointed at whatever holds the port. (CometBFT's RPC already listens.)
func recordStartAddresses(home, rpcListen, httpAddr, gatewayAddr string) ([]string, error) {
	if !portsFree(httpAddr, gatewayAddr) {
		return nil, nil // node.Run reports the busy port
	}
	return recordAddresses(home, rpcListen, httpAddr, gatewayAddr)
}

// portsFree reports whether this process can listen on every address.
func portsFree(addrs ...string) bool {
	for _, addr := range addrs {
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			return false
		}
		ln.Close()
	}
	return true
}

// dialable turns a listen address into one a client on this machine
// dials: an unspecified host (":8080", "0.0.0.0:8080", "[::]:8080")
// becomes loopback. It reports false for a port chosen at bind time.
func dialable(listen string) (string, bool) {
	host, port, err := net.SplitHostPort(listen)
	if err != nil {
		return "", false
	}
	if p, err := strconv.Atoi(port); err != nil || p <= 0 {
		return "", false
	}
	switch host {
	case "", "0.0.0.0":
		host = "127.0.0.1"
	case "::":
		host = "::1"
	}
	return net.JoinHostPort(host, port), true
}

// tomlString reads a setting line `key = "value"`, maybe with a comment
// after it (rest, with the spaces before it). key is "" for a line that is
// no setting; ok is false when the value is not a plain string.
func tomlString(line string) (key, value, rest string, ok bool) {
	k, v, found := strings.Cut(line, "=")
	k, v = strings.TrimSpace(k), strings.TrimLeft(v, " \t")
	if !found || k == "" || strings.HasPrefix(k, "#") {
		return "", "", "", false
	}
	quoted, err := strconv.QuotedPrefix(v)
	if err != nil || !strings.HasPrefix(quoted, `"`) {
		return k, "", "", false
	}
	rest = v[len(quoted):]
	if r := strings.TrimSpace(rest); r != "" && !strings.HasPrefix(r, "#") {
		return k, "", "", false
	}
	value, err = strconv.Unquote(quoted)
	return k, value, strings.TrimRight(rest, " \t"), err == nil
}
