package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/cosmos/cosmos-sdk/client"
	"github.com/cosmos/cosmos-sdk/client/flags"
	"github.com/spf13/cobra"
	"github.com/spf13/viper"

	q1client "github.com/quantum1net/q1/client"
)

func serviceCallCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "call NAME PATH [--from KEY] [-X METHOD] [-d BODY]",
		Short: "Call a service through a node's gateway, signing the request with --from",
		Long: `Send one request to a service through a node's gateway and print the response body
(-i adds the status and headers). With --from, the request is signed by that key
(service, host, method, path and query, body hash, time and a nonce), as paths the
manifest reserves to listed accounts require. The exit code is 1 for a non-2xx answer.`,
		Example: `  q1 service call hello /greet
  q1 service call admin-app /admin/stats --from default
  q1 service call echo /post -X POST -d '{"a":1}'`,
		Args: cobra.ExactArgs(2),
		RunE: runServiceCall,
	}
	cmd.Flags().StringP("request", "X", "GET", "HTTP method")
	cmd.Flags().StringP("data", "d", "", "request body (@FILE reads a file)")
	cmd.Flags().BoolP("include", "i", false, "print the status line and headers too")
	cmd.Flags().String(flags.FlagFrom, "", "key that signs the request")
	cmd.Flags().String("gateway", "", "gateway base URL (default: \"gateway\" in client.toml)")
	return cmd
}

// gatewayURL is --gateway, else "gateway" in the home's client.toml.
func gatewayURL(cmd *cobra.Command, c client.Context) (string, error) {
	if g, _ := cmd.Flags().GetString("gateway"); g != "" {
		return strings.TrimRight(g, "/"), nil
	}
	v := viper.New()
	v.SetConfigFile(clientToml(c))
	if v.ReadInConfig() == nil && v.GetString("gateway") != "" {
		return strings.TrimRight(v.GetString("gateway"), "/"), nil
	}
	return "", fmt.Errorf("say which gateway with --gateway URL (or \"gateway\" in %s)", clientToml(c))
}

func runServiceCall(cmd *cobra.Command, args []string) error {
	c, err := client.GetClientQueryContext(cmd)
	if err != nil {
		return err
	}
	name, path := args[0], args[1]
	if !strings.HasPrefix(path, "/") {
		path = "/" + path
	}
	gw, err := gatewayURL(cmd, c)
	if err != nil {
		return err
	}
	method, _ := cmd.Flags().GetString("request")
	data, _ := cmd.Flags().GetString("data")
	var body []byte
	if file, ok := strings.CutPrefix(data, "@"); ok {
		if body, err = os.ReadFile(file); err != nil {
			return fmt.Errorf("-d @%s: %w", file, err)
		}
	} else {
		body = []byte(data)
	}
	call := q1client.CallRequest{Service: name, Method: method, Path: path, Body: body}
	if from, _ := cmd.Flags().GetString(flags.FlagFrom); from != "" {
		if c, err = withSigner(c, from); err != nil {
			return err
		}
		call.Signer = keyringSigner(c)
	}
	ctx, cancel := context.WithTimeout(cmd.Context(), 5*time.Minute)
	defer cancel()
	resp, err := q1client.NewGateway(gw).Call(ctx, call)
	var unreachable *url.Error
	if errors.As(err, &unreachable) {
		return fmt.Errorf("call %s through %s: %w", name, gw, err)
	}
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	out := cmd.OutOrStdout()
	if inc, _ := cmd.Flags().GetBool("include"); inc {
		fmt.Fprintf(out, "%s %s\n", resp.Proto, resp.Status)
		_ = resp.Header.Write(out)
		fmt.Fprintln(out)
	}
	if _, err := io.Copy(out, resp.Body); err != nil {
		return err
	}
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("%s answered %s (served by %s)", name, resp.Status, orNothing(resp.Header.Get(q1client.HeaderServedBy)))
	}
	return nil
}
