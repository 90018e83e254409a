package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	q1client "github.com/quantum1net/q1/client"
)

// Codes of emptyLogs: why q1 service logs printed no line.
const (
	logsNothingYet    = "nothing_logged_yet"
	logsNotServingYet = "not_serving_yet"
	logsReplicaFailed = "replica_failed"
)

// emptyLogs says why a service whose nodes keep no line of it has none,
// from its replicas' states: a replica serves, so its code has logged
// nothing yet; every replica failed to start; or they are placed but not
// serving yet (loading, not acknowledged, their node not answering).
func emptyLogs(name string, reps []q1client.Replica) (code, message string) {
	var serving int
	var failed, waiting []string
	for _, r := range reps {
		switch {
		case r.State == "serving" && r.Acked:
			serving++
		case r.State == "failed":
			failed = append(failed, fmt.Sprintf("on %s: %s", r.Sharer, r.Reason))
		case !r.Acked:
			waiting = append(waiting, fmt.Sprintf("%s on %s, not acknowledged yet", r.State, r.Sharer))
		default:
			waiting = append(waiting, fmt.Sprintf("%s on %s", r.State, r.Sharer))
		}
	}
	switch {
	case serving > 0:
		return logsNothingYet, fmt.Sprintf("service %s has logged nothing yet: %d replica(s) serve, and its code has written no line "+
			"(lines come when a request makes it log; -f waits for them)", name, serving)
	case len(waiting) == 0 && len(failed) > 0:
		return logsReplicaFailed, fmt.Sprintf("service %s has no log lines: its replica(s) failed to start (%s); see q1 service status %s",
			name, strings.Join(failed, "; "), name)
	}
	return logsNotServingYet, fmt.Sprintf("service %s has no log lines yet: its replica(s) are placed but not serving yet (%s); "+
		"lines come once it serves and logs (wait, or follow with -f)", name, strings.Join(append(waiting, failed...), "; "))
}

// printEmptyLogs writes why there are no lines to stderr: a line of text,
// or under -o json one object {"empty": {"code": …, "message": …}}.
func printEmptyLogs(w io.Writer, jsonOut bool, code, message string) {
	if !jsonOut {
		fmt.Fprintln(w, message)
		return
	}
	var body struct {
		Empty struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"empty"`
	}
	body.Empty.Code, body.Empty.Message = code, message
	b, _ := json.Marshal(body)
	fmt.Fprintln(w, string(b))
}
