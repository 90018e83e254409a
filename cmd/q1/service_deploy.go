package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	sdkmath "cosmossdk.io/math"
	"github.com/cosmos/cosmos-sdk/client"
	"github.com/cosmos/cosmos-sdk/client/flags"
	cryptotypes "github.com/cosmos/cosmos-sdk/crypto/types"
	signingtypes "github.com/cosmos/cosmos-sdk/types/tx/signing"
	"github.com/spf13/cobra"
	"github.com/spf13/viper"

	q1client "github.com/quantum1net/q1/client"
	"github.com/quantum1net/q1/client/blobhash"
	"github.com/quantum1net/q1/client/reqsign"
	"github.com/quantum1net/q1/core/manifest"
	"github.com/quantum1net/q1/core/qc"
	"github.com/quantum1net/q1/node/runtime"
	servicestypes "github.com/quantum1net/q1/x/services/types"
)

const (
	flagManifest = "file"
	flagWasm     = "wasm"
	flagNoCheck  = "skip-wasm-check"
	flagDeposit  = "deposit"
	flagAPI      = "api-url"
	flagDryRun   = "dry-run"
	flagServing  = "wait-serving"
)

// apiURL is the node HTTP API the CLI talks to: --api-url, else "api" in the
// home's client.toml, else the --http default of q1 start.
func apiURL(cmd *cobra.Command, c client.Context) string {
	if u, _ := cmd.Flags().GetString(flagAPI); u != "" {
		return strings.TrimRight(u, "/")
	}
	v := viper.New()
	v.SetConfigFile(clientToml(c))
	if v.ReadInConfig() == nil {
		if u := v.GetString("api"); u != "" {
			return strings.TrimRight(u, "/")
		}
	}
	return "http://127.0.0.1:8080"
}

// keyringSigner signs blob uploads and other node requests with a key.
func keyringSigner(c client.Context) reqsign.Signer {
	return reqsign.SignerFunc(func(msg []byte) ([]byte, cryptotypes.PubKey, error) {
		return c.Keyring.Sign(c.FromName, msg, signingtypes.SignMode_SIGN_MODE_DIRECT)
	})
}

// draftOptions say how completeDraft fills what a draft leaves out.
type draftOptions struct {
	// wasmHash is the hash of --wasm; "" when none was given.
	wasmHash string
	// current is the service's manifest in force (q1 service propose): a
	// draft without code.wasm keeps its module, one without owners keeps
	// its owners and threshold.
	current *manifest.Manifest
	// allowNoWasm leaves code.wasm empty rather than refusing (a dry run
	// without --wasm: placement does not need it).
	allowNoWasm bool
}

// readDraft reads a manifest file that may leave code.wasm and owners to
// the CLI, printing every problem.
func readDraft(cmd *cobra.Command, path string) (*manifest.Manifest, error) {
	m, err := readManifest(path, manifest.ParseOptions{AllowMissingWasm: true, AllowMissingOwners: true})
	var problems manifest.Problems
	if errors.As(err, &problems) {
		for _, p := range problems {
			fmt.Fprintln(cmd.ErrOrStderr(), p.String())
		}
		return nil, fmt.Errorf("%s has %d problem(s); nothing was sent", path, len(problems))
	}
	return m, err
}

// loadDraft reads a draft and completes it with completeDraft.
func loadDraft(cmd *cobra.Command, c client.Context, path string, o draftOptions) (*manifest.Manifest, error) {
	m, err := readDraft(cmd, path)
	if err != nil {
		return nil, err
	}
	return completeDraft(cmd, c, path, m, o)
}

