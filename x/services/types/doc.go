// Package types holds the wire and state types of the services module: a service's record, versions with their decoded specs, proposals, escrow, and the module's msgs, queries, events and errors.
package types
