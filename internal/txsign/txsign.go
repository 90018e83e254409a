// Package txsign builds and signs Cosmos SDK transactions with a private
// key held in memory (SIGN_MODE_DIRECT): the node's hot key for its
// automatic msgs, and load generators.
package txsign

import (
	"context"

	"github.com/cosmos/cosmos-sdk/client"
	clienttx "github.com/cosmos/cosmos-sdk/client/tx"
	cryptotypes "github.com/cosmos/cosmos-sdk/crypto/types"
	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/cosmos-sdk/types/tx/signing"
	authsigning "github.com/cosmos/cosmos-sdk/x/auth/signing"
)

// Tx describes a transaction to sign.
type Tx struct {
	ChainID       string
	AccountNumber uint64
	Sequence      uint64
	Gas           uint64
	Fee           sdk.Coins
	// FeeGranter, if set, pays the fee through an x/feegrant allowance.
	FeeGranter sdk.AccAddress
	Memo       string
	Msgs       []sdk.Msg
}

// Sign builds t and signs it with key, returning the encoded tx bytes.
func Sign(cfg client.TxConfig, key cryptotypes.PrivKey, t Tx) ([]byte, error) {
	txb := cfg.NewTxBuilder()
	if err := txb.SetMsgs(t.Msgs...); err != nil {
		return nil, err
	}
	txb.SetGasLimit(t.Gas)
	txb.SetFeeAmount(t.Fee)
	if t.FeeGranter != nil {
		txb.SetFeeGranter(t.FeeGranter)
	}
	txb.SetMemo(t.Memo)
	pub := key.PubKey()
	// An empty signature first, so the signer infos are part of what is signed.
	empty := signing.SignatureV2{PubKey: pub, Data: &signing.SingleSignatureData{SignMode: signing.SignMode_SIGN_MODE_DIRECT}, Sequence: t.Sequence}
	if err := txb.SetSignatures(empty); err != nil {
		return nil, err
	}
	sig, err := clienttx.SignWithPrivKey(context.Background(), signing.SignMode_SIGN_MODE_DIRECT,
		authsigning.SignerData{
			Address:       sdk.AccAddress(pub.Address()).String(),
			ChainID:       t.ChainID,
			AccountNumber: t.AccountNumber,
			Sequence:      t.Sequence,
			PubKey:        pub,
		}, txb, key, cfg, t.Sequence)
	if err != nil {
		return nil, err
	}
	if err := txb.SetSignatures(sig); err != nil {
		return nil, err
	}
	return cfg.TxEncoder()(txb.GetTx())
}
