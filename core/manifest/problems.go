package manifest

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// Problem is one defect in a manifest: where it is and what is wrong with it.
type Problem struct {
	// File is the name of the file the manifest was read from; "" when unknown.
	File string
	// Path is the dotted field path, such as permissions.callers[1].paths[0];
	// "" when the problem concerns the whole document.
	Path string
	// Line and Column are 1-based positions in the source; 0 when unknown
	// (for example for a manifest built in Go rather than parsed).
	Line, Column int
	// Message says what is wrong and, where it helps, how to fix it.
	Message string
}

// String formats the problem the way compilers do, for example
// "service.yaml:12:5: permissions.owners.threshold: must be between 1 and 2
// (the number of owners), got 3". Unknown parts are left out.
func (p Problem) String() string {
	var b strings.Builder
	loc := p.File
	if p.Line > 0 {
		if loc != "" {
			loc += ":"
		}
		loc += fmt.Sprint(p.Line)
		if p.Column > 0 {
			loc += fmt.Sprintf(":%d", p.Column)
		}
	}
	if loc != "" {
		b.WriteString(loc)
		b.WriteString(": ")
	}
	if p.Path != "" {
		b.WriteString(p.Path)
		b.WriteString(": ")
	}
	b.WriteString(p.Message)
	return b.String()
}

// Problems is every defect found in one manifest, ordered by position in the
// source. It is the error type returned by [Parse], [ParseCanonical],
// [Manifest.Validate] and [CheckUpdate]; use errors.As to get at the
// individual problems.
type Problems []Problem

// Error prints one problem per line, in order.
func (ps Problems) Error() string {
	lines := make([]string, len(ps))
	for i, p := range ps {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

// WithFile returns a copy of ps in which every problem names file, so that
// printing it gives "file:line:col: path: message" lines.
func (ps Problems) WithFile(file string) Problems {
	out := slices.Clone(ps)
	for i := range out {
		out[i].File = file
	}
	return out
}

// sortProblems orders problems by source position, keeping the order in
// which they were found for problems at the same position.
func sortProblems(ps Problems) {
	slices.SortStableFunc(ps, func(a, b Problem) int {
		if c := cmp.Compare(a.Line, b.Line); c != 0 {
			return c
		}
		return cmp.Compare(a.Column, b.Column)
	})
}

// asError returns ps as an error, or nil when there are no problems. It never
// returns a typed nil.
func (ps Problems) asError() error {
	if len(ps) == 0 {
		return nil
	}
	sortProblems(ps)
	return ps
}
