// Package api serves a node's HTTP JSON API under /v1/: the chain's status,
// accounts, supply, transactions, services, sharers, leases and placement
// for the CLI, the dashboard and scripts, and (WithJoin) the genesis file and
// peers a joining node reads. Answers are JSON; errors are {"error": "..."}
// with a fitting status code.
package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"

	"github.com/cosmos/cosmos-sdk/codec"
	"github.com/cosmos/gogoproto/proto"

	"github.com/quantum1net/q1/client"
	"github.com/quantum1net/q1/client/chainquery"
	usagetypes "github.com/quantum1net/q1/x/usage/types"
)

// Chain is what the API needs to read from the chain.
type Chain interface {
	Status(ctx context.Context) (*client.Status, error)
	Account(ctx context.Context, address string) (*client.Account, error)
	Supply(ctx context.Context) (*client.Supply, error)
	Tx(ctx context.Context, hash string) (*client.Tx, error)
	Services(ctx context.Context) (*client.Services, error)
	Service(ctx context.Context, name string) (*client.Service, error)
	History(ctx context.Context, name string) (*client.History, error)
	Proposal(ctx context.Context, id uint64) (*client.Proposal, error)
	Blocks(ctx context.Context, n int) (*client.Blocks, error)
	Block(ctx context.Context, height int64) (*client.BlockDetail, error)
	Sharers(ctx context.Context) (*client.Sharers, error)
	Sharer(ctx context.Context, address string) (*client.SharerStatus, error)
	Leases(ctx context.Context, sharer, service string, limit int) (*client.Leases, error)
	Placement(ctx context.Context, service string) (*client.Placement, error)
	Epoch(ctx context.Context) (*client.Epoch, error)
	// The economy: answers are the usage module's query responses, written
	// in the chain's proto JSON.
	ServiceUsage(ctx context.Context, req *usagetypes.QueryServiceUsageRequest) (*usagetypes.QueryServiceUsageResponse, error)
	// WithPrunedRecords adds the records pruned from state, read back from
	// the event index (chainquery.Chain.WithPrunedRecords).
	WithPrunedRecords(ctx context.Context, req *usagetypes.QueryServiceUsageRequest, res *usagetypes.QueryServiceUsageResponse) (int, error)
	ServiceEconomics(ctx context.Context, service string) (*usagetypes.QueryServiceEconomicsResponse, error)
	// WithPrunedEarnings adds the earnings rows pruned from state, summed
	// by epoch (chainquery.Chain.WithPrunedEarnings).
	WithPrunedEarnings(ctx context.Context, by string, res *usagetypes.QuerySharerEarningsResponse) (int, error)
	SharerEarnings(ctx context.Context, address, by string) (*usagetypes.QuerySharerEarningsResponse, error)
	ValidatorSet(ctx context.Context) (*client.Validators, error)
	SharerLiveness(ctx context.Context, address string) (*client.SharerLiveness, error)
	// Audits are a service's audits, or a sharer's as the audited sharer
	// or as an auditor (exactly one of the three is set); AuditsOf the
	// audits usage records name.
	Audits(ctx context.Context, service, sharer, auditor string) (*usagetypes.QueryAuditsResponse, error)
	AuditsOf(ctx context.Context, records []usagetypes.UsageRecord) ([]usagetypes.Audit, error)
}

// Server is the /v1 API.
type Server struct {
	chain Chain
	log   *slog.Logger
	mux   *http.ServeMux
}

// Option configures a Server.
type Option func(*Server)

// WithLogger sets the logger (default: discard).
func WithLogger(l *slog.Logger) Option { return func(s *Server) { s.log = l } }

// WithHandler mounts an extra handler on the API's mux at pattern (Go
// ServeMux syntax), e.g. the blob store's.
func WithHandler(pattern string, h http.Handler) Option {
	return func(s *Server) { s.mux.Handle(pattern, h) }
}

// New returns the API server for chain.
func New(chain Chain, opts ...Option) *Server {
	s := &Server{chain: chain, log: slog.New(slog.DiscardHandler), mux: http.NewServeMux()}
	s.mux.HandleFunc("GET /v1/status", s.status)
	s.mux.HandleFunc("GET /v1/accounts/{address}", s.account)
	s.mux.HandleFunc("GET /v1/supply", s.supply)
	s.mux.HandleFunc("GET /v1/txs/{hash}", s.tx)
	s.mux.HandleFunc("GET /v1/services", s.services)
	s.mux.HandleFunc("GET /v1/services/{name}", s.service)
	s.mux.HandleFunc("GET /v1/services/{name}/history", s.history)
	s.mux.HandleFunc("GET /v1/proposals/{id}", s.proposal)
	s.mux.HandleFunc("GET /v1/blocks", s.blocks)
	s.mux.HandleFunc("GET /v1/blocks/{height}", s.block)
	s.mux.HandleFunc("GET /v1/sharers", s.sharers)
	s.mux.HandleFunc("GET /v1/sharers/{address}", s.sharer)
	s.mux.HandleFunc("GET /v1/leases", s.leases)
	s.mux.HandleFunc("GET /v1/services/{name}/placement", s.placement)
	s.mux.HandleFunc("GET /v1/epoch", s.epoch)
	s.mux.HandleFunc("GET /v1/services/{name}/usage", s.serviceUsage)
	s.mux.HandleFunc("GET /v1/services/{name}/economics", s.serviceEconomics)
	s.mux.HandleFunc("GET /v1/services/{name}/audits", s.serviceAudits)
	s.mux.HandleFunc("GET /v1/sharers/{address}/audits", s.sharerAudits)
	s.mux.HandleFunc("GET /v1/sharers/{address}/earnings", s.sharerEarnings)
	s.mux.HandleFunc("GET /v1/validators", s.validators)
	s.mux.HandleFunc("GET /v1/sharers/{address}/liveness", s.liveness)
	s.mux.HandleFunc("/v1/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "no API endpoint "+r.Method+" "+r.URL.Path)
	})
	for _, o := range opts {
		o(s)
	}
	return s
}

