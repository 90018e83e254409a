package e2e

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	q1client "github.com/quantum1net/q1/client"
)

// TestDashboard opens node 0's dashboard in headless chromium on a network
// running the examples, and checks that each page shows what /v1 says at
// that moment, that the examples appear, that the usage chart has a point
// per usage record, that an owner can sign in to read logs, and that no
// page writes an error to the console.
func TestDashboard(t *testing.T) {
	if _, err := os.Stat(chromiumPath); err != nil {
		t.Skipf("no %s on this machine (apt-get install chromium; .ci/run installs it): the dashboard's browser test needs it", chromiumPath)
	}
	tn := startTestnet(t, netOptions{nodes: 4})
	tn.registerSharers(t)
	examples := []string{"hello", "counter", "echo"}
	for _, name := range examples {
		if out, errOut, code := tn.q1(t, 0, "service", "deploy", "-f", "../examples/"+name+"/service.yaml",
			"--wasm", exampleWasm(t, name), "--from", "default", "--deposit", "100QC"); code != 0 {
			t.Fatalf("deploy %s: %s%s", name, out, errOut)
		}
	}
	for _, name := range examples {
		waitFor(t, 2*time.Minute, name+"'s replicas serving and acknowledged", func() bool {
			s := tn.serviceStatus(t, name)
			ok := len(s.Replicas) > 0
			for _, r := range s.Replicas {
				ok = ok && r.State == "serving" && r.Acked
			}
			return ok
		})
	}

	api := tn.net.Nodes[0].HTTP
	// Calls to echo, and their usage records on chain (the reports of the
	// epochs they fell in), so the service page has a chart to check.
	c := &http.Client{Timeout: 5 * time.Second}
	for i := range 12 {
		if code, body, _, err := call(c, gateways(tn, -1)[i%len(tn.net.Nodes)], "GET", "echo", fmt.Sprintf("/chart/%d", i), ""); err != nil || code != 200 {
			t.Fatalf("call echo: %d %q %v", code, body, err)
		}
	}
	waitFor(t, 2*time.Minute, "usage records of echo from two sharers", func() bool {
		usage, err := nodeAPI(api).ServiceUsage(bg(), "echo", q1client.UsageFilter{})
		apiFatal(t, "GET /v1/services/echo/usage", err)
		sharers := map[string]bool{}
		for _, r := range usage.Records {
			sharers[r.Sharer] = true
		}
		return len(sharers) >= 2
	})
	b := newBrowser(t, api+"/")

	t.Run("network", func(t *testing.T) { checkNetworkPage(t, b, api) })
	t.Run("services", func(t *testing.T) { checkServicesPage(t, b, api, examples) })
	t.Run("service", func(t *testing.T) { checkServicePage(t, b, api, "echo") })
	t.Run("sharer", func(t *testing.T) { checkSharerPage(t, b, api) })
	t.Run("explorer", func(t *testing.T) { checkExplorer(t, b, api) })
	t.Run("logs merged", func(t *testing.T) { checkLogsMerged(t, tn) })
	t.Run("logs sign-in", func(t *testing.T) { checkLogsSignIn(t, tn) })
	t.Run("not on the gateway", func(t *testing.T) { checkNotOnGateway(t, tn) })
	t.Run("sharer offline history", func(t *testing.T) { checkOfflineHistory(t, tn, b) })

	b.mu.Lock()
	defer b.mu.Unlock()
	for _, p := range b.problems {
		t.Errorf("browser console: %s", p)
	}
}

