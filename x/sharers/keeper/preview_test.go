package keeper_test

import (
	"testing"

	"cosmossdk.io/math"

	"github.com/quantum1net/q1/x/sharers/types"
)

const previewManifest = `apiVersion: q1/v1
name: preview
code: {abi: q1-http/v1}
resources: {cpu: 500m, memory: 64Mi}
placement: {replicas: 2}
pricing: {cpuPerCoreSecond: 500uqc, memoryPerMiBHour: 2uqc, storagePerGiBHour: 50uqc, per1kRequests: 10uqc, egressPerGiB: 5000uqc}
`

// TestPlacementPreview: q1 service deploy --dry-run asks where a manifest
// would be placed and what it would cost per hour; nothing is written.
func TestPlacementPreview(t *testing.T) {
	f := newFixture(t)
	f.mustRegister(offer{}, "s1", "s2", "s3")
	resp, err := f.query.PlacementPreview(f.ctx, &types.QueryPlacementPreviewRequest{Manifest: []byte(previewManifest)})
	noErr(t, err)
	if resp.Service != "preview" || resp.Wanted != 2 || len(resp.Chosen) != 2 {
		t.Fatalf("preview: %+v", resp)
	}
	// 64 MiB at 2 uqc per MiB-hour: 128 an hour per replica; 0.5 core at
	// 500 uqc per core-second: at most 900,000 an hour.
	if !resp.RentPerHour.Equal(math.LegacyNewDec(256)) || !resp.MaxCpuPerHour.Equal(math.LegacyNewDec(1_800_000)) {
		t.Errorf("rent %s max cpu %s per hour", resp.RentPerHour, resp.MaxCpuPerHour)
	}
	if len(f.leases("preview")) != 0 {
		t.Error("the preview opened leases")
	}
	_, err = f.query.PlacementPreview(f.ctx, &types.QueryPlacementPreviewRequest{Manifest: []byte("apiVersion: q1/v1\nname: x\n")})
	wantErr(t, err, "manifest:")
}
