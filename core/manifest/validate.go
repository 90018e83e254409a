package manifest

import (
	"fmt"
	"strings"

	"github.com/quantum1net/q1/core/address"
)

// Validate checks every rule of the format on m, which must have code.wasm
// filled in. It returns [Problems], with lines when m came from Parse.
// Validate is deterministic and uses no floating point.
func (m *Manifest) Validate() error {
	v := &validator{pos: m.pos, requireWasm: true, requireOwners: true}
	m.check(v)
	return v.probs.asError()
}

// validator collects the problems of a decoded manifest. Paths that already
// failed to decode are skipped, so one mistake is reported once.
type validator struct {
	probs         Problems
	pos           positions       // may be nil
	bad           map[string]bool // may be nil
	requireWasm   bool
	requireOwners bool
}

// skip reports whether p, or a field it depends on, failed to decode.
func (v *validator) skip(paths ...string) bool {
	for _, p := range paths {
		for q := p; ; {
			if v.bad[q] {
				return true
			}
			i := strings.LastIndexAny(q, ".[")
			if i < 0 {
				break
			}
			q = q[:i]
		}
	}
	return false
}

// report records a problem at path p unless p was already reported.
func (v *validator) report(p string, format string, args ...any) {
	if v.skip(p) {
		return
	}
	at := v.pos.of(p)
	v.probs = append(v.probs, Problem{Path: p, Line: at.line, Column: at.col, Message: fmt.Sprintf(format, args...)})
}

// check runs every rule on m.
func (m *Manifest) check(v *validator) {
	if m.APIVersion != APIVersion {
		v.report("apiVersion", "must be %s, got %q", APIVersion, m.APIVersion)
	}
	if err := ValidateName(m.Name); err != nil {
		v.report("name", "%v", err)
	}
	switch {
	case m.Code.Wasm == "" && v.requireWasm:
		v.report("code.wasm", "is required: run q1 service deploy with --wasm to fill it in")
	case m.Code.Wasm != "":
		if err := ValidateWasmHash(m.Code.Wasm); err != nil {
			v.report("code.wasm", "%v", err)
		}
	}
	if m.Code.ABI != ABIHTTPv1 {
		v.report("code.abi", "must be %s, the only guest ABI so far; got %q", ABIHTTPv1, m.Code.ABI)
	}
	m.checkPermissions(v)
	m.checkPolicies(v)
	m.checkResources(v)
	m.checkPlacement(v)
	m.checkSchedules(v)
}

func (m *Manifest) checkPermissions(v *validator) {
	const p = "permissions"
	owners := m.Permissions.Owners
	if len(owners.Accounts) == 0 && !v.requireOwners {
		// A draft: q1 service deploy fills in the deploying key.
	} else {
		v.accounts(p+".owners.accounts", owners.Accounts, 1)
	}
	if n := len(owners.Accounts); !v.skip(p+".owners.accounts") && n > 0 &&
		(owners.Threshold < 1 || int(owners.Threshold) > n) {
		v.report(p+".owners.threshold", "must be between 1 and %d (the number of owners), got %d", n, owners.Threshold)
	}
	v.accounts(p+".operators", m.Permissions.Operators, 0)

	callers := m.Permissions.Callers
	switch {
	case len(callers) == 0:
		v.report(p+".callers", "must have at least one rule; remove it to let everyone call every path")
	case len(callers) > MaxCallerRules:
		v.report(p+".callers", "has %d rules; at most %d are allowed", len(callers), MaxCallerRules)
	}
	for i, r := range callers {
		rp := index(p+".callers", i)
		v.patterns(rp+".paths", r.Paths)
		if !r.Public {
			v.accounts(rp+".allow", r.Allow, 1)
		} else if len(r.Allow) > 0 {
			v.report(rp+".allow", "lists accounts in a public rule; a rule is either public or a list of accounts")
		}
	}

	lv := m.Permissions.LogViewers
	switch lv.Kind {
	case LogViewersOwners, LogViewersPublic:
		if len(lv.Accounts) > 0 {
			v.report(p+".logViewers", "lists accounts although it is %s", lv.Kind)
		}
	case LogViewersAccounts:
		v.accounts(p+".logViewers", lv.Accounts, 1)
	default:
		v.report(p+".logViewers", "must be owners, public or a list of accounts, got %q", lv.Kind)
	}

	caps := m.Permissions.Capabilities
	if caps.KV != nil {
		const q = p + ".capabilities.kv.quota"
		storage := m.Resources.Storage
		switch {
		case caps.KV.Quota == 0:
			v.report(q, "must be more than 0; remove capabilities.kv to deny the store")
		case caps.KV.Quota > storage && !v.skip("resources.storage"):
			v.report(q, "%s is more than resources.storage (%s); the kv store counts against storage, so raise resources.storage",
				caps.KV.Quota, storage)
		}
	}
	if caps.Egress != nil {
		v.hosts(p+".capabilities.egress.hosts", caps.Egress.Hosts)
	}
	if caps.Secrets != nil {
		v.secretNames(p+".capabilities.secrets.names", caps.Secrets.Names)
	}
	v.accounts(p+".secretWriters", m.Permissions.SecretWriters, 0)
	if len(m.Permissions.SecretWriters) > 0 && caps.Secrets == nil {
		v.report(p+".secretWriters", "names writers but permissions.capabilities.secrets is not granted; grant it or remove secretWriters")
	}
}