// completeDraft fills what the draft m (read from path) leaves out —
// code.wasm from --wasm or the current version, owners from the current
// version or the signer as sole owner — and checks the result completely.
func completeDraft(cmd *cobra.Command, c client.Context, path string, m *manifest.Manifest, o draftOptions) (*manifest.Manifest, error) {
	switch {
	case o.wasmHash != "" && m.Code.Wasm != "" && m.Code.Wasm != o.wasmHash:
		return nil, fmt.Errorf("%s names code.wasm %s, but --wasm hashes to %s: remove code.wasm from the manifest or pass the matching module",
			path, m.Code.Wasm, o.wasmHash)
	case o.wasmHash != "":
		m.Code.Wasm = o.wasmHash
	case m.Code.Wasm != "":
	case o.current != nil:
		m.Code.Wasm = o.current.Code.Wasm
		fmt.Fprintf(cmd.ErrOrStderr(), "%s names no code.wasm and no --wasm was given: the module stays %s\n", path, m.Code.Wasm)
	case o.allowNoWasm:
	default:
		return nil, fmt.Errorf("%s has no code.wasm: pass the module with --wasm FILE", path)
	}
	if len(m.Permissions.Owners.Accounts) == 0 {
		switch {
		case o.current != nil:
			m.Permissions.Owners = o.current.Permissions.Owners
			fmt.Fprintf(cmd.ErrOrStderr(), "%s names no owners: the current %d owner(s) and threshold %d stay\n",
				path, len(m.Permissions.Owners.Accounts), m.Permissions.Owners.Threshold)
		case c.FromAddress.Empty():
			return m, nil // a dry run without a key: owners stay unknown
		default:
			m.Permissions.Owners.Accounts = []string{c.FromAddress.String()}
			m.Permissions.Owners.Threshold = 1
			fmt.Fprintf(cmd.ErrOrStderr(), "%s names no owners: %s (%s) becomes the sole owner\n", path, c.FromName, c.FromAddress)
		}
	}
	if m.Code.Wasm == "" {
		return m, nil // a dry run: nothing will be sent
	}
	// Filling may make sets unsorted: round-trip through the canonical form.
	m, err := manifest.ParseCanonical(canonicalOf(m))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return m, nil
}

// canonicalOf re-encodes m after the CLI filled fields in, going through
// Parse so sets are normalised exactly as the chain will see them.
func canonicalOf(m *manifest.Manifest) []byte {
	again, err := manifest.Parse(m.Canonical(), manifest.ParseOptions{})
	if err != nil {
		return m.Canonical()
	}
	return again.Canonical()
}

// uploadWasm hashes and uploads a wasm file to the node's blob store,
// showing progress, and checks the node now has it.
func uploadWasm(ctx context.Context, cmd *cobra.Command, c client.Context, api, path string) (blobhash.Hash, error) {
	f, err := os.Open(path)
	if err != nil {
		return blobhash.Hash{}, fmt.Errorf("read --wasm: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return blobhash.Hash{}, err
	}
	p := newProgress(cmd.ErrOrStderr(), fmt.Sprintf("uploading %s (%s) to %s", path, humanBytes(st.Size()), api))
	defer p.done()
	ctx, cancel := context.WithTimeout(ctx, 10*time.Minute)
	defer cancel()
	node := q1client.New(api)
	h, err := node.UploadBlob(ctx, f, st.Size(), keyringSigner(c), func(sent, total int64) {
		p.bytes(sent, total)
	})
	if err != nil {
		return blobhash.Hash{}, uploadError(api, err)
	}
	// The chain cannot see blobs: make sure the node really holds it before
	// anything refers to it.
	has, err := node.HasBlob(ctx, h)
	if err != nil {
		return blobhash.Hash{}, uploadError(api, err)
	}
	if !has {
		return blobhash.Hash{}, fmt.Errorf("the node at %s does not hold %s after the upload (404 Not Found); nothing was sent to the chain", api, h)
	}
	return h, nil
}

func uploadError(api string, err error) error {
	var se *q1client.APIError
	if errors.As(err, &se) {
		return fmt.Errorf("upload refused by the node at %s: %s", api, se.Message)
	}
	if reason := unreachable(err); reason != "" {
		return &unreachableError{
			msg: fmt.Sprintf("cannot reach the node's HTTP API at %s (%s): is it running? Set --api-url or \"api\" in client.toml", api, reason),
			err: err,
		}
	}
	return err
}

func humanBytes(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	default:
		return fmt.Sprintf("%d B", n)
	}
}

const flagForce = "force"

func serviceDeployCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "deploy -f MANIFEST --wasm FILE --from KEY --deposit AMOUNT",
		Short: "Upload a service's wasm and create it on chain under its manifest",
		Long: `Deploy a new service: the wasm module is uploaded to the node's blob store (with
progress), its hash fills code.wasm, the deploying key becomes the sole owner if the
manifest names none, and MsgCreateService (manifest + initial escrow deposit) is
sent and waited for. Manifests and wasm are public: put no secrets in them.

Before anything is uploaded or sent, the deploy asks the chain what it would meet
and stops (exit 1, every problem on stderr) when:
  - the name is taken: by a live or paused service, or by a deleted one (names
    are never reused);
  - the deposit is below the chain's minimum, or the key cannot pay the deposit
    and the fee, or the key is not among the manifest's owners;
  - placement cannot place every replica now. The sharers passed over are
    grouped by the manifest field that keeps them out (pricing.*,
    placement.requireAttributes, placement.spread, placement.minCollateral,
    resources.*, placement.replicas), each with what they offer and a fix, e.g.
      3 sharers ask memory 4–6uqc/MiB-h, above pricing.memoryPerMiBHour 2uqc (2–4uqc more)
        fix: raise pricing.memoryPerMiBHour to at least 4uqc (6uqc admits all 3)
    --force deploys anyway: the name is then taken for good and the deposit
    held in escrow while the service waits for sharers that qualify.

--dry-run makes the same checks and shows where the service would run and what it
would cost per hour; it uploads and sends nothing, and exits 1 if the deploy
would stop. Without --wasm it does not check the module, and without a key
(--from, else the home's default) not the owners, funds and fee: it says so.`,
		Example: `  GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o hello.wasm ./examples/hello
  q1 service deploy -f examples/hello/service.yaml --wasm hello.wasm --from default --deposit 100QC
  q1 service deploy -f examples/hello/service.yaml --dry-run --deposit 100QC`,
		Args: cobra.NoArgs,
		RunE: runServiceDeploy,
	}
	cmd.Flags().StringP(flagManifest, "f", "", "the service manifest (YAML)")
	cmd.Flags().String(flagWasm, "", "the compiled service (wasm)")
	cmd.Flags().Bool(flagNoCheck, false, "upload and send even if the module fails the local check (nodes check again and will not run it)")
	cmd.Flags().String(flagDeposit, "", "initial escrow deposit, e.g. 100QC")
	cmd.Flags().String(flags.FlagFrom, "", "deploying key (default: the home's default key)")
	cmd.Flags().String(flagAPI, "", "HTTP API of the node to upload to (default: \"api\" in client.toml)")
	cmd.Flags().Duration(flagServing, 0, "after creating it, wait up to this long (e.g. 2m) until every replica is placed, acknowledged and serving, showing progress")
	cmd.Flags().Bool(flagDryRun, false, "upload and send nothing: check the deploy, show where the service would be placed now and what it would cost per hour")
	cmd.Flags().Bool(flagForce, false, "deploy even if placement cannot place every replica now (the name is taken and the deposit held in escrow meanwhile)")
	addTxClientFlags(cmd)
	return cmd
}

// deployFlags are the flags both the dry run and the deploy read.
type deployFlags struct {
	path, wasmPath string
	deposit        sdkmath.Int // nil when --deposit was not given
	force          bool
}

func readDeployFlags(cmd *cobra.Command) (deployFlags, error) {
	var f deployFlags
	f.path, _ = cmd.Flags().GetString(flagManifest)
	f.wasmPath, _ = cmd.Flags().GetString(flagWasm)
	f.force, _ = cmd.Flags().GetBool(flagForce)
	if f.path == "" {
		return f, errors.New("say which manifest with -f FILE")
	}
	if d, _ := cmd.Flags().GetString(flagDeposit); d != "" {
		amount, err := qc.ParseAmount(d)
		if err != nil {
			return f, fmt.Errorf("--deposit: %w", err)
		}
		f.deposit = amount
	}
	return f, nil
}

// report writes the check's problems to stderr, and the placement shortfall
// as a problem, or as a warning under --force. It returns how many problems
// stop the deploy.
func (d *deployCheck) report(w io.Writer, force bool) int {
	n := len(d.problems)
	if d.unplaced != "" && !force {
		n++
	}
	if n > 0 {
		fmt.Fprintln(w, "The deploy would stop here:")
	}
	for _, p := range d.problems {
		fmt.Fprintf(w, "  - %s\n", p)
	}
	switch {
	case d.unplaced == "":
	case force && n > 0:
		printUnplaced(w, d, "note (--force): ", "  ")
	case force:
		printUnplaced(w, d, "warning (--force): ", "  ")
		fmt.Fprintln(w, "  the service is created anyway and waits for sharers that qualify (see q1 service placement)")
	default:
		printUnplaced(w, d, "  - ", "      ")
		fmt.Fprintln(w, "    change the manifest (caps, resources, attributes) to what sharers offer (q1 sharer list), or pass --force to deploy anyway: the name is then taken for good and the deposit held in escrow until sharers qualify")
	}
	return n
}

