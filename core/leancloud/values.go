package leancloud

import (
	"context"

	"github.com/switchboardhq/switchboard/core"
)

// toParseClass maps LeanCloud's _File to FileClass; other names are kept.
func toParseClass(name string) string {
	if name == "_File" {
		return FileClass
	}
	return name
}

// walk calls fn on every JSON object inside v, depth first, and replaces
// it with what fn returns.
func walk(v any, fn func(m map[string]any) map[string]any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			x[k] = walk(e, fn)
		}
		return fn(x)
	case []any:
		for i, e := range x {
			x[i] = walk(e, fn)
		}
	case []map[string]any:
		for i, e := range x {
			x[i] = walk(e, fn).(map[string]any)
		}
	}
	return v
}

// renameClass maps class names inside pointers, inQuery and the like.
func renameClass(m map[string]any, from, to string) {
	if m["className"] == from {
		m["className"] = to
	}
}

// toParseWhere maps LeanCloud class names inside a where document.
func (h *Handler) toParseWhere(where map[string]any) map[string]any {
	return walk(where, func(m map[string]any) map[string]any {
		renameClass(m, "_File", FileClass)
		return m
	}).(map[string]any)
}

// fileID is the id of a LeanCloud File value ({__type: File, id} or the
// SDK's full form with objectId).
func fileID(m map[string]any) string {
	if id, ok := m["id"].(string); ok && id != "" {
		return id
	}
	id, _ := m["objectId"].(string)
	return id
}

// toParse translates a write body: File values given by id become Parse
// File values naming the record's key; one given only by URL is
// registered as a file first; pointers to _File point at FileClass.
func (h *Handler) toParse(c *call, body map[string]any) (map[string]any, error) {
	if body == nil {
		return nil, nil
	}
	var ids []string
	walk(body, func(m map[string]any) map[string]any {
		renameClass(m, "_File", FileClass)
		if m["__type"] == "File" {
			if id := fileID(m); id != "" {
				ids = append(ids, id)
			}
		}
		return m
	})
	records, err := h.recordsByID(c.ctx, ids)
	if err != nil {
		return nil, err
	}
	var failed error
	out := walk(body, func(m map[string]any) map[string]any {
		if m["__type"] != "File" || failed != nil {
			return m
		}
		if id := fileID(m); id != "" {
			rec, ok := records[id]
			if !ok {
				failed = core.Errorf(core.CodeInvalidPointer, "file %s does not exist", id)
				return m
			}
			return map[string]any{"__type": "File", "name": recordKey(rec)}
		}
		key, err := h.externalFile(c, m)
		if err != nil {
			failed = err
			return m
		}
		return map[string]any{"__type": "File", "name": key}
	}).(map[string]any)
	if failed != nil {
		return nil, failed
	}
	return out, nil
}

// externalFile is the key of the record of a File value given by URL
// only: the record of that URL, or a new one.
func (h *Handler) externalFile(c *call, m map[string]any) (string, error) {
	u, _ := m["url"].(string)
	if u == "" {
		return "", core.Errorf(core.CodeIncorrectType, "a File value needs an id (or objectId) or a url")
	}
	list, err := h.recordsWhere(c.ctx, core.Cmp{Field: fieldURL, Op: core.OpEq, Value: u}, 1)
	if err != nil {
		return "", err
	}
	if len(list) == 1 {
		return recordKey(list[0]), nil
	}
	sub := *c
	sub.body = map[string]any{"url": u, "name": m["name"], "mime_type": m["mime_type"]}
	if name, _ := m["name"].(string); name == "" {
		delete(sub.body, "name")
	}
	_, res, err := h.registerURL(&sub)
	if err != nil {
		return "", err
	}
	key, _ := res.(map[string]any)[fieldKey].(string)
	return key, nil
}

// toLeanCloud translates a reply: File values naming a record's key are
// expanded into LeanCloud's form, included file records take LeanCloud's
// shape, FileClass is called _File again.
func (h *Handler) toLeanCloud(c *call, v any) any {
	var keys []string
	walk(v, func(m map[string]any) map[string]any {
		if m["__type"] == "File" {
			if name, ok := m["name"].(string); ok && name != "" {
				keys = append(keys, name)
			}
		}
		return m
	})
	records, err := h.recordsByKey(c.ctx, keys)
	if err != nil {
		core.LoggerFrom(c.ctx).Warn("leancloud: reading file records to expand files", "err", err)
	}
	fileClass := h.app.Class(FileClass)
	return walk(v, func(m map[string]any) map[string]any {
		if m["__type"] == "Object" && m["className"] == FileClass {
			out := fileView(m)
			out["__type"], out["className"] = "Object", "_File"
			return out
		}
		renameClass(m, FileClass, "_File")
		if m["__type"] != "File" {
			return m
		}
		name, _ := m["name"].(string)
		if rec, ok := records[name]; ok {
			u, _ := m["url"].(string)
			return fileValue(core.EncodeObject(fileClass, rec), u)
		}
		return m
	})
}

// fileRecordViews turns the replies of FileClass's data routes (one
// object, or {results}) into LeanCloud's _File objects.
func fileRecordViews(res any) any {
	m, ok := res.(map[string]any)
	if !ok {
		return res
	}
	if list, ok := m["results"].([]map[string]any); ok {
		for i, o := range list {
			list[i] = fileView(o)
		}
		return m
	}
	if list, ok := m["results"].([]any); ok {
		for i, o := range list {
			if om, ok := o.(map[string]any); ok {
				list[i] = fileView(om)
			}
		}
		return m
	}
	if _, isObject := m[core.FieldObjectID]; isObject {
		return fileView(m)
	}
	return m
}

// FileURLResolver wraps the files API's resolver of File URLs (next) for
// the Parse API too: a File value naming a LeanCloud file whose bytes are
// elsewhere (registered by URL, imported without its content) gets that
// file's URL instead of this server's, which has no such file.
func FileURLResolver(app *core.App, next core.FileURLResolver) core.FileURLResolver {
	return &externalURLs{app: app, next: next}
}

type externalURLs struct {
	app  *core.App
	next core.FileURLResolver
}

func (e *externalURLs) FileURLs(ctx context.Context, auth *core.Auth, names []string) (map[string]string, error) {
	urls, err := e.next.FileURLs(ctx, auth, names)
	if err != nil {
		return nil, err
	}
	c := e.app.Class(FileClass)
	if c == nil || len(names) == 0 {
		return urls, nil
	}
	list, err := e.app.Store().Find(ctx, c, &core.Query{
		Where: core.And{Exprs: []core.Expr{core.In{Field: fieldKey, Values: strings2any(names)}, core.Exists{Field: fieldURL, Exists: true}}},
		Keys:  []string{fieldKey, fieldURL}, Limit: len(names),
	})
	if err != nil {
		return nil, err
	}
	for _, o := range list {
		k, _ := o[fieldKey].(string)
		if u, _ := o[fieldURL].(string); u != "" && k != "" {
			urls[k] = u
		}
	}
	return urls, nil
}
