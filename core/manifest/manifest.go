package manifest

import (
	"slices"
	"time"
)

// APIVersion is the manifest format this package reads and writes.
const APIVersion = "q1/v1"

// ABIHTTPv1 is the guest ABI of services that handle HTTP requests; the only
// ABI so far, and the default.
const ABIHTTPv1 = "q1-http/v1"

// Limits on what a manifest may ask for. They keep manifests small enough to
// store on chain and reject values that can only be mistakes.
const (
	MaxSize           = 64 << 10 // bytes of YAML or canonical JSON
	MaxAccounts       = 64       // accounts in any one list
	MaxCallerRules    = 64
	MaxRulePaths      = 32 // path patterns in one caller rule
	MaxEgressHosts    = 32
	MaxSecretNames    = 64 // names in capabilities.secrets.names
	MaxAttributes     = 16
	MaxReplicas       = 100
	MaxBlocks         = 1_000_000_000 // any count of blocks (~31 years of 1 s blocks)
	MaxRateCount      = 1_000_000
	MinMilliCPU       = MilliCPU(10)
	MaxMilliCPU       = MilliCPU(64_000)
	MinMemory         = MiB
	MaxMemory         = 4 * GiB // a wasm32 memory cannot be larger
	MaxStorage        = TiB
	MinRequestTimeout = time.Millisecond
	MaxRequestTimeout = time.Minute // docs/manifest.md says why
)

// Manifest is a parsed, valid Service Manifest. Obtain one with [Parse] or
// [ParseCanonical]; a Manifest built or changed in Go should be checked
// with [Manifest.Validate] before it is encoded.
//
// Lists that are sets (accounts, hosts, path patterns, frozen paths,
// attributes) are sorted by Parse; caller rules keep their order. Compare
// manifests with ChangedPaths or their Canonical bytes, not with
// reflect.DeepEqual: a parsed Manifest also remembers source positions.
type Manifest struct {
	APIVersion  string // always APIVersion
	Name        string // network-unique DNS label
	Code        Code
	Permissions Permissions
	Policies    Policies
	Resources   Resources // per replica
	Placement   Placement
	Pricing     Pricing
	Schedules   []Schedule // in manifest order; default none

	// pos records where each field path was found in the source, so that
	// later checks (Validate, CheckUpdate) can point at lines. Nil for a
	// manifest built in Go.
	pos positions
}

// Code names the service's program.
type Code struct {
	Wasm string // content address "sha256:<64 hex>"; "" only in a draft (ParseOptions.AllowMissingWasm)
	ABI  string // guest ABI, default ABIHTTPv1
}

// Permissions says who governs, operates, calls and observes the service,
// and what the code may do on its host.
type Permissions struct {
	Owners       Owners
	Operators    []string     // accounts that may fund, pause, resume and scale; default none
	Callers      []CallerRule // first match wins; default: every path public
	LogViewers   LogViewers   // default: owners
	Capabilities Capabilities // default: none
	// SecretWriters may set and delete the service's secrets besides the
	// owners; default none.
	SecretWriters []string
}

// Owners govern the service: changing, withdrawing and deleting need
// Threshold distinct approvals among Accounts.
type Owners struct {
	Accounts  []string // bech32 account addresses
	Threshold uint32   // 1..len(Accounts); default len(Accounts)
}

// CallerRule lets callers reach a set of paths: everyone when Public, else
// requests signed by one of the Allow accounts.
type CallerRule struct {
	Paths  []string // path patterns, see MatchPath
	Public bool
	Allow  []string // accounts; empty when Public
}

// Allows reports whether a request signed by account (or unsigned, when
// account is "") passes this rule.
func (r CallerRule) Allows(account string) bool {
	return r.Public || (account != "" && slices.Contains(r.Allow, account))
}

// Matches reports whether this rule selects the request path p.
func (r CallerRule) Matches(p string) bool {
	for _, pattern := range r.Paths {
		if MatchPath(pattern, p) {
			return true
		}
	}
	return false
}

// Who may read a service's logs.
const (
	LogViewersOwners   = "owners"   // the owners only
	LogViewersPublic   = "public"   // anyone
	LogViewersAccounts = "accounts" // the listed accounts and the owners
)

// LogViewers says who may read the service's logs.
type LogViewers struct {
	Kind     string   // LogViewersOwners, LogViewersPublic or LogViewersAccounts
	Accounts []string // when Kind is LogViewersAccounts
}

// Capabilities are the host functions granted to the code; anything not
// granted is denied. A nil field is not granted.
type Capabilities struct {
	KV     *KV
	Egress *Egress
	Log    bool // may write log lines, readable by LogViewers
	// Secrets grants reading the service's secrets (set with q1 service
	// secret set); nil: not granted.
	Secrets *Secrets
}

// Secrets grants reading secrets: any name when Names is empty, else only
// the listed names (which are then the only names that may be set).
type Secrets struct {
	Names []string
}

// Allows reports whether a secret named name may be set and read. A nil
// Secrets allows nothing.
func (s *Secrets) Allows(name string) bool {
	return s != nil && (len(s.Names) == 0 || slices.Contains(s.Names, name))
}

