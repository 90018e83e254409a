package manifest

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// ParseOptions adjust Parse.
type ParseOptions struct {
	// Filename is put in every Problem, so errors print as
	// "service.yaml:12:5: path: message".
	Filename string
	// AllowMissingWasm accepts a manifest without code.wasm, as written by
	// people before the CLI fills it in from --wasm. The chain never sets it.
	AllowMissingWasm bool
	// AllowMissingOwners accepts a manifest without permissions.owners, as
	// in the examples: q1 service deploy makes the deploying key the sole
	// owner. The chain never sets it.
	AllowMissingOwners bool
}

// Parse reads a manifest written in YAML (or JSON, including canonical
// bytes), fills in defaults and checks everything. It reads no files: a
// caller reading one (the CLI) passes its name as opts.Filename. On failure the error is
// [Problems], listing every problem found, each with its field path and line.
// Parse is deterministic and uses no floating point.
func Parse(data []byte, opts ParseOptions) (*Manifest, error) {
	d := &decoder{pos: positions{}, bad: map[string]bool{}, mayOmit: map[string]bool{}}
	if opts.AllowMissingOwners {
		d.mayOmit["permissions"] = true
		d.mayOmit["permissions.owners"] = true
	}
	m := d.decode(data)
	if m != nil {
		v := &validator{pos: d.pos, bad: d.bad, requireWasm: !opts.AllowMissingWasm, requireOwners: !opts.AllowMissingOwners}
		m.check(v)
		d.probs = append(d.probs, v.probs...)
	}
	if len(d.probs) > 0 {
		return nil, d.probs.WithFile(opts.Filename).asError()
	}
	m.normalize()
	m.pos = d.pos
	return m, nil
}

// positions maps field paths to where they were found in the source.
type positions map[string]position

type position struct{ line, col int }

// of returns the position of path p, or of its nearest ancestor that has one
// (a default-filled field points at its parent).
func (ps positions) of(p string) position {
	for {
		if pos, ok := ps[p]; ok || p == "" {
			return pos
		}
		if i := strings.LastIndexAny(p, ".["); i >= 0 {
			p = p[:i]
		} else {
			p = ""
		}
	}
}

// decoder walks a YAML node tree into a Manifest, recording every problem
// with its path and position rather than stopping at the first.
type decoder struct {
	probs Problems
	pos   positions
	bad   map[string]bool // paths that failed to decode; later checks skip them
	// mayOmit are required paths a draft may leave out (ParseOptions).
	mayOmit map[string]bool
}

// fail records a problem with the value at path p. It is located where
// the field's key (or the list element) is, like every other problem about
// p; at node n when p's position is not known.
func (d *decoder) fail(p string, n *yaml.Node, format string, args ...any) {
	if _, ok := d.pos[p]; ok {
		d.failAt(p, format, args...)
		return
	}
	d.failNode(p, n, format, args...)
}

// failNode records a problem at path p, located at node n.
func (d *decoder) failNode(p string, n *yaml.Node, format string, args ...any) {
	d.bad[p] = true
	d.probs = append(d.probs, Problem{Path: p, Line: n.Line, Column: n.Column, Message: fmt.Sprintf(format, args...)})
}

// failAt records a problem at path p, located where p (or its nearest
// ancestor) was found.
func (d *decoder) failAt(p string, format string, args ...any) {
	at := d.pos.of(p)
	d.bad[p] = true
	d.probs = append(d.probs, Problem{Path: p, Line: at.line, Column: at.col, Message: fmt.Sprintf(format, args...)})
}

// decode parses data as one YAML document and decodes it; nil when the
// document could not be read at all.
func (d *decoder) decode(data []byte) *Manifest {
	if len(data) > MaxSize {
		d.probs = append(d.probs, Problem{Message: fmt.Sprintf(
			"the manifest is larger than %d bytes, the most allowed", MaxSize)})
		return nil
	}
	root, prob := parseYAML(data)
	if prob != nil {
		d.probs = append(d.probs, *prob)
		return nil
	}
	d.pos[""] = position{root.Line, root.Column}
	return d.manifest(root)
}

