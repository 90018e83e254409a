package keeper

import (
	"encoding/binary"
	"math/rand/v2"
	"slices"
	"testing"

	sdkmath "cosmossdk.io/math"
	"github.com/cosmos/cosmos-sdk/codec"
	codectypes "github.com/cosmos/cosmos-sdk/codec/types"

	"github.com/quantum1net/q1/core/sched"
	"github.com/quantum1net/q1/x/sharers/types"
)

// randomCandidate returns a capacity index entry with every field now and
// then empty, zero or at its largest.
func randomCandidate(rng *rand.Rand) types.Candidate {
	u := func() uint64 {
		switch rng.IntN(4) {
		case 0:
			return 0
		case 1:
			return ^uint64(0) - uint64(rng.IntN(3))
		}
		return rng.Uint64N(1 << (1 + rng.IntN(62)))
	}
	str := func() string {
		b := make([]byte, rng.IntN(70))
		for i := range b {
			b[i] = byte(rng.IntN(256))
		}
		return string(b)
	}
	c := types.Candidate{
		Address:       str(),
		Free:          types.Resources{MilliCpu: u(), MemoryBytes: u(), StorageBytes: u()},
		CollateralUqc: u(),
		Prices: types.Prices{
			CpuPerCoreSecond: u(), MemoryPerMibHour: u(), StoragePerGibHour: u(), Per_1KRequests: u(), EgressPerGib: u(),
		},
	}
	for range rng.IntN(4) {
		c.Attributes = append(c.Attributes, types.Attribute{Key: str(), Value: str()})
	}
	for range rng.IntN(3) {
		c.Deny.Services = append(c.Deny.Services, str())
	}
	for range rng.IntN(3) {
		c.Deny.Owners = append(c.Deny.Owners, str())
	}
	return c
}

// sameSharer compares two sched.Sharers, a nil list equal to an empty one
// and Collateral left out (the pool sets it).
func sameSharer(a, b sched.Sharer) bool {
	return a.Address == b.Address && a.Online == b.Online && a.Free == b.Free && a.Prices == b.Prices &&
		slices.Equal(a.Attributes, b.Attributes) &&
		slices.Equal(a.Deny.Services, b.Deny.Services) && slices.Equal(a.Deny.Owners, b.Deny.Owners)
}

// TestArenaDecodeMatchesProto checks the capacity index's fast decoder
// against gogoproto's on random entries, on entries with unknown and
// repeated fields appended, and on damaged bytes: whenever the fast decoder
// accepts a value, it must read exactly what gogoproto reads.
func TestArenaDecodeMatchesProto(t *testing.T) {
	cdc := codec.NewProtoCodec(codectypes.NewInterfaceRegistry())
	rng := rand.New(rand.NewPCG(5, 6))
	var a arena
	accepted, fellBack := 0, 0
	for i := range 20000 {
		c := randomCandidate(rng)
		bz, err := c.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		switch i % 4 {
		case 1: // unknown fields of every wire type, and a repeated scalar
			bz = binary.AppendUvarint(bz, 9<<3|wireVarint)
			bz = binary.AppendUvarint(bz, rng.Uint64())
			bz = binary.AppendUvarint(bz, 10<<3|wireI64)
			bz = append(bz, 1, 2, 3, 4, 5, 6, 7, 8)
			bz = binary.AppendUvarint(bz, 11<<3|wireI32)
			bz = append(bz, 1, 2, 3, 4)
			bz = binary.AppendUvarint(bz, 12<<3|wireBytes)
			bz = append(bz, 2, 'h', 'i')
			bz = binary.AppendUvarint(bz, 4<<3|wireVarint)
			bz = binary.AppendUvarint(bz, rng.Uint64())
		case 2: // damaged: truncated or a byte changed
			if len(bz) > 0 {
				if rng.IntN(2) == 0 {
					bz = bz[:rng.IntN(len(bz))]
				} else {
					bz[rng.IntN(len(bz))] = byte(rng.IntN(256))
				}
			}
		case 3: // a message field twice: protobuf merges them
			more := randomCandidate(rng)
			extra, _ := more.Marshal()
			bz = append(bz, extra...)
		}
		var want types.Candidate
		werr := cdc.Unmarshal(bz, &want)
		got, collateral, ok := a.decode(bz)
		if !ok {
			fellBack++
			continue
		}
		accepted++
		if werr != nil {
			t.Fatalf("case %d: fast decoder accepted %x, gogoproto refused it: %v", i, bz, werr)
		}
		if !sameSharer(got, schedSharer(&want)) || collateral != want.CollateralUqc {
			t.Fatalf("case %d: fast decoder read\n%+v (collateral %d)\ngogoproto\n%+v", i, got, collateral, want)
		}
	}
	if accepted < 12000 {
		t.Fatalf("the fast decoder accepted only %d of 20000 values (%d fell back)", accepted, fellBack)
	}
	t.Logf("fast decoder: %d accepted, %d fell back", accepted, fellBack)
}

