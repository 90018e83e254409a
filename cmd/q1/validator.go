package main

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	sdkmath "cosmossdk.io/math"
	"github.com/cometbft/cometbft/privval"
	"github.com/cosmos/cosmos-sdk/client"
	"github.com/cosmos/cosmos-sdk/client/flags"
	cryptocodec "github.com/cosmos/cosmos-sdk/crypto/codec"
	cryptotypes "github.com/cosmos/cosmos-sdk/crypto/types"
	"github.com/cosmos/cosmos-sdk/server"
	sdk "github.com/cosmos/cosmos-sdk/types"
	slashingtypes "github.com/cosmos/cosmos-sdk/x/slashing/types"
	stakingtypes "github.com/cosmos/cosmos-sdk/x/staking/types"
	"github.com/spf13/cobra"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/quantum1net/q1/app"
	"github.com/quantum1net/q1/core/qc"
)

func validatorCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "validator",
		Short: "Make this node a validator, see how it is doing, or leave",
		Long: `Validators are chosen by stake (the SDK's x/staking). 'join' is the SDK's
create-validator with this node's consensus key filled in; 'leave' unbonds the
self-delegation through the SDK's unbonding; 'status' shows this node's validator.`,
		RunE: client.ValidateCmd,
	}
	cmd.AddCommand(validatorJoinCmd(), validatorStatusCmd(), validatorLeaveCmd())
	return cmd
}

// nodeConsensusKey reads this home's validator consensus public key.
func nodeConsensusKey(home string) (cryptotypes.PubKey, error) {
	keyFile := filepath.Join(home, "config", "priv_validator_key.json")
	stateFile := filepath.Join(home, "data", "priv_validator_state.json")
	if !fileExists(keyFile) {
		return nil, fmt.Errorf("no validator key at %s: is --home a node's home?", keyFile)
	}
	pv := privval.LoadFilePVEmptyState(keyFile, stateFile)
	pub, err := pv.GetPubKey()
	if err != nil {
		return nil, err
	}
	return cryptocodec.FromCmtPubKeyInterface(pub)
}

func validatorJoinCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:     "join --from KEY --stake AMOUNT",
		Short:   "Turn this synced node into a validator, staking AMOUNT from KEY",
		Example: `  q1 validator join --from default --stake 10000QC --home ./mynode`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			clientCtx, err := client.GetClientQueryContext(cmd)
			if err != nil {
				return err
			}
			stakeStr, _ := cmd.Flags().GetString("stake")
			stake, err := qc.ParseAmount(stakeStr)
			if err != nil {
				return fmt.Errorf("--stake: %w", err)
			}
			from, _ := cmd.Flags().GetString(flags.FlagFrom)
			if from == "" {
				from = clientCtx.KeyringDefaultKeyName
			}
			if clientCtx, err = withSigner(clientCtx, from); err != nil {
				return err
			}
			pub, err := nodeConsensusKey(clientCtx.HomeDir)
			if err != nil {
				return err
			}
			if err := checkNodeReady(cmd.Context(), clientCtx, cmd.ErrOrStderr()); err != nil {
				return err
			}
			st, err := clientCtx.Client.Status(cmd.Context())
			if err != nil {
				return nodeError(clientCtx, err)
			}
			if st.SyncInfo.CatchingUp {
				return fmt.Errorf("this node is still syncing (at height %d): wait until it has caught up, then join", st.SyncInfo.LatestBlockHeight)
			}
			moniker := server.GetServerContextFromCmd(cmd).Config.Moniker
			msg, err := stakingtypes.NewMsgCreateValidator(
				sdk.ValAddress(clientCtx.FromAddress).String(), pub,
				sdk.NewCoin(app.BondDenom, stake),
				stakingtypes.NewDescription(moniker, "", "", "", ""),
				stakingtypes.NewCommissionRates(sdkmath.LegacyNewDecWithPrec(10, 2), sdkmath.LegacyNewDecWithPrec(20, 2), sdkmath.LegacyNewDecWithPrec(1, 2)),
				sdkmath.OneInt(),
			)
			if err != nil {
				return err
			}
			res, err := submitTx(cmd, clientCtx, txOptions{spend: stake, what: "stake " + qc.Format(stake)}, msg)
			if err != nil {
				return err
			}
			if outputJSON(clientCtx) {
				return printJSON(cmd, res)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s is now a validator (operator %s) with %s staked\n  tx     %s\n  height %d\n",
				moniker, sdk.ValAddress(clientCtx.FromAddress), qc.Format(stake), res.Hash, res.Height)
			return nil
		},
	}
	cmd.Flags().String(flags.FlagFrom, "", "key that stakes and operates the validator (default: the home's default key)")
	cmd.Flags().String("stake", "", "self-delegation, e.g. 10000QC")
	addTxClientFlags(cmd)
	return cmd
}

func validatorLeaveCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "leave --from KEY",
		Short: "Unbond the whole self-delegation: the validator leaves the active set",
		Long: `Unbond everything KEY delegated to its own validator. The validator leaves the
active set at the end of the block; the stake returns after the chain's
unbonding time (and stays slashable until then).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			clientCtx, err := client.GetClientQueryContext(cmd)
			if err != nil {
				return err
			}
			from, _ := cmd.Flags().GetString(flags.FlagFrom)
			if from == "" {
				from = clientCtx.KeyringDefaultKeyName
			}
			if clientCtx, err = withSigner(clientCtx, from); err != nil {
				return err
			}
			if err := checkNodeReady(cmd.Context(), clientCtx, cmd.ErrOrStderr()); err != nil {
				return err
			}
			valAddr := sdk.ValAddress(clientCtx.FromAddress).String()
			del, err := stakingtypes.NewQueryClient(clientCtx).Delegation(cmd.Context(), &stakingtypes.QueryDelegationRequest{
				DelegatorAddr: clientCtx.FromAddress.String(), ValidatorAddr: valAddr,
			})
			if status.Code(err) == codes.NotFound || (err == nil && del.DelegationResponse.Balance.IsZero()) {
				return fmt.Errorf("%s has no stake in validator %s: nothing to unbond", from, valAddr)
			}
			if err != nil {
				return fmt.Errorf("query self-delegation: %s", humanize(err))
			}
			amount := del.DelegationResponse.Balance
			msg := stakingtypes.NewMsgUndelegate(clientCtx.FromAddress.String(), valAddr, amount)
			res, err := submitTx(cmd, clientCtx, txOptions{what: "unbond " + qc.Format(amount.Amount)}, msg)
			if err != nil {
				return err
			}
			if outputJSON(clientCtx) {
				return printJSON(cmd, res)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "Unbonding %s from %s: the validator leaves the active set\n  tx     %s\n  height %d\n",
				qc.Format(amount.Amount), valAddr, res.Hash, res.Height)
			return nil
		},
	}
	cmd.Flags().String(flags.FlagFrom, "", "the validator's operator key (default: the home's default key)")
	addTxClientFlags(cmd)
	return cmd
}

// validatorInfo is what `q1 validator status` reports.
type validatorInfo struct {
	Moniker          string `json:"moniker"`
	Operator         string `json:"operator"`
	ConsensusAddress string `json:"consensus_address"`
	Status           string `json:"status"`
	Jailed           bool   `json:"jailed"`
	Tombstoned       bool   `json:"tombstoned"`
	Tokens           string `json:"tokens"`
	VotingPower      int64  `json:"voting_power"`
	MissedBlocks     int64  `json:"missed_blocks"`
}

func validatorStatusCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Show this node's validator: status, stake, voting power, jailing",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			clientCtx, err := client.GetClientQueryContext(cmd)
			if err != nil {
				return err
			}
			pub, err := nodeConsensusKey(clientCtx.HomeDir)
			if err != nil {
				return err
			}
			if err := checkNodeReady(cmd.Context(), clientCtx, cmd.ErrOrStderr()); err != nil {
				return err
			}
			info, err := findValidator(cmd.Context(), clientCtx, sdk.ConsAddress(pub.Address()))
			if err != nil {
				return err
			}
			if outputJSON(clientCtx) {
				return printJSON(cmd, info)
			}
			w := cmd.OutOrStdout()
			fmt.Fprintf(w, "%s  %s\n", info.Moniker, info.Operator)
			fmt.Fprintf(w, "  status        %s%s%s\n", info.Status, cond(info.Jailed, ", jailed", ""), cond(info.Tombstoned, ", tombstoned (double signing: cannot return)", ""))
			fmt.Fprintf(w, "  stake         %s\n", qc.Format(sdkmath.NewIntFromBigInt(mustBig(info.Tokens))))
			fmt.Fprintf(w, "  voting power  %d\n", info.VotingPower)
			fmt.Fprintf(w, "  missed blocks %d in the current window\n", info.MissedBlocks)
			return nil
		},
	}
	flags.AddQueryFlagsToCmd(cmd)
	return cmd
}

var errNotValidator = errors.New("this node is not a validator")

// findValidator finds the validator whose consensus address is cons.
func findValidator(ctx context.Context, c client.Context, cons sdk.ConsAddress) (*validatorInfo, error) {
	res, err := stakingtypes.NewQueryClient(c).Validators(ctx, &stakingtypes.QueryValidatorsRequest{})
	if err != nil {
		return nil, fmt.Errorf("query validators: %s", humanize(err))
	}
	for _, v := range res.Validators {
		if err := v.UnpackInterfaces(c.InterfaceRegistry); err != nil {
			return nil, err
		}
		vc, err := v.GetConsAddr()
		if err != nil || !sdk.ConsAddress(vc).Equals(cons) {
			continue
		}
		info := &validatorInfo{
			Moniker:          v.Description.Moniker,
			Operator:         v.OperatorAddress,
			ConsensusAddress: cons.String(),
			Status:           strings.ToLower(strings.TrimPrefix(v.Status.String(), "BOND_STATUS_")),
			Jailed:           v.Jailed,
			Tokens:           v.Tokens.String(),
		}
		if v.IsBonded() {
			info.VotingPower = v.ConsensusPower(sdk.DefaultPowerReduction)
		}
		si, err := slashingtypes.NewQueryClient(c).SigningInfo(ctx, &slashingtypes.QuerySigningInfoRequest{ConsAddress: cons.String()})
		if err == nil {
			info.Tombstoned = si.ValSigningInfo.Tombstoned
			info.MissedBlocks = si.ValSigningInfo.MissedBlocksCounter
		}
		return info, nil
	}
	return nil, fmt.Errorf("%w (consensus address %s); make it one with: q1 validator join --from KEY --stake AMOUNT", errNotValidator, cons)
}

func cond(b bool, yes, no string) string {
	if b {
		return yes
	}
	return no
}
