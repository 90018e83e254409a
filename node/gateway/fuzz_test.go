package gateway

import (
	"net/http"
	"reflect"
	"testing"
)

// FuzzRoute feeds arbitrary Host headers and request targets to the router:
// it must never panic and must keep checkRoute's promises. Inputs found
// by the fuzzer are kept in testdata/fuzz/FuzzRoute.
func FuzzRoute(f *testing.F) {
	for _, seed := range [][2]string{
		{"hello.localhost:8081", "/greet?x=1"},
		{"localhost", "/s/hello/a%2Fb?q"},
		{"[::1]:80", "/s/hello"},
		{"a.b.gw.test.", "/"},
		{"HELLO.GW.TEST", "//x"},
		{"", "*"},
		{"localhost", "/s/"},
	} {
		f.Add(seed[0], seed[1])
	}
	f.Fuzz(func(t *testing.T, host, target string) {
		checkRoute(t, host, target, parseRoute(host, target, testBases))
	})
}

// FuzzParseHop feeds arbitrary values to the hop headers: parseHop must
// never panic, and what it accepts must survive a round trip.
func FuzzParseHop(f *testing.F) {
	f.Add("q11qyqszqgpqyqszqgpqyqszqgpqyqszqgpjtw6m7", "q11qgpqyqszqgpqyqszqgpqyqszqgpqyqszr0glsg",
		"hello", "path", "192.0.2.1", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=")
	f.Add("", "", "", "", "", "", "")
	f.Fuzz(func(t *testing.T, from, to, service, route, client, challenge, tag string) {
		h := http.Header{}
		for name, v := range map[string]string{
			HeaderHopFrom: from, HeaderHopTo: to, HeaderHopService: service, HeaderHopRoute: route,
			HeaderHopClient: client, HeaderHopChallenge: challenge, HeaderHopAuth: tag,
		} {
			h.Set(name, v)
		}
		hp, err := parseHop(h)
		if err != nil {
			if hp != nil {
				t.Fatal("parseHop returned a hop with an error")
			}
			return
		}
		again := http.Header{}
		hp.setHeaders(again)
		hp2, err := parseHop(again)
		if err != nil || !reflect.DeepEqual(hp, hp2) {
			t.Fatalf("round trip: %+v -> %+v, %v", hp, hp2, err)
		}
	})
}
