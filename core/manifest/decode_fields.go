package manifest

import (
	"math"

	"gopkg.in/yaml.v3"
)

// The section decoders below read each part of the manifest into a Manifest
// that starts with every default filled in. They check types and spellings;
// the rules between values are checked afterwards by Manifest.check.

func (d *decoder) manifest(root *yaml.Node) *Manifest {
	f := d.mapping(root, "")
	if f == nil {
		return nil
	}
	m := defaults()
	d.setStr(f, "", "apiVersion", &m.APIVersion)
	d.setStr(f, "", "name", &m.Name)
	if n := f["code"]; n != nil {
		if c := d.mapping(n, "code"); c != nil {
			d.setStr(c, "code", "wasm", &m.Code.Wasm)
			d.setStr(c, "code", "abi", &m.Code.ABI)
		}
	}
	if n := f["permissions"]; n != nil {
		d.permissions(n, &m.Permissions)
	}
	if n := f["policies"]; n != nil {
		d.policies(n, &m.Policies)
	}
	if n := f["resources"]; n != nil {
		d.resources(n, &m.Resources)
	}
	if n := f["placement"]; n != nil {
		d.placement(n, &m.Placement)
	}
	if n := f["pricing"]; n != nil {
		d.pricing(n, &m.Pricing)
	}
	if n := f["schedules"]; n != nil {
		m.Schedules = d.schedules(n, "schedules")
	}
	if _, set := d.pos["placement.replicasMax"]; !set {
		m.Placement.ReplicasMax = m.Placement.Replicas
	}
	return m
}

func (d *decoder) setStr(f fields, p, name string, dst *string) {
	if n := f[name]; n != nil {
		if s, ok := d.str(n, joinPath(p, name)); ok {
			*dst = s
		}
	}
}

func (d *decoder) setUint(f fields, p, name string, dst *uint64) {
	if n := f[name]; n != nil {
		if v, ok := d.uint(n, joinPath(p, name), math.MaxUint64); ok {
			*dst = v
		}
	}
}

func (d *decoder) setUint32(f fields, p, name string, dst *uint32) bool {
	if n := f[name]; n != nil {
		if v, ok := d.uint(n, joinPath(p, name), math.MaxUint32); ok {
			*dst = uint32(v)
			return true
		}
	}
	return false
}

func setQuantity[T any](d *decoder, f fields, p, name, what string, parse func(string) (T, error), dst *T) bool {
	if n := f[name]; n != nil {
		if v, ok := quantity(d, n, joinPath(p, name), what, parse); ok {
			*dst = v
			return true
		}
	}
	return false
}

func (d *decoder) permissions(n *yaml.Node, perms *Permissions) {
	const p = "permissions"
	f := d.mapping(n, p)
	if f == nil {
		return
	}
	if n := f["owners"]; n != nil {
		if o := d.mapping(n, "permissions.owners"); o != nil {
			if a := o["accounts"]; a != nil {
				perms.Owners.Accounts = d.strList(a, "permissions.owners.accounts", "accounts")
			}
			perms.Owners.Threshold = uint32(min(len(perms.Owners.Accounts), math.MaxUint32))
			d.setUint32(o, "permissions.owners", "threshold", &perms.Owners.Threshold)
		}
	}
	if n := f["operators"]; n != nil {
		perms.Operators = d.strList(n, "permissions.operators", "accounts")
	}
	if n := f["callers"]; n != nil {
		perms.Callers = d.callers(n, "permissions.callers")
	}
	if n := f["logViewers"]; n != nil {
		d.logViewers(n, "permissions.logViewers", &perms.LogViewers)
	}
	if n := f["capabilities"]; n != nil {
		d.capabilities(n, "permissions.capabilities", &perms.Capabilities)
	}
	if n := f["secretWriters"]; n != nil {
		perms.SecretWriters = d.strList(n, "permissions.secretWriters", "accounts")
	}
}

