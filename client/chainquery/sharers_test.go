package chainquery

import (
	"context"
	"errors"
	"testing"
	"time"

	sdkmath "cosmossdk.io/math"
	"github.com/cosmos/cosmos-sdk/client"

	"github.com/quantum1net/q1/app"
	q1client "github.com/quantum1net/q1/client"
	sharerstypes "github.com/quantum1net/q1/x/sharers/types"
)

// TestSharerQueryArguments checks that bad arguments are refused as bad
// requests, with their message, before any read (the chain here has no node).
func TestSharerQueryArguments(t *testing.T) {
	app.SetSDKConfig()
	c := New(client.Context{}, sdkmath.ZeroInt())
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		call func() error
		want string
	}{
		{"sharer address", func() error { _, err := c.Sharer(ctx, "q1xyz"); return err },
			`bad request: sharer "q1xyz" is not a Quantum1Net account address: decoding bech32 failed: invalid bech32 string length 5`},
		{"leases sharer", func() error {
			_, err := c.Leases(ctx, "cosmos1qyqszqgpqyqszqgpqyqszqgpqyqszqgpjnp7du", "", 0)
			return err
		}, `bad request: sharer "cosmos1qyqszqgpqyqszqgpqyqszqgpqyqszqgpjnp7du" is not a Quantum1Net account address: it starts with "cosmos1", but Quantum1Net accounts start with "q11"`},
		{"leases service", func() error { _, err := c.Leases(ctx, "", "Hello!", 0); return err },
			`bad request: service name "Hello!": must be a DNS label: 1 to 63 lowercase letters, digits or '-', starting and ending with a letter or digit; got "Hello!"`},
		{"leases limit", func() error { _, err := c.Leases(ctx, "", "", 5000); return err },
			"bad request: limit must be between 1 and 1000, got 5000"},
		{"placement service", func() error { _, err := c.Placement(ctx, "-x"); return err },
			`bad request: service name "-x": must be a DNS label: 1 to 63 lowercase letters, digits or '-', starting and ending with a letter or digit; got "-x"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call()
			if !errors.Is(err, q1client.ErrBadRequest) {
				t.Fatalf("error %v is not a bad request", err)
			}
			if err.Error() != tc.want {
				t.Errorf("error\n got: %s\nwant: %s", err, tc.want)
			}
		})
	}
}

func TestLeaseOut(t *testing.T) {
	placed := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	l := sharerstypes.Lease{
		Id: 7, Service: "hello", Replica: 1, Sharer: "q11s",
		Prices:        sharerstypes.Prices{CpuPerCoreSecond: 500, MemoryPerMibHour: 2, StoragePerGibHour: 50, Per_1KRequests: 10, EgressPerGib: 5000},
		Resources:     sharerstypes.Resources{MilliCpu: 100, MemoryBytes: 32 << 20},
		MinCollateral: sdkmath.NewInt(3),
		PlacedHeight:  10, PlacedTime: placed, AckDeadline: 60,
	}
	open := leaseOut(&l)
	if open.Status != "open" || open.Acked || open.AckedTime != nil || open.ClosedTime != nil || open.CloseReason != "" ||
		open.Prices.CPUPerCoreSecond != "500" || open.Prices.EgressPerGiB != "5000" || open.MinCollateral != "3" {
		t.Errorf("open lease: %+v", open)
	}
	l.AckedHeight, l.AckedTime = 20, placed.Add(time.Minute)
	l.ClosedHeight, l.ClosedTime, l.CloseReason, l.CloseDetail = 30, placed.Add(time.Hour), sharerstypes.CloseAckTimeout, "detail"
	closed := leaseOut(&l)
	if closed.Status != "closed" || !closed.Acked || closed.AckedTime == nil || !closed.AckedTime.Equal(l.AckedTime) ||
		closed.ClosedHeight != 30 || closed.CloseReason != "ack_timeout" || closed.CloseDetail != "detail" {
		t.Errorf("closed lease: %+v", closed)
	}
}

func TestSharerOut(t *testing.T) {
	s := sharerstypes.Sharer{
		Address: "q11s", Status: sharerstypes.SharerOffline, Draining: true,
		Capacity:   sharerstypes.Capacity{MilliCpu: 2000, MemoryBytes: 1 << 30, StorageBytes: 1 << 30, EgressBytesPerHour: 1 << 30},
		Used:       sharerstypes.Resources{MilliCpu: 100, MemoryBytes: 32 << 20},
		Attributes: []sharerstypes.Attribute{{Key: "region", Value: "eu"}},
		Collateral: sdkmath.NewInt(1_500_000), Leases: 1,
	}
	out := sharerOut(&s)
	if out.Status != "offline" || !out.Draining || out.Free.MilliCPU != 1900 || out.Free.MemoryBytes != 1<<30-32<<20 ||
		out.CollateralQC != "1.5QC" || out.Collateral != "1500000" || len(out.Attributes) != 1 ||
		out.Deny.Services == nil || out.Deny.Owners == nil || out.LeaseCount != 1 {
		t.Errorf("sharer: %+v", out)
	}
}
