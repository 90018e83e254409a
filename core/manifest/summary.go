package manifest

import (
	"fmt"
	"strconv"
	"strings"
)

// Summary describes m in a few lines for people, as printed by
// `q1 manifest validate`: name and hash, code, owners (m of n), callers,
// placement, resources, capabilities and policies.
func (m *Manifest) Summary() string {
	var b strings.Builder
	line := func(label, format string, args ...any) {
		fmt.Fprintf(&b, "  %-13s %s\n", label+":", fmt.Sprintf(format, args...))
	}
	if m.HasWasm() && len(m.Permissions.Owners.Accounts) > 0 {
		fmt.Fprintf(&b, "%s %s\n", m.Name, m.Hash())
	} else {
		fmt.Fprintf(&b, "%s (a draft: its hash is known once q1 service deploy fills in what is missing)\n", m.Name)
	}
	if m.HasWasm() {
		line("code", "%s (%s)", m.Code.Wasm, m.Code.ABI)
	} else {
		line("code", "wasm not set yet; q1 service deploy --wasm fills it (%s)", m.Code.ABI)
	}
	perms := m.Permissions
	if len(perms.Owners.Accounts) == 0 {
		line("owners", "not set: q1 service deploy makes the deploying key the sole owner")
	} else {
		line("owners", "%d of %d must approve changes", perms.Owners.Threshold, len(perms.Owners.Accounts))
	}
	if n := len(perms.Operators); n > 0 {
		line("operators", "%d", n)
	}
	rules := make([]string, len(perms.Callers))
	for i, r := range perms.Callers {
		who := "public"
		if !r.Public {
			who = plural(len(r.Allow), "account")
		}
		rules[i] = strings.Join(r.Paths, " ") + " → " + who
	}
	line("callers", "%s", strings.Join(rules, "; "))
	logs := perms.LogViewers.Kind
	if logs == LogViewersAccounts {
		logs = "owners and " + plural(len(perms.LogViewers.Accounts), "account")
	}
	line("logs", "%s", logs)

	pl := m.Placement
	placement := plural(int(pl.Replicas), "replica")
	if pl.ReplicasMax > pl.Replicas {
		placement += fmt.Sprintf(" (operators may scale to %d)", pl.ReplicasMax)
	}
	placement += ", spread by " + pl.Spread
	for _, a := range pl.RequireAttributes {
		placement += ", " + a.Key + "=" + a.Value
	}
	line("placement", "%s", placement)
	r := m.Resources
	line("resources", "cpu %s, memory %s, storage %s, timeout %s per replica",
		r.CPU, r.Memory, r.Storage, FormatDuration(r.RequestTimeout))
	line("capabilities", "%s", m.capabilityList())

	pol := m.Policies
	updates := fmt.Sprintf("%d blocks notice", pol.Update.NoticeBlocks)
	if len(pol.Update.Frozen) > 0 {
		updates += "; frozen: " + strings.Join(pol.Update.Frozen, ", ")
	}
	line("updates", "%s", updates)
	budget := "on depletion " + pol.Budget.OnDepletion
	if most, derived := m.MaxPerHour(); most.IsUint64() {
		how := "budget.maxPerHour"
		switch {
		case derived && pol.Budget.MaxPerHour != nil:
			how = "what its replicas could bill at full use; budget.maxPerHour " + pol.Budget.MaxPerHour.QC() + " is above it"
		case derived:
			how = "what its replicas could bill at full use; set budget.maxPerHour to lower it"
		}
		budget = "at most " + Amount(most.Uint64()).QC() + "/hour (" + how + "), " + budget
	}
	if rl := pol.RateLimit.PerCaller; rl != nil {
		budget += "; " + rl.String() + " per caller"
	}
	line("limits", "%s", budget)
	if len(m.Schedules) > 0 {
		var out []string
		for i, sc := range m.Schedules {
			out = append(out, fmt.Sprintf("[%d] %q POST %s", i, sc.Cron, sc.Path))
		}
		line("schedules", "%s (UTC)", strings.Join(out, "; "))
	}
	return b.String()
}

func (m *Manifest) capabilityList() string {
	caps := m.Permissions.Capabilities
	var out []string
	if caps.KV != nil {
		out = append(out, "kv "+caps.KV.Quota.String())
	}
	if caps.Egress != nil {
		out = append(out, "egress "+strings.Join(caps.Egress.Hosts, " "))
	}
	if caps.Log {
		out = append(out, "log")
	}
	if caps.Secrets != nil {
		if len(caps.Secrets.Names) == 0 {
			out = append(out, "secrets")
		} else {
			out = append(out, "secrets "+strings.Join(caps.Secrets.Names, " "))
		}
	}
	if len(out) == 0 {
		return "none"
	}
	return strings.Join(out, ", ")
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.Itoa(n) + " " + noun + "s"
}

// QC spells a in QC with no more decimal places than needed, such as 5QC
// or 0.000001QC, for people; [Amount.String] is the canonical spelling.
func (a Amount) QC() string {
	whole, frac := uint64(a)/1_000_000, uint64(a)%1_000_000
	s := strconv.FormatUint(whole, 10)
	if frac != 0 {
		s += strings.TrimRight(fmt.Sprintf(".%06d", frac), "0")
	}
	return s + DisplayDenom
}