// ServeHTTP serves the API.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

func (s *Server) status(w http.ResponseWriter, r *http.Request) {
	v, err := s.chain.Status(r.Context())
	s.reply(w, r, v, err)
}

func (s *Server) account(w http.ResponseWriter, r *http.Request) {
	v, err := s.chain.Account(r.Context(), r.PathValue("address"))
	s.reply(w, r, v, err)
}

func (s *Server) supply(w http.ResponseWriter, r *http.Request) {
	v, err := s.chain.Supply(r.Context())
	s.reply(w, r, v, err)
}

func (s *Server) tx(w http.ResponseWriter, r *http.Request) {
	v, err := s.chain.Tx(r.Context(), r.PathValue("hash"))
	s.reply(w, r, v, err)
}

func (s *Server) services(w http.ResponseWriter, r *http.Request) {
	v, err := s.chain.Services(r.Context())
	s.reply(w, r, v, err)
}

func (s *Server) service(w http.ResponseWriter, r *http.Request) {
	v, err := s.chain.Service(r.Context(), r.PathValue("name"))
	s.reply(w, r, v, err)
}

func (s *Server) history(w http.ResponseWriter, r *http.Request) {
	v, err := s.chain.History(r.Context(), r.PathValue("name"))
	s.reply(w, r, v, err)
}

func (s *Server) proposal(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseUint(r.PathValue("id"), 10, 64)
	if err != nil {
		s.reply(w, r, nil, fmt.Errorf("%w: proposal id %q is not a number", client.ErrBadRequest, r.PathValue("id")))
		return
	}
	v, err := s.chain.Proposal(r.Context(), id)
	s.reply(w, r, v, err)
}

func (s *Server) blocks(w http.ResponseWriter, r *http.Request) {
	n := 20
	if q := r.URL.Query().Get("limit"); q != "" {
		v, err := strconv.Atoi(q)
		if err != nil {
			s.reply(w, r, nil, fmt.Errorf("%w: limit %q is not a number", client.ErrBadRequest, q))
			return
		}
		n = v
	}
	v, err := s.chain.Blocks(r.Context(), n)
	s.reply(w, r, v, err)
}

func (s *Server) block(w http.ResponseWriter, r *http.Request) {
	h, err := strconv.ParseInt(r.PathValue("height"), 10, 64)
	if err != nil {
		s.reply(w, r, nil, fmt.Errorf("%w: height %q is not a number", client.ErrBadRequest, r.PathValue("height")))
		return
	}
	v, err := s.chain.Block(r.Context(), h)
	s.reply(w, r, v, err)
}

func (s *Server) sharers(w http.ResponseWriter, r *http.Request) {
	v, err := s.chain.Sharers(r.Context())
	s.reply(w, r, v, err)
}

func (s *Server) sharer(w http.ResponseWriter, r *http.Request) {
	v, err := s.chain.Sharer(r.Context(), r.PathValue("address"))
	s.reply(w, r, v, err)
}

// leases answers GET /v1/leases?sharer=ADDRESS&service=NAME&limit=N; every
// parameter is optional.
func (s *Server) leases(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	limit := 0
	if l := q.Get("limit"); l != "" {
		v, err := strconv.Atoi(l)
		if err != nil || v < 1 {
			s.reply(w, r, nil, fmt.Errorf("%w: limit %q is not a positive number", client.ErrBadRequest, l))
			return
		}
		limit = v
	}
	v, err := s.chain.Leases(r.Context(), q.Get("sharer"), q.Get("service"), limit)
	s.reply(w, r, v, err)
}

func (s *Server) placement(w http.ResponseWriter, r *http.Request) {
	v, err := s.chain.Placement(r.Context(), r.PathValue("name"))
	s.reply(w, r, v, err)
}

func (s *Server) epoch(w http.ResponseWriter, r *http.Request) {
	v, err := s.chain.Epoch(r.Context())
	s.reply(w, r, v, err)
}

