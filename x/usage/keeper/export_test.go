package keeper

import "context"

// For the external tests of this directory (package keeper_test).

func (k *Keeper) ModuleHashes(ctx context.Context, service string, epoch uint64) ([][]byte, error) {
	return k.moduleHashes(ctx, service, epoch)
}
