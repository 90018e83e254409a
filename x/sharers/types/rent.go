package types

import (
	"cosmossdk.io/math"
)

// rentDenominator turns bytes × (uqc per MiB-hour) × 2^10 + bytes × (uqc per
// GiB-hour) into uqc per hour: one GiB is 2^30 bytes, one MiB 2^20.
var rentDenominator = math.NewInt(1 << 30)

// RentPerHour is the reservation rent of a lease reserving res at prices p,
// in uqc per hour of block time:
//
//	memory MiB × memoryPerMiBHour + storage GiB × storagePerGiBHour
//
// with MiB and GiB as exact fractions of bytes (64Mi of memory at 2 uqc is
// 128 uqc an hour), truncated to LegacyDec's 18 decimals. Reserved CPU pays
// no rent: CPU is priced per core-second actually used and charged from
// usage reports (x/usage), so a replica that idles costs its memory and
// storage only.
func RentPerHour(res Resources, p Prices) math.LegacyDec {
	mem := math.NewIntFromUint64(res.MemoryBytes).Mul(math.NewIntFromUint64(p.MemoryPerMibHour)).MulRaw(1 << 10)
	sto := math.NewIntFromUint64(res.StorageBytes).Mul(math.NewIntFromUint64(p.StoragePerGibHour))
	return math.LegacyNewDecFromInt(mem.Add(sto)).QuoInt(rentDenominator)
}

// CPUPerHourAtFullUse is what reserving res costs per hour of CPU time if
// every reserved core is busy the whole hour at prices p, in uqc: cores ×
// 3600 × cpuPerCoreSecond. It bounds the CPU charge of one replica; it is
// not rent.
func CPUPerHourAtFullUse(res Resources, p Prices) math.LegacyDec {
	n := math.NewIntFromUint64(res.MilliCpu).Mul(math.NewIntFromUint64(p.CpuPerCoreSecond)).MulRaw(3600)
	return math.LegacyNewDecFromInt(n).QuoInt64(1000)
}
