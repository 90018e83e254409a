package abi

import (
	"maps"
	"net/http"
	"slices"
)

// HeaderFields returns the fields of h sorted by name, each name's values in
// their order, so that equal headers encode to equal bytes.
func HeaderFields(h http.Header) []Field {
	n := 0
	for _, vs := range h {
		n += len(vs)
	}
	if n == 0 {
		return nil
	}
	fields := make([]Field, 0, n)
	for _, name := range slices.Sorted(maps.Keys(h)) {
		for _, v := range h[name] {
			fields = append(fields, Field{Name: name, Value: v})
		}
	}
	return fields
}

// Header collects fields into an http.Header, canonicalizing names.
func Header(fields []Field) http.Header {
	h := make(http.Header, len(fields))
	for _, f := range fields {
		h.Add(f.Name, f.Value)
	}
	return h
}
