package manifest

import (
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

func loadSchema(t *testing.T) map[string]any {
	t.Helper()
	var s map[string]any
	if err := json.Unmarshal(Schema(), &s); err != nil {
		t.Fatalf("Schema() is not JSON: %v", err)
	}
	return s
}

// TestSchemaMatchesPaths checks that the schema's properties are exactly
// the field paths of the format.
func TestSchemaMatchesPaths(t *testing.T) {
	s := loadSchema(t)
	if s["$schema"] != "https://json-schema.org/draft/2020-12/schema" {
		t.Errorf("$schema = %v", s["$schema"])
	}
	var got []string
	var walk func(prefix string, node map[string]any)
	walk = func(prefix string, node map[string]any) {
		props, _ := node["properties"].(map[string]any)
		for name, sub := range props {
			p := joinPath(prefix, name)
			got = append(got, p)
			walk(p, sub.(map[string]any))
		}
	}
	walk("", s)
	slices.Sort(got)
	if !slices.Equal(got, Paths()) {
		t.Errorf("schema properties:\n%q\nPaths():\n%q", got, Paths())
	}
}

// TestCanonicalCoversEveryPath checks that the canonical encoding of a
// manifest that sets every field writes exactly the fields of the format.
func TestCanonicalCoversEveryPath(t *testing.T) {
	// full.yaml plus the fields its problem tests' line numbers leave out.
	m := mustParse(t, edit(t, readTestdata(t, "full.yaml"), "    log: true\n",
		"    log: true\n    secrets: {names: [API_KEY]}\n  secretWriters: [q11qvpsxqcrqvpsxqcrqvpsxqcrqvpsxqcrzlf76f]\n"))
	var doc map[string]any
	if err := json.Unmarshal(m.Canonical(), &doc); err != nil {
		t.Fatal(err)
	}
	var got []string
	var walk func(prefix string, obj map[string]any)
	walk = func(prefix string, obj map[string]any) {
		for name, v := range obj {
			p := joinPath(prefix, name)
			if !IsPath(p) {
				t.Errorf("canonical encoding writes %s, which is not a field path", p)
				continue
			}
			got = append(got, p)
			if sub, ok := v.(map[string]any); ok && fieldAt(p).fields != nil {
				walk(p, sub)
			}
		}
	}
	walk("", doc)
	slices.Sort(got)
	if !slices.Equal(got, Paths()) {
		t.Errorf("canonical fields:\n%q\nPaths():\n%q", got, Paths())
	}
}

// TestGoTypesMatchFields checks that the Go struct of every object of the
// format has exactly one exported field per manifest field.
func TestGoTypesMatchFields(t *testing.T) {
	var walk func(path string, typ reflect.Type, f *field)
	walk = func(path string, typ reflect.Type, f *field) {
		if typ.Kind() == reflect.Pointer {
			typ = typ.Elem()
		}
		var goNames []string
		for sf := range typ.Fields() {
			if sf.IsExported() {
				goNames = append(goNames, sf.Name)
			}
		}
		if len(goNames) != len(f.fields) {
			t.Errorf("%s: Go type %s has fields %v, the format has %v", path, typ, goNames, f.names())
			return
		}
		for i, sf := range goNames {
			c := f.fields[i]
			if !strings.EqualFold(sf, c.name) {
				t.Errorf("%s: Go field %s.%s is in the place of %s", path, typ, sf, c.name)
				continue
			}
			if c.fields != nil {
				gf, _ := typ.FieldByName(sf)
				walk(joinPath(path, c.name), gf.Type, c)
			}
		}
	}
	walk("(root)", reflect.TypeFor[Manifest](), manifestFields)
}

func TestSchemaValidatesExamples(t *testing.T) {
	s := loadSchema(t)
	for _, name := range []string{"design.yaml", "full.yaml", "minimal.yaml"} {
		doc := yamlValue(t, readTestdata(t, name))
		if err := checkSchema(s, s, doc, ""); err != nil {
			t.Errorf("%s does not validate against Schema(): %v", name, err)
		}
		var canon any
		if err := json.Unmarshal(mustParse(t, readTestdata(t, name)).Canonical(), &canon); err != nil {
			t.Fatal(err)
		}
		if err := checkSchema(s, s, canon, ""); err != nil {
			t.Errorf("canonical %s does not validate against Schema(): %v", name, err)
		}
	}
	full := readTestdata(t, "full.yaml")
	bad := []struct{ old, new, want string }{
		{"  memory: 64Mi", "  memory: 64MB", "resources.memory: \"64MB\" does not match"},
		{"  replicas: 3", "  replicas: 0", "placement.replicas: 0 is below 1"},
		{"  cpu: 500m", "  color: red", "resources: unknown property color"},
		{"  per1kRequests: 10uqc\n", "", "pricing: per1kRequests is required"},
		{"      allow: public", "      allow: everyone", "permissions.callers[1].allow: matches no alternative"},
	}
	for _, b := range bad {
		err := checkSchema(s, s, yamlValue(t, edit(t, full, b.old, b.new)), "")
		if err == nil || !strings.HasPrefix(err.Error(), b.want) {
			t.Errorf("schema check of %q: %v, want %s…", b.new, err, b.want)
		}
	}
}

// TestDocsDescribeEveryPath checks that docs/manifest.md names every field.
func TestDocsDescribeEveryPath(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "..", "docs", "manifest.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range Paths() {
		if !strings.Contains(string(doc), "`"+p+"`") {
			t.Errorf("docs/manifest.md does not describe `%s`", p)
		}
	}
}

