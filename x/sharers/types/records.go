package types

import (
	"strings"
)

// Add returns r + o.
func (r Resources) Add(o Resources) Resources {
	return Resources{
		MilliCpu:     r.MilliCpu + o.MilliCpu,
		MemoryBytes:  r.MemoryBytes + o.MemoryBytes,
		StorageBytes: r.StorageBytes + o.StorageBytes,
	}
}

// Sub returns r - o; the caller ensures o fits in r.
func (r Resources) Sub(o Resources) Resources {
	return Resources{
		MilliCpu:     r.MilliCpu - o.MilliCpu,
		MemoryBytes:  r.MemoryBytes - o.MemoryBytes,
		StorageBytes: r.StorageBytes - o.StorageBytes,
	}
}

// Within reports whether every resource of r is at most the one of c.
func (r Resources) Within(c Capacity) bool {
	return r.MilliCpu <= c.MilliCpu && r.MemoryBytes <= c.MemoryBytes && r.StorageBytes <= c.StorageBytes
}

// Free returns the sharer's capacity minus what its leases reserve.
func (s *Sharer) Free() Resources {
	return Resources{
		MilliCpu:     s.Capacity.MilliCpu - s.Used.MilliCpu,
		MemoryBytes:  s.Capacity.MemoryBytes - s.Used.MemoryBytes,
		StorageBytes: s.Capacity.StorageBytes - s.Used.StorageBytes,
	}
}

// Placeable reports whether placement may give the sharer new leases:
// it is active and not draining.
func (s *Sharer) Placeable() bool {
	return s.Status == SharerActive && !s.Draining
}

// Registered reports whether the sharer has not deregistered.
func (s *Sharer) Registered() bool {
	return s.Status == SharerActive || s.Status == SharerOffline
}

// Offer returns the sharer's current offer.
func (s *Sharer) Offer() Offer {
	return Offer{
		Endpoint:   s.Endpoint,
		Capacity:   s.Capacity,
		Attributes: s.Attributes,
		Prices:     s.Prices,
		Deny:       s.Deny,
		HotKey:     s.HotKey,
	}
}

// IsOpen reports whether the lease has not closed.
func (l *Lease) IsOpen() bool { return l.ClosedHeight == 0 }

// IsAcked reports whether the sharer acknowledged the lease.
func (l *Lease) IsAcked() bool { return l.AckedHeight != 0 }

// Label returns the status in lowercase, e.g. "offline".
func (s SharerStatus) Label() string {
	return strings.ToLower(strings.TrimPrefix(s.String(), "SHARER_STATUS_"))
}

// Label returns the reason in lowercase, e.g. "ack_timeout".
func (r CloseReason) Label() string {
	return strings.ToLower(strings.TrimPrefix(r.String(), "CLOSE_REASON_"))
}

// AtMost reports whether every resource of r is at most the one of o.
func (r Resources) AtMost(o Resources) bool {
	return r.MilliCpu <= o.MilliCpu && r.MemoryBytes <= o.MemoryBytes && r.StorageBytes <= o.StorageBytes
}