// matches waits until the page's value and the API's agree (the page
// refreshes every 2 seconds, so some sample must agree), failing with both.
func matches(t *testing.T, what string, page func() string, api func() string) {
	t.Helper()
	var p, a string
	deadline := time.Now().Add(30 * time.Second)
	for {
		p, a = page(), api()
		if p == a {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: the page shows %q, /v1 says %q", what, p, a)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func checkNetworkPage(t *testing.T, b *browser, api string) {
	b.goTo("#/")
	// Height: within 3 blocks of /v1/status read at the same moment.
	var shown, now int64
	waitFor(t, 30*time.Second, "the network page's height within 3 blocks of /v1/status", func() bool {
		shown, _ = strconv.ParseInt(b.value(`[data-k="height"]`), 10, 64)
		st, err := nodeAPI(api).Status(bg())
		apiFatal(t, "GET /v1/status", err)
		now = st.Height
		return shown > 0 && now-shown <= 3 && shown-now <= 3
	})
	t.Logf("height shown %d, /v1/status %d", shown, now)
	matches(t, "services count", func() string { return b.value(`[data-k="services-count"]`) }, func() string {
		s, err := nodeAPI(api).Services(bg())
		apiFatal(t, "GET /v1/services", err)
		n := 0
		for _, x := range s.Services {
			if x.Status != "deleted" {
				n++
			}
		}
		return strconv.Itoa(n)
	})
	var sharers *q1client.Sharers
	matches(t, "open leases", func() string { return b.value(`[data-k="leases-count"]`) }, func() string {
		var err error
		sharers, err = nodeAPI(api).Sharers(bg())
		apiFatal(t, "GET /v1/sharers", err)
		n := 0
		for _, s := range sharers.Sharers {
			n += int(s.LeaseCount)
		}
		return strconv.Itoa(n)
	})
	matches(t, "escrow", func() string { return b.value(`[data-k="escrow"]`) }, func() string {
		s, err := nodeAPI(api).Supply(bg())
		apiFatal(t, "GET /v1/supply", err)
		return s.Escrows
	})
	vals, err := nodeAPI(api).Validators(bg())
	apiFatal(t, "GET /v1/validators", err)
	if n := b.count(`[data-validator]`); n != len(vals.Validators) {
		t.Errorf("validators: the page lists %d, /v1/validators %d", n, len(vals.Validators))
	}
	for _, s := range sharers.Sharers {
		matches(t, "leases of sharer "+s.Address, func() string {
			return b.value(`tr[data-sharer="` + s.Address + `"] [data-k="lease-count"]`)
		}, func() string {
			x, err := nodeAPI(api).Sharer(bg(), s.Address)
			apiFatal(t, "GET /v1/sharers/"+s.Address, err)
			return strconv.Itoa(int(x.LeaseCount))
		})
	}
	b.screenshot("network")
}

func checkServicesPage(t *testing.T, b *browser, api string, examples []string) {
	b.goTo("#/services")
	list, err := nodeAPI(api).Services(bg())
	apiFatal(t, "GET /v1/services", err)
	for _, s := range list.Services {
		matches(t, s.Name+"'s replicas", func() string {
			return b.value(`tr[data-service="` + s.Name + `"] [data-k="replicas"]`)
		}, func() string {
			now, err := nodeAPI(api).Services(bg())
			apiFatal(t, "GET /v1/services", err)
			for _, x := range now.Services {
				if x.Name == s.Name {
					return strconv.Itoa(int(x.Replicas))
				}
			}
			return "gone"
		})
	}
	for _, name := range examples {
		if b.count(`tr[data-service="`+name+`"]`) != 1 {
			t.Errorf("the services page does not list %s", name)
		}
	}
	matches(t, "services listed", func() string { return b.value(`[data-k="services-total"]`) }, func() string {
		now, err := nodeAPI(api).Services(bg())
		apiFatal(t, "GET /v1/services", err)
		return strconv.Itoa(len(now.Services))
	})
	b.screenshot("services")
}

func checkServicePage(t *testing.T, b *browser, api, name string) {
	b.goTo("#/services/" + name)
	waitFor(t, 30*time.Second, "the service page of "+name, func() bool { return b.value(`[data-k="service-name"]`) == name })
	matches(t, name+"'s escrow", func() string { return b.value(`.sec-summary [data-k="escrow"]`) }, func() string {
		s, err := nodeAPI(api).Service(bg(), name)
		apiFatal(t, "GET /v1/services/"+name, err)
		return s.Escrow
	})
	matches(t, name+"'s leases", func() string { return strconv.Itoa(b.count(`.sec-replicas tr[data-lease]`)) }, func() string {
		p, err := nodeAPI(api).Placement(bg(), name)
		apiFatal(t, "GET /v1/services/"+name+"/placement", err)
		return strconv.Itoa(len(p.Leases))
	})
	usage, err := nodeAPI(api).ServiceUsage(bg(), name, q1client.UsageFilter{})
	if err != nil || len(usage.Records) == 0 {
		t.Fatalf("GET /v1/services/%s/usage has no records to chart (%v)", name, err)
	}
	matches(t, "usage chart points", func() string {
		return b.js(`(() => { const c = document.querySelector('[data-k="usage-chart"]'); return c ? c.dataset.points + '/' + c.querySelectorAll('.pt').length : 'no chart'; })()`)
	}, func() string {
		usage, err := nodeAPI(api).ServiceUsage(bg(), name, q1client.UsageFilter{})
		apiFatal(t, "GET /v1/services/"+name+"/usage", err)
		return fmt.Sprintf("%d/%d", len(usage.Records), len(usage.Records))
	})
	b.screenshot("service")
}

func checkSharerPage(t *testing.T, b *browser, api string) {
	sharers, err := nodeAPI(api).Sharers(bg())
	apiFatal(t, "GET /v1/sharers", err)
	var busiest q1client.Sharer
	for _, s := range sharers.Sharers {
		if s.LeaseCount >= busiest.LeaseCount {
			busiest = s
		}
	}
	b.goTo("#/sharers/" + busiest.Address)
	matches(t, "the sharer's open leases", func() string {
		return b.value(`.sec-summary [data-k="lease-count"]`) + "/" + strconv.Itoa(b.count(`.sec-leases tr[data-lease]`))
	}, func() string {
		x, err := nodeAPI(api).Sharer(bg(), busiest.Address)
		apiFatal(t, "GET /v1/sharers/"+busiest.Address, err)
		return fmt.Sprintf("%d/%d", len(x.Leases), len(x.Leases))
	})
	b.screenshot("sharer")
}

func checkExplorer(t *testing.T, b *browser, api string) {
	b.goTo("#/explorer")
	waitFor(t, 30*time.Second, "the explorer's newest block within 3 blocks of /v1/blocks", func() bool {
		shown, _ := strconv.ParseInt(b.js(`(document.querySelector('tr[data-height]') || {dataset: {}}).dataset.height || '0'`), 10, 64)
		bl, err := nodeAPI(api).Blocks(bg(), 1)
		apiFatal(t, "GET /v1/blocks?limit=1", err)
		return shown > 0 && bl.Height-shown <= 3 && shown-bl.Height <= 3
	})
	b.screenshot("explorer")
	// A tx by hash: the latest one in the last 100 blocks.
	bl, err := nodeAPI(api).Blocks(bg(), 100)
	apiFatal(t, "GET /v1/blocks?limit=100", err)
	hash := ""
	for _, x := range bl.Blocks {
		if len(x.TxHashes) > 0 {
			hash = x.TxHashes[0]
			break
		}
	}
	if hash == "" {
		t.Fatal("no tx in the last 100 blocks (sharers report every epoch)")
	}
	b.goTo("#/txs/" + hash)
	waitFor(t, 30*time.Second, "the tx page of "+hash, func() bool {
		return strings.Contains(b.js(`document.querySelector('main').innerText`), "succeeded") &&
			strings.Contains(b.js(`document.querySelector('main').innerText`), hash)
	})
}

// checkLogsMerged: q1 service logs reads every node that runs a replica
// of echo (two sharers served the /chart calls above) and prints their
// lines as one stream in time order, each naming its node.
func checkLogsMerged(t *testing.T, tn *testnet) {
	var entries []q1client.LogEntry
	waitFor(t, time.Minute, "echo's /chart lines from two nodes in q1 service logs", func() bool {
		out, errOut, code := tn.q1(t, 0, "service", "logs", "echo", "--from", "default", "-o", "json")
		if code != 0 {
			t.Fatalf("q1 service logs echo: exit %d: %s", code, errOut)
		}
		entries = entries[:0]
		nodes := map[string]bool{}
		for line := range strings.Lines(out) {
			var e q1client.LogEntry
			if err := json.Unmarshal([]byte(line), &e); err != nil {
				t.Fatalf("q1 service logs -o json line %q: %v", line, err)
			}
			entries = append(entries, e)
			if strings.Contains(e.Message, "/chart/") {
				nodes[e.Node] = true
			}
		}
		return len(nodes) >= 2
	})
	for i := 1; i < len(entries); i++ {
		if entries[i].Time.Before(entries[i-1].Time) {
			t.Fatalf("q1 service logs: line %d (%s, %s) comes after a later one (%s, %s)", i,
				entries[i].Time, entries[i].Node, entries[i-1].Time, entries[i-1].Node)
		}
	}
}

// checkLogsSignIn signs in to the dashboard of a node that runs an echo
// replica as echo's owner, the way a person does: the page's challenge,
// `q1 dashboard sign`, the token pasted; then the page shows echo's lines.
func checkLogsSignIn(t *testing.T, tn *testnet) {
	p, err := nodeAPI(tn.net.Nodes[0].HTTP).Placement(bg(), "echo")
	apiFatal(t, "GET /v1/services/echo/placement", err)
	host := -1
	for i, n := range tn.net.Nodes {
		for _, l := range p.Leases {
			if l.Sharer == n.Address && host < 0 {
				host = i
			}
		}
	}
	if host < 0 {
		t.Fatalf("no node runs echo: %+v", p.Leases)
	}
	node := tn.net.Nodes[host]
	c := &http.Client{Timeout: 5 * time.Second}
	if code, _, _, err := call(c, node.Gateway, "POST", "echo", "/from-the-dashboard-test", "hi"); err != nil || code != 200 {
		t.Fatalf("call echo through %s: %d %v", node.Name, code, err)
	}
	b := newBrowser(t, node.HTTP+"/#/services/echo")
	signIn := func(token func(challenge string) string) {
		waitFor(t, 30*time.Second, "the sign-in button", func() bool { return b.count(`.signin button.start`) == 1 })
		b.js(`document.querySelector('.signin button.start').click(); ''`)
		var cmd string
		waitFor(t, 30*time.Second, "a challenge", func() bool { cmd = b.value(`[data-k="signin-command"]`); return cmd != "" })
		f := strings.Fields(cmd) // q1 dashboard sign CHALLENGE --from KEY
		if len(f) != 6 {
			t.Fatalf("sign-in command %q", cmd)
		}
		b.js(`document.querySelector('.signin textarea.token').value = ` + strconv.Quote(token(f[3])) + `; document.querySelector('.signin button.submit').click(); ''`)
	}
	// A wrong token first: the page says what is wrong.
	signIn(func(string) string { return "q1token.garbage" })
	waitFor(t, 30*time.Second, "the page to refuse a bad token", func() bool {
		return strings.Contains(b.value(`.signin .error`), "it is cut or changed")
	})
	b.js(`document.querySelector('.signin button.cancel').click(); ''`)
	sign := func(key string) func(string) string {
		return func(challenge string) string {
			out, errOut, code := tn.q1(t, 0, "dashboard", "sign", challenge, "--from", key)
			if code != 0 {
				t.Fatalf("q1 dashboard sign --from %s: %s", key, errOut)
			}
			return strings.TrimSpace(out)
		}
	}
	// A stranger signs in and is told the logs are not theirs to read.
	if _, errOut, code := runQ1(t, "keys", "add", "dashboard-stranger", "--home", tn.net.Nodes[0].Home); code != 0 {
		t.Fatal(errOut)
	}
	signIn(sign("dashboard-stranger"))
	waitFor(t, 30*time.Second, "the page to tell a stranger the logs are not theirs", func() bool {
		return strings.Contains(b.value(`.signin .denied`), "may not read the logs of echo (permissions.logViewers)")
	})
	if got := b.value(`[data-k="logs"]`); got != "" {
		t.Fatalf("a stranger sees log lines: %q", got)
	}
	b.js(`document.querySelector('.signin button.signout').click(); ''`)
	// The owner (node 0's default key deployed echo) signs in.
	signIn(sign("default"))
	waitFor(t, 30*time.Second, "echo's log line in the page", func() bool {
		return strings.Contains(b.value(`[data-k="logs"]`), "/from-the-dashboard-test")
	})
	if got := b.js(`document.querySelector('.signin code').title`); got != tn.net.Nodes[0].Address {
		t.Errorf("signed in as %q, want %s", got, tn.net.Nodes[0].Address)
	}
	b.screenshot("service-logs")
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, p := range b.problems {
		t.Errorf("browser console on %s: %s", node.Name, p)
	}
}

// checkNotOnGateway: the dashboard and its sign-in live on --http only; the
// gateway (services' origins, and its bare host) serves neither.
func checkNotOnGateway(t *testing.T, tn *testnet) {
	gw := tn.net.Nodes[0].Gateway
	port := gw[strings.LastIndex(gw, ":")+1:]
	c := &http.Client{Timeout: 5 * time.Second}
	for _, host := range []string{"", "hello.localhost:" + port} {
		for _, path := range []string{"/js/app.js", "/style.css", "/v1/auth/challenge", "/s/hello/js/app.js"} {
			req, _ := http.NewRequest("GET", gw+path, nil)
			if host != "" {
				req.Host = host
			}
			res, err := c.Do(req)
			if err != nil {
				t.Fatalf("GET %s%s: %v", host, path, err)
			}
			body, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if strings.Contains(string(body), "hashchange") || strings.Contains(string(body), "q1-dashboard-") || strings.Contains(string(body), "Quantum1Net dashboard") {
				t.Errorf("the gateway (host %q) serves dashboard content at %s: %d %.80q", host, path, res.StatusCode, body)
			}
		}
	}
}

// checkOfflineHistory stops node 3; once the chain marks its sharer offline
// (it misses its reports), /v1/sharers/{address}/liveness lists the event
// and the sharer page shows it.
func checkOfflineHistory(t *testing.T, tn *testnet, b *browser) {
	api, gone := tn.net.Nodes[0].HTTP, tn.net.Nodes[3]
	if err := tn.sup.Stop(3, 30*time.Second); err != nil {
		t.Fatal(err)
	}
	node := nodeAPI(api)
	sharer := func() *q1client.SharerStatus {
		x, err := node.Sharer(bg(), gone.Address)
		apiFatal(t, "GET /v1/sharers/"+gone.Address, err)
		return x
	}
	liveness := func() *q1client.SharerLiveness {
		live, err := node.SharerLiveness(bg(), gone.Address)
		apiFatal(t, "GET /v1/sharers/"+gone.Address+"/liveness", err)
		return live
	}
	var x *q1client.SharerStatus
	waitFor(t, 3*time.Minute, gone.Name+"'s sharer to be marked offline", func() bool {
		x = sharer()
		return x.Status == "offline"
	})
	var live *q1client.SharerLiveness
	waitFor(t, 30*time.Second, "the offline event in /v1/sharers/{address}/liveness", func() bool {
		live = liveness()
		return len(live.Events) > 0
	})
	if e := live.Events[0]; e.Kind != "offline" || e.Height != x.OfflineHeight {
		t.Fatalf("liveness %+v, want offline at block %d", live.Events, x.OfflineHeight)
	}
	b.goTo("#/sharers/" + gone.Address)
	matches(t, "offline events on the sharer page", func() string {
		return strconv.Itoa(b.count(`[data-k="liveness"] li[data-kind="offline"]`))
	}, func() string {
		live = liveness()
		n := 0
		for _, e := range live.Events {
			if e.Kind == "offline" {
				n++
			}
		}
		return strconv.Itoa(n)
	})
	// Back: it reports again and the history says so.
	if err := tn.sup.Start(3); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 3*time.Minute, gone.Name+"'s sharer back online", func() bool {
		x = sharer()
		return x.Status == "active"
	})
	matches(t, "liveness events on the sharer page (newest first)", func() string {
		return b.js(`[...document.querySelectorAll('[data-k="liveness"] li')].map((e) => e.dataset.kind).join(',')`)
	}, func() string {
		live = liveness()
		var kinds []string
		for _, e := range live.Events {
			kinds = append(kinds, e.Kind)
		}
		return strings.Join(kinds, ",")
	})
	if live.Events[0].Kind != "online" {
		t.Fatalf("after the restart the newest liveness event is %+v", live.Events[0])
	}
	b.screenshot("sharer-offline")
}
