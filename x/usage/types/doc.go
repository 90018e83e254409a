// Package types holds the wire and state types of the usage module: per-epoch usage reports, their charges and caps, rent meters, earnings, and the module's msgs, queries, events and errors.
package types
