package chainquery

import (
	"slices"
	"strings"

	sdkmath "cosmossdk.io/math"

	q1client "github.com/quantum1net/q1/client"
)

// sortValidators orders bonded validators first, then by stake, then by
// operator address, so every node lists them the same way.
func sortValidators(vals []q1client.Validator) {
	slices.SortFunc(vals, func(a, b q1client.Validator) int {
		if (a.Status == "bonded") != (b.Status == "bonded") {
			if a.Status == "bonded" {
				return -1
			}
			return 1
		}
		ta, _ := sdkmath.NewIntFromString(a.Tokens)
		tb, _ := sdkmath.NewIntFromString(b.Tokens)
		if !ta.IsNil() && !tb.IsNil() && !ta.Equal(tb) {
			if ta.GT(tb) {
				return -1
			}
			return 1
		}
		return strings.Compare(a.Operator, b.Operator)
	})
}
