//go:build wasip1

package guest

// handleExport is the q1-http/v1 entry point: the host calls it once per
// request with the length of the encoded request waiting in read_result.
//
//go:wasmexport q1_http_handle
func handleExport(requestLen uint32) int32 {
	return serve(requestLen)
}
