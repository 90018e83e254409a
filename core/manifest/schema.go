package manifest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
)

// Building blocks of the JSON Schema, used by the field table in fields.go.

func ref(def string) map[string]any { return map[string]any{"$ref": "#/$defs/" + def} }

func constant(v string) map[string]any { return map[string]any{"const": v} }

func typed(t string) map[string]any { return map[string]any{"type": t} }

func enum(values ...string) map[string]any { return map[string]any{"enum": values} }

func integer(lo, hi int) map[string]any {
	return map[string]any{"type": "integer", "minimum": lo, "maximum": hi}
}

func uniqueList(item map[string]any, minItems, maxItems int) map[string]any {
	return map[string]any{"type": "array", "items": item, "uniqueItems": true, "minItems": minItems, "maxItems": maxItems}
}

func accountList(minItems int) map[string]any {
	return uniqueList(ref("account"), minItems, MaxAccounts)
}

func pathList() map[string]any { return uniqueList(ref("pathPattern"), 1, MaxRulePaths) }

func hostList() map[string]any { return uniqueList(ref("host"), 1, MaxEgressHosts) }

// fieldPathList refers to a definition rather than listing Paths here,
// because Paths is itself computed from the field table.
func fieldPathList() map[string]any { return uniqueList(ref("fieldPath"), 0, 1000) }

// audience is a keyword (public, owners) or a list of accounts.
func audience(keywords ...string) map[string]any {
	return map[string]any{"oneOf": []any{enum(keywords...), accountList(1)}}
}

func attributeMap() map[string]any {
	return map[string]any{
		"type":                 "object",
		"propertyNames":        ref("attributeKey"),
		"additionalProperties": ref("attributeValue"),
		"maxProperties":        MaxAttributes,
	}
}

const (
	uintPattern = `(0|[1-9][0-9]*)`
	labelChars  = `[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?`
	pathSegment = `([A-Za-z0-9._~!$&'()+,;=:@-]+|\*)`
	pathLiteral = `[A-Za-z0-9._~!$&'()+,;=:@-]+`
)

// schemaDefs are the shared value definitions the field table refers to.
func schemaDefs() map[string]any {
	str := func(doc, pattern string) map[string]any {
		return map[string]any{"type": "string", "description": doc, "pattern": pattern}
	}
	quantity := func(doc string, types []string, pattern string) map[string]any {
		return map[string]any{"type": types, "description": doc, "pattern": pattern, "minimum": 0}
	}
	return map[string]any{
		"name":     str("A DNS label: 1-63 lowercase letters, digits or '-'.", `^`+labelChars+`$`),
		"wasmHash": str("sha256: and 64 lowercase hex digits.", `^sha256:[0-9a-f]{64}$`),
		"account": str("A bech32 account address with prefix q1 (20- or 32-byte payload).",
			`^q11[02-9ac-hj-np-z]{38}([02-9ac-hj-np-z]{20})?$`),
		"pathPattern": str("A path pattern: /exact, /prefix/* (the prefix and everything below), * as a whole middle segment.",
			`^/(`+pathSegment+`(/`+pathSegment+`)*)?$`),
		"schedulePath": str("A literal request path, without * or a query: /tasks/cleanup.",
			`^/(`+pathLiteral+`(/`+pathLiteral+`)*)?$`),
		"host": str("A DNS name, optionally starting with *. for every subdomain.",
			`^(\*\.)?(`+labelChars+`\.)+`+labelChars+`$`),
		"attributeKey":   str("A sharer attribute key, such as region.", `^[a-z0-9]([a-z0-9._/-]{0,61}[a-z0-9])?$`),
		"attributeValue": str("A sharer attribute value, such as eu.", `^[A-Za-z0-9]([A-Za-z0-9._-]{0,61}[A-Za-z0-9])?$`),
		"byteSize": quantity("Bytes, with an optional unit Ki, Mi, Gi, Ti or k, M, G, T: 64Mi.",
			[]string{"string", "integer"}, `^`+uintPattern+`(k|M|G|T|Ki|Mi|Gi|Ti)?$`),
		"cpu": quantity("Millicores (500m) or cores (1, 0.5; at most 3 decimal places).",
			[]string{"string", "number"}, `^(`+uintPattern+`m|`+uintPattern+`(\.[0-9]{1,3})?)$`),
		"duration": str("A whole number and one unit ms, s, m or h: 2s.", `^`+uintPattern+`(ms|s|m|h)$`),
		"amount": str("QCoin: whole uqc (500uqc) or QC with up to 6 decimals (5QC, 0.25QC).",
			`^(`+uintPattern+`uqc|`+uintPattern+`(\.[0-9]{1,6})?QC)$`),
		"secretName": str("A secret name: 1-64 letters, digits, '_', '-' or '.', starting with a letter or '_'.",
			`^[A-Za-z_][A-Za-z0-9_.-]{0,63}$`),
		"rate":      str("Requests per s, m or h: 50/s.", `^[1-9][0-9]*/(s|m|h)$`),
		"fieldPath": map[string]any{"description": "A manifest field path.", "enum": Paths()},
	}
}

// schemaOf renders one field of the table as a JSON Schema.
func schemaOf(f *field) map[string]any {
	switch {
	case f.items != nil:
		return map[string]any{"type": "array", "description": f.doc, "items": schemaOf(f.items),
			"minItems": 1, "maxItems": f.maxItems}
	case f.fields != nil:
		props := map[string]any{}
		required := []string{}
		for _, c := range f.fields {
			props[c.name] = schemaOf(c)
			if c.required {
				required = append(required, c.name)
			}
		}
		return map[string]any{"type": "object", "description": f.doc, "properties": props,
			"required": required, "additionalProperties": false}
	default:
		s := maps.Clone(f.schema)
		s["description"] = f.doc
		return s
	}
}

// Schema returns a JSON Schema (draft 2020-12) of the manifest's YAML form,
// for editors and other tools. It checks shapes and spellings; only Parse
// checks everything (addresses' checksums, thresholds, cross-field rules).
func Schema() []byte {
	s := schemaOf(manifestFields)
	s["$schema"] = "https://json-schema.org/draft/2020-12/schema"
	s["title"] = "Quantum1Net Service Manifest " + APIVersion
	s["$defs"] = schemaDefs()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(s); err != nil {
		panic(fmt.Sprintf("manifest: encode schema: %v", err)) // only plain maps, slices and strings
	}
	return buf.Bytes()
}