// TestCollateralFor checks that the pool's stand-in collateral compares with
// the minimum as the exact amount does.
func TestCollateralFor(t *testing.T) {
	amounts := []uint64{0, 1, 999_999, 1_000_000, 1_000_001, ^uint64(0)}
	for _, minUqc := range []int64{-1, 0, 1, 1_000_000, 1 << 62} {
		var reqs []sched.Request
		reqs = append(reqs, sched.Request{Service: "s", MinCollateral: mathInt(minUqc)})
		if minUqc == 1<<62 {
			reqs = append(reqs, sched.Request{Service: "s", MinCollateral: mathInt(minUqc).MulRaw(8)}) // beyond 2^64
		}
		reqs = append(reqs, sched.Request{Service: "s"}) // nil minimum
		for _, req := range reqs {
			pl := newPool(&req, 0)
			for _, uqc := range amounts {
				exact := sched.Sharer{Address: "a", Online: true, Collateral: mathUint(uqc)}
				standIn := exact
				standIn.Collateral = pl.collateralFor(uqc)
				r1, err1 := sched.Check(req, exact)
				r2, err2 := sched.Check(req, standIn)
				if r1 != r2 || (err1 == nil) != (err2 == nil) {
					t.Errorf("minimum %v, collateral %d: %v with the stand-in, %v with the amount", req.MinCollateral, uqc, r2, r1)
				}
			}
		}
	}
}

func mathInt(v int64) sdkmath.Int   { return sdkmath.NewInt(v) }
func mathUint(v uint64) sdkmath.Int { return sdkmath.NewIntFromUint64(v) }

// BenchmarkDecodeCandidate compares reading one capacity index entry with
// the arena and with gogoproto plus the conversion for sched.
func BenchmarkDecodeCandidate(b *testing.B) {
	c := types.Candidate{
		Address:       "q1qyfdkp0m7mq0m5u7mjt8wy4xmpydlgqznr5lhf9n",
		Free:          types.Resources{MilliCpu: 4000, MemoryBytes: 1 << 30, StorageBytes: 10 << 30},
		Attributes:    []types.Attribute{{Key: "region", Value: "eu"}},
		CollateralUqc: 2_000_000,
		Prices:        types.Prices{CpuPerCoreSecond: 500, MemoryPerMibHour: 2, StoragePerGibHour: 50, Per_1KRequests: 10, EgressPerGib: 5000},
	}
	bz, err := c.Marshal()
	if err != nil {
		b.Fatal(err)
	}
	b.Run("arena", func(b *testing.B) {
		b.ReportAllocs()
		a := arena{attrs: make([]sched.Attribute, 0, 10000)}
		for b.Loop() {
			if len(a.attrs) == cap(a.attrs) {
				a.attrs = make([]sched.Attribute, 0, 10000) // a new placement
			}
			if _, _, ok := a.decode(bz); !ok {
				b.Fatal("not decoded")
			}
		}
	})
	b.Run("gogoproto", func(b *testing.B) {
		b.ReportAllocs()
		cdc := codec.NewProtoCodec(codectypes.NewInterfaceRegistry())
		for b.Loop() {
			var c types.Candidate
			if err := cdc.Unmarshal(bz, &c); err != nil {
				b.Fatal(err)
			}
			s := schedSharer(&c)
			_ = s
		}
	})
}
