package runtime

import "github.com/quantum1net/q1/core/manifest"

// CapabilitiesFor maps a manifest's permissions.capabilities onto what the
// runtime grants: the one place a manifest becomes host functions, for a
// node loading a replica and for tools checking a module before upload.
// kvDir is the service's key-value store directory and logs receives its
// log lines; a tool that only asks which capabilities are granted
// (Granted) may pass "" and nil.
func CapabilitiesFor(m *manifest.Manifest, kvDir string, logs LogSink) Capabilities {
	return CapabilitiesWithSecrets(m, kvDir, logs, nil)
}

// CapabilitiesWithSecrets is CapabilitiesFor with the source of the
// service's secrets, granted when the manifest grants secrets (a nil
// source then answers that no secret is set).
func CapabilitiesWithSecrets(m *manifest.Manifest, kvDir string, logs LogSink, secrets SecretSource) Capabilities {
	caps := m.Permissions.Capabilities
	var c Capabilities
	if caps.KV != nil {
		c.KV = &KVConfig{Dir: kvDir, QuotaBytes: int64(caps.KV.Quota)}
	}
	if caps.Log {
		c.Log = logs
		if c.Log == nil {
			c.Log = discardLogs{}
		}
	}
	if caps.Egress != nil {
		c.Egress = &EgressConfig{Hosts: caps.Egress.Hosts}
	}
	if caps.Secrets != nil {
		c.Secrets = secrets
		if c.Secrets == nil {
			c.Secrets = noSecrets{}
		}
		if len(caps.Secrets.Names) > 0 {
			// A secret set under a name an update has since dropped from
			// the list stays on chain; the list still decides what the
			// code may read.
			c.Secrets = namedSecrets{c.Secrets, caps.Secrets}
		}
	}
	return c
}

// Granted lists the capabilities c grants, in a stable order: what Check takes.
func (c Capabilities) Granted() []Capability {
	var out []Capability
	for _, k := range allCapabilities {
		switch {
		case k == CapabilityEgress && c.Egress != nil,
			k == CapabilityKV && c.KV != nil,
			k == CapabilityLog && c.Log != nil,
			k == CapabilitySecrets && c.Secrets != nil:
			out = append(out, k)
		}
	}
	return out
}

// discardLogs is the log sink of a grant nobody reads (Check).
type discardLogs struct{}

func (discardLogs) WriteLog(LogLine) {}
