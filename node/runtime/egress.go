package runtime

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/quantum1net/q1/core/manifest"
	"github.com/quantum1net/q1/sdk/guest/abi"
)

// egressClient makes a service's outbound HTTP requests: only to the hosts
// its manifest lists, only to public addresses (checked on the address being
// dialled, after DNS resolution, so a name that re-resolves to a private
// address is still refused), never following redirects itself, and with the
// response size capped.
type egressClient struct {
	allow         manifest.Egress // the manifest's own host matching, "*.example.com" included
	hostList      string
	maxResponse   int64
	allowLoopback bool
	client        *http.Client
}

// fetchError is a failed egress request, with the ABI code the guest sees.
type fetchError struct {
	code      int32
	msg       string
	bytesRead int64
}

// deniedAddrError is returned by the dialer's Control hook.
type deniedAddrError struct {
	addr   netip.Addr
	reason string
}

func (e *deniedAddrError) Error() string {
	return fmt.Sprintf("address %s is %s; egress may reach only public addresses", e.addr, e.reason)
}

func newEgressClient(cfg *EgressConfig, allowLoopback bool) (*egressClient, error) {
	e := &egressClient{
		maxResponse:   cfg.MaxResponseBytes,
		allowLoopback: allowLoopback,
	}
	if e.maxResponse <= 0 {
		e.maxResponse = defaultEgressMaxResponseBytes
	}
	for i, h := range cfg.Hosts {
		host := strings.ToLower(strings.TrimSuffix(h, "."))
		_, ipErr := netip.ParseAddr(host)
		name := strings.TrimPrefix(host, "*.")
		if ipErr != nil && (name == "" || strings.Trim(name, "abcdefghijklmnopqrstuvwxyz0123456789.-") != "") {
			return nil, fmt.Errorf("egress host %d %q: must be a bare host name such as api.example.com (*.example.com for every name below it) or an IP address, without scheme, port or path", i, h)
		}
		e.allow.Hosts = append(e.allow.Hosts, host)
	}
	e.hostList = strings.Join(slices.Sorted(slices.Values(e.allow.Hosts)), ", ")
	dialer := &net.Dialer{Timeout: 10 * time.Second, Control: e.control}
	e.client = &http.Client{
		Transport: &http.Transport{
			Proxy:                  nil, // never an environment proxy: it would bypass the address check
			DialContext:            dialer.DialContext,
			ForceAttemptHTTP2:      true,
			MaxIdleConns:           16,
			IdleConnTimeout:        60 * time.Second,
			TLSHandshakeTimeout:    10 * time.Second,
			MaxResponseHeaderBytes: 64 << 10,
		},
		// The guest follows redirects, each through a new fetch checked
		// against the list; the host returns 3xx responses as they are.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	return e, nil
}

func (e *egressClient) close() { e.client.CloseIdleConnections() }

// control runs before every connection: after DNS, on the address dialled.
func (e *egressClient) control(_, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("egress: cannot check dial address %q: %w", address, err)
	}
	if reason := refusedAddress(ap.Addr(), e.allowLoopback); reason != "" {
		return &deniedAddrError{addr: ap.Addr(), reason: reason}
	}
	return nil
}

var (
	sharedAddressSpace = netip.MustParsePrefix("100.64.0.0/10") // carrier-grade NAT
	thisNetwork        = netip.MustParsePrefix("0.0.0.0/8")
	benchmarking       = netip.MustParsePrefix("198.18.0.0/15")
	reservedV4         = netip.MustParsePrefix("240.0.0.0/4") // includes broadcast
	nat64              = netip.MustParsePrefix("64:ff9b::/96")
)

// refusedAddress says why egress may not reach a, or "" if it may.
func refusedAddress(a netip.Addr, allowLoopback bool) string {
	a = a.Unmap()
	if nat64.Contains(a) {
		// The last 32 bits are an IPv4 address a NAT64 gateway would reach.
		b := a.As16()
		return refusedAddress(netip.AddrFrom4([4]byte(b[12:])), allowLoopback)
	}
	switch {
	case a.IsLoopback():
		if allowLoopback {
			return ""
		}
		return "a loopback address"
	case a.IsUnspecified():
		return "an unspecified address"
	case a.IsPrivate():
		return "a private address"
	case a.IsLinkLocalUnicast(), a.IsLinkLocalMulticast():
		return "a link-local address"
	case a.IsMulticast(), a.IsInterfaceLocalMulticast():
		return "a multicast address"
	case sharedAddressSpace.Contains(a):
		return "a shared (carrier-grade NAT) address"
	case thisNetwork.Contains(a), benchmarking.Contains(a), reservedV4.Contains(a):
		return "a reserved address"
	}
	return ""
}

// hopHeaders are framing and hop-by-hop fields, never passed between a
// guest and the outside: the host frames bodies and manages connections.
var hopHeaders = []string{
	"Connection", "Content-Length", "Host", "Keep-Alive", "Proxy-Authenticate",
	"Proxy-Authorization", "Proxy-Connection", "Te", "Trailer", "Transfer-Encoding", "Upgrade",
}

func dropHopHeaders(h http.Header) {
	for _, name := range hopHeaders {
		delete(h, name)
	}
}

// fetch performs one egress request and returns the encoded response.
func (e *egressClient) fetch(ctx context.Context, req *abi.Request) ([]byte, *fetchError) {
	u, err := url.Parse(req.Target)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, &fetchError{code: abi.CodeInvalid, msg: fmt.Sprintf("http fetch: target %q is not an absolute http or https URL", req.Target)}
	}
	host := strings.ToLower(strings.TrimSuffix(u.Hostname(), "."))
	if !e.allow.Allows(host) {
		return nil, &fetchError{code: abi.CodeDenied, msg: fmt.Sprintf("http fetch %s: egress to %q denied: not in permissions.capabilities.egress.hosts [%s]", u.Redacted(), host, e.hostList)}
	}
	hreq, err := http.NewRequestWithContext(ctx, req.Method, u.String(), bytes.NewReader(req.Body))
	if err != nil {
		return nil, &fetchError{code: abi.CodeInvalid, msg: fmt.Sprintf("http fetch %s: %v", u.Redacted(), err)}
	}
	hreq.Header = abi.Header(req.Header)
	dropHopHeaders(hreq.Header)
	resp, err := e.client.Do(hreq)
	if err != nil {
		var denied *deniedAddrError
		if errors.As(err, &denied) {
			return nil, &fetchError{code: abi.CodeDenied, msg: fmt.Sprintf("http fetch %s: egress to %q denied: %v", u.Redacted(), host, denied)}
		}
		return nil, &fetchError{code: abi.CodeUpstream, msg: fmt.Sprintf("http fetch %s: %v", u.Redacted(), unwrapURLError(err))}
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, e.maxResponse+1))
	if err != nil {
		return nil, &fetchError{code: abi.CodeUpstream, msg: fmt.Sprintf("http fetch %s: read response: %v", u.Redacted(), err), bytesRead: int64(len(body))}
	}
	if int64(len(body)) > e.maxResponse {
		return nil, &fetchError{code: abi.CodeTooLarge, msg: fmt.Sprintf("http fetch %s: response body exceeds the %s egress limit", u.Redacted(), byteSize(e.maxResponse)), bytesRead: int64(len(body))}
	}
	dropHopHeaders(resp.Header)
	return abi.AppendResponse(nil, &abi.Response{Status: resp.StatusCode, Header: abi.HeaderFields(resp.Header), Body: body}), nil
}

// unwrapURLError drops the *url.Error wrapper, whose text repeats the URL.
func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}
