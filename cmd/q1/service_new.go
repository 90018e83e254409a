package main

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"go/format"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"text/template"

	"github.com/cosmos/cosmos-sdk/client/flags"
	"github.com/cosmos/cosmos-sdk/version"
	"github.com/spf13/cobra"

	"github.com/quantum1net/q1/core/manifest"
	"github.com/quantum1net/q1/sdk"
)

// newServiceTemplates are the files of a new service, besides go.mod and
// the SDK copy.
//
//go:embed newservice
var newServiceTemplates embed.FS

// sdkCopyDir is where a new service keeps its copy of the SDK module.
const sdkCopyDir = "q1sdk"

func serviceNewCmd() *cobra.Command {
	var dir, module string
	cmd := &cobra.Command{
		Use:   "new NAME",
		Short: "Create a new Go service outside this repository: code, manifest, go.mod, README",
		Long: `Create a directory holding a new Quantum1Net service written in Go:

  main.go        an http.Handler registered with guest.Handle (sdk/guest)
  main_test.go   tests of the handler (go test ./...)
  service.yaml   its Service Manifest, valid as written, priced to be placed on a devnet
  go.mod         the project's module, using the SDK in q1sdk/ through a replace
  q1sdk/         a copy of the Go SDK (github.com/quantum1net/q1/sdk) of this q1 binary
  README.md      how to build, test, deploy, call and update it

The project builds with the Go toolchain alone, offline, in any directory:
  GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o NAME.wasm .
The SDK is copied because its module is not yet on the Go module proxy; the
README says how to switch to the published module. NAME must be a valid
service name (a DNS label): it is the manifest's name. The walk-through is
docs/first-service.md.`,
		Example: `  q1 service new hello2
  q1 service new shop --dir ~/src/shop --module github.com/me/shop`,
		Args: cobra.ExactArgs(1),
		// No node, home or config is involved: skip the root's setup, which
		// would create a home.
		PersistentPreRunE: func(*cobra.Command, []string) error { return nil },
		RunE: func(cmd *cobra.Command, args []string) error {
			name := args[0]
			if err := manifest.ValidateName(name); err != nil {
				return fmt.Errorf("%q cannot name a service: %w", name, err)
			}
			if dir == "" {
				dir = name
			}
			if module == "" {
				module = "example.com/" + name
			}
			if err := checkModulePath(module); err != nil {
				return err
			}
			home := "/path/to/your/q1/checkout/.q1-devnet/node0"
			if f := cmd.Flags().Lookup(flags.FlagHome); f != nil && f.Changed {
				home, _ = filepath.Abs(f.Value.String())
			} else if abs, err := filepath.Abs(filepath.Join(".q1-devnet", "node0")); err == nil && fileExists(filepath.Join(abs, "config", "client.toml")) {
				home = abs // run in a checkout that has a devnet
			}
			p := newServiceParams{Name: name, Module: module, SDKModule: sdk.ModulePath, Version: version.Version, Home: home}
			if err := scaffoldService(dir, p); err != nil {
				return err
			}
			printNewService(cmd.OutOrStdout(), dir, p, self())
			return nil
		},
	}
	cmd.Flags().StringVar(&dir, "dir", "", "directory to create the service in; it must not exist or be empty (default: ./NAME)")
	cmd.Flags().StringVar(&module, "module", "", "the Go module path of the new project (default: example.com/NAME)")
	return cmd
}

// newServiceParams fill the templates of a new service.
type newServiceParams struct {
	Name      string // the service's name (manifest), also the wasm file's
	Module    string // the project's Go module path
	SDKModule string // the SDK's module path
	Version   string // the q1 that made the project
	Home      string // the node home the README's commands use
}

// checkModulePath refuses module paths the go command would reject or
// that collide with the standard library.
func checkModulePath(module string) error {
	first, _, _ := strings.Cut(module, "/")
	switch {
	case module == "" || strings.ContainsAny(module, " \t\n\"'`\\") || strings.HasPrefix(module, "/") || strings.HasSuffix(module, "/"):
		return fmt.Errorf("--module %q is not a Go module path, such as example.com/myservice or github.com/you/myservice", module)
	case !strings.Contains(first, "."):
		return fmt.Errorf("--module %q: the first element of a module path needs a dot (a domain, such as example.com/%s); paths without one belong to the standard library", module, path.Base(module))
	}
	return nil
}