// secretNames checks capabilities.secrets.names (empty: any name).
func (v *validator) secretNames(p string, list []string) {
	if len(list) > MaxSecretNames {
		v.report(p, "lists %d names; at most %d are allowed", len(list), MaxSecretNames)
	}
	seen := map[string]int{}
	for i, n := range list {
		if err := ValidateSecretName(n); err != nil {
			v.report(index(p, i), "%v", err)
		} else if first, dup := seen[n]; dup {
			v.report(index(p, i), "%s is listed twice (first at %s)", n, index(p, first))
		} else {
			seen[n] = i
		}
	}
}

func (m *Manifest) checkPolicies(v *validator) {
	const p = "policies"
	pol := m.Policies
	v.blocks(p+".update.noticeBlocks", pol.Update.NoticeBlocks)
	seen := map[string]int{}
	for i, f := range pol.Update.Frozen {
		fp := index(p+".update.frozen", i)
		if !IsPath(f) {
			v.report(fp, "no field%s", suggest(f, allPaths, "see docs/manifest.md or q1 manifest schema for the field paths"))
		} else if first, dup := seen[f]; dup {
			v.report(fp, "%s is listed twice (first at %s)", f, index(p+".update.frozen", first))
		} else {
			seen[f] = i
		}
	}
	if r := pol.RateLimit.PerCaller; r != nil {
		const rp = p + ".rateLimit.perCaller"
		if !validRatePer(r.Per) {
			v.report(rp, "must be counted per s, m or h, got %s", r)
		} else if r.Count < 1 || r.Count > MaxRateCount {
			v.report(rp, "must allow between 1 and %d requests per interval, got %s; remove it for no limit", MaxRateCount, r)
		}
	}
	b := pol.Budget
	if b.MaxPerHour != nil && *b.MaxPerHour == 0 {
		v.report(p+".budget.maxPerHour", "must be more than 0uqc; remove it for no hourly cap")
	}
	v.blocks(p+".budget.lowBalanceBlocks", b.LowBalanceBlocks)
	if b.OnDepletion != DepletionPause && b.OnDepletion != DepletionDelete {
		v.report(p+".budget.onDepletion", "must be %s or %s, got %q", DepletionPause, DepletionDelete, b.OnDepletion)
	}
	v.blocks(p+".budget.graceBlocks", b.GraceBlocks)
}

func (m *Manifest) checkResources(v *validator) {
	const p = "resources"
	r := m.Resources
	if r.CPU < MinMilliCPU || r.CPU > MaxMilliCPU {
		v.report(p+".cpu", "must be between %s and %s cores, got %s", MinMilliCPU, MaxMilliCPU, r.CPU)
	}
	if r.Memory < MinMemory || r.Memory > MaxMemory {
		v.report(p+".memory", "must be between %s and %s, got %s", MinMemory, MaxMemory, r.Memory)
	}
	if r.Storage > MaxStorage {
		v.report(p+".storage", "must be at most %s, got %s", MaxStorage, r.Storage)
	}
	switch {
	case r.RequestTimeout < MinRequestTimeout || r.RequestTimeout > MaxRequestTimeout:
		v.report(p+".requestTimeout", "must be between %s and %s, got %s",
			FormatDuration(MinRequestTimeout), FormatDuration(MaxRequestTimeout), FormatDuration(r.RequestTimeout))
	case r.RequestTimeout%MinRequestTimeout != 0:
		v.report(p+".requestTimeout", "must be a whole number of milliseconds, got %s", r.RequestTimeout)
	}
}

