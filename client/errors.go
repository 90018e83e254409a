package client

import "errors"

// Sentinel errors shared by the API server (which maps them to HTTP status
// codes) and this client (which maps status codes back to them).
var (
	// ErrNotFound: the thing asked for does not exist (404).
	ErrNotFound = errors.New("not found")
	// ErrBadRequest: the request was malformed (400).
	ErrBadRequest = errors.New("bad request")
	// ErrUnavailable: the node cannot answer right now (503).
	ErrUnavailable = errors.New("unavailable")
)
