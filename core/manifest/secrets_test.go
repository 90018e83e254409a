package manifest

import (
	"strings"
	"testing"
)

// secretsDoc is a small valid manifest; each case appends its permissions
// lines after the owners.
func secretsDoc(perms string) string {
	return `apiVersion: q1/v1
name: vault
code: {wasm: ` + wasmHash + `}
permissions:
  owners: {accounts: [` + acct1 + `]}
` + perms + `resources: {memory: 32Mi}
pricing: {cpuPerCoreSecond: 1uqc, memoryPerMiBHour: 1uqc, storagePerGiBHour: 1uqc, per1kRequests: 1uqc, egressPerGiB: 1uqc}
`
}

func TestSecretsParse(t *testing.T) {
	m := mustParse(t, secretsDoc("  capabilities: {secrets: {}}\n"))
	if s := m.Permissions.Capabilities.Secrets; s == nil || len(s.Names) != 0 || !s.Allows("ANY_NAME") {
		t.Fatalf("secrets: {} = %+v; want granted for any name", s)
	}
	if !strings.Contains(string(m.Canonical()), `"secrets":{}`) {
		t.Errorf("canonical: %s", m.Canonical())
	}
	m = mustParse(t, secretsDoc("  capabilities: {secrets: {names: [DB_URL, API_KEY]}}\n  secretWriters: ["+acct2+"]\n"))
	s := m.Permissions.Capabilities.Secrets
	if !s.Allows("API_KEY") || s.Allows("OTHER") {
		t.Errorf("names [DB_URL, API_KEY]: Allows(API_KEY)=%v Allows(OTHER)=%v", s.Allows("API_KEY"), s.Allows("OTHER"))
	}
	b := string(m.Canonical())
	if !strings.Contains(b, `"secrets":{"names":["API_KEY","DB_URL"]}`) || !strings.Contains(b, `"secretWriters":["`+acct2+`"]`) {
		t.Errorf("canonical: %s", b)
	}
	back, err := ParseCanonical(m.Canonical())
	if err != nil {
		t.Fatal(err)
	}
	if back.Hash() != m.Hash() {
		t.Error("hash changed through canonical bytes")
	}
	if sum := m.Summary(); !strings.Contains(sum, "secrets API_KEY DB_URL") {
		t.Errorf("summary does not list the secrets capability:\n%s", sum)
	}
	// Not granted: nothing in the canonical bytes, nothing allowed.
	m = mustParse(t, secretsDoc(""))
	if m.Permissions.Capabilities.Secrets.Allows("API_KEY") || strings.Contains(string(m.Canonical()), "secret") {
		t.Errorf("no capability: %s", m.Canonical())
	}
}

func TestSecretsProblems(t *testing.T) {
	cases := []struct{ name, perms, want string }{
		{"bad name", "  capabilities: {secrets: {names: [9LIVES]}}\n",
			`permissions.capabilities.secrets.names[0]: secret name "9LIVES" must be 1 to 64 letters, digits, '_', '-' or '.', starting with a letter or '_'`},
		{"name with space", "  capabilities: {secrets: {names: [\"A B\"]}}\n", `permissions.capabilities.secrets.names[0]: secret name "A B"`},
		{"duplicate name", "  capabilities: {secrets: {names: [A, A]}}\n",
			`permissions.capabilities.secrets.names[1]: A is listed twice (first at permissions.capabilities.secrets.names[0])`},
		{"not a mapping", "  capabilities: {secrets: true}\n", `permissions.capabilities.secrets: must be a mapping of fields (names)`},
		{"unknown field", "  capabilities: {secrets: {read: true}}\n", `permissions.capabilities.secrets.read: unknown field`},
		{"writers without capability", "  secretWriters: [" + acct2 + "]\n",
			`permissions.secretWriters: names writers but permissions.capabilities.secrets is not granted; grant it or remove secretWriters`},
		{"writer not an account", "  capabilities: {secrets: {}}\n  secretWriters: [bob]\n",
			`permissions.secretWriters[0]: "bob" is not a Quantum1Net account address`},
		{"writer twice", "  capabilities: {secrets: {}}\n  secretWriters: [" + acct2 + ", " + acct2 + "]\n",
			`permissions.secretWriters[1]: ` + acct2 + ` is listed twice`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse([]byte(secretsDoc(c.perms)), ParseOptions{})
			if err == nil {
				t.Fatalf("accepted; want %q", c.want)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("problems:\n%s\nwant one containing %q", err, c.want)
			}
		})
	}
}

func TestValidateSecretName(t *testing.T) {
	for _, ok := range []string{"A", "_x", "API_KEY", "db.url-2", strings.Repeat("a", 64)} {
		if err := ValidateSecretName(ok); err != nil {
			t.Errorf("ValidateSecretName(%q) = %v", ok, err)
		}
	}
	for _, bad := range []string{"", "1A", "-a", "a/b", "a b", strings.Repeat("a", 65), "é"} {
		if err := ValidateSecretName(bad); err == nil {
			t.Errorf("ValidateSecretName(%q) accepted", bad)
		}
	}
}
