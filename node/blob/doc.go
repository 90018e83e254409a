// Package blob is a node's content-addressed store for wasm modules and other
// data, with the HTTP API that serves it and the client that fills it.
//
// Blobs are named by the SHA-256 of their bytes (client/blobhash, written
// "sha256:<64 lowercase hex>") and live under one directory:
//
//	blobs/<hex>    the bytes, written to tmp/, synced, then renamed into place
//	owners/<hex>   the accounts that uploaded the blob, one a line
//	tmp/           uploads in progress, emptied by Open
//
// Uploads are attributed to accounts with package reqsign (service "blob")
// and count against a per-account quota; garbage collection (Store.GC)
// removes blobs no service references once they are older than a minimum
// age, and a Collector runs it periodically; Store.Ensure fetches a missing blob from peers and verifies it before
// it becomes visible. Handler serves PUT /v1/blobs and GET/HEAD
// /v1/blobs/{hash}; client.Client's UploadBlob and DownloadBlob are its
// client side; Fetcher fetches from other nodes straight into the store.
package blob
