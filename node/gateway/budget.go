package gateway

import (
	"fmt"
	"net/http"
	"sync"
)

// bodyBudget caps the request bodies the gateway holds at once (while it
// reads them, while they wait for and run on a replica, while it forwards
// them), per service and for the whole node, so that callers queueing
// large bodies behind a busy service cannot grow the node's memory without
// bound.
type bodyBudget struct {
	perService, node int64

	mu    sync.Mutex
	used  map[string]int64
	total int64
}

func newBodyBudget(perService, node int64) *bodyBudget {
	return &bodyBudget{perService: perService, node: node, used: map[string]int64{}}
}

// take reserves n bytes for a body of service, or says why it cannot.
func (b *bodyBudget) take(service string, n int64) string {
	if n <= 0 {
		return ""
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	used := b.used[service]
	switch {
	case used+n > b.perService:
		return fmt.Sprintf("service %s already has %s of request bodies in transit on this node and its limit is %s",
			service, byteCount(used), byteCount(b.perService))
	case b.total+n > b.node:
		return fmt.Sprintf("this node already has %s of request bodies in transit and its limit is %s",
			byteCount(b.total), byteCount(b.node))
	}
	b.used[service] = used + n
	b.total += n
	return ""
}

// give returns n bytes take reserved.
func (b *bodyBudget) give(service string, n int64) {
	if n <= 0 {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.used[service] -= n; b.used[service] <= 0 {
		delete(b.used, service)
	}
	b.total -= n
}

// budgetReader reserves what it reads from a body of unknown length.
type budgetReader struct {
	r       interface{ Read([]byte) (int, error) }
	budget  *bodyBudget
	c       *call
	refusal string // set when the budget refused a read
}

func (br *budgetReader) Read(p []byte) (int, error) {
	n, err := br.r.Read(p)
	if n > 0 {
		if why := br.budget.take(br.c.service, int64(n)); why != "" {
			br.refusal = why
			return 0, errBudget
		}
		br.c.held += int64(n)
	}
	return n, err
}

type budgetError struct{}

func (budgetError) Error() string { return "request body budget exhausted" }

var errBudget error = budgetError{}

// busyReply is the answer to a request refused because a limit of the
// service or node is reached: 503 with Retry-After.
func busyReply(format string, args ...any) *reply {
	rep := failf(http.StatusServiceUnavailable, CodeBusy, format, args...)
	rep.header.Set("Retry-After", "1")
	return rep
}

// byteCount formats n bytes for messages: "16 MiB", "1.5 KiB", "100 bytes".
func byteCount(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d bytes", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit && exp < 3; m /= unit {
		div *= unit
		exp++
	}
	s := fmt.Sprintf("%.1f", float64(n)/float64(div))
	if len(s) > 2 && s[len(s)-2:] == ".0" {
		s = s[:len(s)-2]
	}
	return s + " " + [...]string{"KiB", "MiB", "GiB", "TiB"}[exp]
}