// parseYAML reads exactly one YAML document. A panic inside the YAML library
// becomes a problem: this decoder faces the network.
func parseYAML(data []byte) (root *yaml.Node, prob *Problem) {
	defer func() {
		if r := recover(); r != nil {
			root, prob = nil, &Problem{Message: fmt.Sprintf("invalid YAML: %v", r)}
		}
	}()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, &Problem{Message: "the manifest is empty"}
		}
		return nil, yamlProblem(err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		if err != nil {
			return nil, yamlProblem(err)
		}
		return nil, &Problem{Line: extra.Line, Column: extra.Column,
			Message: "a manifest is a single YAML document; remove everything from the second '---' on"}
	}
	if len(doc.Content) != 1 {
		return nil, &Problem{Message: "the manifest is empty"}
	}
	return doc.Content[0], nil
}

// yamlProblem turns a YAML syntax error ("yaml: line 3: did not find
// expected key") into a Problem on that line.
func yamlProblem(err error) *Problem {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	p := &Problem{Message: "invalid YAML: " + msg}
	if rest, ok := strings.CutPrefix(msg, "line "); ok {
		if num, text, ok := strings.Cut(rest, ": "); ok {
			if line, err := strconv.Atoi(num); err == nil {
				p.Line, p.Message = line, "invalid YAML: "+text
			}
		}
	}
	return p
}

// describe names the kind of value n holds, for "must be X, got Y" messages.
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.AliasNode:
		return "an alias (*" + n.Value + "); aliases are not supported"
	case yaml.DocumentNode:
		return "a document"
	}
	switch n.ShortTag() {
	case "!!str":
		return fmt.Sprintf("the string %q", n.Value)
	case "!!int", "!!float":
		return "the number " + n.Value
	case "!!bool":
		return "the boolean " + n.Value
	case "!!null":
		return "no value"
	case "!!timestamp":
		return "the timestamp " + n.Value + " (quote it to make it a string)"
	default:
		return fmt.Sprintf("a value tagged %s", n.ShortTag())
	}
}

// fields is a decoded mapping: its values by field name.
type fields map[string]*yaml.Node

// mapping checks that n is a mapping whose keys are the fields the format
// defines at path p, each at most once, with every required field present.
// It records each field's position and returns the values by name, or nil
// when n is not a mapping.
func (d *decoder) mapping(n *yaml.Node, p string) fields {
	spec := fieldAt(p)
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null" {
		n = &yaml.Node{Kind: yaml.MappingNode, Line: n.Line, Column: n.Column} // "code:" alone is an empty section
	}
	if n.Kind != yaml.MappingNode {
		d.fail(p, n, "must be a mapping of fields (%s), got %s", strings.Join(spec.names(), ", "), describe(n))
		return nil
	}
	out := fields{}
	keys := map[string]*yaml.Node{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind == yaml.ScalarNode && k.ShortTag() == "!!merge" {
			d.failNode(joinPath(p, k.Value), k, "merge keys (<<) are not supported; write the fields out")
			continue
		}
		if k.Kind != yaml.ScalarNode || k.ShortTag() != "!!str" {
			d.failNode(joinPath(p, k.Value), k, "field names must be plain strings, got %s", describe(k))
			continue
		}
		kp := joinPath(p, k.Value)
		if first, dup := keys[k.Value]; dup {
			d.failNode(kp, k, "field is set twice; the first is on line %d", first.Line)
			continue
		}
		keys[k.Value] = k
		if spec.child(k.Value) == nil {
			d.failNode(kp, k, "unknown field%s", suggest(k.Value, spec.names(),
				"valid fields here: "+strings.Join(spec.names(), ", ")))
			continue
		}
		d.pos[kp] = position{k.Line, k.Column}
		out[k.Value] = v
	}
	for _, c := range spec.fields {
		if c.required && out[c.name] == nil && keys[c.name] == nil && !d.mayOmit[joinPath(p, c.name)] {
			d.failAt(joinPath(p, c.name), "is required")
		}
	}
	return out
}

