package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

func runCLI(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	var out, errb bytes.Buffer
	code := doMain(context.Background(), args, &out, &errb)
	return out.String(), errb.String(), code
}

func TestManifestValidate(t *testing.T) {
	for _, ex := range []string{"hello", "counter", "echo"} {
		out, errOut, code := runCLI(t, "manifest", "validate", "../../examples/"+ex+"/service.yaml")
		if code != 0 {
			t.Fatalf("examples/%s: exit %d: %s", ex, code, errOut)
		}
		if !strings.HasPrefix(out, ex+" (a draft") || !strings.Contains(out, "owners:       not set: q1 service deploy makes the deploying key the sole owner") {
			t.Errorf("examples/%s summary:\n%s", ex, out)
		}
	}

	out, _, code := runCLI(t, "manifest", "validate", "../../core/manifest/testdata/design.yaml")
	if code != 0 || !strings.HasPrefix(out, "hello sha256:19808e144e97262f810df02724e4a62ad43a6efdbf410795e3a9374f0ae0521c\n") {
		t.Fatalf("design.yaml: exit %d:\n%s", code, out)
	}

	_, errOut, code := runCLI(t, "manifest", "validate", "../../core/manifest/testdata/many-problems.yaml")
	if code != 1 {
		t.Fatalf("many-problems.yaml: exit %d, want 1", code)
	}
	for _, want := range []string{
		"../../core/manifest/testdata/many-problems.yaml:9:5: permissions.owners.threshold: must be between 1 and 2 (the number of owners), got 3\n",
		"../../core/manifest/testdata/many-problems.yaml:28:3: placement.colour: unknown field \"colour\"",
		"many-problems.yaml: 13 problem(s)\n",
	} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut)
		}
	}

	_, errOut, code = runCLI(t, "manifest", "validate", "no-such-file.yaml")
	if code != 1 || errOut != "Error: read manifest: open no-such-file.yaml: no such file or directory\n" {
		t.Fatalf("missing file: exit %d, stderr %q", code, errOut)
	}

	out, _, code = runCLI(t, "manifest", "schema")
	if code != 0 || !strings.Contains(out, `"$schema"`) {
		t.Fatalf("schema: exit %d: %.200s", code, out)
	}
}
