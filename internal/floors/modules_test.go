package floors

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestSDKModule vets and tests the guest SDK's module (sdk/go.mod). `go
// test ./...` and `go vet ./...` at the repository's root stop at a nested
// module, so without this the README's one test command would skip the
// SDK's tests; it also vets the SDK as a guest sees it, for wasip1.
func TestSDKModule(t *testing.T) {
	root, err := Root()
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(root, "sdk")
	for _, step := range []struct {
		env  []string
		args []string
	}{
		{nil, []string{"vet", "./..."}},
		{[]string{"GOOS=wasip1", "GOARCH=wasm"}, []string{"vet", "./..."}},
		{nil, []string{"test", "./..."}},
	} {
		cmd := exec.Command("go", step.args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), step.env...)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("%s go %s in %s: %v\n%s", strings.Join(step.env, " "), strings.Join(step.args, " "), dir, err, out)
		}
	}
}
