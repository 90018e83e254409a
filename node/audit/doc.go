// Package audit is the node's side of usage audits (x/usage): it serves the
// history of this node's sampled receipts to their auditors (Handler),
// checks a history another node served (CheckHistory) and compares its
// re-execution with the receipts it claims (Compare), and its Worker
// follows the chain's audits: it publishes the samples drawn from this
// node's reports, and audits other nodes when assigned (commit, then
// reveal).
package audit
