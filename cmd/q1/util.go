package main

import (
	"encoding/json"
	"math/big"
)

func marshalIndent(v any) ([]byte, error) { return json.MarshalIndent(v, "", "  ") }

func mustBig(s string) *big.Int {
	v, ok := new(big.Int).SetString(s, 10)
	if !ok {
		return new(big.Int)
	}
	return v
}
