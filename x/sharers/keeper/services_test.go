package keeper_test

import (
	"context"
	"fmt"
	"strings"

	"github.com/quantum1net/q1/core/manifest"
)

// spec describes a test manifest; zero fields take defaults.
type spec struct {
	name          string
	owners        []string
	replicas      uint32
	replicasMax   uint32
	cpu           string
	memory        string
	storage       string
	spread        string
	require       string // YAML mapping body, e.g. "region: eu"
	minCollateral string
	memoryCap     string
	wasm          int
}

// manifest returns the manifest s describes.
func (f *fixture) manifest(s spec) *manifest.Manifest {
	f.t.Helper()
	if s.name == "" {
		s.name = "hello"
	}
	if len(s.owners) == 0 {
		s.owners = []string{"alice"}
	}
	if s.replicas == 0 {
		s.replicas = 1
	}
	if s.replicasMax < s.replicas {
		s.replicasMax = max(s.replicas, 5)
	}
	def := func(v *string, d string) {
		if *v == "" {
			*v = d
		}
	}
	def(&s.cpu, "500m")
	def(&s.memory, "64Mi")
	def(&s.storage, "128Mi")
	def(&s.spread, "node")
	def(&s.minCollateral, "0uqc")
	def(&s.memoryCap, "4uqc")
	owners := make([]string, len(s.owners))
	for i, o := range s.owners {
		owners[i] = f.addr(o)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "apiVersion: q1/v1\nname: %s\n", s.name)
	fmt.Fprintf(&b, "code: {wasm: sha256:%064x}\n", 7+s.wasm)
	fmt.Fprintf(&b, "permissions:\n  owners: {accounts: [%s], threshold: 1}\n", strings.Join(owners, ", "))
	fmt.Fprintf(&b, "resources: {cpu: %s, memory: %s, storage: %s}\n", s.cpu, s.memory, s.storage)
	fmt.Fprintf(&b, "placement: {replicas: %d, replicasMax: %d, spread: %s, minCollateral: %s", s.replicas, s.replicasMax, s.spread, s.minCollateral)
	if s.require != "" {
		fmt.Fprintf(&b, ", requireAttributes: {%s}", s.require)
	}
	b.WriteString("}\n")
	fmt.Fprintf(&b, "pricing: {cpuPerCoreSecond: 1000uqc, memoryPerMiBHour: %s, storagePerGiBHour: 100uqc, per1kRequests: 20uqc, egressPerGiB: 10000uqc}\n", s.memoryCap)
	m, err := manifest.Parse([]byte(b.String()), manifest.ParseOptions{})
	if err != nil {
		f.t.Fatalf("test manifest: %v\n%s", err, b.String())
	}
	return m
}

// create creates the service s describes, as MsgCreateService would.
func (f *fixture) create(s spec) {
	f.t.Helper()
	m := f.manifest(s)
	if err := f.tx(func(ctx context.Context) error { return f.services.create(ctx, m) }); err != nil {
		f.t.Fatalf("create %s: %v", m.Name, err)
	}
}

// hook runs a fake services change in a transaction.
func (f *fixture) hook(fn func(ctx context.Context) error) {
	f.t.Helper()
	if err := f.tx(fn); err != nil {
		f.t.Fatal(err)
	}
}
