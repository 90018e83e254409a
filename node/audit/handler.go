package audit

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"sync"

	q1client "github.com/quantum1net/q1/client"
	"github.com/quantum1net/q1/client/reqsign"
	"github.com/quantum1net/q1/node/api"
	"github.com/quantum1net/q1/node/receipts"
)

// Histories is what the handler serves from: the node's receipt store.
type Histories interface {
	History(lease, epoch, instance, upto uint64) ([]receipts.Item, error)
}

// Access decides who may read a lease's audit data: a nil error when
// account may, else an error saying why not; owner says it reads as an
// owner of the lease's service rather than as an assigned auditor.
type Access interface {
	MayRead(ctx context.Context, account string, lease uint64) (owner bool, err error)
}

// ErrNotAllowed is what Access returns for an account that may not read.
var ErrNotAllowed = errors.New("not allowed")

// Handler serves GET /v1/audit/{lease}/{epoch}/{instance}?upto=K: an
// instance's recorded history, from its start-up to index K, with each
// step's request and tape (client.AuditHistory), to requests signed
// (client/reqsign, purpose client.AuditPurpose) by an account Access
// allows: the hot key (or account) of an assigned auditor of an open audit
// of the lease, or an owner of its service.
type Handler struct {
	Store    Histories
	Access   Access
	Verifier *reqsign.Verifier
	Log      *slog.Logger

	// An answer holds up to a lease's receipt file several times over in
	// memory. Owners (a tenant may list many) are served one at a time,
	// all owners together; assigned auditors (a few per open audit, not
	// chosen by the tenant) one read each at a time, beside the owners, so
	// a tenant flooding its own lease's history can neither exhaust the
	// node's memory nor crowd out the auditors.
	mu          sync.Mutex
	ownerBusy   bool
	auditorBusy map[string]bool
}

// enter marks a read by account (an owner or not) as in flight, or
// reports the read that is.
func (h *Handler) enter(account string, owner bool) (leave func(), busy string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if owner {
		if h.ownerBusy {
			return nil, "another owner's read is being served; owners read one history at a time: try again when it is done"
		}
		h.ownerBusy = true
		return func() { h.mu.Lock(); h.ownerBusy = false; h.mu.Unlock() }, ""
	}
	if h.auditorBusy[account] {
		return nil, "a read by " + account + " is being served; an auditor reads one history at a time: try again when it is done"
	}
	if h.auditorBusy == nil {
		h.auditorBusy = map[string]bool{}
	}
	h.auditorBusy[account] = true
	return func() { h.mu.Lock(); delete(h.auditorBusy, account); h.mu.Unlock() }, ""
}

// maxHistory bounds one answer's steps (an instance serves at most a few
// thousand requests before it is replaced).
const maxHistory = 1 << 16

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var ids [3]uint64
	for i, name := range []string{"lease", "epoch", "instance"} {
		v, err := strconv.ParseUint(r.PathValue(name), 10, 64)
		if err != nil {
			writeError(w, http.StatusBadRequest, "audit data: "+name+" must be a number")
			return
		}
		ids[i] = v
	}
	lease, epoch, instance := ids[0], ids[1], ids[2]
	upto, err := strconv.ParseUint(r.URL.Query().Get("upto"), 10, 64)
	if err != nil || upto >= maxHistory {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("audit data: upto must be the index of the last receipt wanted (below %d)", maxHistory))
		return
	}
	if r.Header.Get(reqsign.HeaderSignature) == "" {
		writeError(w, http.StatusUnauthorized, "audit data is for the assigned auditors of an open audit of the lease and its service's owners: sign the request (client/reqsign, purpose audit)")
		return
	}
	if err := reqsign.CheckHost(r); err != nil {
		writeError(w, http.StatusMisdirectedRequest, "audit data: "+err.Error())
		return
	}
	account, err := h.Verifier.Verify(r, sha256.Sum256(nil), q1client.AuditPurpose)
	if err != nil {
		status := http.StatusUnauthorized
		if errors.Is(err, reqsign.ErrReplayCacheFull) {
			status = http.StatusServiceUnavailable
		}
		writeError(w, status, "audit data: "+err.Error())
		return
	}
	log := h.logger().With("lease", lease, "epoch", epoch, "instance", instance, "upto", upto, "account", account)
	owner, err := h.Access.MayRead(r.Context(), account, lease)
	if err != nil {
		status := http.StatusForbidden
		if !errors.Is(err, ErrNotAllowed) {
			status = http.StatusServiceUnavailable
		}
		log.Info("audit data refused", "err", err)
		writeError(w, status, fmt.Sprintf("audit data of lease %d: %v", lease, err))
		return
	}
	leave, busy := h.enter(account, owner)
	if leave == nil {
		log.Info("audit data refused: busy", "owner", owner)
		writeError(w, http.StatusTooManyRequests, fmt.Sprintf("audit data of lease %d: %s", lease, busy))
		return
	}
	defer leave()
	items, err := h.Store.History(lease, epoch, instance, upto)
	if err != nil {
		status := http.StatusInternalServerError
		if errors.Is(err, receipts.ErrNotFound) {
			status = http.StatusNotFound
		}
		log.Warn("audit data not served", "err", err)
		writeError(w, status, "audit data: "+err.Error())
		return
	}
	out := q1client.AuditHistory{Lease: lease, Epoch: epoch, Instance: instance, Items: make([]q1client.AuditItem, len(items))}
	for i, it := range items {
		out.Items[i] = q1client.AuditItem{Receipt: it.Receipt, Request: it.Request, Tape: it.Tape}
	}
	log.Info("audit data served", "steps", len(items))
	api.WriteJSON(w, http.StatusOK, out)
}

func (h *Handler) logger() *slog.Logger {
	if h.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return h.Log
}

func writeError(w http.ResponseWriter, code int, msg string) {
	api.WriteJSON(w, code, q1client.Error{Error: msg})
}