func runServiceDeploy(cmd *cobra.Command, _ []string) error {
	if dry, _ := cmd.Flags().GetBool(flagDryRun); dry {
		return runDeployDryRun(cmd)
	}
	c, err := txClient(cmd)
	if err != nil {
		return err
	}
	fl, err := readDeployFlags(cmd)
	if err != nil {
		return err
	}
	switch {
	case fl.wasmPath == "":
		return errors.New("say which module with --wasm FILE")
	case fl.deposit.IsNil():
		return errors.New("say how much to put in escrow with --deposit AMOUNT, e.g. 100QC")
	}
	deposit := fl.deposit
	clock := newPhases(time.Now)
	wasmHash, err := hashFileAt(fl.wasmPath)
	if err != nil {
		return err
	}
	m, err := loadDraft(cmd, c, fl.path, draftOptions{wasmHash: wasmHash.String()})
	if err != nil {
		return err
	}
	// The module's check (wazero's interpreter, a fraction of a second)
	// and the chain's run side by side; the module's problems, if any, are
	// reported first, as when they ran one after the other.
	var wasmOut bytes.Buffer
	wasmErr := make(chan error, 1)
	go func() { wasmErr <- checkWasmTo(cmd, &wasmOut, fl.wasmPath, m) }()
	msg := &servicestypes.MsgCreateService{Creator: c.FromAddress.String(), Manifest: m.Canonical(), Deposit: deposit}
	var d *deployCheck
	chainErr := checkNodeReady(cmd.Context(), c, cmd.ErrOrStderr())
	if chainErr == nil {
		d, chainErr = checkDeploy(cmd, c, deployInput{m: m, deposit: deposit, signer: true, sim: msg})
	}
	err = <-wasmErr
	_, _ = cmd.ErrOrStderr().Write(wasmOut.Bytes()) // the terminal; nothing to do if it fails
	if err != nil {
		return err
	}
	if chainErr != nil {
		return chainErr
	}
	if n := d.report(cmd.ErrOrStderr(), fl.force); n > 0 {
		return fmt.Errorf("%s was not deployed (%d problem(s)); nothing was uploaded or sent", m.Name, n)
	}
	clock.done("checks")
	if _, err := uploadWasm(cmd.Context(), cmd, c, apiURL(cmd, c), fl.wasmPath); err != nil {
		return err
	}
	clock.done("upload")
	// The chosen sharers' nodes compile the module while the tx commits.
	warmed := announceWarm(cmd.Context(), wasmHash, d.chosenEndpoints())
	res, err := submitTx(cmd, c, txOptions{spend: deposit, what: "create service " + m.Name}, msg)
	if err != nil {
		return err
	}
	clock.done("committed")
	warm := warmed()
	var reps []q1client.Replica
	if wait, _ := cmd.Flags().GetDuration(flagServing); wait > 0 {
		if reps, err = waitForReplicas(cmd, c, m.Name, int(m.Placement.Replicas), wait, clock); err != nil {
			return err
		}
		fmt.Fprintf(cmd.ErrOrStderr(), "deployed in %s\n  (%s)\n", clock, warm)
	}
	if outputJSON(c) {
		out := map[string]any{"service": m.Name, "hash": m.Hash(), "tx": res}
		if reps != nil {
			out["replicas"] = reps
			out["phases"] = clock.steps
			out["compiled_ahead"] = map[string]any{"accepted": warm.accepted, "asked": warm.asked, "refused": warm.refused}
		}
		return printJSON(cmd, out)
	}
	fmt.Fprintf(cmd.OutOrStdout(), "Created service %s (version 1, %s) with %s in escrow\n  tx     %s\n  height %d\n",
		m.Name, m.Hash(), qc.Format(deposit), res.Hash, res.Height)
	for _, r := range reps {
		fmt.Fprintf(cmd.OutOrStdout(), "  replica %d serving on %s (%s)\n", r.Replica, r.Sharer, r.Endpoint)
	}
	return nil
}