func yamlValue(t *testing.T, doc string) any {
	t.Helper()
	var v any
	if err := yaml.Unmarshal([]byte(doc), &v); err != nil {
		t.Fatal(err)
	}
	return v
}

// checkSchema validates v against the subset of JSON Schema that Schema()
// uses. It is a test oracle, not a general validator.
func checkSchema(root, s map[string]any, v any, path string) error {
	fail := func(format string, args ...any) error {
		return fmt.Errorf("%s: %s", path, fmt.Sprintf(format, args...))
	}
	if ref, ok := s["$ref"].(string); ok {
		def := root["$defs"].(map[string]any)[strings.TrimPrefix(ref, "#/$defs/")]
		return checkSchema(root, def.(map[string]any), v, path)
	}
	if c, ok := s["const"]; ok && c != v {
		return fail("%v is not %v", v, c)
	}
	if e, ok := s["enum"].([]any); ok && !slices.Contains(e, v) {
		return fail("%v is not one of %v", v, e)
	}
	if alts, ok := s["oneOf"].([]any); ok {
		n := 0
		for _, a := range alts {
			if checkSchema(root, a.(map[string]any), v, path) == nil {
				n++
			}
		}
		if n != 1 {
			return fail("matches no alternative")
		}
	}
	if typ, ok := s["type"]; ok && !schemaType(typ, v) {
		return fail("%v (%T) is not of type %v", v, v, typ)
	}
	switch v := v.(type) {
	case string:
		if p, ok := s["pattern"].(string); ok && !regexp.MustCompile(p).MatchString(v) {
			return fail("%q does not match %s", v, p)
		}
	case int, float64:
		n, _ := toFloat(v)
		if lo, ok := s["minimum"].(float64); ok && n < lo {
			return fail("%v is below %v", v, lo)
		}
		if hi, ok := s["maximum"].(float64); ok && n > hi {
			return fail("%v is above %v", v, hi)
		}
	case []any:
		if lo, ok := s["minItems"].(float64); ok && float64(len(v)) < lo {
			return fail("has fewer than %v items", lo)
		}
		if hi, ok := s["maxItems"].(float64); ok && float64(len(v)) > hi {
			return fail("has more than %v items", hi)
		}
		for i, e := range v {
			if items, ok := s["items"].(map[string]any); ok {
				if err := checkSchema(root, items, e, fmt.Sprintf("%s[%d]", path, i)); err != nil {
					return err
				}
			}
			if s["uniqueItems"] == true && slices.Contains(v[:i], e) {
				return fail("item %d repeats", i)
			}
		}
	case map[string]any:
		props, _ := s["properties"].(map[string]any)
		for _, r := range asStrings(s["required"]) {
			if _, ok := v[r]; !ok {
				return fail("%s is required", r)
			}
		}
		if hi, ok := s["maxProperties"].(float64); ok && float64(len(v)) > hi {
			return fail("has more than %v properties", hi)
		}
		for _, k := range slices.Sorted(maps.Keys(v)) {
			kp := joinPath(path, k)
			if names, ok := s["propertyNames"].(map[string]any); ok {
				if err := checkSchema(root, names, k, kp); err != nil {
					return err
				}
			}
			sub, ok := props[k].(map[string]any)
			if !ok {
				switch extra := s["additionalProperties"].(type) {
				case bool:
					return fail("unknown property %s", k)
				case map[string]any:
					sub = extra
				default:
					continue
				}
			}
			if err := checkSchema(root, sub, v[k], kp); err != nil {
				return err
			}
		}
	}
	return nil
}

func schemaType(typ, v any) bool {
	if list, ok := typ.([]any); ok {
		return slices.ContainsFunc(list, func(t any) bool { return schemaType(t, v) })
	}
	switch typ {
	case "string":
		_, ok := v.(string)
		return ok
	case "integer":
		_, ok := v.(int)
		f, isFloat := v.(float64)
		return ok || (isFloat && f == float64(int64(f)))
	case "number":
		_, ok := toFloat(v)
		return ok
	case "boolean":
		_, ok := v.(bool)
		return ok
	case "array":
		_, ok := v.([]any)
		return ok
	case "object":
		_, ok := v.(map[string]any)
		return ok
	}
	return false
}

func toFloat(v any) (float64, bool) {
	switch v := v.(type) {
	case int:
		return float64(v), true
	case float64:
		return v, true
	}
	return 0, false
}

func asStrings(v any) []string {
	var out []string
	list, _ := v.([]any)
	for _, e := range list {
		out = append(out, e.(string))
	}
	return out
}
