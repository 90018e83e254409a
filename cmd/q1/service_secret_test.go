package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/quantum1net/q1/core/sealed"
	servicestypes "github.com/quantum1net/q1/x/services/types"
)

// TestSecretFormatsAgree: the chain checks sizes with its own constants
// (x/services may not import core/sealed); they must be sealed's.
func TestSecretFormatsAgree(t *testing.T) {
	if servicestypes.SecretWrapSize != sealed.WrappedSize || servicestypes.SecretSealOverhead != sealed.SealOverhead {
		t.Fatalf("x/services wrap %d, overhead %d; core/sealed %d, %d",
			servicestypes.SecretWrapSize, servicestypes.SecretSealOverhead, sealed.WrappedSize, sealed.SealOverhead)
	}
}

func secretSetFlags(stdin string) *cobra.Command {
	cmd := &cobra.Command{}
	cmd.Flags().String("from-file", "", "")
	cmd.Flags().Bool("value-stdin", false, "")
	cmd.SetIn(strings.NewReader(stdin))
	return cmd
}

func TestReadSecretValue(t *testing.T) {
	dir := t.TempDir()
	small := filepath.Join(dir, "small")
	big := filepath.Join(dir, "big")
	if err := os.WriteFile(small, []byte("hunter2"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(big, bytes.Repeat([]byte{'x'}, servicestypes.MaxSecretValue+1), 0o600); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, file string
		stdin      bool
		input      string
		want, err  string
	}{
		{name: "file", file: small, want: "hunter2"},
		{name: "stdin", stdin: true, input: "from\nstdin", want: "from\nstdin"},
		{name: "exactly 64 KiB", stdin: true, input: strings.Repeat("y", servicestypes.MaxSecretValue), want: strings.Repeat("y", servicestypes.MaxSecretValue)},
		{name: "too large", file: big, err: "the value in " + big + " is larger than 65536 bytes (64 KiB), the most a secret holds"},
		{name: "neither", err: "give the value with --from-file FILE or --value-stdin (never on the command line"},
		{name: "both", file: small, stdin: true, err: "give the value with --from-file or --value-stdin, not both"},
		{name: "missing file", file: filepath.Join(dir, "nope"), err: "--from-file: open " + filepath.Join(dir, "nope")},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cmd := secretSetFlags(c.input)
			if c.file != "" {
				_ = cmd.Flags().Set("from-file", c.file)
			}
			if c.stdin {
				_ = cmd.Flags().Set("value-stdin", "true")
			}
			v, err := readSecretValue(cmd)
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("err = %v, want %q", err, c.err)
				}
				return
			}
			if err != nil || string(v) != c.want {
				t.Fatalf("= %q, %v; want %q", v, err, c.want)
			}
		})
	}
}

func TestSecretListings(t *testing.T) {
	recs := []servicestypes.Secret{
		{Key: "A", Version: 3, SetBy: "q11owner", SetHeight: 40, Ciphertext: []byte("sealed"),
			Wraps: []servicestypes.SecretWrap{{Node: "q11n1"}, {Node: "q11n2"}}},
		{Key: "GONE", Version: 2, Deleted: true},
	}
	got := secretListings(recs)
	if len(got) != 1 || got[0].Key != "A" || got[0].Version != 3 || strings.Join(got[0].Nodes, ",") != "q11n1,q11n2" {
		t.Fatalf("listings = %+v", got)
	}
	var b bytes.Buffer
	if err := printSecretListings(&b, "vault", got); err != nil {
		t.Fatal(err)
	}
	if s := b.String(); !strings.Contains(s, "KEY  VERSION  SET BY    HEIGHT  NODES") || !strings.Contains(s, "A    3        q11owner  40      q11n1, q11n2") || strings.Contains(s, "sealed") {
		t.Fatalf("table:\n%s", s)
	}
	b.Reset()
	_ = printSecretListings(&b, "vault", secretListings(recs[1:]))
	if !strings.Contains(b.String(), "Service vault has no secrets (q1 service secret set vault KEY --value-stdin).") {
		t.Fatalf("empty: %s", b.String())
	}
}
