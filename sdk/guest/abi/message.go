package abi

import (
	"encoding/binary"
	"fmt"
)

// Magic numbers open every message: "q1", a kind letter, the format version.
var (
	requestMagic  = [4]byte{'q', '1', 'r', 1}
	responseMagic = [4]byte{'q', '1', 's', 1}
	keysMagic     = [4]byte{'q', '1', 'k', 1}
)

// Field is one header line. A header with several values is several Fields
// with the same Name, in order.
type Field struct {
	Name, Value string
}

// Request is an HTTP request crossing the boundary: from host to guest for
// q1_http_handle, and from guest to host for http_fetch (where Target is an
// absolute http or https URL and Host is empty).
type Request struct {
	// Method is the HTTP method, e.g. "GET".
	Method string
	// Target is the request target: path and query ("/a/b?x=1") for a
	// request to the guest, an absolute URL for an egress request.
	Target string
	// Host is the host the caller addressed (the Host header).
	Host string
	// Header holds the request header fields in order.
	Header []Field
	// Body is the request body.
	Body []byte
}

// Response is an HTTP response crossing the boundary: from guest to host as
// the answer to q1_http_handle, and from host to guest for http_fetch.
type Response struct {
	// Status is the HTTP status code, 100 to 999.
	Status int
	// Header holds the response header fields in order.
	Header []Field
	// Body is the response body.
	Body []byte
}

// FormatError reports a message that does not follow the wire format.
type FormatError struct {
	// Message names the message kind ("request", "response", "key list").
	Message string
	// Offset is the byte offset at which decoding failed.
	Offset int
	// Problem says what was wrong there.
	Problem string
}

// Error returns "abi: malformed <message> at byte <offset>: <problem>".
func (e *FormatError) Error() string {
	return fmt.Sprintf("abi: malformed %s at byte %d: %s", e.Message, e.Offset, e.Problem)
}

// AppendRequest appends the encoding of r to dst and returns the result.
//
// Layout: magic "q1r\x01" | method | target | host | field count | fields |
// body, where a string is a u32 length followed by its bytes, a field is its
// name then its value, and the body is every byte after the last field.
func AppendRequest(dst []byte, r *Request) []byte {
	dst = append(dst, requestMagic[:]...)
	dst = appendString(dst, r.Method)
	dst = appendString(dst, r.Target)
	dst = appendString(dst, r.Host)
	dst = appendFields(dst, r.Header)
	return append(dst, r.Body...)
}

// RequestSize returns len(AppendRequest(nil, r)) without encoding.
func RequestSize(r *Request) int {
	return 4 + 4 + len(r.Method) + 4 + len(r.Target) + 4 + len(r.Host) + fieldsSize(r.Header) + len(r.Body)
}

// ParseRequest decodes a request. Body aliases b; strings are copies.
// Method and Target must not be empty.
func ParseRequest(b []byte) (*Request, error) {
	d := decoder{b: b, what: "request"}
	d.magic(requestMagic)
	r := &Request{
		Method: d.string("method"),
		Target: d.string("target"),
		Host:   d.string("host"),
	}
	r.Header = d.fields()
	if d.err != nil {
		return nil, d.err
	}
	switch {
	case r.Method == "":
		return nil, &FormatError{Message: "request", Offset: 4, Problem: "empty method"}
	case r.Target == "":
		return nil, &FormatError{Message: "request", Offset: 8 + len(r.Method), Problem: "empty target"}
	}
	r.Body = d.rest()
	return r, nil
}

// AppendResponseHead appends the head of a response (magic, status and
// header) to dst. The body follows as raw bytes, so a guest can stream it:
// the head, then the body in as many pieces as it likes.
//
// Layout: magic "q1s\x01" | status u32 | field count | fields | body.
func AppendResponseHead(dst []byte, status int, header []Field) []byte {
	dst = append(dst, responseMagic[:]...)
	dst = binary.LittleEndian.AppendUint32(dst, uint32(status))
	return appendFields(dst, header)
}

// AppendResponse appends the encoding of r to dst and returns the result.
func AppendResponse(dst []byte, r *Response) []byte {
	return append(AppendResponseHead(dst, r.Status, r.Header), r.Body...)
}

