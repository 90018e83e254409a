package client

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"unicode/utf8"
)

// Sentinel errors shared by the API server (which maps them to HTTP status
// codes) and this client (whose *APIError matches them by status code).
var (
	// ErrNotFound: the thing asked for does not exist (404).
	ErrNotFound = errors.New("not found")
	// ErrBadRequest: the request was malformed (400).
	ErrBadRequest = errors.New("bad request")
	// ErrUnavailable: the node cannot answer right now (503).
	ErrUnavailable = errors.New("unavailable")
)

// APIError is a node's answer with a status other than 2xx. Callers test
// for it with errors.As (to read the status and the node's message) or
// errors.Is with ErrNotFound, ErrBadRequest and ErrUnavailable.
type APIError struct {
	// StatusCode is the HTTP status, e.g. 404.
	StatusCode int
	// Message is what the node said: the "error" of its JSON error body
	// (Error), its plain-text body, or else the status text.
	Message string
}

func (e *APIError) Error() string { return fmt.Sprintf("%s (HTTP %d)", e.Message, e.StatusCode) }

// Is matches the sentinel of e's status code: 404 ErrNotFound, 400
// ErrBadRequest, 503 ErrUnavailable.
func (e *APIError) Is(target error) bool {
	switch target {
	case ErrNotFound:
		return e.StatusCode == http.StatusNotFound
	case ErrBadRequest:
		return e.StatusCode == http.StatusBadRequest
	case ErrUnavailable:
		return e.StatusCode == http.StatusServiceUnavailable
	}
	return false
}

// maxErrorBody bounds what is read of an error answer.
const maxErrorBody = 64 << 10

// ErrorOf reads a non-2xx answer into an *APIError (it reads resp.Body
// but does not close it).
func ErrorOf(resp *http.Response) *APIError {
	body, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	msg := http.StatusText(resp.StatusCode)
	var e Error
	if json.Unmarshal(body, &e) == nil && e.Error != "" {
		msg = e.Error
	} else if text := strings.TrimSpace(string(body)); text != "" && len(text) <= 1024 && isPrintable(text) {
		msg = text // a plain-text error (http.Error), or something that is not a q1 node
	}
	if msg == "" {
		msg = fmt.Sprintf("HTTP status %d", resp.StatusCode)
	}
	return &APIError{StatusCode: resp.StatusCode, Message: msg}
}

func isPrintable(s string) bool {
	return !strings.ContainsFunc(s, func(r rune) bool { return r < ' ' || r == 0x7f || r == utf8.RuneError })
}
