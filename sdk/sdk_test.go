package sdk

import (
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestFilesHoldTheWholeModule fails when a package or file is added to the
// module but not to Files' embed patterns: a service created by
// `q1 service new` would get an SDK missing it.
func TestFilesHoldTheWholeModule(t *testing.T) {
	var want []string
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && path != "." && (d.Name() == "testdata" || strings.HasPrefix(d.Name(), ".")) {
			return filepath.SkipDir
		}
		if path == "go.mod" || filepath.Ext(path) == ".go" && filepath.Dir(path) != "." {
			want = append(want, filepath.ToSlash(path))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	err = fs.WalkDir(Files, ".", func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			got = append(got, path)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(want)
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Fatalf("Files embeds\n  %s\nbut the module holds\n  %s\n(update the //go:embed line in sdk.go)",
			strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}

// TestStandardLibraryOnly keeps the module free of requirements: a service
// built from a copy of it needs no module proxy at all.
func TestStandardLibraryOnly(t *testing.T) {
	b, err := os.ReadFile("go.mod")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) > 0 && (f[0] == "require" || f[0] == "replace") {
			t.Errorf("sdk/go.mod: %q: the SDK module must depend on the standard library only", line)
		}
	}
	if !strings.Contains(string(b), "\nmodule "+ModulePath+"\n") {
		t.Errorf("sdk/go.mod does not declare module %s", ModulePath)
	}
}
