package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/cosmos/cosmos-sdk/client"
	"github.com/cosmos/cosmos-sdk/client/flags"
	"github.com/spf13/cobra"

	q1client "github.com/quantum1net/q1/client"
	"github.com/quantum1net/q1/client/reqsign"
)

func serviceLogsCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "logs NAME [-f] [--from KEY]",
		Short: "Show (and with -f follow) a service's logs from the nodes running it",
		Long: `Show the log lines a service's replicas wrote (its manifest must grant the log
capability), fetched from every node that runs a replica. Only the manifest's
logViewers may read them: anyone when it is public, else owners and the listed
accounts, who prove who they are by signing the request with --from KEY.`,
		Example: `  q1 service logs echo
  q1 service logs echo -f --from default`,
		Args: cobra.ExactArgs(1),
		RunE: runServiceLogs,
	}
	cmd.Flags().BoolP("follow", "f", false, "keep streaming new lines until interrupted")
	cmd.Flags().String(flags.FlagFrom, "", "key that signs the request (default: the home's default key; none is needed when logViewers is public)")
	flags.AddQueryFlagsToCmd(cmd)
	return cmd
}

func runServiceLogs(cmd *cobra.Command, args []string) error {
	c, err := client.GetClientQueryContext(cmd)
	if err != nil {
		return err
	}
	name := args[0]
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
	if err := checkNode(cmd.Context(), c); err != nil {
		return err
	}
	reps, err := replicaStates(cmd.Context(), chainReader(c), name)
	if err != nil {
		return queryError(err)
	}
	if len(reps) == 0 {
		return fmt.Errorf("service %s has no replica placed: no node keeps its logs (see q1 service placement %s)", name, name)
	}
	follow, _ := cmd.Flags().GetBool("follow")
	out := &lockedWriter{w: cmd.OutOrStdout()}
	var wg sync.WaitGroup
	errs := make([]error, len(reps))
	for i, r := range reps {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = streamLogs(cmd.Context(), r.Endpoint, name, signer, follow, out)
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// streamLogs fetches one node's log lines of a service and prints them.
func streamLogs(ctx context.Context, endpoint, service string, signer reqsign.Signer, follow bool, out io.Writer) error {
	url := strings.TrimRight(endpoint, "/") + "/_q1/v1/services/" + service + "/logs"
	if follow {
		url += "?follow=1"
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	if signer != nil {
		if err := reqsign.SignRequest(req, nil, signer, q1client.LogsPurpose, time.Now()); err != nil {
			return fmt.Errorf("sign the request: %w", err)
		}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("read logs from %s: %w", endpoint, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		return fmt.Errorf("the node at %s refused: %s", endpoint, strings.TrimSpace(string(b)))
	}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		var e q1client.LogEntry
		if json.Unmarshal(sc.Bytes(), &e) != nil {
			continue
		}
		fmt.Fprintf(out, "%s %s %-5s %s\n", e.Time.Format(time.RFC3339Nano), shortAddr(e.Node), e.Level, e.Message)
	}
	if err := sc.Err(); err != nil && ctx.Err() == nil {
		return fmt.Errorf("read logs from %s: %w", endpoint, err)
	}
	return nil
}

func shortAddr(a string) string {
	if len(a) > 12 {
		return a[:8] + "…" + a[len(a)-4:]
	}
	return a
}

// lockedWriter serialises writes from several streams.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
