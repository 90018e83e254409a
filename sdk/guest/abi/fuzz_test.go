package abi

import (
	"bytes"
	"reflect"
	"testing"
)

// The fuzz targets check that no input panics or allocates beyond its size,
// and that whatever decodes re-encodes to the same bytes. Inputs the fuzzer
// finds are kept under testdata/fuzz.

func FuzzParseRequest(f *testing.F) {
	f.Add(AppendRequest(nil, sampleRequest()))
	f.Add(AppendRequest(nil, &Request{Method: "GET", Target: "/"}))
	f.Add([]byte("q1r\x01"))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := ParseRequest(b)
		if err != nil {
			return
		}
		again := AppendRequest(nil, r)
		if !bytes.Equal(again, b) {
			t.Fatalf("re-encoding differs:\n in %q\nout %q", b, again)
		}
		if RequestSize(r) != len(b) {
			t.Fatalf("RequestSize %d, message %d bytes", RequestSize(r), len(b))
		}
	})
}

func FuzzParseResponse(f *testing.F) {
	f.Add(AppendResponse(nil, &Response{Status: 200, Header: []Field{{"A", "b"}}, Body: []byte("x")}))
	f.Add(AppendResponseHead(nil, 404, nil))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := ParseResponse(b)
		if err != nil {
			return
		}
		again := AppendResponse(nil, r)
		if !bytes.Equal(again, b) {
			t.Fatalf("re-encoding differs:\n in %q\nout %q", b, again)
		}
	})
}

func FuzzParseKeys(f *testing.F) {
	f.Add(AppendKeys(nil, []string{"a", "bc"}))
	f.Add(AppendKeys(nil, nil))
	f.Fuzz(func(t *testing.T, b []byte) {
		keys, err := ParseKeys(b)
		if err != nil {
			return
		}
		again, err := ParseKeys(AppendKeys(nil, keys))
		if err != nil || !reflect.DeepEqual(again, keys) {
			t.Fatalf("re-decoding %q gave %q, %v", keys, again, err)
		}
	})
}
