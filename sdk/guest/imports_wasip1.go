//go:build wasip1

package guest

import "unsafe"

// The q1 host functions. docs/guest-abi.md describes each one; a module
// imports only those its code reaches, and a host refuses to load a module
// that imports a function its manifest does not grant.

//go:wasmimport q1 read_result
func hostReadResult(ptr unsafe.Pointer, n uint32) int32

//go:wasmimport q1 response_write
func hostResponseWrite(ptr unsafe.Pointer, n uint32) int32

//go:wasmimport q1 log
func hostLog(level int32, ptr unsafe.Pointer, n uint32) int32

//go:wasmimport q1 kv_get
func hostKVGet(keyPtr unsafe.Pointer, keyLen uint32) int32

//go:wasmimport q1 kv_put
func hostKVPut(keyPtr unsafe.Pointer, keyLen uint32, valPtr unsafe.Pointer, valLen uint32) int32

//go:wasmimport q1 kv_delete
func hostKVDelete(keyPtr unsafe.Pointer, keyLen uint32) int32

//go:wasmimport q1 kv_list
func hostKVList(prefixPtr unsafe.Pointer, prefixLen uint32, afterPtr unsafe.Pointer, afterLen uint32, limit uint32) int32

//go:wasmimport q1 http_fetch
func hostHTTPFetch(reqPtr unsafe.Pointer, reqLen uint32) int32

//go:wasmimport q1 secret_get
func hostSecretGet(keyPtr unsafe.Pointer, keyLen uint32) int32
