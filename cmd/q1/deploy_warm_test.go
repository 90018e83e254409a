package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/quantum1net/q1/client/blobhash"
	sharerstypes "github.com/quantum1net/q1/x/sharers/types"
)

// TestAnnounceWarm: the module is announced to the gateway of each sharer
// the preview chose, at POST /_q1/v1/blobs/{hash}/warm; refusals and
// unreachable nodes are reported, not fatal.
func TestAnnounceWarm(t *testing.T) {
	h := blobhash.Sum([]byte("module"))
	var hits atomic.Int32
	ok := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != "/_q1/v1/blobs/"+h.String()+"/warm" {
			t.Errorf("announcement %s %s", r.Method, r.URL.Path)
		}
		hits.Add(1)
		w.WriteHeader(http.StatusAccepted)
	}))
	defer ok.Close()
	busy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "too many", http.StatusTooManyRequests)
	}))
	defer busy.Close()
	gone := httptest.NewServer(http.NotFoundHandler())
	gone.Close()

	d := &deployCheck{
		preview: &sharerstypes.QueryPlacementPreviewResponse{Chosen: []sharerstypes.PreviewChoice{
			{Sharer: "a"}, {Sharer: "b"}, {Sharer: "c"}, {Sharer: "no-endpoint"},
		}},
		endpoints: map[string]string{"a": ok.URL + "/", "b": busy.URL, "c": gone.URL, "unchosen": ok.URL},
	}
	res := announceWarm(context.Background(), h, d.chosenEndpoints())()
	if res.accepted != 1 || res.asked != 3 || len(res.refused) != 2 || hits.Load() != 1 {
		t.Fatalf("result %+v, hits %d; want 1 of 3 accepted, 2 refused, the unchosen sharer not asked", res, hits.Load())
	}
	if s := res.String(); !strings.HasPrefix(s, "compiling ahead on 1 of 3 chosen sharer(s)' nodes (") || !strings.Contains(s, "429") {
		t.Fatalf("String() = %q", s)
	}
}
