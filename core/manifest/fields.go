package manifest

import (
	"slices"
	"strings"
)

// field describes one field of the manifest format. The tree rooted at
// manifestFields is the single list of field names: the decoder rejects keys
// not in it, Paths lists it, Schema is generated from it, and tests check
// that the Go types and the canonical encoding cover exactly these fields.
type field struct {
	name     string
	doc      string
	required bool
	fields   []*field       // an object: its fields in document order
	items    *field         // a list of objects: the element's description
	maxItems int            // a list of objects: the most elements
	schema   map[string]any // anything else: the JSON Schema of its value
}

func object(name string, required bool, doc string, fields ...*field) *field {
	return &field{name: name, doc: doc, required: required, fields: fields}
}

func leaf(name string, required bool, doc string, schema map[string]any) *field {
	return &field{name: name, doc: doc, required: required, schema: schema}
}

func listOf(name string, doc string, maxItems int, item *field) *field {
	return &field{name: name, doc: doc, items: item, maxItems: maxItems}
}

const (
	required = true
	optional = false
)

var manifestFields = object("", required, "A Quantum1Net Service Manifest (apiVersion q1/v1).",
	leaf("apiVersion", required, "Manifest format version; always q1/v1.", constant(APIVersion)),
	leaf("name", required, "Network-unique DNS label naming the service; never reused once taken.", ref("name")),
	object("code", optional, "The service's program. Required on chain, where code.wasm must be set.",
		leaf("wasm", optional, "Content address of the wasm module, sha256:<64 hex>; the CLI fills it from --wasm.", ref("wasmHash")),
		leaf("abi", optional, "Guest ABI the module implements. Default q1-http/v1.", enum(ABIHTTPv1)),
	),
	object("permissions", required, "Who governs, operates, calls and observes the service, and what its code may do.",
		object("owners", required, "Accounts that govern the service: m-of-n approvals to change, withdraw or delete.",
			leaf("accounts", required, "Owner accounts (bech32 q1…), no duplicates.", accountList(1)),
			leaf("threshold", optional, "Distinct owner approvals needed, 1 to the number of owners. Default: all owners.", integer(1, MaxAccounts)),
		),
		leaf("operators", optional, "Accounts that may fund, pause, resume, and scale within placement.replicasMax. Default none.", accountList(0)),
		listOf("callers", "Caller rules, first match wins; a path no rule matches is refused. Default: every path public.", MaxCallerRules,
			object("", optional, "One caller rule.",
				leaf("paths", required, "Path patterns this rule selects, such as /admin/* or /users/*/profile.", pathList()),
				leaf("allow", required, "public, or the accounts whose signed requests are allowed.", audience("public")),
			)),
		leaf("logViewers", optional, "Who may read the logs: owners, public, or a list of accounts (owners always may). Default owners.", audience("owners", "public")),
		object("capabilities", optional, "Host functions granted to the code; anything else is denied. Default none.",
			object("kv", optional, "A key-value store.",
				leaf("quota", required, "Most bytes the store may hold; counts against resources.storage.", ref("byteSize")),
			),
			object("egress", optional, "Outbound HTTP requests.",
				leaf("hosts", required, "DNS names the code may reach; *.example.com allows every name below example.com.", hostList()),
			),
			leaf("log", optional, "Whether the code may write log lines. Default false.", typed("boolean")),
			object("secrets", optional, "Reading the service's secrets (q1 service secret set), decrypted on the replicas' nodes.",
				leaf("names", optional, "The only secret names that may be set and read. Default: any name.", uniqueList(ref("secretName"), 1, MaxSecretNames)),
			),
		),
		leaf("secretWriters", optional, "Accounts that may set and delete secrets besides the owners. Default none.", accountList(0)),
	),
	object("policies", optional, "How the service may change, be called and spend.",
		object("update", optional, "Rules for changing the manifest.",
			leaf("noticeBlocks", optional, "Blocks between approval and activation of a change. Default 0.", integer(0, MaxBlocks)),
			leaf("frozen", optional, "Field paths that can never change; the list itself only grows. Default none.", fieldPathList()),
		),
		object("rateLimit", optional, "Limits on calls.",
			leaf("perCaller", optional, "Requests per caller, such as 50/s or 600/m. Default unlimited.", ref("rate")),
		),
		object("budget", optional, "Spending limits and what happens when the escrow runs dry.",
			leaf("maxPerHour", optional, "Most charged per hour, rent and usage together, such as 5QC. Default: what the replicas could bill at full use (q1 manifest validate shows it).", ref("amount")),
			leaf("lowBalanceBlocks", optional, "Emit escrow.low when the escrow covers fewer blocks than this. Default 1000.", integer(0, MaxBlocks)),
			leaf("onDepletion", optional, "pause (keep data for graceBlocks) or delete. Default pause.", enum(DepletionPause, DepletionDelete)),
			leaf("graceBlocks", optional, "Blocks a service paused for lack of funds keeps its data. Default 100000.", integer(0, MaxBlocks)),
		),
	),
	object("resources", required, "Resources reserved for each replica.",
		leaf("cpu", optional, "CPU, as millicores (500m) or cores (1, 0.5). Default 100m.", ref("cpu")),
		leaf("memory", required, "Memory, such as 64Mi; at most 4Gi.", ref("byteSize")),
		leaf("storage", optional, "Storage, such as 128Mi. Default 0.", ref("byteSize")),
		leaf("requestTimeout", optional, "Longest a request may run, such as 2s or 500ms. Default 10s.", ref("duration")),
	),
	object("placement", optional, "How many replicas run, and where.",
		leaf("replicas", optional, "Replicas to run. Default 1.", integer(1, MaxReplicas)),
		leaf("replicasMax", optional, "Most replicas operators may scale to. Default: replicas.", integer(1, MaxReplicas)),
		leaf("spread", optional, "node, or a sharer attribute key whose values must differ between replicas. Default node.", ref("attributeKey")),
		leaf("requireAttributes", optional, "Sharer attributes a node must have, such as {region: eu}. Default none.", attributeMap()),
		leaf("minCollateral", optional, "Least collateral a sharer must have posted, such as 1000QC. Default 0uqc.", ref("amount")),
	),
	object("pricing", required, "The most the service pays per unit (uqc = µQC; 1 QC = 1000000 uqc).",
		leaf("cpuPerCoreSecond", required, "Per core-second of CPU time actually used.", ref("amount")),
		leaf("memoryPerMiBHour", required, "Per MiB-hour of reserved memory.", ref("amount")),
		leaf("storagePerGiBHour", required, "Per GiB-hour of reserved storage.", ref("amount")),
		leaf("per1kRequests", required, "Per 1000 requests.", ref("amount")),
		leaf("egressPerGiB", required, "Per GiB of outbound traffic.", ref("amount")),
	),
	listOf("schedules", "Scheduled requests: at each tick one replica runs a POST to path (times in UTC). At most 16. Default none.", MaxSchedules,
		object("", optional, "One schedule.",
			leaf("cron", required, "Five cron fields (minute hour day-of-month month day-of-week), a descriptor such as @hourly, or @every D (at least 1m); at most once a minute.", typed("string")),
			leaf("path", required, "The path the request is sent to, such as /tasks/cleanup; a caller rule must select it.", ref("schedulePath")),
		)),
)

