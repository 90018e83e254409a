package sched

import (
	"math"
	"math/big"
	"math/rand/v2"
	"testing"

	sdkmath "cosmossdk.io/math"
)

func TestHourlyCost(t *testing.T) {
	max := uint64(math.MaxUint64)
	tests := []struct {
		name   string
		res    Resources
		prices Prices
		want   string
	}{
		{"manifest example", Resources{MilliCPU: 500, MemoryBytes: 64 * mi, StorageBytes: 128 * mi}, basePrices,
			"900134.250000000000000000"}, // 64×2 + 0.125×50 + 0.5×3600×500
		{"memory only", Resources{MemoryBytes: 64 * mi}, Prices{MemoryPerMiBHour: 2}, "128.000000000000000000"},
		{"nothing reserved", Resources{}, basePrices, "0.000000000000000000"},
		{"free sharer", Resources{MilliCPU: 1000, MemoryBytes: gi}, Prices{}, "0.000000000000000000"},
		// 2^-20 = 0.00000095367431640625 needs 20 decimals: rounded up to 18.
		{"one byte rounds up", Resources{MemoryBytes: 1}, Prices{MemoryPerMiBHour: 1}, "0.000000953674316407"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := HourlyCost(tt.res, tt.prices).String(); got != tt.want {
				t.Errorf("HourlyCost = %s, want %s", got, tt.want)
			}
		})
	}

	t.Run("largest inputs are exact", func(t *testing.T) {
		res := Resources{MilliCPU: max, MemoryBytes: max, StorageBytes: max}
		pr := Prices{CPUPerCoreSecond: max, MemoryPerMiBHour: max, StoragePerGiBHour: max}
		if got, want := HourlyCost(res, pr), ratCeilDec(res, pr); !got.Equal(want) {
			t.Errorf("HourlyCost = %s, want %s", got, want)
		}
	})
}

// ratCeilDec computes HourlyCost independently with big.Rat.
func ratCeilDec(res Resources, pr Prices) sdkmath.LegacyDec {
	u := func(x uint64) *big.Int { return new(big.Int).SetUint64(x) }
	term := func(amount, price uint64, num, den int64) *big.Rat {
		r := new(big.Rat).SetInt(new(big.Int).Mul(u(amount), u(price)))
		return r.Mul(r, big.NewRat(num, den))
	}
	sum := term(res.MemoryBytes, pr.MemoryPerMiBHour, 1, mi)
	sum.Add(sum, term(res.StorageBytes, pr.StoragePerGiBHour, 1, gi))
	sum.Add(sum, term(res.MilliCPU, pr.CPUPerCoreSecond, 3600, 1000))
	scaled := new(big.Rat).Mul(sum, new(big.Rat).SetInt(new(big.Int).Exp(big.NewInt(10), big.NewInt(18), nil)))
	q, r := new(big.Int).QuoRem(scaled.Num(), scaled.Denom(), new(big.Int))
	if r.Sign() != 0 {
		q.Add(q, big.NewInt(1))
	}
	return sdkmath.LegacyNewDecFromBigIntWithPrec(q, 18)
}

func TestU256MatchesBigInt(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	words := func() uint64 {
		if rng.IntN(4) == 0 {
			return math.MaxUint64
		}
		return rng.Uint64()
	}
	for range 2000 {
		a, b, m := words(), words(), words()>>32
		x := mul64(a, b)
		want := new(big.Int).Mul(new(big.Int).SetUint64(a), new(big.Int).SetUint64(b))
		if x.big().Cmp(want) != 0 {
			t.Fatalf("mul64(%d, %d) = %s, want %s", a, b, x.big(), want)
		}
		c := words()
		if got, want3 := mul3(a, b, c), new(big.Int).Mul(want, new(big.Int).SetUint64(c)); got.big().Cmp(want3) != 0 {
			t.Fatalf("mul3(%d, %d, %d) = %s, want %s", a, b, c, got.big(), want3)
		}
		y := x.mulSmall(m)
		want2 := new(big.Int).Mul(want, new(big.Int).SetUint64(m))
		if y.big().Cmp(want2) != 0 {
			t.Fatalf("(%s).mulSmall(%d) = %s, want %s", x.big(), m, y.big(), want2)
		}
		z := y.add(x)
		if z.big().Cmp(new(big.Int).Add(want2, want)) != 0 {
			t.Fatalf("add mismatch for %s + %s", y.big(), x.big())
		}
		if got, want := x.cmp(y), x.big().Cmp(y.big()); got != want {
			t.Fatalf("cmp(%s, %s) = %d, want %d", x.big(), y.big(), got, want)
		}
	}
}

func TestInBand(t *testing.T) {
	c := func(x uint64) u256 { return u256{x} }
	top := scaledCost(
		Resources{MilliCPU: math.MaxUint64, MemoryBytes: math.MaxUint64, StorageBytes: math.MaxUint64},
		Prices{CPUPerCoreSecond: math.MaxUint64, MemoryPerMiBHour: math.MaxUint64, StoragePerGiBHour: math.MaxUint64},
	)
	tests := []struct {
		name           string
		cost, cheapest u256
		band           uint32
		want           bool
	}{
		{"the cheapest itself", c(1000), c(1000), 200, true},
		{"exactly at the edge", c(1200), c(1000), 200, true},
		{"just past the edge", c(1201), c(1000), 200, false},
		{"zero band", c(1001), c(1000), 0, false},
		{"free cheapest admits only free", c(1), c(0), math.MaxUint32, false},
		{"largest cost, largest band", top, top, math.MaxUint32, true},
		{"largest cost above the cheapest", top, c(1), math.MaxUint32, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := inBand(tt.cost, bandLimit(tt.cheapest, tt.band)); got != tt.want {
				t.Errorf("inBand = %t, want %t", got, tt.want)
			}
		})
	}
}
