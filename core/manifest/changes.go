package manifest

import (
	"bytes"
	"slices"
	"strings"
)

// ChangedPaths lists, sorted, every field path (see [Paths]) whose value
// differs between old and new, objects included: a new replica count gives
// ["placement", "placement.replicas"]. Values are compared in canonical
// form, so order within sets and the spelling of quantities do not count.
// It returns nil when the manifests are equal.
func ChangedPaths(old, new *Manifest) []string {
	a, b := old.tree(), new.tree()
	var out []string
	for _, p := range allPaths {
		if !bytes.Equal(encodedAt(a, p), encodedAt(b, p)) {
			out = append(out, p)
		}
	}
	return out
}

// encodedAt returns the canonical encoding of the value at path p, or nil
// when the field is absent.
func encodedAt(root *jsonValue, p string) []byte {
	v := root
	for _, name := range strings.Split(p, ".") {
		if v = v.get(name); v == nil {
			return nil
		}
	}
	return v.appendTo(nil)
}

// IsFrozen reports whether the field at path p may never change under m:
// policies.update.frozen lists p or an object containing it (a frozen
// "permissions" freezes "permissions.callers").
func (m *Manifest) IsFrozen(p string) bool {
	return m.frozenBy(p) != ""
}

// frozenBy returns the frozen entry that covers p, or "".
func (m *Manifest) frozenBy(p string) string {
	for _, f := range m.Policies.Update.Frozen {
		if isUnder(p, f) {
			return f
		}
	}
	return ""
}

// OnlyChanged reports whether every difference between old and new lies
// within the allowed field paths. Operators, for example, may only scale:
// OnlyChanged(cur, next, "placement.replicas").
func OnlyChanged(old, new *Manifest, allowed ...string) bool {
	for _, p := range ChangedPaths(old, new) {
		if !slices.ContainsFunc(allowed, func(a string) bool { return isUnder(p, a) || isUnder(a, p) }) {
			return false
		}
	}
	return true
}

// CheckUpdate checks that new may replace old under old's rules: the name
// is unchanged, no frozen field changed, and the frozen list kept every
// entry (it only grows). It checks nothing else: new must be valid on its
// own, and who approves and when are the chain's business. Problems point
// at new's lines when new came from Parse.
func CheckUpdate(old, new *Manifest) error {
	v := &validator{pos: new.pos}
	if old.Name != new.Name {
		v.report("name", "a service's name never changes (it is %q); deploy a new service to use another name", old.Name)
	}
	changed := ChangedPaths(old, new)
	for i, p := range changed {
		if i+1 < len(changed) && isUnder(changed[i+1], p) {
			continue // report the most specific changed field only
		}
		if f := old.frozenBy(p); f != "" {
			v.report(p, "cannot change: policies.update.frozen lists %s", f)
		}
	}
	for _, f := range old.Policies.Update.Frozen {
		if !slices.Contains(new.Policies.Update.Frozen, f) {
			v.report("policies.update.frozen", "must still list %s: the frozen list can only grow", f)
		}
	}
	return v.probs.asError()
}
