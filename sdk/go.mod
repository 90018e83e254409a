// The Go SDK for Quantum1Net services: its own module so that a service
// outside this repository depends on it alone (standard library only).
// The q1 module uses it through a replace of ./sdk (go.mod at the root).
module github.com/quantum1net/q1/sdk

go 1.24