func (m *Manifest) checkPlacement(v *validator) {
	const p = "placement"
	pl := m.Placement
	if pl.Replicas < 1 || pl.Replicas > MaxReplicas {
		v.report(p+".replicas", "must be between 1 and %d, got %d", MaxReplicas, pl.Replicas)
	}
	switch {
	case pl.ReplicasMax > MaxReplicas:
		v.report(p+".replicasMax", "must be at most %d, got %d", MaxReplicas, pl.ReplicasMax)
	case pl.ReplicasMax < pl.Replicas && pl.Replicas <= MaxReplicas && !v.skip(p+".replicas"):
		v.report(p+".replicasMax", "must be at least placement.replicas (%d), got %d", pl.Replicas, pl.ReplicasMax)
	}
	if !isAttrKey(pl.Spread) {
		v.report(p+".spread", "must be node or a sharer attribute key such as region "+
			"(lowercase letters, digits and - . _ /), got %q", pl.Spread)
	}
	if len(pl.RequireAttributes) > MaxAttributes {
		v.report(p+".requireAttributes", "has %d attributes; at most %d are allowed", len(pl.RequireAttributes), MaxAttributes)
	}
	seen := map[string]bool{}
	for _, a := range pl.RequireAttributes {
		ap := joinPath(p+".requireAttributes", a.Key)
		switch {
		case !isAttrKey(a.Key):
			v.report(ap, "%q is not an attribute key: 1-63 lowercase letters, digits and - . _ /, "+
				"starting and ending with a letter or digit", a.Key)
		case seen[a.Key]:
			v.report(ap, "attribute %q is listed twice", a.Key)
		case !isAttrValue(a.Value):
			v.report(ap, "%q is not an attribute value: 1-63 letters, digits and - . _, "+
				"starting and ending with a letter or digit", a.Value)
		}
		seen[a.Key] = true
	}
}

// accounts checks a list of account addresses: its length, each address,
// and that none is listed twice.
func (v *validator) accounts(p string, list []string, atLeast int) {
	switch {
	case len(list) < atLeast:
		v.report(p, "must list at least one account")
	case len(list) > MaxAccounts:
		v.report(p, "lists %d accounts; at most %d are allowed", len(list), MaxAccounts)
	}
	seen := map[string]int{}
	for i, a := range list {
		if err := address.ValidateAccount(a); err != nil {
			v.report(index(p, i), "%v", err)
		} else if first, dup := seen[a]; dup {
			v.report(index(p, i), "%s is listed twice (first at %s)", a, index(p, first))
		} else {
			seen[a] = i
		}
	}
}

// patterns checks the path patterns of a caller rule.
func (v *validator) patterns(p string, list []string) {
	switch {
	case len(list) == 0:
		v.report(p, "must list at least one path pattern, such as /*")
	case len(list) > MaxRulePaths:
		v.report(p, "lists %d path patterns; at most %d are allowed", len(list), MaxRulePaths)
	}
	seen := map[string]int{}
	for i, pat := range list {
		if err := ValidatePattern(pat); err != nil {
			v.report(index(p, i), "%v", err)
		} else if first, dup := seen[pat]; dup {
			v.report(index(p, i), "%s is listed twice (first at %s)", pat, index(p, first))
		} else {
			seen[pat] = i
		}
	}
}

// hosts checks the egress host list.
func (v *validator) hosts(p string, list []string) {
	switch {
	case len(list) == 0:
		v.report(p, "must list at least one host; remove capabilities.egress to deny egress")
	case len(list) > MaxEgressHosts:
		v.report(p, "lists %d hosts; at most %d are allowed", len(list), MaxEgressHosts)
	}
	seen := map[string]int{}
	for i, h := range list {
		if err := validateHost(h); err != nil {
			v.report(index(p, i), "%v", err)
		} else if first, dup := seen[h]; dup {
			v.report(index(p, i), "%s is listed twice (first at %s)", h, index(p, first))
		} else {
			seen[h] = i
		}
	}
}

func (v *validator) blocks(p string, n uint64) {
	if n > MaxBlocks {
		v.report(p, "must be at most %d blocks, got %d", MaxBlocks, n)
	}
}