// serviceUsage answers GET /v1/services/{name}/usage?by=sharer|epoch&sharer=ADDRESS&epoch=N
// (every parameter optional): the usage records in the chain's proto JSON,
// each with its receipts root and audit state, and "audits", the audits
// the records name with every auditor's verdict.
func (s *Server) serviceUsage(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	req := &usagetypes.QueryServiceUsageRequest{Service: r.PathValue("name"), By: q.Get("by"), Sharer: q.Get("sharer")}
	if e := q.Get("epoch"); e != "" {
		n, err := strconv.ParseUint(e, 10, 64)
		if err != nil {
			s.reply(w, r, nil, fmt.Errorf("%w: epoch %q is not a number", client.ErrBadRequest, e))
			return
		}
		req.HasEpoch, req.Epoch = true, n
	}
	v, err := s.chain.ServiceUsage(r.Context(), req)
	if err != nil {
		s.reply(w, r, nil, err)
		return
	}
	if q.Get("pruned") == "true" || (req.HasEpoch && req.Epoch < v.PrunedBelow) {
		if _, err := s.chain.WithPrunedRecords(r.Context(), req, v); err != nil {
			s.reply(w, r, nil, err)
			return
		}
	}
	audits, err := s.chain.AuditsOf(r.Context(), v.Records)
	if err != nil {
		// The records still say each entry's audit state and id.
		s.log.Warn("usage answered without its audits", "service", req.Service, "err", err)
		audits = nil
	}
	raw, err := chainquery.UsageJSON(v, audits)
	s.reply(w, r, raw, err)
}

// serviceAudits answers GET /v1/services/{name}/audits: the service's
// audits, newest first, in the chain's proto JSON.
func (s *Server) serviceAudits(w http.ResponseWriter, r *http.Request) {
	v, err := s.chain.Audits(r.Context(), r.PathValue("name"), "", "")
	s.replyProto(w, r, v, err)
}

// sharerAudits answers GET /v1/sharers/{address}/audits[?as=auditor]: the
// audits of the sharer's entries, or those it was assigned to audit.
func (s *Server) sharerAudits(w http.ResponseWriter, r *http.Request) {
	addr := r.PathValue("address")
	var v *usagetypes.QueryAuditsResponse
	var err error
	switch as := r.URL.Query().Get("as"); as {
	case "", "sharer":
		v, err = s.chain.Audits(r.Context(), "", addr, "")
	case "auditor":
		v, err = s.chain.Audits(r.Context(), "", "", addr)
	default:
		err = fmt.Errorf("%w: as %q: use sharer or auditor", client.ErrBadRequest, as)
	}
	s.replyProto(w, r, v, err)
}

func (s *Server) serviceEconomics(w http.ResponseWriter, r *http.Request) {
	v, err := s.chain.ServiceEconomics(r.Context(), r.PathValue("name"))
	s.replyProto(w, r, v, err)
}

// sharerEarnings answers GET /v1/sharers/{address}/earnings?by=service|epoch.
func (s *Server) sharerEarnings(w http.ResponseWriter, r *http.Request) {
	by := r.URL.Query().Get("by")
	v, err := s.chain.SharerEarnings(r.Context(), r.PathValue("address"), by)
	if err == nil && r.URL.Query().Get("pruned") == "true" {
		_, err = s.chain.WithPrunedEarnings(r.Context(), by, v)
	}
	s.replyProto(w, r, v, err)
}

// replyProto writes a query response in the chain's proto JSON, or err.
func (s *Server) replyProto(w http.ResponseWriter, r *http.Request, v proto.Message, err error) {
	var raw json.RawMessage
	if err == nil {
		raw, err = codec.ProtoMarshalJSON(v, nil)
	}
	s.reply(w, r, raw, err)
}

func (s *Server) validators(w http.ResponseWriter, r *http.Request) {
	v, err := s.chain.ValidatorSet(r.Context())
	s.reply(w, r, v, err)
}

func (s *Server) liveness(w http.ResponseWriter, r *http.Request) {
	v, err := s.chain.SharerLiveness(r.Context(), r.PathValue("address"))
	s.reply(w, r, v, err)
}

// reply writes v as JSON, or err with the status its kind calls for.
func (s *Server) reply(w http.ResponseWriter, r *http.Request, v any, err error) {
	if err != nil {
		code := StatusOf(err)
		if code >= 500 {
			s.log.Warn("api request failed", "method", r.Method, "path", r.URL.Path, "err", err)
		}
		writeError(w, code, err.Error())
		return
	}
	WriteJSON(w, http.StatusOK, v)
}

// StatusOf maps an error to the HTTP status the API answers it with.
func StatusOf(err error) int {
	switch {
	case errors.Is(err, client.ErrBadRequest):
		return http.StatusBadRequest
	case errors.Is(err, client.ErrNotFound):
		return http.StatusNotFound
	case errors.Is(err, client.ErrUnavailable):
		return http.StatusServiceUnavailable
	default:
		return http.StatusInternalServerError
	}
}

// WriteJSON writes v as an indented JSON body with the given status.
func WriteJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

func writeError(w http.ResponseWriter, code int, msg string) {
	WriteJSON(w, code, client.Error{Error: msg})
}
