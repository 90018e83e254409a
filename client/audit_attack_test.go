package client

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestAuditHistoryAnswerBounded is an attack on auditors: the audited
// node (a cheater) answers the audit-data request with hundreds of MiB.
// The auditor read up to 512 MiB into memory, then decoded it (base64 and
// all): gigabytes per sample. An honest history is at most one lease's
// receipt file for the epoch (64 MiB, node/receipts), about 120 MiB as
// JSON; the answer is bounded at 160 MiB.
func TestAuditHistoryAnswerBounded(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"items":[{"receipt":"`)
		chunk := strings.Repeat("A", 1<<20)
		for range 200 {
			if _, err := io.WriteString(w, chunk); err != nil {
				return
			}
		}
		io.WriteString(w, `"}]}`)
	}))
	defer srv.Close()
	_, err := NewGateway(srv.URL).AuditHistory(context.Background(), 9, 4, 2, 1, testSigner("auditor"))
	want := fmt.Sprintf("the answer is larger than %d bytes", 160<<20)
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("a 200 MiB answer: %v; want %q", err, want)
	}
}
