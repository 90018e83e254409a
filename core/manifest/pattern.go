package manifest

import (
	"fmt"
	"path"
	"strings"
)

// Path patterns select request paths in caller rules. The syntax:
//
//   - A pattern starts with "/" and is a list of segments separated by "/";
//     "/" alone matches only the root.
//   - A literal segment matches the same segment exactly (case-sensitive).
//   - "*" as a middle segment matches exactly one segment: /users/*/profile.
//   - "*" as the last segment matches the path before it and everything
//     below it: /admin/* matches /admin, /admin/ and /admin/a/b; /* matches
//     every path.
//   - "*" is only ever a whole segment; empty segments ("//"), a trailing
//     "/", "." and ".." are not allowed.
//   - Segment characters: letters, digits and - . _ ~ ! $ & ' ( ) + , ; = : @.
//
// Request paths are matched after percent-decoding and cleaning (as
// path.Clean does), so /a/../admin is matched as /admin.

// MaxPatternLength is the longest path pattern accepted, in bytes.
const MaxPatternLength = 256

const patternPunct = "-._~!$&'()+,;=:@"

// ValidatePattern reports whether pattern is a valid path pattern, and if
// not, what is wrong with it.
func ValidatePattern(pattern string) error {
	if len(pattern) > MaxPatternLength {
		return fmt.Errorf("path pattern is %d bytes long; at most %d are allowed", len(pattern), MaxPatternLength)
	}
	if !strings.HasPrefix(pattern, "/") {
		return fmt.Errorf("path pattern %q must start with \"/\"", pattern)
	}
	if pattern == "/" {
		return nil
	}
	for _, seg := range strings.Split(pattern[1:], "/") {
		switch {
		case seg == "":
			return fmt.Errorf("path pattern %q has an empty segment (\"//\" or a trailing \"/\"); "+
				"to match everything below a path write /prefix/*", pattern)
		case seg == "*":
		case strings.Contains(seg, "*"):
			return fmt.Errorf("path pattern %q: \"*\" must be a whole segment, as in /users/*/profile or /static/*", pattern)
		case seg == "." || seg == "..":
			return fmt.Errorf("path pattern %q: segment %q is not allowed", pattern, seg)
		default:
			for i := 0; i < len(seg); i++ {
				c := seg[i]
				if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
					strings.IndexByte(patternPunct, c) >= 0) {
					return fmt.Errorf("path pattern %q: character %q is not allowed; "+
						"use letters, digits and %s", pattern, c, patternPunct)
				}
			}
		}
	}
	return nil
}

// MatchPath reports whether the request path p is selected by pattern. p is
// the decoded URL path; it is cleaned before matching. An invalid pattern or
// a path that does not start with "/" matches nothing.
func MatchPath(pattern, p string) bool {
	if ValidatePattern(pattern) != nil || !strings.HasPrefix(p, "/") {
		return false
	}
	p = path.Clean(p)
	if pattern == "/" {
		return p == "/"
	}
	want := strings.Split(pattern[1:], "/")
	var got []string
	if p != "/" {
		got = strings.Split(p[1:], "/")
	}
	for i, seg := range want {
		if seg == "*" && i == len(want)-1 {
			return true // the rest wildcard; got[:i] already matched
		}
		if i >= len(got) || (seg != "*" && seg != got[i]) {
			return false
		}
	}
	return len(got) == len(want)
}
