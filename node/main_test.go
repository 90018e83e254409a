package node

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

var helloWasm []byte

// owner is an account address that owns test uploads.
const owner = "q11qyqszqgpqyqszqgpqyqszqgpqyqszqgpjtw6m7"

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "q1-node-test-")
	if err != nil {
		panic(err)
	}
	out := filepath.Join(dir, "hello.wasm")
	cmd := exec.Command("go", "build", "-buildmode=c-shared", "-o", out, "./examples/hello")
	cmd.Dir = ".."
	cmd.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm")
	if b, err := cmd.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "build examples/hello: %v\n%s", err, b)
		os.Exit(1)
	}
	helloWasm, err = os.ReadFile(out)
	if err != nil {
		panic(err)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}
