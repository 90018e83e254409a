package main

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/cosmos/cosmos-sdk/client"
	"github.com/cosmos/cosmos-sdk/client/flags"
	"github.com/spf13/cobra"

	q1client "github.com/quantum1net/q1/client"
	"github.com/quantum1net/q1/client/reqsign"
	"github.com/quantum1net/q1/core/manifest"
)

// followRound is how often `q1 service logs -f` prints what its streams
// brought: each round's lines, from every node, sorted by time.
const followRound = 500 * time.Millisecond

// followRetry is how long a followed stream waits before it asks a node
// that went away (stopped, restarted, unreachable) again.
const followRetry = time.Second

func serviceLogsCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "logs NAME [-f] [--from KEY]",
		Short: "Show (and with -f follow) a service's logs from the nodes running it",
		Long: `Show the log lines a service's replicas wrote (its manifest must grant the log
capability), fetched from every node that runs a replica and merged by time.
Nodes keep each service's most recent lines across restarts (up to 4 MiB per
service). Only the manifest's logViewers may read them: anyone when it is public,
else owners and the listed accounts, who prove who they are by signing the
request with --from KEY.

With -f, new lines are printed as they come: every half second, the lines that
arrived from all nodes in that time, sorted by time; a node that goes away is
asked again every second, from the line after the last one shown. Lines from one
node keep their order; lines logged within about half a second of each other on
different nodes may print out of time order when they reach q1 in different
rounds.

When there is no line (and without -f), stderr says why, from the replicas'
states: the service has logged nothing yet (a replica serves), its replicas are
placed but not serving yet, or they failed to start; the exit code is 0.

-o json prints one JSON object per line (the API's log entry: seq, time, service,
version, level, stream, message, node); when the command fails, one JSON object on
stderr: {"error": {"code": "…", "message": "…"}}; when there is no line, one
on stderr: {"empty": {"code": "nothing_logged_yet" | "not_serving_yet" |
"replica_failed", "message": "…"}}.`,
		Example: `  q1 service logs echo
  q1 service logs echo -f --from default
  q1 service logs echo -o json | jq -r .message`,
		Args: cobra.ExactArgs(1),
		RunE: runServiceLogs,
	}
	cmd.Flags().BoolP("follow", "f", false, "keep streaming new lines until interrupted")
	cmd.Flags().String(flags.FlagFrom, "", "key that signs the request (default: the home's default key; none is needed when logViewers is public)")
	flags.AddQueryFlagsToCmd(cmd)
	return cmd
}

// logsError is a failure of q1 service logs with a stable code for -o json.
type logsError struct {
	code string
	err  error
}

func (e *logsError) Error() string { return e.err.Error() }
func (e *logsError) Unwrap() error { return e.err }

// Codes of logsError.
const (
	logsNoCapability = "no_log_capability"
	logsNoService    = "no_such_service"
	logsNoReplica    = "no_replica_placed"
	logsRefused      = "refused_by_node"
	logsUnreachable  = "node_unreachable"
	logsFailed       = "failed"
)

func runServiceLogs(cmd *cobra.Command, args []string) error {
	output, _ := cmd.Flags().GetString(flags.FlagOutput)
	err := serviceLogs(cmd, args[0], output == flags.OutputFormatJSON)
	if err == nil || output != flags.OutputFormatJSON {
		return err
	}
	// -o json: the error as one JSON object on stderr, for scripts.
	var le *logsError
	code := logsFailed
	if errors.As(err, &le) {
		code = le.code
	}
	var body struct {
		Error struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	body.Error.Code, body.Error.Message = code, stripNoise(err.Error())
	b, _ := json.Marshal(body)
	fmt.Fprintln(cmd.ErrOrStderr(), string(b))
	return silentExit(1)
}

func serviceLogs(cmd *cobra.Command, name string, jsonOut bool) error {
	c, err := client.GetClientQueryContext(cmd)
	if err != nil {
		return err
	}
	var signer reqsign.Signer
	from, _ := cmd.Flags().GetString(flags.FlagFrom)
	if from == "" && c.Keyring != nil && c.KeyringDefaultKeyName != "" {
		// The home's default key, when it has one, proves who reads: it is
		// what a devnet node's owner deployed with.
		if _, err := c.Keyring.Key(c.KeyringDefaultKeyName); err == nil {
			from = c.KeyringDefaultKeyName
		}
	}
	if from != "" {
		if c, err = withSigner(c, from); err != nil {
			return err
		}
		signer = keyringSigner(c)
	}
	ctx := cmd.Context()
	if err := checkNodeReady(ctx, c, cmd.ErrOrStderr()); err != nil {
		return err
	}
	chain := chainReader(c)
	svc, err := chain.Service(ctx, name)
	if err != nil {
		code := logsFailed
		if errors.Is(err, q1client.ErrNotFound) {
			code = logsNoService
		}
		return &logsError{code, queryError(err)}
	}
	if m, err := manifest.ParseCanonical(svc.Manifest); err == nil && !m.Permissions.Capabilities.Log {
		return &logsError{logsNoCapability, fmt.Errorf("service %s has no log lines to show: its manifest does not grant the log "+
			"capability (permissions.capabilities.log), so its code cannot log; an update that adds `capabilities: {log: true}` "+
			"under permissions lets it (q1 service propose)", name)}
	}
	reps, err := replicaStates(ctx, chain, name)
	if err != nil {
		return &logsError{logsFailed, queryError(err)}
	}
	var nodes []string
	for _, r := range reps {
		if r.Endpoint != "" && !slices.Contains(nodes, r.Endpoint) {
			nodes = append(nodes, r.Endpoint)
		}
	}
	if len(nodes) == 0 {
		return &logsError{logsNoReplica, fmt.Errorf("service %s has no replica placed: no node keeps its logs (see q1 service placement %s)", name, name)}
	}
	show := printLogText
	if jsonOut {
		show = printLogJSON
	}
	out := cmd.OutOrStdout()

	// What every node keeps, merged by time.
	opts := q1client.LogsOptions{Signer: signer}
	kept := make([][]q1client.LogEntry, len(nodes))
	errs := make([]error, len(nodes))
	var wg sync.WaitGroup
	for i, n := range nodes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			kept[i], errs[i] = q1client.NewGateway(n).Logs(ctx, name, opts)
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			return nodeLogsError(nodes[i], err)
		}
	}
	merged := mergeLogs(kept...)
	for _, e := range merged {
		show(out, e)
	}
	if follow, _ := cmd.Flags().GetBool("follow"); !follow {
		if len(merged) == 0 {
			code, msg := emptyLogs(name, reps)
			printEmptyLogs(cmd.ErrOrStderr(), jsonOut, code, msg)
		}
		return nil
	}

	// Then what they add, per round.
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	lines := make(chan q1client.LogEntry, 256)
	for i, n := range nodes {
		since := uint64(0)
		if k := kept[i]; len(k) > 0 {
			since = k[len(k)-1].Seq + 1
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := followNode(ctx, n, name, q1client.LogsOptions{Since: since, Signer: signer}, lines, cmd.ErrOrStderr()); err != nil {
				cancel(err)
			}
		}()
	}
	go func() { wg.Wait(); close(lines) }()
	printRounds(ctx, lines, followRound, func(e q1client.LogEntry) { show(out, e) })
	if err := context.Cause(ctx); err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	return nil
}