func (d *decoder) callers(n *yaml.Node, p string) []CallerRule {
	elems := d.list(n, p, "caller rules such as {paths: [\"/*\"], allow: public}")
	rules := make([]CallerRule, len(elems))
	for i, e := range elems {
		ep := index(p, i)
		f := d.mapping(e, ep)
		if f == nil {
			continue
		}
		if n := f["paths"]; n != nil {
			rules[i].Paths = d.strList(n, ep+".paths", "path patterns")
		}
		if n := f["allow"]; n != nil {
			rules[i].Public, rules[i].Allow = d.audience(n, ep+".allow", "public")
		}
	}
	return rules
}

// audience reads a keyword (the only one given) or a list of accounts. It
// returns whether the keyword was given, and the accounts otherwise.
func (d *decoder) audience(n *yaml.Node, p, keyword string) (bool, []string) {
	if n.Kind == yaml.SequenceNode {
		return false, d.strList(n, p, "accounts")
	}
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!str" && n.Value == keyword {
		return true, nil
	}
	d.fail(p, n, "must be %s or a list of accounts, got %s", keyword, describe(n))
	return false, nil
}

func (d *decoder) logViewers(n *yaml.Node, p string, lv *LogViewers) {
	switch {
	case n.Kind == yaml.SequenceNode:
		lv.Kind, lv.Accounts = LogViewersAccounts, d.strList(n, p, "accounts")
	case n.Kind == yaml.ScalarNode && n.ShortTag() == "!!str" &&
		(n.Value == LogViewersOwners || n.Value == LogViewersPublic):
		lv.Kind = n.Value
	default:
		d.fail(p, n, "must be owners, public or a list of accounts, got %s", describe(n))
	}
}

func (d *decoder) capabilities(n *yaml.Node, p string, caps *Capabilities) {
	f := d.mapping(n, p)
	if f == nil {
		return
	}
	if n := f["kv"]; n != nil {
		if kv := d.mapping(n, p+".kv"); kv != nil {
			caps.KV = &KV{}
			setQuantity(d, kv, p+".kv", "quota", "a byte size such as 16Mi", ParseByteSize, &caps.KV.Quota)
		}
	}
	if n := f["egress"]; n != nil {
		if eg := d.mapping(n, p+".egress"); eg != nil {
			caps.Egress = &Egress{}
			if h := eg["hosts"]; h != nil {
				caps.Egress.Hosts = d.strList(h, p+".egress.hosts", "host names")
			}
		}
	}
	if n := f["log"]; n != nil {
		caps.Log, _ = d.boolean(n, p+".log")
	}
	if n := f["secrets"]; n != nil {
		if s := d.mapping(n, p+".secrets"); s != nil {
			caps.Secrets = &Secrets{}
			if names := s["names"]; names != nil {
				caps.Secrets.Names = d.strList(names, p+".secrets.names", "secret names")
			}
		}
	}
}

func (d *decoder) policies(n *yaml.Node, pol *Policies) {
	const p = "policies"
	f := d.mapping(n, p)
	if f == nil {
		return
	}
	if n := f["update"]; n != nil {
		if u := d.mapping(n, p+".update"); u != nil {
			d.setUint(u, p+".update", "noticeBlocks", &pol.Update.NoticeBlocks)
			if n := u["frozen"]; n != nil {
				pol.Update.Frozen = d.strList(n, p+".update.frozen", "field paths")
			}
		}
	}
	if n := f["rateLimit"]; n != nil {
		if rl := d.mapping(n, p+".rateLimit"); rl != nil {
			var r Rate
			if setQuantity(d, rl, p+".rateLimit", "perCaller", "a rate such as 50/s", ParseRate, &r) {
				pol.RateLimit.PerCaller = &r
			}
		}
	}
	if n := f["budget"]; n != nil {
		if b := d.mapping(n, p+".budget"); b != nil {
			const bp = p + ".budget"
			var a Amount
			if setQuantity(d, b, bp, "maxPerHour", "an amount such as 5QC", ParseAmount, &a) {
				pol.Budget.MaxPerHour = &a
			}
			d.setUint(b, bp, "lowBalanceBlocks", &pol.Budget.LowBalanceBlocks)
			d.setStr(b, bp, "onDepletion", &pol.Budget.OnDepletion)
			d.setUint(b, bp, "graceBlocks", &pol.Budget.GraceBlocks)
		}
	}
}

