//go:build !wasip1

package guest

import "unsafe"

// Outside a wasip1 build there is no host: every host function fails with
// codeNoHost, so the package compiles (and go vet runs) on any GOOS, and a
// handler can be tested with net/http/httptest while KV, Log and HTTPClient
// report ErrNoHost.

func hostReadResult(unsafe.Pointer, uint32) int32                    { return 0 }
func hostResponseWrite(unsafe.Pointer, uint32) int32                 { return codeNoHost }
func hostLog(int32, unsafe.Pointer, uint32) int32                    { return codeNoHost }
func hostKVGet(unsafe.Pointer, uint32) int32                         { return codeNoHost }
func hostKVPut(unsafe.Pointer, uint32, unsafe.Pointer, uint32) int32 { return codeNoHost }
func hostKVDelete(unsafe.Pointer, uint32) int32                      { return codeNoHost }
func hostKVList(unsafe.Pointer, uint32, unsafe.Pointer, uint32, uint32) int32 {
	return codeNoHost
}
func hostHTTPFetch(unsafe.Pointer, uint32) int32 { return codeNoHost }
func hostSecretGet(unsafe.Pointer, uint32) int32 { return codeNoHost }
