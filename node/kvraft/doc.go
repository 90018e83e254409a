// Package kvraft is the replicated-state engine for stateful services
// (issue #13): one strongly consistent key-value store per service, kept by
// one Raft group across the nodes that hold the service's replicas. It is a
// library; the node does not use it yet.
//
// # Why etcd raft
//
// A sharer node may hold a couple of hundred stateful replicas, so a node
// runs a couple of hundred groups. go.etcd.io/raft/v3 contains only the
// algorithm: the application drives the ticks, persists the log and
// carries the messages. That lets one Host drive all its groups from a
// single goroutine (raft.RawNode, no goroutine per group) and send
// everything its groups have for another node in one batch per round, so
// the heartbeats of 200 groups between two nodes are one transport send
// per tick. hashicorp/raft runs a set of goroutines and its own heartbeat
// timers per group and has no multi-group mode (hashicorp/raft#290, #674);
// dragonboat, a multi-group library, is not served by the module proxy
// here. The price of etcd raft is that storage and transport are ours:
// this package writes them.
//
// # Model
//
// A Host is one node (a non-zero node id, never reused) with one LevelDB
// database holding every group's hard state, log entries and latest
// snapshot under the group's prefix. Each round of the host's goroutine
// ticks the groups (on the ticker) or handles the groups that changed
// (after a proposal or a delivered batch), and for each Ready it follows
// etcd's raftexample: persist the entries, hard state and snapshot (synced)
// before any message leaves, hand the messages to the transport batched
// per destination, apply the committed entries, then Advance. A reopened
// host finds its groups in the database and replays their logs from the
// latest snapshot.
//
// A Group's state machine (StateMachine) maps keys to values and versions.
// A version is the store's revision when the key was last written; 0 means
// absent. Commands are Put, Delete, CompareAndSwap (write only if the key
// is at the expected version) and Txn (writes applied only if every key
// read is still at the version read, else a *ConflictError naming the
// key), all under a byte quota on keys plus values (*QuotaError, worded
// like the replica-local store's). The quota itself changes through the
// log (OpSetQuota), so every replica enforces the same one.
//
// # Output gate
//
// Group.Propose returns only after the command is committed by a majority
// and applied on this member, with its result: a caller never sees an
// answer whose data could still be lost. A proposal on a follower is
// forwarded to the leader by raft. A call whose context ends first returns
// an error, and the write may still commit later (its outcome is unknown,
// as with any timed-out request). Give every call a deadline: without a
// majority a call without one waits until its context is cancelled.
//
// # Reads
//
// Group.Get and Group.List are linearizable: the member asks the leader
// for its commit index (raft's ReadIndex, which costs the leader one
// heartbeat round to a majority), waits until it has applied that far, and
// reads its own copy. A read on a follower costs a message to the leader
// and back, no log write. LocalGet reads the local copy without that and
// may be stale.
//
// # Losing a majority
//
// Without a majority nothing commits and no read index is confirmed; calls
// wait for their context and then fail with a *NoQuorumError
// (errors.Is(err, ErrNoQuorum)) naming the group and how many members this
// node heard from recently out of how many. The store is then unavailable,
// never inconsistent: a minority cannot commit, and a cut-off leader steps
// down after an election timeout (CheckQuorum). It recovers by itself when
// a majority is back. The node maps ErrNoQuorum to HTTP 503.
//
// # Membership
//
// Membership changes run on the leader (else *NotLeaderError) one at a
// time: a second change while one is proposed and not yet applied is
// refused with ErrChangePending. To replace a member: create the group on
// the new node with no peers, AddLearner(new) on the leader (the learner
// receives the log, or a snapshot if the log was compacted), Promote(new)
// once it has caught up (Promote refuses until then, so poll it), then
// Remove(old); the old node then calls Host.DeleteGroup to drop its copy.
// Node ids must never be reused, not even after a removal:
// the node uses lease ids, which the chain never hands out twice. The log
// is compacted into a snapshot every Config.SnapshotEvery applied entries,
// and a snapshot is also written (without compacting) after every
// membership change, because a member ignores a snapshot whose
// configuration does not include it.
//
// # Transport
//
// Transport.Send carries an encoded Batch (every raft message one node has
// for another in one round, tagged by group) and must not block for long;
// the receiver hands it to Host.Deliver. MemNetwork connects hosts in one
// process, with partitions, for tests. HTTPTransport posts each batch to
// the destination's HTTPHandler, signed by the sending node's key (a
// Signer; ed25519 here, the node's secp256k1 hot key later); the handler
// refuses, with 403 and the reason, a batch whose signature does not
// verify against the key the caller's KeyBook holds for the node the batch
// names. Deliver itself checks only that every message in a batch claims
// the batch's sender and that the batch is addressed to this node. A
// replayed batch does no harm to safety: raft tolerates duplicated and
// reordered messages. Encryption is TLS, which the node's http.Client and
// listener provide.
//
// # Limits
//
// Each group's state machine lives in memory (restored from its snapshot
// and log on open), and snapshots travel inside one batch, so a store is
// meant for megabytes, not gigabytes. Raft tolerates crashes, not lies: a
// malicious member can corrupt the state it serves.
package kvraft