// waitForReplicas polls the chain and the nodes until want replicas of
// service are acknowledged and serving, showing how many are, and fails with
// the node's reason as soon as one fails to start. It ends clock's steps
// "placed" (every replica has a lease) and "serving", when clock is not nil.
func waitForReplicas(cmd *cobra.Command, c client.Context, service string, want int, within time.Duration, clock *phases) ([]q1client.Replica, error) {
	ctx, cancel := context.WithTimeout(cmd.Context(), within)
	defer cancel()
	p := newProgress(cmd.ErrOrStderr(), fmt.Sprintf("waiting for %d replica(s) of %s to be placed and warm", want, service))
	defer p.done()
	chain := chainReader(c)
	placed := false
	for {
		reps, err := replicaStates(ctx, chain, service)
		serving := 0
		if err == nil && !placed && len(reps) >= want {
			placed = true
			if clock != nil {
				clock.done("placed")
			}
		}
		if err == nil {
			for _, r := range reps {
				switch {
				case r.State == "failed":
					return nil, fmt.Errorf("the replica of %s on %s failed to start: %s", service, r.Sharer, r.Reason)
				case r.State == "serving" && r.Acked:
					serving++
				}
			}
			if serving >= want {
				if clock != nil {
					clock.done("serving")
				}
				return reps, nil
			}
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("%d of %d replica(s) of %s serving after %s; the service was created: see q1 service placement %s and q1 service status %s",
				serving, want, service, within, service, service)
		case <-time.After(100 * time.Millisecond):
			p.tick()
		}
	}
}

// shipWasm checks the module at path against m, checks the node, and
// uploads the module to the node's blob store: what must hold before a tx
// may name the module.
func shipWasm(cmd *cobra.Command, c client.Context, path string, m *manifest.Manifest) error {
	if err := checkWasm(cmd, path, m); err != nil {
		return err
	}
	if err := checkNodeReady(cmd.Context(), c, cmd.ErrOrStderr()); err != nil {
		return err
	}
	_, err := uploadWasm(cmd.Context(), cmd, c, apiURL(cmd, c), path)
	return err
}

// checkWasm refuses, before anything is uploaded or sent, a module no node
// would run under m: not q1-http/v1, or importing a capability m does not
// grant. Nodes check again when they load it; this only saves a wasted deploy.
func checkWasm(cmd *cobra.Command, path string, m *manifest.Manifest) error {
	return checkWasmTo(cmd, cmd.ErrOrStderr(), path, m)
}

// checkWasmTo is checkWasm writing the module's problems to w.
func checkWasmTo(cmd *cobra.Command, w io.Writer, path string, m *manifest.Manifest) error {
	if skip, _ := cmd.Flags().GetBool(flagNoCheck); skip {
		return nil
	}
	wasm, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("read --wasm: %w", err)
	}
	_, err = runtime.Check(cmd.Context(), wasm, runtime.CapabilitiesFor(m, "", nil).Granted())
	var bad *runtime.ModuleError
	if errors.As(err, &bad) {
		for _, p := range bad.Problems {
			fmt.Fprintf(w, "%s: %s\n", path, p)
		}
		return fmt.Errorf("%s cannot run as service %s (%d problem(s)); nothing was sent", path, m.Name, len(bad.Problems))
	}
	return err
}

// hashFileAt returns the content address of a file.
func hashFileAt(path string) (blobhash.Hash, error) {
	f, err := os.Open(path)
	if err != nil {
		return blobhash.Hash{}, fmt.Errorf("read --wasm: %w", err)
	}
	defer f.Close()
	h, _, err := blobhash.Of(f)
	if err != nil {
		return blobhash.Hash{}, fmt.Errorf("read --wasm: %w", err)
	}
	return h, nil
}

// txClient is the client context of a command that signs: --from (or the
// default key) resolved in the keyring.
func txClient(cmd *cobra.Command) (client.Context, error) {
	c, err := client.GetClientQueryContext(cmd)
	if err != nil {
		return c, err
	}
	from, _ := cmd.Flags().GetString(flags.FlagFrom)
	if from == "" {
		from = c.KeyringDefaultKeyName
	}
	if from == "" {
		return c, errors.New("say which key signs with --from NAME")
	}
	return withSigner(c, from)
}