// scaffoldService writes a new service into dir, which must not exist or
// be empty. On failure it removes what it wrote.
func scaffoldService(dir string, p newServiceParams) (err error) {
	if entries, err := os.ReadDir(dir); err == nil && len(entries) > 0 {
		return fmt.Errorf("%s already exists and is not empty: choose another --dir, or remove it", dir)
	} else if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	defer func() {
		if err != nil {
			cleanDir(dir)
		}
	}()
	files, err := newServiceFiles(p)
	if err != nil {
		return err
	}
	for _, f := range files {
		target := filepath.Join(dir, filepath.FromSlash(f.path))
		if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(target, f.data, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// cleanDir empties dir after a failed scaffold and removes it.
func cleanDir(dir string) {
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		_ = os.RemoveAll(filepath.Join(dir, e.Name()))
	}
	_ = os.Remove(dir)
}

// newFile is one file of a new service, with a slash-separated path.
type newFile struct {
	path string
	data []byte
}

// newServiceFiles renders every file of a new service: the templates, a
// go.mod, and the SDK's sources without their tests under q1sdk/.
func newServiceFiles(p newServiceParams) ([]newFile, error) {
	goVersion, sdkGoMod, err := sdkCopyGoMod(p.Version)
	if err != nil {
		return nil, err
	}
	var files []newFile
	for _, t := range []struct{ tmpl, path string }{
		{"main.go.tmpl", "main.go"},
		{"main_test.go.tmpl", "main_test.go"},
		{"service.yaml.tmpl", "service.yaml"},
		{"README.md.tmpl", "README.md"},
		{"gitignore.tmpl", ".gitignore"},
	} {
		src, err := newServiceTemplates.ReadFile("newservice/" + t.tmpl)
		if err != nil {
			return nil, err
		}
		tmpl, err := template.New(t.tmpl).Option("missingkey=error").Parse(string(src))
		if err != nil {
			return nil, err
		}
		var b bytes.Buffer
		if err := tmpl.Execute(&b, p); err != nil {
			return nil, err
		}
		data := b.Bytes()
		if strings.HasSuffix(t.path, ".go") {
			if data, err = format.Source(data); err != nil {
				return nil, fmt.Errorf("format %s: %w", t.path, err)
			}
		}
		files = append(files, newFile{t.path, data})
	}
	files = append(files, newFile{"go.mod", []byte(fmt.Sprintf(`module %s

go %s

require %s v0.0.0

// %s/ is a copy of the Quantum1Net Go SDK made by q1 service new (q1 %s),
// until the module is published: README.md says how to switch.
replace %s => ./%s
`, p.Module, goVersion, p.SDKModule, sdkCopyDir, p.Version, p.SDKModule, sdkCopyDir))})
	files = append(files, newFile{sdkCopyDir + "/go.mod", sdkGoMod})
	err = fs.WalkDir(sdk.Files, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || name == "go.mod" || strings.HasSuffix(name, "_test.go") {
			return err
		}
		data, err := sdk.Files.ReadFile(name)
		files = append(files, newFile{sdkCopyDir + "/" + name, data})
		return err
	})
	return files, err
}

// sdkCopyGoMod returns the SDK module's go version and the go.mod of its
// copy: the module and go lines of the embedded go.mod under a comment
// saying what the copy is.
func sdkCopyGoMod(q1Version string) (string, []byte, error) {
	src, err := sdk.Files.ReadFile("go.mod")
	if err != nil {
		return "", nil, err
	}
	var module, goVersion string
	for _, line := range strings.Split(string(src), "\n") {
		switch f := strings.Fields(line); {
		case len(f) == 2 && f[0] == "module":
			module = f[1]
		case len(f) == 2 && f[0] == "go":
			goVersion = f[1]
		}
	}
	if module != sdk.ModulePath || goVersion == "" {
		return "", nil, fmt.Errorf("the SDK's embedded go.mod names module %q, go %q", module, goVersion)
	}
	return goVersion, []byte(fmt.Sprintf(`// A copy of the Quantum1Net Go SDK made by q1 service new (q1 %s).
// Do not edit it: ../README.md says how to update it or switch to the
// published module.
module %s

go %s
`, q1Version, module, goVersion)), nil
}

// printNewService says what was created and the next commands, as they
// can be typed in the new directory.
func printNewService(w io.Writer, dir string, p newServiceParams, q1 invocation) {
	q := q1.elsewhere()
	fmt.Fprintf(w, "Created the service %s in %s (module %s, SDK copy in %s/).\n\n", p.Name, dir, p.Module, sdkCopyDir)
	fmt.Fprintf(w, "Next, in %s:\n", dir)
	fmt.Fprintf(w, "  go test ./...\n")
	fmt.Fprintf(w, "  GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o %s.wasm .\n", p.Name)
	fmt.Fprintf(w, "  %s manifest validate service.yaml\n", q)
	fmt.Fprintf(w, "  %s service deploy -f service.yaml --wasm %s.wasm --from default --deposit 100QC --wait-serving 2m --home %s\n", q, p.Name, p.Home)
	fmt.Fprintf(w, "  %s service call %s /hello/ada --home %s\n", q, p.Name, p.Home)
	fmt.Fprintf(w, "README.md has the rest (logs, updates); docs/first-service.md walks through it.\n")
	if hint := q1.installHint(); hint != "" {
		fmt.Fprintf(w, "\n%s.\n", hint)
	}
}