// KV grants a key-value store of at most Quota bytes, counted against
// Resources.Storage.
type KV struct {
	Quota ByteSize
}

// Egress grants outbound HTTP requests to the listed hosts.
type Egress struct {
	Hosts []string // DNS names; "*.example.com" allows every name below example.com
}

// Allows reports whether the code may connect to host. A nil Egress allows
// nothing.
func (e *Egress) Allows(host string) bool {
	if e == nil {
		return false
	}
	for _, h := range e.Hosts {
		if matchHost(h, host) {
			return true
		}
	}
	return false
}

// Policies say how the service may change, how hard it may be called and
// what it may spend.
type Policies struct {
	Update    UpdatePolicy
	RateLimit RateLimit
	Budget    Budget
}

// UpdatePolicy governs changes to the manifest.
type UpdatePolicy struct {
	NoticeBlocks uint64   // approved changes activate this many blocks later; default 0
	Frozen       []string // field paths that can never change; default none
}

// RateLimit limits calls to the service.
type RateLimit struct {
	PerCaller *Rate // per caller (account, or client address when unsigned); nil: unlimited
}

// What happens when a service's escrow runs dry.
const (
	DepletionPause  = "pause"  // leases close, data is kept for GraceBlocks; a deposit resumes
	DepletionDelete = "delete" // the service is deleted
)

// Budget caps spending and says what happens when money runs out.
type Budget struct {
	MaxPerHour       *Amount // most charged per hour; nil: SpendingCeiling
	LowBalanceBlocks uint64  // escrow.low is emitted when escrow covers fewer blocks; default 1000
	OnDepletion      string  // DepletionPause (default) or DepletionDelete
	GraceBlocks      uint64  // blocks a paused service's data is kept; default 100000
}

// Resources are reserved for each replica.
type Resources struct {
	CPU            MilliCPU      // default 100m
	Memory         ByteSize      // required
	Storage        ByteSize      // default 0
	RequestTimeout time.Duration // whole milliseconds; default 10s
}

// SpreadNode spreads replicas over distinct sharer nodes.
const SpreadNode = "node"

// Placement says how many replicas run and where.
type Placement struct {
	Replicas          uint32      // default 1
	ReplicasMax       uint32      // most replicas operators may scale to; default Replicas
	Spread            string      // SpreadNode (default) or a sharer attribute key whose values must differ
	RequireAttributes []Attribute // sharer attributes required, sorted by key; default none
	MinCollateral     Amount      // least collateral a sharer must have posted; default 0uqc
}

// Attribute is one key: value pair of sharer attributes.
type Attribute struct {
	Key, Value string
}

// Pricing caps what the service pays per unit, in uqc. All are required.
type Pricing struct {
	CPUPerCoreSecond  Amount // CPU time actually spent running the code
	MemoryPerMiBHour  Amount // reserved memory, accruing with block time
	StoragePerGiBHour Amount // reserved storage, accruing with block time
	Per1kRequests     Amount
	EgressPerGiB      Amount
}

// defaults returns a manifest with every optional field at its default.
func defaults() *Manifest {
	return &Manifest{
		APIVersion: APIVersion,
		Code:       Code{ABI: ABIHTTPv1},
		Permissions: Permissions{
			Callers:    []CallerRule{{Paths: []string{"/*"}, Public: true}},
			LogViewers: LogViewers{Kind: LogViewersOwners},
		},
		Policies: Policies{
			Budget: Budget{LowBalanceBlocks: 1000, OnDepletion: DepletionPause, GraceBlocks: 100_000},
		},
		Resources: Resources{CPU: 100, RequestTimeout: 10 * time.Second},
		Placement: Placement{Replicas: 1, Spread: SpreadNode},
	}
}

// CallerRule returns the first caller rule that selects the request path p
// (first match wins), and false when none does: such a request is refused.
func (m *Manifest) CallerRule(p string) (CallerRule, bool) {
	for _, r := range m.Permissions.Callers {
		if r.Matches(p) {
			return r, true
		}
	}
	return CallerRule{}, false
}

// MayCall reports whether a request for path p, signed by account ("" when
// unsigned), is allowed by the caller rules.
func (m *Manifest) MayCall(p, account string) bool {
	r, ok := m.CallerRule(p)
	return ok && r.Allows(account)
}

// IsOwner reports whether account is one of the owners.
func (m *Manifest) IsOwner(account string) bool {
	return slices.Contains(m.Permissions.Owners.Accounts, account)
}

// IsOperator reports whether account is one of the operators.
func (m *Manifest) IsOperator(account string) bool {
	return slices.Contains(m.Permissions.Operators, account)
}

// MayViewLogs reports whether account ("" when anonymous) may read the
// service's logs. Owners always may.
func (m *Manifest) MayViewLogs(account string) bool {
	lv := m.Permissions.LogViewers
	switch {
	case lv.Kind == LogViewersPublic:
		return true
	case account == "":
		return false
	case m.IsOwner(account):
		return true
	default:
		return lv.Kind == LogViewersAccounts && slices.Contains(lv.Accounts, account)
	}
}

// HasWasm reports whether the code's content address is filled in.
func (m *Manifest) HasWasm() bool { return m.Code.Wasm != "" }