// child returns f's field called name, or nil.
func (f *field) child(name string) *field {
	for _, c := range f.fields {
		if c.name == name {
			return c
		}
	}
	return nil
}

// names lists f's field names in document order.
func (f *field) names() []string {
	out := make([]string, len(f.fields))
	for i, c := range f.fields {
		out[i] = c.name
	}
	return out
}

// fieldAt returns the description of the value at path p, which may index
// list elements ("permissions.callers[2]"), or nil when there is none.
func fieldAt(p string) *field {
	f := manifestFields
	if p == "" {
		return f
	}
	for _, seg := range strings.Split(p, ".") {
		name, _, indexed := strings.Cut(seg, "[")
		if f = f.child(name); f == nil {
			return nil
		}
		if indexed {
			if f = f.items; f == nil {
				return nil
			}
		}
	}
	return f
}

var allPaths = func() []string {
	var out []string
	var walk func(prefix string, f *field)
	walk = func(prefix string, f *field) {
		for _, c := range f.fields {
			p := joinPath(prefix, c.name)
			out = append(out, p)
			walk(p, c)
		}
	}
	walk("", manifestFields)
	slices.Sort(out)
	return out
}()

// Paths lists, sorted, every field path of the manifest format: objects such
// as "permissions" and "placement", and their fields such as
// "permissions.callers" and "placement.replicas". Elements of lists are not
// fields: "permissions.callers" is the finest path into the caller rules.
// These are the paths policies.update.frozen may name and ChangedPaths reports.
func Paths() []string { return slices.Clone(allPaths) }

// IsPath reports whether p is one of [Paths].
func IsPath(p string) bool {
	_, found := slices.BinarySearch(allPaths, p)
	return found
}

// joinPath appends a field name to a dotted path.
func joinPath(parent, name string) string {
	if parent == "" {
		return name
	}
	return parent + "." + name
}

// isUnder reports whether p is ancestor itself or lies below it, as a field
// or as a list element ("permissions.callers[0]" is under "permissions.callers").
func isUnder(p, ancestor string) bool {
	if ancestor == "" {
		return true
	}
	if !strings.HasPrefix(p, ancestor) {
		return false
	}
	rest := p[len(ancestor):]
	return rest == "" || rest[0] == '.' || rest[0] == '['
}
