package main

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/cosmos/cosmos-sdk/client"
	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/cosmos-sdk/types/query"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"
	"github.com/spf13/cobra"

	"github.com/quantum1net/q1/core/manifest"
	"github.com/quantum1net/q1/core/sealed"
	servicestypes "github.com/quantum1net/q1/x/services/types"
	sharerstypes "github.com/quantum1net/q1/x/sharers/types"
)

func serviceSecretCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "secret",
		Short: "Set, list and delete a service's secrets (encrypted to its replicas' nodes)",
		Long: `A secret is a named value a service reads with guest.Secret("KEY") when its manifest
grants permissions.capabilities.secrets. The value never goes on chain or in a log in clear:
set encrypts it here with a fresh key, which it wraps to the hot key of each node running a
replica of the service; those nodes wrap it for replicas placed later. Owners and the
accounts in permissions.secretWriters may set and delete secrets (docs/architecture.md,
Secrets).`,
		RunE: client.ValidateCmd,
	}
	cmd.AddCommand(serviceSecretSetCmd(), serviceSecretListCmd(), serviceSecretDeleteCmd())
	return cmd
}

func serviceSecretSetCmd() *cobra.Command {
	cmd := txCmd("set NAME KEY (--from-file F | --value-stdin) --from KEY",
		"Set (or rotate) a secret: a new version, encrypted to the service's replica nodes", cobra.ExactArgs(2),
		func(cmd *cobra.Command, c client.Context, args []string) error {
			service, key := args[0], args[1]
			if err := manifest.ValidateSecretName(key); err != nil {
				return fmt.Errorf("KEY: %w", err)
			}
			value, err := readSecretValue(cmd)
			if err != nil {
				return err
			}
			msg, skipped, err := buildSetSecret(cmd.Context(), c, service, key, value)
			if err != nil {
				return err
			}
			for _, s := range skipped {
				fmt.Fprintf(cmd.ErrOrStderr(), "note: %s; a node already holding the secret wraps it for that one\n", s)
			}
			what := fmt.Sprintf("set secret %s of %s (version %d, for %s)", key, service, msg.Version, nodesText(len(msg.Wraps)))
			res, err := submitTx(cmd, c, txOptions{what: what}, msg)
			if err != nil {
				return err
			}
			if outputJSON(c) {
				nodes := make([]string, len(msg.Wraps))
				for i, w := range msg.Wraps {
					nodes[i] = w.Node
				}
				return printJSON(cmd, map[string]any{"service": service, "key": key, "version": msg.Version, "nodes": nodes, "tx": res})
			}
			fmt.Fprintf(cmd.OutOrStdout(), "Done: %s (tx %s, height %d)\n", what, res.Hash, res.Height)
			return nil
		})
	cmd.Flags().String("from-file", "", "read the value from this file")
	cmd.Flags().Bool("value-stdin", false, "read the value from standard input (to its end)")
	return cmd
}

// readSecretValue reads the value from exactly one of --from-file and
// --value-stdin, at most servicestypes.MaxSecretValue bytes.
func readSecretValue(cmd *cobra.Command) ([]byte, error) {
	file, _ := cmd.Flags().GetString("from-file")
	stdin, _ := cmd.Flags().GetBool("value-stdin")
	var r io.Reader
	var from string
	switch {
	case file != "" && stdin:
		return nil, errors.New("give the value with --from-file or --value-stdin, not both")
	case file != "":
		f, err := os.Open(file)
		if err != nil {
			return nil, fmt.Errorf("--from-file: %w", err)
		}
		defer f.Close()
		r, from = f, file
	case stdin:
		r, from = cmd.InOrStdin(), "standard input"
	default:
		return nil, errors.New("give the value with --from-file FILE or --value-stdin (never on the command line, where shells and process lists keep it)")
	}
	v, err := io.ReadAll(io.LimitReader(r, servicestypes.MaxSecretValue+1))
	if err != nil {
		return nil, fmt.Errorf("read the value from %s: %w", from, err)
	}
	if len(v) > servicestypes.MaxSecretValue {
		return nil, fmt.Errorf("the value in %s is larger than %d bytes (64 KiB), the most a secret holds", from, servicestypes.MaxSecretValue)
	}
	return v, nil
}

