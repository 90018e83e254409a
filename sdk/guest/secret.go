package guest

// Secret returns the current value of the service's secret key, set by an
// owner or a permissions.secretWriters account with q1 service secret set.
// It needs the secrets capability (permissions.capabilities.secrets): a
// module that calls Secret imports q1.secret_get, and a node refuses to load
// it when the manifest does not grant the capability, saying so.
//
// A secret that is not set (or not yet delivered to this node) returns an
// error matching ErrNotFound whose message names it. Never log or return the
// value: it is decrypted only on the nodes running the service's replicas.
func Secret(key string) ([]byte, error) {
	n := hostSecretGet(sptr(key), uint32(len(key)))
	if err := check("secret get", n); err != nil {
		return nil, err
	}
	return readResult(n), nil
}
