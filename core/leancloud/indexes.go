package leancloud

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/switchboardhq/switchboard/core"
)

// Class indexes of an export: indexes.json, or an "indexes" member of a
// class in schema.json. Each class holds a list in MongoDB's own form
// ([{"name": "score_-1", "key": {"score": -1}, "unique": true}], as
// db.collection.getIndexes() lists them and LeanCloud's storage is
// MongoDB), or Parse's schema form ({"score_-1": {"score": -1}}). The file
// may also be {"results": [{"className", "indexes"}]}.

// exportIndex is one index of an export.
type exportIndex struct {
	Name   string
	Keys   []indexKey
	Unique bool
}

type indexKey struct {
	Field string
	Dir   any // 1, -1 or "text"
}

// readIndexesDoc reads indexes.json.
func readIndexesDoc(b []byte) (map[string][]exportIndex, error) {
	var doc map[string]any
	if err := json.Unmarshal(b, &doc); err != nil {
		return nil, err
	}
	out := map[string][]exportIndex{}
	if list, ok := doc["results"].([]any); ok {
		for _, e := range list {
			m, _ := e.(map[string]any)
			name, _ := m["className"].(string)
			if name != "" {
				out[name] = append(out[name], decodeIndexes(m["indexes"])...)
			}
		}
		return out, nil
	}
	for class, v := range doc {
		out[class] = decodeIndexes(v)
	}
	return out, nil
}

// decodeIndexes reads one class's indexes in either form; what is not an
// index is left out (and the class's import reports nothing for it).
func decodeIndexes(v any) []exportIndex {
	var out []exportIndex
	switch x := v.(type) {
	case []any: // MongoDB's form
		for _, e := range x {
			m, _ := e.(map[string]any)
			keys, ok := m["key"].(map[string]any)
			if !ok {
				continue
			}
			ix := exportIndex{Keys: orderedKeys(keys)}
			ix.Name, _ = m["name"].(string)
			ix.Unique, _ = m["unique"].(bool)
			out = append(out, ix)
		}
	case map[string]any: // Parse's form
		names := make([]string, 0, len(x))
		for name := range x {
			names = append(names, name)
		}
		sort.Strings(names)
		for _, name := range names {
			if keys, ok := x[name].(map[string]any); ok {
				out = append(out, exportIndex{Name: name, Keys: orderedKeys(keys)})
			}
		}
	}
	return out
}

// orderedKeys lists an index's keys. JSON objects lose their order once
// decoded; the keys are sorted so that a re-run makes the same index.
func orderedKeys(m map[string]any) []indexKey {
	out := make([]indexKey, 0, len(m))
	for f, d := range m {
		out = append(out, indexKey{Field: f, Dir: d})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Field < out[j].Field })
	return out
}

// storedField maps a field name of LeanCloud's MongoDB storage to the
// class's field: "_created_at" and "_updated_at" (Parse's Mongo names),
// "_p_owner" and "owner.$id" (a pointer's storage) are the fields
// themselves. ok is false for a path into an object.
func storedField(f string) (string, bool) {
	switch f {
	case "_created_at":
		return core.FieldCreatedAt, true
	case "_updated_at":
		return core.FieldUpdatedAt, true
	}
	f = strings.TrimPrefix(f, "_p_")
	f = strings.TrimSuffix(strings.TrimSuffix(f, ".$id"), ".objectId")
	return f, !strings.Contains(f, ".") && !strings.Contains(f, "$")
}

// schemaIndex maps an export's index onto the schema API's form, or tells
// why it cannot: ok false means skip it (objectId's, which every class
// has), err a reason to report.
func schemaIndex(c *core.Class, ix exportIndex) (name string, keys map[string]any, ok bool, err error) {
	keys = map[string]any{}
	var parts []string
	for _, k := range ix.Keys {
		field, plain := storedField(k.Field)
		if field == "_id" || field == core.FieldObjectID {
			if len(ix.Keys) == 1 {
				return "", nil, false, nil
			}
		}
		if !plain {
			return "", nil, false, fmt.Errorf("key %q is a path into an object, which Switchboard does not index", k.Field)
		}
		if _, has := c.Fields[field]; !has {
			if _, builtin := core.DefaultFields[field]; !builtin {
				return "", nil, false, fmt.Errorf("field %s is not in the class (no object has it)", field)
			}
		}
		switch d := k.Dir.(type) {
		case float64:
			if d != 1 && d != -1 {
				return "", nil, false, fmt.Errorf("key %s: direction %v is not 1 or -1", k.Field, d)
			}
			keys[field] = d
			if d == 1 {
				parts = append(parts, field+"_1")
			} else {
				parts = append(parts, field+"_desc")
			}
		case string:
			if d != "text" {
				return "", nil, false, fmt.Errorf("key %s: index type %q is not supported (only text)", k.Field, d)
			}
			keys[field] = d
			parts = append(parts, field+"_text")
		default:
			return "", nil, false, fmt.Errorf("key %s: direction %v is not 1, -1 or \"text\"", k.Field, k.Dir)
		}
	}
	if len(keys) == 0 {
		return "", nil, false, nil
	}
	name = ix.Name
	if !core.ValidFieldName(name) {
		name = strings.Join(parts, "_")
	}
	return name, keys, true, nil
}

// importIndexes creates the classes' indexes that do not exist yet (a
// re-run creates none twice). A unique index is created plain, and said
// so: the schema API makes no unique indexes.
func (im *importer) importIndexes(ctx context.Context, schema map[string]classSchema) error {
	classes := make([]string, 0, len(schema))
	for class := range schema {
		classes = append(classes, class)
	}
	sort.Strings(classes)
	for _, lcClass := range classes {
		list := schema[lcClass].Indexes
		if len(list) == 0 {
			continue
		}
		if lcClass == "_File" {
			continue // the dialect's file records have their own indexes
		}
		c := im.app.Class(toParseClass(lcClass))
		if c == nil {
			im.report.problem("indexes of %s: the class was not imported; skipped", lcClass)
			continue
		}
		add := map[string]any{}
		for _, ix := range list {
			name, keys, ok, err := schemaIndex(c, ix)
			if err != nil {
				im.report.problem("index %s of %s: %v; skipped", ix.Name, lcClass, err)
				continue
			}
			if !ok || c.Indexes[name].Keys != nil || add[name] != nil {
				continue
			}
			if ix.Unique {
				im.report.problem("index %s of %s is unique on LeanCloud; it is created as a plain index (enforce uniqueness in a beforeSave trigger)", ix.Name, lcClass)
			}
			add[name] = keys
		}
		names := make([]string, 0, len(add))
		for name := range add {
			names = append(names, name)
		}
		sort.Strings(names)
		for _, name := range names {
			// One at a time, so one the store refuses does not hold back
			// the others.
			if _, err := im.app.UpdateSchema(ctx, core.MasterAuth(), c.Name, map[string]any{"indexes": map[string]any{name: add[name]}}); err != nil {
				if ctx.Err() != nil {
					return ctx.Err()
				}
				im.report.problem("index %s of %s: %v; skipped", name, lcClass, err)
				continue
			}
			im.report.Indexes++
		}
	}
	return nil
}
