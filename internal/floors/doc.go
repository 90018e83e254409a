// Package floors checks the rules that keep Quantum1Net's floors apart
// (docs/architecture.md, "Floors and import rules").
//
// The chain floor (core/, x/, app/) is what validators execute: its code
// must be deterministic, and [CheckChainFloor] checks every package on it
// against the [Rule]s. [CheckImports] checks every package's imports
// against the [ImportRules] between the floors. The tests of this package
// run both over the whole module; each failure names the rule it breaks
// and where.
package floors
