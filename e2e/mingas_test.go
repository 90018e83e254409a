package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/quantum1net/q1/internal/devnet"
)

// TestRaisedMinGasPrice runs a node whose operator raised its
// minimum-gas-prices five-fold above the devnet's: its hot key must pay
// them, so the sharer keeps reporting usage epoch after epoch and never
// goes offline.
func TestRaisedMinGasPrice(t *testing.T) {
	tn := startTestnet(t, netOptions{nodes: 1, minGasPrice: "0.05uqc", clientGasPrice: "0.1uqc"})
	n := tn.net.Nodes[0]
	out, errOut, code := runQ1(t, "sharer", "register", "--from", devnet.DefaultKeyName, "--home", n.Home,
		"--endpoint", n.Gateway, "--cpu", "2", "--memory", "4Gi", "--disk", "20Gi", "--egress", "100Gi",
		"--price", sharerPrices, "-o", "json")
	if code != 0 {
		t.Fatalf("sharer register: exit %d\n%s%s", code, out, errOut)
	}
	me := strings.TrimSpace(first(runQ1(t, "keys", "show", devnet.DefaultKeyName, "-a", "--home", n.Home)))
	node := nodeAPI(n.HTTP)
	st, err := node.Sharer(bg(), me)
	apiFatal(t, "GET /v1/sharers/"+me, err)
	since := st.LastReportedEpoch
	waitFor(t, 5*time.Minute, "reports for two more epochs", func() bool {
		st, err = node.Sharer(bg(), me)
		apiFatal(t, "GET /v1/sharers/"+me, err)
		if st.Status != "active" || st.OfflineHeight != 0 {
			t.Fatalf("the sharer went %s at height %d (last reported epoch %d): its reports were refused", st.Status, st.OfflineHeight, st.LastReportedEpoch)
		}
		return st.LastReportedEpoch >= since+2
	})
}