func (d *decoder) resources(n *yaml.Node, r *Resources) {
	const p = "resources"
	f := d.mapping(n, p)
	if f == nil {
		return
	}
	setQuantity(d, f, p, "cpu", "a cpu amount such as 500m or 1", ParseMilliCPU, &r.CPU)
	setQuantity(d, f, p, "memory", "a byte size such as 64Mi", ParseByteSize, &r.Memory)
	setQuantity(d, f, p, "storage", "a byte size such as 128Mi", ParseByteSize, &r.Storage)
	setQuantity(d, f, p, "requestTimeout", "a duration such as 2s", ParseDuration, &r.RequestTimeout)
}

func (d *decoder) placement(n *yaml.Node, pl *Placement) {
	const p = "placement"
	f := d.mapping(n, p)
	if f == nil {
		return
	}
	d.setUint32(f, p, "replicas", &pl.Replicas)
	d.setUint32(f, p, "replicasMax", &pl.ReplicasMax)
	d.setStr(f, p, "spread", &pl.Spread)
	if n := f["requireAttributes"]; n != nil {
		pl.RequireAttributes = d.attributes(n, p+".requireAttributes")
	}
	setQuantity(d, f, p, "minCollateral", "an amount such as 1000QC", ParseAmount, &pl.MinCollateral)
}

// attributes reads a mapping of attribute keys to string values.
func (d *decoder) attributes(n *yaml.Node, p string) []Attribute {
	if n.Kind != yaml.MappingNode {
		d.fail(p, n, "must be a mapping of attribute keys to values, such as {region: eu}, got %s", describe(n))
		return nil
	}
	var out []Attribute
	keys := map[string]*yaml.Node{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		key, ok := d.str(k, p)
		if !ok {
			continue
		}
		kp := joinPath(p, key)
		if first, dup := keys[key]; dup {
			d.failNode(kp, k, "attribute is set twice; the first is on line %d", first.Line)
			continue
		}
		keys[key] = k
		d.pos[kp] = position{k.Line, k.Column}
		if value, ok := d.scalar(v, kp, "a string", "!!str"); ok {
			out = append(out, Attribute{Key: key, Value: value})
		}
	}
	return out
}

func (d *decoder) pricing(n *yaml.Node, pr *Pricing) {
	const p, what = "pricing", "an amount such as 10uqc or 0.5QC"
	f := d.mapping(n, p)
	if f == nil {
		return
	}
	setQuantity(d, f, p, "cpuPerCoreSecond", what, ParseAmount, &pr.CPUPerCoreSecond)
	setQuantity(d, f, p, "memoryPerMiBHour", what, ParseAmount, &pr.MemoryPerMiBHour)
	setQuantity(d, f, p, "storagePerGiBHour", what, ParseAmount, &pr.StoragePerGiBHour)
	setQuantity(d, f, p, "per1kRequests", what, ParseAmount, &pr.Per1kRequests)
	setQuantity(d, f, p, "egressPerGiB", what, ParseAmount, &pr.EgressPerGiB)
}

func (d *decoder) schedules(n *yaml.Node, p string) []Schedule {
	elems := d.list(n, p, "schedules such as {cron: \"*/5 * * * *\", path: /tasks/cleanup}")
	out := make([]Schedule, len(elems))
	for i, e := range elems {
		ep := index(p, i)
		f := d.mapping(e, ep)
		if f == nil {
			continue
		}
		d.setStr(f, ep, "cron", &out[i].Cron)
		d.setStr(f, ep, "path", &out[i].Path)
	}
	return out
}
