package gateway

import "net/http"

// failureAnswer is how the gateway answers a request whose run failed.
type failureAnswer struct {
	status int
	code   string // the X-Q1-Error code
}

// failureAnswers is the one table from a runtime failure kind
// (RuntimeError.FailureKind, the runtime's ErrorKind values) to the answer
// a caller gets. KindNotLoaded and a KindUnavailable of an idempotent
// request are not here: another replica is tried first.
var failureAnswers = map[string]failureAnswer{
	KindTimeout:          {http.StatusGatewayTimeout, CodeTimeout},
	KindRequestTooLarge:  {http.StatusRequestEntityTooLarge, CodeTooLarge},
	KindBadRequest:       {http.StatusBadRequest, CodeBadRequest},
	KindUnavailable:      {http.StatusServiceUnavailable, CodeUnavailable},
	KindBusy:             {http.StatusServiceUnavailable, CodeBusy}, // with Retry-After: busyReply
	KindCanceled:         {499, CodeClientGone},
	KindTrap:             {http.StatusInternalServerError, CodeServiceError},
	KindFuel:             {http.StatusInternalServerError, CodeServiceError},
	KindMemory:           {http.StatusInternalServerError, CodeServiceError},
	KindResponseTooLarge: {http.StatusInternalServerError, CodeServiceError},
	KindBadResponse:      {http.StatusInternalServerError, CodeServiceError},
}

// FailureStatus is the HTTP status a gateway answers a failure of kind with:
// 504 for a timeout, 413 for an oversized request, 400 for a malformed one,
// 503 when the service is unavailable or busy, 499 when the caller left, and 500
// for everything the guest got wrong or a kind it does not know.
func FailureStatus(kind string) int {
	if a, ok := failureAnswers[kind]; ok {
		return a.status
	}
	return http.StatusInternalServerError
}