// followNode follows one node's lines of service into lines until ctx
// ends, asking again from the next line when the node goes away. A node
// that refuses (the reader may not read, the service is gone) ends it with
// that error.
func followNode(ctx context.Context, endpoint, service string, o q1client.LogsOptions, lines chan<- q1client.LogEntry, stderr io.Writer) error {
	g := q1client.NewGateway(endpoint)
	lost := false
	for {
		err := g.FollowLogs(ctx, service, o, func(e q1client.LogEntry) error {
			if lost {
				fmt.Fprintf(stderr, "(following the logs from %s again)\n", endpoint)
				lost = false
			}
			o.Since = e.Seq + 1
			select {
			case lines <- e:
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		})
		select {
		case <-ctx.Done():
			return nil // asked to stop
		default:
		}
		var refused *q1client.APIError
		if errors.As(err, &refused) {
			return nodeLogsError(endpoint, err)
		}
		if !lost {
			why := "it ended the stream"
			if err != nil {
				why = err.Error()
			}
			fmt.Fprintf(stderr, "(lost the logs from %s: %s; asking again every %s)\n", endpoint, why, followRetry)
			lost = true
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(followRetry):
		}
	}
}

// printRounds prints the lines that arrive, once per round, each round's
// sorted by time, until lines is closed or ctx ends.
func printRounds(ctx context.Context, lines <-chan q1client.LogEntry, round time.Duration, show func(q1client.LogEntry)) {
	tick := time.NewTicker(round)
	defer tick.Stop()
	var batch []q1client.LogEntry
	flush := func() {
		for _, e := range mergeLogs(batch) {
			show(e)
		}
		batch = batch[:0]
	}
	for {
		select {
		case e, ok := <-lines:
			if !ok {
				flush()
				return
			}
			batch = append(batch, e)
		case <-tick.C:
			flush()
		case <-ctx.Done():
			flush()
			return
		}
	}
}

// mergeLogs merges log lines from several nodes into one list ordered by
// time; lines of the same time are ordered by node, then by their number,
// so the order is the same at every run.
func mergeLogs(perNode ...[]q1client.LogEntry) []q1client.LogEntry {
	var all []q1client.LogEntry
	for _, l := range perNode {
		all = append(all, l...)
	}
	slices.SortStableFunc(all, func(a, b q1client.LogEntry) int {
		return cmp.Or(a.Time.Compare(b.Time), strings.Compare(a.Node, b.Node), cmp.Compare(a.Seq, b.Seq))
	})
	return all
}

// nodeLogsError words a node's refusal, or failure to answer, to read logs.
func nodeLogsError(endpoint string, err error) error {
	var refused *q1client.APIError
	if errors.As(err, &refused) {
		return &logsError{logsRefused, fmt.Errorf("the node at %s refused: %s", endpoint, refused.Message)}
	}
	var unreachable *url.Error
	if errors.As(err, &unreachable) {
		return &logsError{logsUnreachable, fmt.Errorf("read logs from %s: %w", endpoint, err)}
	}
	return &logsError{logsFailed, fmt.Errorf("read logs from %s: %w", endpoint, err)}
}

func printLogText(w io.Writer, e q1client.LogEntry) {
	fmt.Fprintf(w, "%s %s %-5s %s\n", e.Time.Format(time.RFC3339Nano), shortAddr(e.Node), e.Level, e.Message)
}

func printLogJSON(w io.Writer, e q1client.LogEntry) {
	b, _ := json.Marshal(e)
	fmt.Fprintln(w, string(b))
}

func shortAddr(a string) string {
	if len(a) > 12 {
		return a[:8] + "…" + a[len(a)-4:]
	}
	return a
}