// ParseResponse decodes a response. Body aliases b; strings are copies.
// Status must be within 100 to 999.
func ParseResponse(b []byte) (*Response, error) {
	d := decoder{b: b, what: "response"}
	d.magic(responseMagic)
	status := d.uint32("status")
	if d.err == nil && (status < 100 || status > 999) {
		return nil, &FormatError{Message: "response", Offset: 4, Problem: fmt.Sprintf("status %d is outside 100-999", status)}
	}
	r := &Response{Status: int(status)}
	r.Header = d.fields()
	if d.err != nil {
		return nil, d.err
	}
	r.Body = d.rest()
	return r, nil
}

// AppendKeys appends the encoding of a key list (the result of kv_list).
//
// Layout: magic "q1k\x01" | count u32 | count strings. Nothing may follow.
func AppendKeys(dst []byte, keys []string) []byte {
	dst = append(dst, keysMagic[:]...)
	dst = binary.LittleEndian.AppendUint32(dst, uint32(len(keys)))
	for _, k := range keys {
		dst = appendString(dst, k)
	}
	return dst
}

// ParseKeys decodes a key list.
func ParseKeys(b []byte) ([]string, error) {
	d := decoder{b: b, what: "key list"}
	d.magic(keysMagic)
	n := d.count("key count", 4)
	keys := make([]string, 0, n)
	for i := 0; i < n && d.err == nil; i++ {
		keys = append(keys, d.string("key"))
	}
	if d.err == nil && d.off != len(d.b) {
		d.fail(fmt.Sprintf("%d unexpected bytes after the last key", len(d.b)-d.off))
	}
	if d.err != nil {
		return nil, d.err
	}
	return keys, nil
}

func appendString(dst []byte, s string) []byte {
	dst = binary.LittleEndian.AppendUint32(dst, uint32(len(s)))
	return append(dst, s...)
}

func appendFields(dst []byte, fields []Field) []byte {
	dst = binary.LittleEndian.AppendUint32(dst, uint32(len(fields)))
	for _, f := range fields {
		dst = appendString(dst, f.Name)
		dst = appendString(dst, f.Value)
	}
	return dst
}

func fieldsSize(fields []Field) int {
	n := 4
	for _, f := range fields {
		n += 8 + len(f.Name) + len(f.Value)
	}
	return n
}

// decoder reads a message front to back; the first failure sticks and every
// later read returns a zero value.
type decoder struct {
	b    []byte
	off  int
	what string
	err  error
}

func (d *decoder) fail(problem string) {
	if d.err == nil {
		d.err = &FormatError{Message: d.what, Offset: d.off, Problem: problem}
	}
}

func (d *decoder) magic(want [4]byte) {
	if len(d.b) < 4 || [4]byte(d.b[:4]) != want {
		d.fail(fmt.Sprintf("does not start with %q", want[:]))
		return
	}
	d.off = 4
}

func (d *decoder) uint32(name string) uint32 {
	if d.err != nil {
		return 0
	}
	if len(d.b)-d.off < 4 {
		d.fail(fmt.Sprintf("%s needs 4 bytes, %d left", name, len(d.b)-d.off))
		return 0
	}
	v := binary.LittleEndian.Uint32(d.b[d.off:])
	d.off += 4
	return v
}

func (d *decoder) string(name string) string {
	n := d.uint32(name + " length")
	if d.err != nil {
		return ""
	}
	if left := len(d.b) - d.off; uint64(n) > uint64(left) {
		d.off -= 4 // report the offset of the length itself
		d.fail(fmt.Sprintf("%s length %d exceeds the %d bytes left", name, n, left))
		return ""
	}
	s := string(d.b[d.off : d.off+int(n)])
	d.off += int(n)
	return s
}

// count reads an element count and checks that the remaining bytes could
// hold that many elements of at least minSize bytes each, so a forged count
// cannot make the decoder allocate more than the message is worth.
func (d *decoder) count(name string, minSize int) int {
	n := d.uint32(name)
	if d.err != nil {
		return 0
	}
	if left := len(d.b) - d.off; uint64(n)*uint64(minSize) > uint64(left) {
		d.off -= 4 // report the offset of the count itself
		d.fail(fmt.Sprintf("%s %d cannot fit in the %d bytes left", name, n, left))
		return 0
	}
	return int(n)
}

func (d *decoder) fields() []Field {
	n := d.count("header field count", 8)
	if d.err != nil || n == 0 {
		return nil
	}
	fields := make([]Field, 0, n)
	for i := 0; i < n && d.err == nil; i++ {
		name := d.string("header name")
		value := d.string("header value")
		fields = append(fields, Field{Name: name, Value: value})
	}
	return fields
}

func (d *decoder) rest() []byte {
	if d.off == len(d.b) {
		return nil
	}
	return d.b[d.off:]
}
