package manifest

import (
	"strings"
	"testing"
)

const draftDoc = `apiVersion: q1/v1
name: hello
resources: {memory: 32Mi}
pricing: {cpuPerCoreSecond: 500uqc, memoryPerMiBHour: 2uqc, storagePerGiBHour: 50uqc, per1kRequests: 10uqc, egressPerGiB: 5000uqc}
`

// TestDraftWithoutOwners: a draft may leave owners (and wasm) to the CLI,
// which fills them before the manifest goes on chain; everything else is
// still checked, and without the option owners stay required.
func TestDraftWithoutOwners(t *testing.T) {
	m, err := Parse([]byte(draftDoc), ParseOptions{AllowMissingWasm: true, AllowMissingOwners: true})
	if err != nil {
		t.Fatalf("draft: %v", err)
	}
	if len(m.Permissions.Owners.Accounts) != 0 {
		t.Fatalf("owners = %v, want none", m.Permissions.Owners.Accounts)
	}
	if err := m.Validate(); err == nil || !strings.Contains(err.Error(), "permissions.owners.accounts: must list at least one account") {
		t.Fatalf("Validate of a draft without owners: %v", err)
	}
	_, err = Parse([]byte(draftDoc), ParseOptions{AllowMissingWasm: true})
	if err == nil || err.Error() != "1:1: permissions: is required" {
		t.Fatalf("without AllowMissingOwners: %v", err)
	}
	_, err = Parse([]byte(strings.Replace(draftDoc, "32Mi", "32MB", 1)), ParseOptions{AllowMissingWasm: true, AllowMissingOwners: true})
	if err == nil || !strings.Contains(err.Error(), `resources.memory: invalid byte size "32MB"`) {
		t.Fatalf("a draft is still checked: %v", err)
	}
}

func TestReservedNames(t *testing.T) {
	err := ValidateName("blob")
	if err == nil || err.Error() != `"blob" is reserved: nodes sign their own requests with that purpose; choose another name` {
		t.Fatalf("ValidateName(blob) = %v", err)
	}
	if err := ValidateName("blobs"); err != nil {
		t.Fatalf("ValidateName(blobs) = %v", err)
	}
}
