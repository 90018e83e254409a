package gateway

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/quantum1net/q1/core/manifest"
)

// servicePathPrefix starts the path of a service addressed by path.
const servicePathPrefix = "/s/"

type routeKind int

const (
	routeNone    routeKind = iota // not a service address: 404 with reason
	routeRoot                     // the gateway's own root: the how-to page
	routeService                  // a request for service
)

// route is where a request is addressed.
type route struct {
	kind    routeKind
	service string
	byPath  bool   // named by /s/{service}/ rather than by host
	ownHost bool   // the host is a base host or a service's origin, not one the gateway does not know
	target  string // path and query the service sees, starting with "/"
	reason  string // why kind is routeNone
}

// parseRoute finds the service a request is for from its Host header and
// raw request target (origin form, "/path?query"). bases are the gateway's
// host names, lowercase without port.
//
// A host that is exactly service.base addresses that service with its whole
// path: its origin belongs to the service alone. Any other host below a
// base host is refused, so no page of one service ever runs on an origin
// that shares cookies with another. A base host, or a host the gateway does
// not know (an IP address, say), serves /s/{service}/... and the root page.
func parseRoute(host, target string, bases []string) route {
	if !strings.HasPrefix(target, "/") {
		return route{reason: fmt.Sprintf("request target %q is not a path", target)}
	}
	h := hostName(host)
	if isBaseHost(h, bases) {
		rt := parseServicePath(target)
		rt.ownHost = true
		return rt
	}
	for _, b := range bases {
		label, ok := strings.CutSuffix(h, "."+b)
		switch {
		case !ok:
			continue
		case strings.Contains(label, "."):
			return route{reason: fmt.Sprintf("%s is not a service address: a service's own origin is "+
				"{service}.%s, one label above the gateway's host", h, b)}
		case manifest.ValidateName(label) != nil:
			return route{reason: fmt.Sprintf("%q in host %s is not a service name: names are 1 to 63 "+
				"lowercase letters, digits or '-'", label, h)}
		}
		return route{kind: routeService, service: label, target: target, ownHost: true}
	}
	return parseServicePath(target)
}

// parseServicePath routes a target on the gateway's own host:
// /s/{service}/{path...}, or the root page at "/".
func parseServicePath(target string) route {
	path, query, hasQuery := strings.Cut(target, "?")
	if path == "/" {
		return route{kind: routeRoot}
	}
	rest, ok := strings.CutPrefix(path, servicePathPrefix)
	if !ok {
		if path == "/s" {
			return route{reason: "no service named: call /s/{service}/{path}"}
		}
		return route{reason: fmt.Sprintf("%s is not a service address: this gateway serves only services, "+
			"at /s/{service}/{path} or on http://{service}.{gateway host}/", clip(path))}
	}
	name, sub, _ := strings.Cut(rest, "/")
	if name == "" {
		return route{reason: "no service named: call /s/{service}/{path}"}
	}
	if err := manifest.ValidateName(name); err != nil {
		return route{reason: fmt.Sprintf("%q in path %s is not a service name: names are 1 to 63 "+
			"lowercase letters, digits or '-'", clip(name), clip(path))}
	}
	run := "/" + sub
	if hasQuery {
		run += "?" + query
	}
	return route{kind: routeService, service: name, byPath: true, target: run}
}

// hostName returns the host of a Host header, lowercase, without port and
// without a trailing dot. IPv6 literals lose their brackets.
func hostName(host string) string {
	h := strings.ToLower(host)
	if strings.HasPrefix(h, "[") {
		if end := strings.IndexByte(h, ']'); end > 0 {
			return h[1:end]
		}
		return h
	}
	if i := strings.LastIndexByte(h, ':'); i >= 0 && strings.IndexByte(h[:i], ':') < 0 {
		h = h[:i]
	}
	return strings.TrimSuffix(h, ".")
}

// requestTarget returns the target of a request a server received, in
// origin form ("/path?query"), exactly as the caller sent it, which is what
// its signature covers. It reads the absolute form ("http://h/p?q") the way
// reqsign does, and falls back to r.URL for requests built in process.
func requestTarget(r *http.Request) string {
	uri := r.RequestURI
	if uri == "" {
		return r.URL.RequestURI()
	}
	if !strings.HasPrefix(uri, "/") && uri != "*" {
		if u, err := url.ParseRequestURI(uri); err == nil {
			t := u.EscapedPath()
			if t == "" {
				t = "/"
			}
			if u.RawQuery != "" || u.ForceQuery {
				t += "?" + u.RawQuery
			}
			return t
		}
	}
	return uri
}

// decodedPath returns the percent-decoded path of a target, as caller rules
// match it.
func decodedPath(target string) (string, error) {
	path, _, _ := strings.Cut(target, "?")
	p, err := url.PathUnescape(path)
	if err != nil {
		return "", fmt.Errorf("path %s has a malformed percent-escape", clip(path))
	}
	return p, nil
}

// clip shortens s for a message.
func clip(s string) string {
	const limit = 200
	if len(s) <= limit {
		return s
	}
	return s[:limit] + "..."
}
