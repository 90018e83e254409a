package hotkeyfile

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

func TestHotKey(t *testing.T) {
	home := t.TempDir()
	if err := os.MkdirAll(filepath.Join(home, "config"), 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(home); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("no key yet: %v", err)
	}
	k, created, err := LoadOrCreate(home)
	if err != nil || !created {
		t.Fatalf("create: %v %v", created, err)
	}
	if fi, _ := os.Stat(Path(home)); fi.Mode().Perm() != 0o600 {
		t.Fatalf("hot key file mode %v, want 0600", fi.Mode().Perm())
	}
	k.Sharer = "q11sharer"
	if err := k.Save(home); err != nil {
		t.Fatal(err)
	}
	again, created, err := LoadOrCreate(home)
	if err != nil || created || again.Address().String() != k.Address().String() || again.Sharer != "q11sharer" {
		t.Fatalf("reload: %v %v %+v", created, err, again)
	}
	if err := os.WriteFile(Path(home), []byte(`{"address":"q11other","priv_key":"`+"00"+`"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(home); err == nil || err.Error() != "read "+Path(home)+": priv_key is not a 32-byte hex secp256k1 key" {
		t.Fatalf("a corrupt key file: %v", err)
	}
}
