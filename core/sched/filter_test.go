package sched

import (
	"errors"
	"testing"

	sdkmath "cosmossdk.io/math"
)

func TestPlaceExclusionReasons(t *testing.T) {
	tests := []struct {
		name   string
		req    func(*Request)
		sharer func(*Sharer)
		want   Reason
	}{
		{"empty address", nil, func(s *Sharer) { s.Address = "" }, ReasonInvalid},
		{"unsorted attributes", nil, func(s *Sharer) {
			s.Attributes = []Attribute{{"zone", "a"}, {"region", "eu"}}
		}, ReasonInvalid},
		{"repeated attribute key", nil, func(s *Sharer) {
			s.Attributes = []Attribute{{"region", "eu"}, {"region", "us"}}
		}, ReasonInvalid},
		{"already placed", func(r *Request) {
			r.Replicas = 2
			r.Current = []Replica{{Sharer: "q1a"}}
		}, nil, ReasonPlaced},
		{"offline", nil, func(s *Sharer) { s.Online = false }, ReasonOffline},
		{"service denied", nil, func(s *Sharer) { s.Deny.Services = []string{"other", "hello"} }, ReasonDenied},
		{"owner denied", func(r *Request) { r.Owners = []string{"q1alice", "q1bob"} },
			func(s *Sharer) { s.Deny.Owners = []string{"q1bob"} }, ReasonDenied},
		{"required attribute missing", func(r *Request) {
			r.RequireAttributes = []Attribute{{"gpu", "yes"}}
		}, nil, ReasonAttributes},
		{"required attribute differs", func(r *Request) {
			r.RequireAttributes = []Attribute{{"region", "us"}}
		}, nil, ReasonAttributes},
		{"spread attribute missing", func(r *Request) { r.Spread = "zone" }, nil, ReasonAttributes},
		{"collateral below minimum", nil, func(s *Sharer) { s.Collateral = sdkmath.NewInt(999_999_999) }, ReasonCollateral},
		{"no collateral", nil, func(s *Sharer) { s.Collateral = sdkmath.Int{} }, ReasonCollateral},
		{"lacked cpu", nil, func(s *Sharer) { s.Free.MilliCPU = 499 }, ReasonCPU},
		{"lacked memory", nil, func(s *Sharer) { s.Free.MemoryBytes = 64*mi - 1 }, ReasonMemory},
		{"lacked storage", nil, func(s *Sharer) { s.Free.StorageBytes = 0 }, ReasonStorage},
		{"cpu price above cap", nil, func(s *Sharer) { s.Prices.CPUPerCoreSecond = 1001 }, ReasonPrice},
		{"memory price above cap", nil, func(s *Sharer) { s.Prices.MemoryPerMiBHour = 5 }, ReasonPrice},
		{"storage price above cap", nil, func(s *Sharer) { s.Prices.StoragePerGiBHour = 101 }, ReasonPrice},
		{"request price above cap", nil, func(s *Sharer) { s.Prices.Per1kRequests = 21 }, ReasonPrice},
		{"egress price above cap", nil, func(s *Sharer) { s.Prices.EgressPerGiB = 10001 }, ReasonPrice},
		{"spread value held by a current replica", func(r *Request) {
			r.Replicas = 2
			r.Spread = "region"
			r.Current = []Replica{{Sharer: "q1z", Attributes: []Attribute{{"region", "eu"}}}}
		}, nil, ReasonSpread},
		{"not needed", func(r *Request) { r.Replicas = 0 }, nil, ReasonNotNeeded},

		// The first reason wins.
		{"offline and lacked memory", nil, func(s *Sharer) { s.Online = false; s.Free.MemoryBytes = 0 }, ReasonOffline},
		{"denied and above max price", nil, func(s *Sharer) {
			s.Deny.Services = []string{"hello"}
			s.Prices.MemoryPerMiBHour = 99
		}, ReasonDenied},
		{"lacked cpu, memory and storage", nil, func(s *Sharer) { s.Free = Resources{} }, ReasonCPU},
		{"lacked memory and storage", nil, func(s *Sharer) { s.Free.MemoryBytes, s.Free.StorageBytes = 0, 0 }, ReasonMemory},
		{"already placed and offline", func(r *Request) {
			r.Replicas = 2
			r.Current = []Replica{{Sharer: "q1a"}}
		}, func(s *Sharer) { s.Online = false }, ReasonPlaced},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := testRequest()
			if tt.req != nil {
				tt.req(&req)
			}
			s := testSharer("q1a")
			if tt.sharer != nil {
				tt.sharer(&s)
			}
			res := mustPlace(t, req, []Sharer{s}, DefaultParams())
			if len(res.Chosen) != 0 {
				t.Fatalf("chose %v, want no sharer", chosenAddrs(res))
			}
			if got := res.Excluded(tt.want); got != 1 {
				t.Errorf("Excluded(%v) = %d, want 1 (exclusions %v)", tt.want, got, res.Exclusions())
			}
			if want := "1 sharer: 1 " + tt.want.String(); res.Explain() != want {
				t.Errorf("Explain() = %q, want %q", res.Explain(), want)
			}
			if tt.want == ReasonNotNeeded {
				return // Check judges a sharer alone, without the band or replica count.
			}
			got, err := Check(req, s)
			if err != nil {
				t.Fatalf("Check: %v", err)
			}
			if got != tt.want {
				t.Errorf("Check = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestCheckQualifies(t *testing.T) {
	got, err := Check(testRequest(), testSharer("q1a"))
	if err != nil {
		t.Fatalf("Check: %v", err)
	}
	if got != ReasonNone {
		t.Fatalf("Check = %v, want %v", got, ReasonNone)
	}
}

func TestCollateralNilMinimumAdmitsAll(t *testing.T) {
	req := testRequest(func(r *Request) { r.MinCollateral = sdkmath.Int{} })
	res := mustPlace(t, req, []Sharer{testSharer("q1a", func(s *Sharer) { s.Collateral = sdkmath.Int{} })}, DefaultParams())
	if got := chosenAddrs(res); len(got) != 1 {
		t.Fatalf("chose %v, want q1a (no minimum collateral)", got)
	}
}

func TestNoPriceCapsAdmitsAnyPrice(t *testing.T) {
	req := testRequest(func(r *Request) { r.MaxPrices = NoPriceCaps() })
	s := testSharer("q1a", func(s *Sharer) {
		s.Prices = Prices{^uint64(0), ^uint64(0), ^uint64(0), ^uint64(0), ^uint64(0)}
	})
	res := mustPlace(t, req, []Sharer{s}, DefaultParams())
	if len(res.Chosen) != 1 {
		t.Fatalf("Explain: %s; want q1a chosen", res.Explain())
	}
}

func TestRepeatedAddressExcludesEveryEntry(t *testing.T) {
	cheap := testSharer("q1b", withMemoryPrice(1))
	dear := testSharer("q1b", withMemoryPrice(3))
	other := testSharer("q1c")
	for _, cands := range [][]Sharer{{cheap, dear, other}, {dear, other, cheap}, {other, cheap, dear}} {
		res := mustPlace(t, testRequest(), cands, DefaultParams())
		if got := chosenAddrs(res); len(got) != 1 || got[0] != "q1c" {
			t.Errorf("chose %v, want [q1c]", got)
		}
		if want := "3 sharers: 1 chosen, 2 invalid offer"; res.Explain() != want {
			t.Errorf("Explain() = %q, want %q", res.Explain(), want)
		}
	}
}

func TestInvalidRequest(t *testing.T) {
	tests := []struct {
		name string
		req  func(*Request)
		want string
	}{
		{"no service", func(r *Request) { r.Service = "" },
			`sched: invalid placement request for service "": the service name is empty: set Request.Service`},
		{"negative replicas", func(r *Request) { r.Replicas = -1 },
			`sched: invalid placement request for service "hello": replicas is -1: it must be 0 or more`},
		{"unsorted required attributes", func(r *Request) {
			r.RequireAttributes = []Attribute{{"zone", "a"}, {"region", "eu"}}
		}, `sched: invalid placement request for service "hello": requireAttributes: key "region" at 1 does not come after "zone": sort by key and list each key once`},
		{"empty required attribute key", func(r *Request) {
			r.RequireAttributes = []Attribute{{"", "x"}}
		}, `sched: invalid placement request for service "hello": requireAttributes: entry 0 has an empty key`},
		{"current without sharer", func(r *Request) { r.Current = []Replica{{Sharer: "q1a"}, {}} },
			`sched: invalid placement request for service "hello": current[1] has no sharer address`},
		{"current sharer twice", func(r *Request) { r.Current = []Replica{{Sharer: "q1a"}, {Sharer: "q1a"}} },
			`sched: invalid placement request for service "hello": current lists sharer q1a twice: a sharer holds at most one replica of a service`},
		{"current attributes unsorted", func(r *Request) {
			r.Current = []Replica{{Sharer: "q1a", Attributes: []Attribute{{"b", ""}, {"a", ""}}}}
		}, `sched: invalid placement request for service "hello": current[0] (q1a) attributes: key "a" at 1 does not come after "b": sort by key and list each key once`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := testRequest(tt.req)
			_, err := Place(req, []Sharer{testSharer("q1x")}, DefaultParams())
			if err == nil || err.Error() != tt.want {
				t.Fatalf("Place error = %v\nwant %s", err, tt.want)
			}
			if !errors.Is(err, ErrInvalidRequest) {
				t.Errorf("Place error %v does not wrap ErrInvalidRequest", err)
			}
			if _, err := Check(req, testSharer("q1x")); err == nil || err.Error() != tt.want {
				t.Errorf("Check error = %v, want %s", err, tt.want)
			}
			if _, err := ScaleDown(req, DefaultParams()); err == nil || err.Error() != tt.want {
				t.Errorf("ScaleDown error = %v, want %s", err, tt.want)
			}
		})
	}
}

func TestRepeatedAddressAmongSharedTails(t *testing.T) {
	// Distinct addresses with the same last 8 bytes must all stay valid; only
	// the real repeat is excluded.
	cands := []Sharer{
		testSharer("q1b-tail1234"),
		testSharer("q1a-tail1234"),
		testSharer("q1c-tail1234"),
		testSharer("q1a-tail1234", withMemoryPrice(3)),
		testSharer("q1d"),
	}
	res := mustPlace(t, testRequest(func(r *Request) { r.Replicas = 5 }), cands, DefaultParams())
	if want := "5 sharers: 3 chosen, 2 invalid offer"; res.Explain() != want {
		t.Errorf("Explain() = %q, want %q", res.Explain(), want)
	}
	for _, c := range res.Chosen {
		if c.Sharer == "q1a-tail1234" {
			t.Errorf("chose the repeated address %s", c.Sharer)
		}
	}
}