// list checks that n is a list and records each element's position.
func (d *decoder) list(n *yaml.Node, p, what string) []*yaml.Node {
	if n.Kind != yaml.SequenceNode {
		d.fail(p, n, "must be a list of %s, got %s", what, describe(n))
		return nil
	}
	for i, e := range n.Content {
		d.pos[index(p, i)] = position{e.Line, e.Column}
	}
	return n.Content
}

// index names element i of the list at path p.
func index(p string, i int) string { return p + "[" + strconv.Itoa(i) + "]" }

// scalar checks that n is a scalar with one of the given tags.
func (d *decoder) scalar(n *yaml.Node, p, what string, tags ...string) (string, bool) {
	if n.Kind == yaml.ScalarNode {
		tag := n.ShortTag()
		for _, t := range tags {
			if tag == t {
				return n.Value, true
			}
		}
	}
	d.fail(p, n, "must be %s, got %s", what, describe(n))
	return "", false
}

func (d *decoder) str(n *yaml.Node, p string) (string, bool) {
	return d.scalar(n, p, "a string", "!!str")
}

// uint reads a whole number written in decimal digits, at most limit.
func (d *decoder) uint(n *yaml.Node, p string, limit uint64) (uint64, bool) {
	// Numbers too large for an int64 resolve as floats in YAML; only the
	// text is used, so 1.5 and 1e3 are refused below, without floats.
	text, ok := d.scalar(n, p, "a whole number", "!!int", "!!float")
	if !ok {
		return 0, false
	}
	v, err := parseUint(text)
	switch {
	case errors.Is(err, errSyntax):
		d.fail(p, n, "must be a whole number written with decimal digits only (no sign, no leading zeros), got %s", text)
	case err != nil:
		d.fail(p, n, "is too large: %s", text)
	case v > limit:
		d.fail(p, n, "must be at most %d, got %s", limit, text)
	default:
		return v, true
	}
	return 0, false
}

func (d *decoder) boolean(n *yaml.Node, p string) (bool, bool) {
	text, ok := d.scalar(n, p, "true or false", "!!bool")
	if !ok {
		return false, false
	}
	return strings.EqualFold(text, "true"), true
}

// strList reads a list of strings.
func (d *decoder) strList(n *yaml.Node, p, what string) []string {
	elems := d.list(n, p, what)
	out := make([]string, 0, len(elems))
	for i, e := range elems {
		if s, ok := d.str(e, index(p, i)); ok {
			out = append(out, s)
		} else {
			out = append(out, "") // keep indices aligned with the source
		}
	}
	return out
}

// quantity reads a scalar written as number-and-unit text (YAML may have
// resolved it as a string, an integer or a float: only the text is used,
// so no floating point is involved) and parses it.
func quantity[T any](d *decoder, n *yaml.Node, p, what string, parse func(string) (T, error)) (T, bool) {
	var zero T
	text, ok := d.scalar(n, p, what, "!!str", "!!int", "!!float")
	if !ok {
		return zero, false
	}
	v, err := parse(text)
	if err != nil {
		d.fail(p, n, "%v", err)
		return zero, false
	}
	return v, true
}

// suggest completes an "unknown ..." message with the closest valid name,
// or with the fallback advice when none is close.
func suggest(got string, valid []string, fallback string) string {
	best, bestDist := "", 3
	for _, v := range valid {
		if len(got) > len(v)+2 || len(v) > len(got)+2 {
			continue // too far apart to be a typo; skipping keeps this linear
		}
		if dist := editDistance(strings.ToLower(got), strings.ToLower(v)); dist < bestDist {
			best, bestDist = v, dist
		}
	}
	if best != "" {
		return fmt.Sprintf(" %q; did you mean %q?", got, best)
	}
	return fmt.Sprintf(" %q; %s", got, fallback)
}

// editDistance is the Levenshtein distance between a and b, by bytes.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
