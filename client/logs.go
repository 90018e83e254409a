package client

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/quantum1net/q1/client/reqsign"
)

// LogsOptions say which of a service's log lines to read, and who reads.
type LogsOptions struct {
	// Since is the Seq of the first line wanted (0: the oldest kept).
	Since uint64
	// Signer, when set, signs the request (client/reqsign, purpose
	// LogsPurpose) as an owner or a logViewers account; without it only a
	// service whose logViewers is public answers.
	Signer reqsign.Signer
}

// maxLogLine bounds one NDJSON line of a logs answer (a message is at most
// 4 KiB before JSON escaping).
const maxLogLine = 1 << 20

// logs reads GET {prefix}/v1/services/{service}/logs[?follow=1], handing
// each line to each. Without follow the call is bounded by the conn's
// timeout; with it, only by ctx.
func (c *conn) logs(ctx context.Context, service string, o LogsOptions, follow bool, each func(LogEntry) error) error {
	q := url.Values{}
	if o.Since > 0 {
		q.Set("since", fmt.Sprint(o.Since))
	}
	if follow {
		q.Set("follow", "1")
	} else {
		var cancel context.CancelFunc
		ctx, cancel = c.withTimeout(ctx)
		defer cancel()
	}
	u := c.url("/v1/services/"+seg(service)+"/logs", q)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	if o.Signer != nil {
		if err := reqsign.SignRequest(req, nil, o.Signer, LogsPurpose, time.Now()); err != nil {
			return fmt.Errorf("sign the request for the logs of %s: %w", service, err)
		}
	}
	resp, err := c.send(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), maxLogLine)
	for n := 1; sc.Scan(); n++ {
		var e LogEntry
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			return fmt.Errorf("GET %s: line %d is not a log entry: %w", u, n, err)
		}
		if err := each(e); err != nil {
			return err
		}
	}
	if err := sc.Err(); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("GET %s: %w", u, err)
	}
	return ctx.Err()
}

// readLogs collects a one-shot logs answer.
func (c *conn) readLogs(ctx context.Context, service string, o LogsOptions) ([]LogEntry, error) {
	out := []LogEntry{}
	err := c.logs(ctx, service, o, false, func(e LogEntry) error {
		out = append(out, e)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Logs is GET /v1/services/{name}/logs: the log lines this node keeps of
// the service's replica (see Gateway.Logs for a sharer's), oldest first.
// A service whose manifest grants no log capability has none.
func (c *Client) Logs(ctx context.Context, service string, o LogsOptions) ([]LogEntry, error) {
	return c.readLogs(ctx, service, o)
}

// FollowLogs is GET /v1/services/{name}/logs?follow=1: each kept line from
// o.Since on, then each new one as the node writes it, until ctx ends
// (ctx.Err()), each returns an error (that error) or the node ends the
// stream (nil: it stopped, or restarted; follow again from the next Seq).
func (c *Client) FollowLogs(ctx context.Context, service string, o LogsOptions, each func(LogEntry) error) error {
	return c.logs(ctx, service, o, true, each)
}
