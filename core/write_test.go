package core

import (
	"maps"
	"reflect"
	"testing"
)

// SetBody decodes again only the fields a trigger changed when it can
// (decodedWrite.planPatch); the write must come out as decoding the whole
// new body makes it, and so must the errors.
func TestSetBodyPatchDecodesAsAWholeBody(t *testing.T) {
	tags := []any{"a", "b"}
	meta := map[string]any{"k": 1.0}
	base := func() map[string]any {
		return map[string]any{"name": "item", "score": 1.0, "tags": tags, "meta": meta, "active": true}
	}
	with := func(m map[string]any, kv ...any) map[string]any {
		out := maps.Clone(m)
		for i := 0; i+1 < len(kv); i += 2 {
			if kv[i+1] == nil {
				delete(out, kv[i].(string))
			} else {
				out[kv[i].(string)] = kv[i+1]
			}
		}
		return out
	}
	pointer := map[string]any{"__type": "Pointer", "className": "Other", "objectId": "o1"}
	cases := []struct {
		name    string
		old     map[string]any
		body    map[string]any
		patched bool
		err     Code
	}{
		{"a field added", base(), with(base(), "checked", true), true, 0},
		{"a field changed", base(), with(base(), "score", 2.0), true, 0},
		{"a field dropped", base(), with(base(), "name", nil), true, 0},
		{"a field set to null", base(), with(base(), "name", []any(nil)), true, 0},
		{"an array replaced by an equal one", base(), with(base(), "tags", []any{"a", "b"}), true, 0},
		{"a pointer and a date", base(), with(base(), "owner", pointer, "when", map[string]any{"__type": "Date", "iso": "2030-01-01T00:00:00.000Z"}), true, 0},
		{"a relation declared", base(), with(base(), "friends", map[string]any{"__type": "Relation", "className": "_User"}), true, 0},
		{"nothing changed", base(), base(), true, 0},
		{"an operator added", base(), with(base(), "n", map[string]any{"__op": "Increment", "amount": 1.0}), false, 0},
		{"an operator replaced", with(base(), "n", map[string]any{"__op": "Increment", "amount": 1.0}), with(base(), "n", 3.0), false, 0},
		{"an ACL", base(), with(base(), "ACL", map[string]any{"*": map[string]any{"read": true}}), false, 0},
		{"a dotted key", base(), with(base(), "stats.k", 2.0), false, 0},
		{"a dotted key already there", with(base(), "stats.k", 2.0), with(with(base(), "stats.k", 2.0), "checked", true), false, 0},
		{"an invalid name", base(), with(base(), "bad-name", 1.0), true, CodeInvalidKeyName},
		{"a reserved name", base(), with(base(), "_hidden", 1.0), true, CodeInvalidKeyName},
		{"an invalid value", base(), with(base(), "when", map[string]any{"__type": "Date", "iso": "not a date"}), true, CodeIncorrectType},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w, err := decodeWrite(c.old, true)
			if err != nil {
				t.Fatal(err)
			}
			changes, ok, perr := w.planPatch(c.old, c.body)
			want, werr := decodeWrite(c.body, true)
			if c.err != 0 {
				if perr == nil || werr == nil || perr.Code != werr.Code || perr.Code != c.err {
					t.Fatalf("errors: patch %v, whole body %v, want code %d", perr, werr, c.err)
				}
				return
			}
			if perr != nil || werr != nil {
				t.Fatalf("errors: patch %v, whole body %v", perr, werr)
			}
			if ok != c.patched {
				t.Fatalf("patched %v, want %v", ok, c.patched)
			}
			if !ok {
				return
			}
			w.applyPatch(changes)
			if !reflect.DeepEqual(w.update, want.update) || !reflect.DeepEqual(w.fields, want.fields) {
				t.Fatalf("patched\n%#v\n%#v\nwhole body\n%#v\n%#v", w.update, w.fields, want.update, want.fields)
			}
		})
	}
	// The same map changed in place is decoded whole.
	body := base()
	w, _ := decodeWrite(body, true)
	body["checked"] = true
	if _, ok, _ := w.planPatch(body, body); ok {
		t.Fatal("a body changed in place was patched")
	}
}
