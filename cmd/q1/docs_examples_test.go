package main

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/quantum1net/q1/core/manifest"
	"github.com/quantum1net/q1/core/sched"
	servicestypes "github.com/quantum1net/q1/x/services/types"
	sharerstypes "github.com/quantum1net/q1/x/sharers/types"
)

// devnetNodes is q1 devnet's default --nodes: how many sharers a devnet has.
const devnetNodes = 4

// devnetSharers are the sharers of a new q1 devnet of n nodes, as
// registerSharers registers them: devnetOffer's capacity, attributes and
// prices, and the devnet's min_collateral.
func devnetSharers(t *testing.T, n int) []sharerstypes.Sharer {
	t.Helper()
	out := make([]sharerstypes.Sharer, n)
	for i := range out {
		o, err := offerFromFlags(offerCmd(t, append([]string{"--endpoint", "http://127.0.0.1:8081"}, devnetOffer(i)...)...), sharerstypes.Offer{}, true, nil)
		if err != nil {
			t.Fatalf("devnet offer %d: %v", i, err)
		}
		out[i] = sharerstypes.Sharer{
			Address: fmt.Sprintf("node%d", i), Status: sharerstypes.SharerActive,
			Endpoint: o.Endpoint, Capacity: o.Capacity, Attributes: o.Attributes, Prices: o.Prices, Deny: o.Deny,
			Collateral: sharerstypes.DevnetParams().MinCollateral,
		}
	}
	return out
}

// yamlBlock is a fenced YAML block of a Markdown file.
var yamlBlock = regexp.MustCompile("(?s)```yaml\n(.*?)```")

// TestDocsExamplesDeployOnDevnet: every YAML block of docs/manifest.md,
// and every example's manifest, validates as a draft, names no module (the
// CLI fills it from --wasm), has a name q1 devnet leaves free (the docs'
// blocks), and would be placed,
// every replica of it, on a new q1 devnet's sharers: its caps are at least
// their prices, its attributes theirs, its collateral at most theirs, its
// resources within their capacity, its replicas at most their number.
func TestDocsExamplesDeployOnDevnet(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "..", "docs", "manifest.md"))
	if err != nil {
		t.Fatal(err)
	}
	blocks := map[string][]byte{}
	for i, b := range yamlBlock.FindAllSubmatch(doc, -1) {
		blocks[fmt.Sprintf("docs/manifest.md block %d", i+1)] = b[1]
	}
	if len(blocks) < 2 {
		t.Fatalf("docs/manifest.md has %d YAML blocks, want the two examples", len(blocks))
	}
	for _, ex := range exampleServices {
		b, err := os.ReadFile(filepath.Join("..", "..", "examples", ex, "service.yaml"))
		if err != nil {
			t.Fatal(err)
		}
		blocks["examples/"+ex] = b
	}
	sharers := devnetSharers(t, devnetNodes)
	cands := make([]sched.Sharer, len(sharers))
	for i := range sharers {
		cands[i] = schedSharerOf(&sharers[i])
	}
	params := sched.Params{BandPermille: sharerstypes.DevnetParams().BandPermille}
	for name, b := range blocks {
		t.Run(name, func(t *testing.T) {
			m, err := manifest.Parse(b, manifest.ParseOptions{Filename: name, AllowMissingWasm: true, AllowMissingOwners: true})
			if err != nil {
				t.Fatalf("does not validate:\n%v\n%s", err, b)
			}
			if strings.HasPrefix(name, "docs/") && slices.Contains(exampleServices, m.Name) {
				t.Errorf("is named %s, which q1 devnet deploys itself: the name is taken there", m.Name)
			}
			if m.Code.Wasm != "" {
				t.Errorf("names code.wasm %s: q1 service deploy --wasm would refuse any other module", m.Code.Wasm)
			}
			spec := servicestypes.SpecFromManifest(m)
			res, err := sched.Place(schedRequest(m.Name, &spec, nil), cands, params)
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Chosen) != int(m.Placement.Replicas) {
				t.Errorf("placed %d of %d replicas on a %d-node devnet: %s", len(res.Chosen), m.Placement.Replicas, devnetNodes, res.Explain())
				for _, g := range priceGroups(m.Name, &spec, sharers, nil) {
					t.Logf("%s; fix: %s", g, g.Fix)
				}
				for _, g := range exclusionGroups(m.Name, &spec, sharers, nil) {
					t.Logf("%s; fix: %s", g, g.Fix)
				}
			}
		})
	}
}
