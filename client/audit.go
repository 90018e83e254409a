package client

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/quantum1net/q1/client/reqsign"
)

// AuditPurpose is what a request for a lease's audit data is signed for
// (client/reqsign): the hot key of an assigned auditor of an open audit of
// the lease, or an owner of its service, signs it.
const AuditPurpose = "audit"

// AuditItem is one step of an instance's history as its node recorded it:
// the receipt (core/receipt.Receipt.Marshal), the request as encoded for
// the guest (empty at the start-up, index 0) and the host-call tape.
type AuditItem struct {
	Receipt []byte `json:"receipt"`
	Request []byte `json:"request"`
	Tape    []byte `json:"tape"`
}

// AuditHistory is GET /v1/audit/{lease}/{epoch}/{instance}?upto=K: the
// instance's receipts from its start-up to index K, in order.
type AuditHistory struct {
	Lease    uint64      `json:"lease"`
	Epoch    uint64      `json:"epoch"`
	Instance uint64      `json:"instance"`
	Items    []AuditItem `json:"items"`
}

// maxAuditAnswer bounds an instance's history (requests and tapes
// included), as JSON. An honest one is at most one lease's receipt file
// for an epoch (64 MiB, node/receipts.DefaultMaxBytes), about 120 MiB as
// JSON (base64 and field names); a larger answer only costs the auditor
// memory (read, then decoded), so it is refused.
const maxAuditAnswer = 160 << 20

// AuditHistory reads an instance's history from the node that ran it,
// signing the request with signer (AuditPurpose).
func (g *Gateway) AuditHistory(ctx context.Context, lease, epoch, instance, upto uint64, signer reqsign.Signer) (*AuditHistory, error) {
	ctx, cancel := g.withTimeout(ctx)
	defer cancel()
	u := g.url(fmt.Sprintf("/v1/audit/%d/%d/%d", lease, epoch, instance), url.Values{"upto": {strconv.FormatUint(upto, 10)}})
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	if err := reqsign.SignRequest(req, nil, signer, AuditPurpose, time.Now()); err != nil {
		return nil, fmt.Errorf("sign the audit data request: %w", err)
	}
	resp, err := g.send(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxAuditAnswer+1))
	if err != nil {
		return nil, fmt.Errorf("GET %s: read the answer: %w", u, err)
	}
	if len(b) > maxAuditAnswer {
		return nil, fmt.Errorf("GET %s: the answer is larger than %d bytes", u, maxAuditAnswer)
	}
	var h AuditHistory
	if err := json.Unmarshal(b, &h); err != nil {
		return nil, fmt.Errorf("GET %s: %w", u, err)
	}
	return &h, nil
}
