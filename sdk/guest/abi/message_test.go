package abi

import (
	"bytes"
	"encoding/binary"
	"net/http"
	"reflect"
	"testing"
)

func sampleRequest() *Request {
	return &Request{
		Method: "POST",
		Target: "/greet?name=ada",
		Host:   "hello.localhost:8080",
		Header: []Field{{"Content-Type", "text/plain"}, {"X-Multi", "a"}, {"X-Multi", "b"}},
		Body:   []byte("hello"),
	}
}

func TestRequestRoundTrip(t *testing.T) {
	for _, r := range []*Request{
		sampleRequest(),
		{Method: "GET", Target: "/"},
		{Method: "GET", Target: "https://api.example.com/x", Body: []byte{0, 1, 2}},
	} {
		t.Run(r.Method+" "+r.Target, func(t *testing.T) {
			b := AppendRequest(nil, r)
			if got := RequestSize(r); got != len(b) {
				t.Fatalf("RequestSize = %d, encoding is %d bytes", got, len(b))
			}
			got, err := ParseRequest(b)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, r) {
				t.Fatalf("round trip:\n got %+v\nwant %+v", got, r)
			}
		})
	}
}

func TestRequestLayout(t *testing.T) {
	// The byte-by-byte layout documented in docs/guest-abi.md.
	b := AppendRequest(nil, &Request{Method: "GET", Target: "/a", Host: "h", Header: []Field{{"K", "v"}}, Body: []byte("xy")})
	want := []byte{
		'q', '1', 'r', 1,
		3, 0, 0, 0, 'G', 'E', 'T',
		2, 0, 0, 0, '/', 'a',
		1, 0, 0, 0, 'h',
		1, 0, 0, 0,
		1, 0, 0, 0, 'K', 1, 0, 0, 0, 'v',
		'x', 'y',
	}
	if !bytes.Equal(b, want) {
		t.Fatalf("layout:\n got %v\nwant %v", b, want)
	}
}

func TestResponseRoundTrip(t *testing.T) {
	r := &Response{Status: 201, Header: []Field{{"Location", "/x"}}, Body: []byte("made")}
	got, err := ParseResponse(AppendResponse(nil, r))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, r) {
		t.Fatalf("round trip:\n got %+v\nwant %+v", got, r)
	}
	// A head followed by body pieces decodes as one response.
	streamed := AppendResponseHead(nil, 200, nil)
	streamed = append(streamed, "part1 "...)
	streamed = append(streamed, "part2"...)
	got, err = ParseResponse(streamed)
	if err != nil {
		t.Fatal(err)
	}
	if string(got.Body) != "part1 part2" || got.Status != 200 {
		t.Fatalf("streamed response decoded as %+v", got)
	}
}

func TestKeysRoundTrip(t *testing.T) {
	for _, keys := range [][]string{{}, {"a"}, {"user/1", "user/2", ""}} {
		got, err := ParseKeys(AppendKeys(nil, keys))
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(keys) || (len(keys) > 0 && !reflect.DeepEqual(got, keys)) {
			t.Fatalf("round trip: got %q, want %q", got, keys)
		}
	}
}

func le32(v uint32) []byte { return binary.LittleEndian.AppendUint32(nil, v) }

func cat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

func TestParseErrors(t *testing.T) {
	magicR := requestMagic[:]
	magicS := responseMagic[:]
	tests := []struct {
		name  string
		parse func([]byte) error
		in    []byte
		want  string
	}{
		{"request empty", parseReq, nil, `abi: malformed request at byte 0: does not start with "q1r\x01"`},
		{"request wrong magic", parseReq, magicS, `abi: malformed request at byte 0: does not start with "q1r\x01"`},
		{"request truncated method length", parseReq, cat(magicR, []byte{3, 0}), "abi: malformed request at byte 4: method length needs 4 bytes, 2 left"},
		{"request method longer than message", parseReq, cat(magicR, le32(100), []byte("GET")), "abi: malformed request at byte 4: method length 100 exceeds the 3 bytes left"},
		{"request empty method", parseReq, cat(magicR, le32(0), le32(1), []byte("/"), le32(0), le32(0)), "abi: malformed request at byte 4: empty method"},
		{"request empty target", parseReq, cat(magicR, le32(3), []byte("GET"), le32(0), le32(0), le32(0)), "abi: malformed request at byte 11: empty target"},
		{"request forged field count", parseReq, cat(magicR, le32(3), []byte("GET"), le32(1), []byte("/"), le32(0), le32(0xffffffff)), "abi: malformed request at byte 20: header field count 4294967295 cannot fit in the 0 bytes left"},
		{"request truncated header value", parseReq, cat(magicR, le32(3), []byte("GET"), le32(1), []byte("/"), le32(0), le32(1), le32(1), []byte("K"), le32(9), []byte("v")), "abi: malformed request at byte 29: header value length 9 exceeds the 1 bytes left"},
		{"response status out of range", parseResp, cat(magicS, le32(42), le32(0)), "abi: malformed response at byte 4: status 42 is outside 100-999"},
		{"response missing field count", parseResp, cat(magicS, le32(200)), "abi: malformed response at byte 8: header field count needs 4 bytes, 0 left"},
		{"keys trailing bytes", parseKeys, cat(keysMagic[:], le32(1), le32(1), []byte("a"), []byte("zz")), "abi: malformed key list at byte 13: 2 unexpected bytes after the last key"},
		{"keys forged count", parseKeys, cat(keysMagic[:], le32(1<<30)), "abi: malformed key list at byte 4: key count 1073741824 cannot fit in the 0 bytes left"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.parse(tt.in)
			if err == nil {
				t.Fatal("parsed without error")
			}
			if err.Error() != tt.want {
				t.Fatalf("error:\n got %s\nwant %s", err, tt.want)
			}
		})
	}
}

func parseReq(b []byte) error  { _, err := ParseRequest(b); return err }
func parseResp(b []byte) error { _, err := ParseResponse(b); return err }
func parseKeys(b []byte) error { _, err := ParseKeys(b); return err }

func TestHeaderConversions(t *testing.T) {
	h := http.Header{"B": {"2"}, "A": {"1", "one"}}
	fields := HeaderFields(h)
	if want := []Field{{"A", "1"}, {"A", "one"}, {"B", "2"}}; !reflect.DeepEqual(fields, want) {
		t.Fatalf("HeaderFields = %v, want %v", fields, want)
	}
	if back := Header(append(fields, Field{"content-type", "x"})); back.Get("Content-Type") != "x" || !reflect.DeepEqual(back["A"], h["A"]) {
		t.Fatalf("Header = %v", back)
	}
	if HeaderFields(nil) != nil {
		t.Fatal("HeaderFields(nil) is not nil")
	}
}
