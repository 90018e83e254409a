package app

import (
	"slices"

	"github.com/spf13/cast"
)

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func castInt64Slice(v any) []int64 {
	var out []int64
	for _, h := range cast.ToIntSlice(v) {
		out = append(out, int64(h))
	}
	return out
}
