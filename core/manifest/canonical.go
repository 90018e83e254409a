package manifest

import (
	"bytes"
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strconv"
)

// The canonical encoding is compact JSON: object keys sorted by byte value,
// no insignificant whitespace, every default filled in, sets sorted, each
// quantity in its one canonical spelling (64Mi, 500m, 2s, 10uqc, 50/s),
// integers as JSON numbers, and only '"', '\' and control characters escaped.
// Fields with no value (a capability not granted, no rate limit, no hourly
// budget cap, a draft's missing code.wasm) are left out. Since JSON is YAML,
// Parse reads canonical bytes too, and Parse then Canonical is a fixed point.

// ErrNotCanonical is returned (wrapped) by ParseCanonical for a valid
// manifest whose bytes are not exactly its canonical encoding.
var ErrNotCanonical = errors.New("manifest is not in canonical form")

// Canonical returns m's canonical encoding: the bytes stored on chain and
// hashed by [Manifest.Hash]. Encode only a valid manifest: the bytes of an
// invalid one do not parse.
func (m *Manifest) Canonical() []byte {
	return m.tree().appendTo(nil)
}

// Hash returns the manifest's content address: "sha256:" and the lowercase
// hex SHA-256 of its canonical encoding.
func (m *Manifest) Hash() string {
	sum := sha256.Sum256(m.Canonical())
	return HashPrefix + hex.EncodeToString(sum[:])
}

// ParseCanonical reads a manifest the way the chain must: the bytes must be
// a complete, valid manifest (code.wasm included) and exactly its canonical
// encoding, so that every validator and client computes the same hash. A
// valid manifest in another spelling fails with an error wrapping
// [ErrNotCanonical]; an invalid one with [Problems].
func ParseCanonical(data []byte) (*Manifest, error) {
	m, err := Parse(data, ParseOptions{})
	if err != nil {
		return nil, err
	}
	canon := m.Canonical()
	if !bytes.Equal(canon, data) {
		i := 0
		for i < len(canon) && i < len(data) && canon[i] == data[i] {
			i++
		}
		return nil, fmt.Errorf("%w: it differs from its canonical encoding at byte %d; send Manifest.Canonical()", ErrNotCanonical, i)
	}
	return m, nil
}

// normalize sorts every list that is a set, so that equal manifests have
// equal Go values however they were written.
func (m *Manifest) normalize() {
	perms := &m.Permissions
	slices.Sort(perms.Owners.Accounts)
	slices.Sort(perms.Operators)
	for i := range perms.Callers {
		slices.Sort(perms.Callers[i].Paths)
		slices.Sort(perms.Callers[i].Allow)
	}
	slices.Sort(perms.LogViewers.Accounts)
	if perms.Capabilities.Egress != nil {
		slices.Sort(perms.Capabilities.Egress.Hosts)
	}
	if perms.Capabilities.Secrets != nil {
		slices.Sort(perms.Capabilities.Secrets.Names)
	}
	slices.Sort(perms.SecretWriters)
	slices.Sort(m.Policies.Update.Frozen)
	for i := range m.Schedules { // a list in manifest order; only the spelling is normalized
		m.Schedules[i].Cron = CanonicalCron(m.Schedules[i].Cron)
	}
	slices.SortFunc(m.Placement.RequireAttributes, func(a, b Attribute) int { return cmp.Compare(a.Key, b.Key) })
}

// jsonValue is a node of the canonical JSON tree: an object, array, string,
// unsigned number or boolean.
type jsonValue struct {
	kind  byte // 'o', 'a', 's', 'n', 'b'
	keys  []string
	vals  []*jsonValue // object values (parallel to keys) or array elements
	str   string
	num   uint64
	truth bool
}

func jsonObject() *jsonValue               { return &jsonValue{kind: 'o'} }
func jsonString(s string) *jsonValue       { return &jsonValue{kind: 's', str: s} }
func jsonNumber(n uint64) *jsonValue       { return &jsonValue{kind: 'n', num: n} }
func jsonBool(b bool) *jsonValue           { return &jsonValue{kind: 'b', truth: b} }
func jsonArray(v ...*jsonValue) *jsonValue { return &jsonValue{kind: 'a', vals: v} }

// set adds a field to an object; callers add each key once.
func (o *jsonValue) set(key string, v *jsonValue) *jsonValue {
	o.keys = append(o.keys, key)
	o.vals = append(o.vals, v)
	return o
}

// get returns an object's field, or nil.
func (o *jsonValue) get(key string) *jsonValue {
	if o == nil || o.kind != 'o' {
		return nil
	}
	if i := slices.Index(o.keys, key); i >= 0 {
		return o.vals[i]
	}
	return nil
}

// sortedStrings is a JSON array of the strings in byte order.
func sortedStrings(list []string) *jsonValue {
	sorted := slices.Clone(list)
	slices.Sort(sorted)
	a := jsonArray()
	for _, s := range sorted {
		a.vals = append(a.vals, jsonString(s))
	}
	return a
}

// appendTo appends the compact JSON encoding of v, object keys sorted.
func (v *jsonValue) appendTo(b []byte) []byte {
	switch v.kind {
	case 'o':
		order := make([]int, len(v.keys))
		for i := range order {
			order[i] = i
		}
		slices.SortFunc(order, func(i, j int) int { return cmp.Compare(v.keys[i], v.keys[j]) })
		b = append(b, '{')
		for n, i := range order {
			if n > 0 {
				b = append(b, ',')
			}
			b = appendJSONString(b, v.keys[i])
			b = append(b, ':')
			b = v.vals[i].appendTo(b)
		}
		return append(b, '}')
	case 'a':
		b = append(b, '[')
		for i, e := range v.vals {
			if i > 0 {
				b = append(b, ',')
			}
			b = e.appendTo(b)
		}
		return append(b, ']')
	case 's':
		return appendJSONString(b, v.str)
	case 'n':
		return strconv.AppendUint(b, v.num, 10)
	default:
		return strconv.AppendBool(b, v.truth)
	}
}

// appendJSONString appends s as a JSON string, escaping only what JSON
// requires. Valid manifests hold only printable ASCII.
func appendJSONString(b []byte, s string) []byte {
	const hexDigits = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
		case c < 0x20:
			b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
		default:
			b = append(b, c)
		}
	}
	return append(b, '"')
}
