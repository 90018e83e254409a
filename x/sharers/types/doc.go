// Package types holds the wire and state types of the sharers module: sharers' offers and collateral, leases with locked prices, placement state, and the module's msgs, queries, events and errors.
package types