// buildSetSecret seals value as the next version of the secret and wraps its
// data key to the hot key of every sharer holding a lease of the service.
// It returns, besides the msg, the nodes it could not wrap to yet.
func buildSetSecret(ctx context.Context, c client.Context, service, key string, value []byte) (*servicestypes.MsgSetSecret, []string, error) {
	recs, err := servicestypes.NewQueryClient(c).Secrets(ctx, &servicestypes.QuerySecretsRequest{Service: service})
	if err != nil {
		return nil, nil, fmt.Errorf("read the secrets of service %s: %s", service, humanize(err))
	}
	version := uint64(1)
	for _, r := range recs.Secrets {
		if r.Key == key {
			version = r.Version + 1
		}
	}
	holders, err := leaseHolders(ctx, c, service)
	if err != nil {
		return nil, nil, err
	}
	if len(holders) == 0 {
		return nil, nil, fmt.Errorf("service %s has no replica placed now (no open lease), so there is no node to encrypt the secret to; set it once its replicas are placed", service)
	}
	ad := sealed.AD(service, key, version)
	dk, err := sealed.NewDataKey(rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	ct, err := sealed.Seal(dk, value, ad, rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	msg := &servicestypes.MsgSetSecret{Sender: c.FromAddress.String(), Service: service, Key: key, Version: version, Ciphertext: ct}
	var skipped []string
	for _, h := range holders {
		pub, why := hotKeyPub(ctx, c, h)
		if pub == nil {
			skipped = append(skipped, why)
			continue
		}
		w, err := sealed.Wrap(pub, dk, ad, rand.Reader)
		if err != nil {
			// A hot key that is not a secp256k1 key (one sharer's choice)
			// must not stop the owner from reaching the others.
			skipped = append(skipped, fmt.Sprintf("node %s: its hot key cannot receive a wrap: %v", h, err))
			continue
		}
		msg.Wraps = append(msg.Wraps, servicestypes.SecretWrap{Node: h, Wrapped: w})
	}
	if len(msg.Wraps) == 0 {
		return nil, nil, fmt.Errorf("no node of service %s can receive the secret yet: %s", service, strings.Join(skipped, "; "))
	}
	return msg, skipped, nil
}

// leaseHolders lists the sharers holding an open lease of service, once
// each, in lease order.
func leaseHolders(ctx context.Context, c client.Context, service string) ([]string, error) {
	qcl := sharerstypes.NewQueryClient(c)
	req := &sharerstypes.QueryLeasesRequest{Service: service, Pagination: &query.PageRequest{Limit: 500}}
	var out []string
	seen := map[string]bool{}
	for {
		res, err := qcl.Leases(ctx, req)
		if err != nil {
			return nil, fmt.Errorf("read the leases of service %s: %s", service, humanize(err))
		}
		for _, l := range res.Leases {
			if l.ClosedHeight == 0 && !seen[l.Sharer] {
				seen[l.Sharer] = true
				out = append(out, l.Sharer)
			}
		}
		if res.Pagination == nil || len(res.Pagination.NextKey) == 0 {
			return out, nil
		}
		req.Pagination = &query.PageRequest{Key: res.Pagination.NextKey, Limit: 500}
	}
}

// hotKeyPub returns the public key of sharer's registered hot key, or nil
// and why there is none to encrypt to yet.
func hotKeyPub(ctx context.Context, c client.Context, sharer string) ([]byte, string) {
	s, err := sharerstypes.NewQueryClient(c).Sharer(ctx, &sharerstypes.QuerySharerRequest{Address: sharer})
	if err != nil {
		return nil, fmt.Sprintf("node %s: its sharer record: %s", sharer, humanize(err))
	}
	hot := s.Sharer.HotKey
	if hot == "" {
		return nil, fmt.Sprintf("node %s has no registered hot key", sharer)
	}
	res, err := authtypes.NewQueryClient(c).Account(ctx, &authtypes.QueryAccountRequest{Address: hot})
	if err != nil {
		return nil, fmt.Sprintf("node %s: hot key %s has no account yet", sharer, hot)
	}
	var acc sdk.AccountI
	if err := c.InterfaceRegistry.UnpackAny(res.Account, &acc); err != nil || acc.GetPubKey() == nil {
		return nil, fmt.Sprintf("node %s: hot key %s has not signed a transaction yet, so its public key is not on chain", sharer, hot)
	}
	return acc.GetPubKey().Bytes(), ""
}

// secretListing is one secret as list prints it: never a value.
type secretListing struct {
	Key       string   `json:"key"`
	Version   uint64   `json:"version"`
	SetBy     string   `json:"set_by"`
	SetHeight int64    `json:"set_height"`
	Nodes     []string `json:"nodes"`
}

func serviceSecretListCmd() *cobra.Command {
	return queryCmd("list NAME", "List a service's secrets: names, versions, who set them and which nodes can read them (never values)", cobra.ExactArgs(1),
		func(cmd *cobra.Command, c client.Context, args []string) error {
			res, err := servicestypes.NewQueryClient(c).Secrets(cmd.Context(), &servicestypes.QuerySecretsRequest{Service: args[0]})
			if err != nil {
				return errors.New(humanize(err))
			}
			out := secretListings(res.Secrets)
			if outputJSON(c) {
				return printJSON(cmd, map[string]any{"service": args[0], "secrets": out})
			}
			return printSecretListings(cmd.OutOrStdout(), args[0], out)
		})
}

// secretListings keeps the live secrets, with the nodes holding a wrap.
func secretListings(recs []servicestypes.Secret) []secretListing {
	out := []secretListing{}
	for _, r := range recs {
		if r.Deleted {
			continue
		}
		l := secretListing{Key: r.Key, Version: r.Version, SetBy: r.SetBy, SetHeight: r.SetHeight, Nodes: []string{}}
		for _, w := range r.Wraps {
			l.Nodes = append(l.Nodes, w.Node)
		}
		out = append(out, l)
	}
	return out
}

func printSecretListings(w io.Writer, service string, list []secretListing) error {
	if len(list) == 0 {
		_, err := fmt.Fprintf(w, "Service %s has no secrets (q1 service secret set %s KEY --value-stdin).\n", service, service)
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "KEY\tVERSION\tSET BY\tHEIGHT\tNODES")
	for _, l := range list {
		fmt.Fprintf(tw, "%s\t%d\t%s\t%d\t%s\n", l.Key, l.Version, l.SetBy, l.SetHeight, strings.Join(l.Nodes, ", "))
	}
	return tw.Flush()
}

func serviceSecretDeleteCmd() *cobra.Command {
	return txCmd("delete NAME KEY --from KEY", "Delete a secret (owners and secretWriters); its name keeps counting versions", cobra.ExactArgs(2),
		func(cmd *cobra.Command, c client.Context, args []string) error {
			msg := &servicestypes.MsgDeleteSecret{Sender: c.FromAddress.String(), Service: args[0], Key: args[1]}
			what := fmt.Sprintf("delete secret %s of %s", args[1], args[0])
			res, err := submitTx(cmd, c, txOptions{what: what}, msg)
			if err != nil {
				return err
			}
			if outputJSON(c) {
				return printJSON(cmd, res)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "Done: %s (tx %s, height %d)\n", what, res.Hash, res.Height)
			return nil
		})
}

func nodesText(n int) string {
	if n == 1 {
		return "1 node"
	}
	return fmt.Sprintf("%d nodes", n)
}
