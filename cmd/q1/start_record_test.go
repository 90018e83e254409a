package main

import (
	"net"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/spf13/viper"
)

func writeClientToml(t *testing.T, body string) string {
	t.Helper()
	home := t.TempDir()
	if err := os.MkdirAll(filepath.Join(home, "config"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(home, "config", "client.toml"), []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return home
}

func readClientToml(t *testing.T, home string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(home, "config", "client.toml"))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestRecordAddresses(t *testing.T) {
	const before = `# Client settings
chain-id = "q1-local"
# <host>:<port> to CometBFT RPC interface for this chain
node = "tcp://127.0.0.1:26657"
gas-prices = "0.025uqc"
# The node's HTTP API
api = "http://127.0.0.1:8080"  # q1 service deploy uploads here
gateway = "http://127.0.0.1:8081"
`
	home := writeClientToml(t, before)
	changes, err := recordAddresses(home, "tcp://0.0.0.0:36657", "127.0.0.1:9000", "127.0.0.1:8081")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"node tcp://127.0.0.1:36657 (was tcp://127.0.0.1:26657)", "api http://127.0.0.1:9000 (was http://127.0.0.1:8080)"}
	if !reflect.DeepEqual(changes, want) {
		t.Fatalf("changes %q, want %q", changes, want)
	}
	const after = `# Client settings
chain-id = "q1-local"
# <host>:<port> to CometBFT RPC interface for this chain
node = "tcp://127.0.0.1:36657"
gas-prices = "0.025uqc"
# The node's HTTP API
api = "http://127.0.0.1:9000"  # q1 service deploy uploads here
gateway = "http://127.0.0.1:8081"
`
	if got := readClientToml(t, home); got != after {
		t.Fatalf("client.toml:\n%s\nwant:\n%s", got, after)
	}
	// The SDK and q1 read it back.
	v := viper.New()
	v.SetConfigFile(filepath.Join(home, "config", "client.toml"))
	if err := v.ReadInConfig(); err != nil || v.GetString("api") != "http://127.0.0.1:9000" || v.GetString("node") != "tcp://127.0.0.1:36657" {
		t.Fatalf("read back: %v, api %q, node %q", err, v.GetString("api"), v.GetString("node"))
	}
	// Again: nothing to change, nothing written.
	if changes, err := recordAddresses(home, "tcp://0.0.0.0:36657", "127.0.0.1:9000", "127.0.0.1:8081"); err != nil || changes != nil {
		t.Fatalf("second run: %q, %v", changes, err)
	}
}

func TestRecordAddressesAddsMissingKeysAtTopLevel(t *testing.T) {
	home := writeClientToml(t, "chain-id = \"x\"\napi = 8080\n\n[extra]\nnode = \"keep\"\n")
	changes, err := recordAddresses(home, "unix:///tmp/rpc.sock", ":8090", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	// api is left as written (not a string); node is not TCP; the gateway
	// port is chosen at bind time: nothing to record.
	if changes != nil {
		t.Fatalf("changes %q", changes)
	}
	changes, err = recordAddresses(home, "tcp://127.0.0.1:26657", "[::]:8090", "localhost:8091")
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"node tcp://127.0.0.1:26657", "gateway http://localhost:8091"}; !reflect.DeepEqual(changes, want) {
		t.Fatalf("changes %q, want %q", changes, want)
	}
	const after = "chain-id = \"x\"\napi = 8080\nnode = \"tcp://127.0.0.1:26657\"\ngateway = \"http://localhost:8091\"\n\n[extra]\nnode = \"keep\"\n"
	if got := readClientToml(t, home); got != after {
		t.Fatalf("client.toml:\n%q\nwant:\n%q", got, after)
	}
}

func TestDialable(t *testing.T) {
	for in, want := range map[string]string{":8080": "127.0.0.1:8080", "0.0.0.0:1": "127.0.0.1:1", "[::]:2": "[::1]:2", "10.0.0.5:3": "10.0.0.5:3", "x:0": "", "nonsense": ""} {
		got, ok := dialable(in)
		if got != want || ok != (want != "") {
			t.Errorf("dialable(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
}

// TestRecordStartAddressesNotWhenBusy: a start that will fail on a taken
// port must not point the CLI at whatever holds it.
func TestRecordStartAddressesNotWhenBusy(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	const body = "api = \"http://127.0.0.1:8080\"\n"
	home := writeClientToml(t, body)
	changes, err := recordStartAddresses(home, "tcp://127.0.0.1:26657", ln.Addr().String(), "127.0.0.1:0")
	if err != nil || changes != nil || readClientToml(t, home) != body {
		t.Fatalf("recorded a busy address: %q, %v\n%s", changes, err, readClientToml(t, home))
	}
}
