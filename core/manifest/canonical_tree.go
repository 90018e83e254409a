package manifest

// tree builds m's canonical JSON tree. The keys written here must be exactly
// the fields of manifestFields; TestCanonicalCoversEveryPath checks it.
func (m *Manifest) tree() *jsonValue {
	code := jsonObject().set("abi", jsonString(m.Code.ABI))
	if m.Code.Wasm != "" {
		code.set("wasm", jsonString(m.Code.Wasm))
	}
	root := jsonObject().
		set("apiVersion", jsonString(m.APIVersion)).
		set("name", jsonString(m.Name)).
		set("code", code).
		set("permissions", m.Permissions.tree()).
		set("policies", m.Policies.tree()).
		set("resources", m.Resources.tree()).
		set("placement", m.Placement.tree()).
		set("pricing", m.Pricing.tree())
	// Left out when empty, so that manifests written before schedules
	// existed keep their bytes and hash.
	if len(m.Schedules) > 0 {
		list := jsonArray()
		for _, s := range m.Schedules {
			list.vals = append(list.vals, jsonObject().set("cron", jsonString(s.Cron)).set("path", jsonString(s.Path)))
		}
		root.set("schedules", list)
	}
	return root
}

func (p *Permissions) tree() *jsonValue {
	callers := jsonArray()
	for _, r := range p.Callers {
		allow := jsonString("public")
		if !r.Public {
			allow = sortedStrings(r.Allow)
		}
		callers.vals = append(callers.vals, jsonObject().set("paths", sortedStrings(r.Paths)).set("allow", allow))
	}
	logViewers := jsonString(p.LogViewers.Kind)
	if p.LogViewers.Kind == LogViewersAccounts {
		logViewers = sortedStrings(p.LogViewers.Accounts)
	}
	caps := jsonObject().set("log", jsonBool(p.Capabilities.Log))
	if kv := p.Capabilities.KV; kv != nil {
		caps.set("kv", jsonObject().set("quota", jsonString(kv.Quota.String())))
	}
	if eg := p.Capabilities.Egress; eg != nil {
		caps.set("egress", jsonObject().set("hosts", sortedStrings(eg.Hosts)))
	}
	// Secrets and their writers are left out when absent, so that manifests
	// written before secrets existed keep their bytes and hash.
	if s := p.Capabilities.Secrets; s != nil {
		secrets := jsonObject()
		if len(s.Names) > 0 {
			secrets.set("names", sortedStrings(s.Names))
		}
		caps.set("secrets", secrets)
	}
	perms := jsonObject().
		set("owners", jsonObject().
			set("accounts", sortedStrings(p.Owners.Accounts)).
			set("threshold", jsonNumber(uint64(p.Owners.Threshold)))).
		set("operators", sortedStrings(p.Operators)).
		set("callers", callers).
		set("logViewers", logViewers).
		set("capabilities", caps)
	if len(p.SecretWriters) > 0 {
		perms.set("secretWriters", sortedStrings(p.SecretWriters))
	}
	return perms
}

func (p *Policies) tree() *jsonValue {
	rateLimit := jsonObject()
	if r := p.RateLimit.PerCaller; r != nil {
		rateLimit.set("perCaller", jsonString(r.String()))
	}
	budget := jsonObject().
		set("lowBalanceBlocks", jsonNumber(p.Budget.LowBalanceBlocks)).
		set("onDepletion", jsonString(p.Budget.OnDepletion)).
		set("graceBlocks", jsonNumber(p.Budget.GraceBlocks))
	if a := p.Budget.MaxPerHour; a != nil {
		budget.set("maxPerHour", jsonString(a.String()))
	}
	return jsonObject().
		set("update", jsonObject().
			set("noticeBlocks", jsonNumber(p.Update.NoticeBlocks)).
			set("frozen", sortedStrings(p.Update.Frozen))).
		set("rateLimit", rateLimit).
		set("budget", budget)
}

func (r *Resources) tree() *jsonValue {
	return jsonObject().
		set("cpu", jsonString(r.CPU.String())).
		set("memory", jsonString(r.Memory.String())).
		set("storage", jsonString(r.Storage.String())).
		set("requestTimeout", jsonString(FormatDuration(r.RequestTimeout)))
}

func (p *Placement) tree() *jsonValue {
	attrs := jsonObject()
	for _, a := range p.RequireAttributes {
		attrs.set(a.Key, jsonString(a.Value))
	}
	return jsonObject().
		set("replicas", jsonNumber(uint64(p.Replicas))).
		set("replicasMax", jsonNumber(uint64(p.ReplicasMax))).
		set("spread", jsonString(p.Spread)).
		set("requireAttributes", attrs).
		set("minCollateral", jsonString(p.MinCollateral.String()))
}

func (p *Pricing) tree() *jsonValue {
	return jsonObject().
		set("cpuPerCoreSecond", jsonString(p.CPUPerCoreSecond.String())).
		set("memoryPerMiBHour", jsonString(p.MemoryPerMiBHour.String())).
		set("storagePerGiBHour", jsonString(p.StoragePerGiBHour.String())).
		set("per1kRequests", jsonString(p.Per1kRequests.String())).
		set("egressPerGiB", jsonString(p.EgressPerGiB.String()))
}
