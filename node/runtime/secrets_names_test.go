package runtime

import (
	"errors"
	"strings"
	"testing"

	"github.com/quantum1net/q1/core/manifest"
)

// TestSecretNamesLimitReads: a manifest whose secrets grant lists names
// reads only those, even when the chain still holds a secret under a name
// an update dropped; a grant without names reads any.
func TestSecretNamesLimitReads(t *testing.T) {
	src := &mapSecrets{m: map[string][]byte{}}
	src.set("A", "a")
	src.set("B", "b")
	m := &manifest.Manifest{}
	m.Permissions.Capabilities.Secrets = &manifest.Secrets{Names: []string{"A"}}
	c := CapabilitiesWithSecrets(m, "", nil, src)
	if v, err := c.Secrets.Secret("A"); err != nil || string(v) != "a" {
		t.Fatalf("A = %q, %v", v, err)
	}
	_, err := c.Secrets.Secret("B")
	if !errors.Is(err, ErrNoSecret) || !strings.Contains(err.Error(), `secret "B" is not among the names this service's manifest grants (permissions.capabilities.secrets.names)`) {
		t.Fatalf("B: %v", err)
	}
	m.Permissions.Capabilities.Secrets = &manifest.Secrets{}
	if v, err := CapabilitiesWithSecrets(m, "", nil, src).Secrets.Secret("B"); err != nil || string(v) != "b" {
		t.Fatalf("any name: B = %q, %v", v, err)
	}
}
