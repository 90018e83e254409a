package manifest

import (
	"testing"
)

func TestMatchPath(t *testing.T) {
	tests := []struct {
		pattern, path string
		want          bool
	}{
		{"/", "/", true},
		{"/", "/a", false},
		{"/*", "/", true},
		{"/*", "/greet", true},
		{"/*", "/a/b/c", true},
		{"/greet", "/greet", true},
		{"/greet", "/greet/", true}, // cleaned to /greet
		{"/greet", "/greeting", false},
		{"/greet", "/greet/x", false},
		{"/greet", "/Greet", false},
		{"/admin/*", "/admin", true},
		{"/admin/*", "/admin/", true},
		{"/admin/*", "/admin/users", true},
		{"/admin/*", "/admin/users/1", true},
		{"/admin/*", "/administrator", false},
		{"/admin/*", "/public/../admin/x", true}, // cleaned before matching
		{"/admin/*", "//admin/x", true},
		{"/users/*/profile", "/users/42/profile", true},
		{"/users/*/profile", "/users/profile", false},
		{"/users/*/profile", "/users/42/profile/x", false},
		{"/users/*/profile", "/users/4/2/profile", false},
		{"/users/*/*", "/users/42", true},
		{"/users/*/*", "/users", false},
		{"/users/*/*", "/users/42/a/b", true},
		{"/a/*", "a/b", false},       // not absolute
		{"admin/*", "/admin", false}, // invalid pattern matches nothing
		{"/a*", "/a", false},
	}
	for _, tt := range tests {
		if got := MatchPath(tt.pattern, tt.path); got != tt.want {
			t.Errorf("MatchPath(%q, %q) = %v, want %v", tt.pattern, tt.path, got, tt.want)
		}
	}
}

func TestValidatePattern(t *testing.T) {
	valid := []string{"/", "/*", "/a", "/a/*", "/a/*/b", "/v1/users/*/profile", "/a-b.c_d~e/x:y@z/*", "/$&'()+,;="}
	for _, p := range valid {
		if err := ValidatePattern(p); err != nil {
			t.Errorf("ValidatePattern(%q) = %v, want nil", p, err)
		}
	}
	long := "/" + string(make([]byte, MaxPatternLength))
	invalid := map[string]string{
		"":       `path pattern "" must start with "/"`,
		"a":      `path pattern "a" must start with "/"`,
		"/a/":    `path pattern "/a/" has an empty segment ("//" or a trailing "/"); to match everything below a path write /prefix/*`,
		"/**":    `path pattern "/**": "*" must be a whole segment, as in /users/*/profile or /static/*`,
		"/./a":   `path pattern "/./a": segment "." is not allowed`,
		"/a b":   `path pattern "/a b": character ' ' is not allowed; use letters, digits and -._~!$&'()+,;=:@`,
		"/a%20b": `path pattern "/a%20b": character '%' is not allowed; use letters, digits and -._~!$&'()+,;=:@`,
		"/é":     `path pattern "/é": character 'Ã' is not allowed; use letters, digits and -._~!$&'()+,;=:@`,
		long:     `path pattern is 257 bytes long; at most 256 are allowed`,
	}
	for p, want := range invalid {
		if err := ValidatePattern(p); err == nil || err.Error() != want {
			t.Errorf("ValidatePattern(%.20q) = %v, want %s", p, err, want)
		}
	}
}

func TestCallerRules(t *testing.T) {
	m := mustParse(t, readTestdata(t, "design.yaml"))
	tests := []struct {
		path, account string
		rule          int // index of the matching rule, -1 for none
		allowed       bool
	}{
		{"/admin/stats", acct1, 0, true},
		{"/admin/stats", acct2, 0, false}, // first match wins: the public rule is not consulted
		{"/admin", "", 0, false},
		{"/greet", "", 1, true},
		{"/greet", acct2, 1, true},
	}
	for _, tt := range tests {
		r, ok := m.CallerRule(tt.path)
		if !ok || !equalValues(r, m.Permissions.Callers[tt.rule]) {
			t.Errorf("CallerRule(%q) = %v, %v; want rule %d", tt.path, r, ok, tt.rule)
		}
		if got := m.MayCall(tt.path, tt.account); got != tt.allowed {
			t.Errorf("MayCall(%q, %q) = %v, want %v", tt.path, tt.account, got, tt.allowed)
		}
	}
	m.Permissions.Callers = m.Permissions.Callers[:1]
	if _, ok := m.CallerRule("/greet"); ok || m.MayCall("/greet", acct1) {
		t.Error("a path no rule matches must be refused")
	}
}

func TestEgressAllows(t *testing.T) {
	e := &Egress{Hosts: []string{"api.example.com", "*.cdn.example.org"}}
	tests := []struct {
		host string
		want bool
	}{
		{"api.example.com", true},
		{"API.Example.com.", true},
		{"example.com", false},
		{"x.api.example.com", false},
		{"a.cdn.example.org", true},
		{"a.b.cdn.example.org", true},
		{"cdn.example.org", false},
		{"evilcdn.example.org", false},
	}
	for _, tt := range tests {
		if got := e.Allows(tt.host); got != tt.want {
			t.Errorf("Allows(%q) = %v, want %v", tt.host, got, tt.want)
		}
	}
	var none *Egress
	if none.Allows("api.example.com") {
		t.Error("a nil Egress allowed a host")
	}
}

func TestRoles(t *testing.T) {
	full := readTestdata(t, "full.yaml")
	m := mustParse(t, full)
	if !m.IsOwner(acct1) || m.IsOwner(acct3) || !m.IsOperator(acct3) || m.IsOperator(acct1) {
		t.Error("IsOwner/IsOperator disagree with the manifest")
	}
	tests := []struct {
		logViewers string
		account    string
		want       bool
	}{
		{"owners", acct1, true},
		{"owners", acct3, false},
		{"owners", "", false},
		{"public", "", true},
		{"[" + acct4 + "]", acct4, true},
		{"[" + acct4 + "]", acct2, true}, // owners always may
		{"[" + acct4 + "]", acct3, false},
	}
	for _, tt := range tests {
		m := mustParse(t, edit(t, full, "logViewers: owners", "logViewers: "+tt.logViewers))
		if got := m.MayViewLogs(tt.account); got != tt.want {
			t.Errorf("logViewers %s: MayViewLogs(%q) = %v, want %v", tt.logViewers, tt.account, got, tt.want)
		}
	}
}
