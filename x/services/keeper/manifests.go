package keeper

import (
	"context"
	"errors"
	"fmt"
	"strings"

	errorsmod "cosmossdk.io/errors"
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/quantum1net/q1/core/manifest"
	"github.com/quantum1net/q1/x/services/types"
)

// parseManifest reads manifest bytes from a msg the way the chain must
// (manifest.ParseCanonical), charging gas for their size first.
func parseManifest(ctx context.Context, b []byte) (*manifest.Manifest, error) {
	if len(b) == 0 {
		return nil, errorsmod.Wrap(types.ErrInvalidManifest, "manifest is empty; send the canonical bytes (q1 manifest validate prints them)")
	}
	if len(b) > manifest.MaxSize {
		return nil, errorsmod.Wrapf(types.ErrInvalidManifest, "manifest is %d bytes, more than the %d allowed", len(b), manifest.MaxSize)
	}
	sdk.UnwrapSDKContext(ctx).GasMeter().ConsumeGas(uint64(len(b))*types.ManifestGasPerByte, "parse service manifest")
	m, err := manifest.ParseCanonical(b)
	if err != nil {
		return nil, errorsmod.Wrapf(types.ErrInvalidManifest, "manifest: %s", describeProblems(err))
	}
	return m, nil
}

// checkUpdate checks that next may replace cur under cur's rules
// (manifest.CheckUpdate), naming each frozen field that changed. Frozen
// violations wrap types.ErrFrozenField, anything else
// types.ErrInvalidManifest.
func checkUpdate(service string, cur, next *manifest.Manifest) error {
	err := manifest.CheckUpdate(cur, next)
	if err == nil {
		return nil
	}
	var probs manifest.Problems
	if !errors.As(err, &probs) {
		return errorsmod.Wrapf(types.ErrInvalidManifest, "service %s: %v", service, err)
	}
	var msgs []string
	frozen := false
	for _, p := range probs {
		switch entry := frozenEntry(cur, p.Path); {
		case entry == p.Path:
			frozen = true
			msgs = append(msgs, fmt.Sprintf("field %s is frozen (policies.update.frozen) and cannot change", p.Path))
		case entry != "":
			frozen = true
			msgs = append(msgs, fmt.Sprintf("field %s is frozen (policies.update.frozen lists %s) and cannot change", p.Path, entry))
		case p.Path == "policies.update.frozen":
			frozen = true
			msgs = append(msgs, fmt.Sprintf("%s: %s", p.Path, p.Message))
		default:
			msgs = append(msgs, problemText(p))
		}
	}
	base := types.ErrInvalidManifest
	if frozen {
		base = types.ErrFrozenField
	}
	return errorsmod.Wrapf(base, "service %s: %s", service, strings.Join(msgs, "; "))
}

// frozenEntry returns the entry of m's policies.update.frozen that covers
// path, or "".
func frozenEntry(m *manifest.Manifest, path string) string {
	for _, f := range m.Policies.Update.Frozen {
		if path == f || strings.HasPrefix(path, f+".") || strings.HasPrefix(path, f+"[") {
			return f
		}
	}
	return ""
}

// describeProblems renders a manifest error on one line: "path: message"
// for each problem, joined by "; ". Positions are left out: the chain sees
// canonical bytes, whose line and column say little.
func describeProblems(err error) string {
	var probs manifest.Problems
	if !errors.As(err, &probs) {
		return err.Error()
	}
	msgs := make([]string, len(probs))
	for i, p := range probs {
		msgs[i] = problemText(p)
	}
	return strings.Join(msgs, "; ")
}

func problemText(p manifest.Problem) string {
	if p.Path == "" {
		return p.Message
	}
	return p.Path + ": " + p.Message
}
