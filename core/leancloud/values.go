package leancloud

import (
	"context"
	"net/http"
	"net/url"
	"path"

	"github.com/switchboardhq/switchboard/core"
)

// FileClass holds LeanCloud's file records (its _File class: name, url,
// mime_type, metaData, ...), imported or registered through /1.1/files.
// A File value in an object refers to one by id: the dialect writes it as
// a Parse File whose name is the record's objectId, and expands it back
// into LeanCloud's form on the way out. The files feature's own file
// records will replace this class once they exist.
const FileClass = "LeanCloudFile"

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

// toParse translates a write body: File values given by id become Parse
// File values naming the record, pointers to _File point at FileClass.
func (h *Handler) toParse(c *call, body map[string]any) (map[string]any, error) {
	if body == nil {
		return nil, nil
	}
	var ids []any
	walk(body, func(m map[string]any) map[string]any {
		renameClass(m, "_File", FileClass)
		if m["__type"] == "File" {
			if id := fileID(m); id != "" {
				ids = append(ids, id)
			}
		}
		return m
	})
	records, err := h.fileRecords(c, ids)
	if err != nil {
		return nil, err
	}
	var missing string
	out := walk(body, func(m map[string]any) map[string]any {
		if m["__type"] != "File" {
			return m
		}
		if id := fileID(m); id != "" {
			rec, ok := records[id]
			if !ok {
				missing = id
				return m
			}
			return map[string]any{"__type": "File", "name": id, "url": rec["url"]}
		}
		u, _ := m["url"].(string)
		name, _ := m["name"].(string)
		if name == "" {
			if pu, err := url.Parse(u); err == nil {
				name = path.Base(pu.Path)
			}
		}
		return map[string]any{"__type": "File", "name": name, "url": u}
	}).(map[string]any)
	if missing != "" {
		return nil, core.Errorf(core.CodeInvalidPointer, "file %s does not exist", missing)
	}
	return out, nil
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

// fileRecords reads file records by id, as the master key: a File value
// carries no permission of its own, as on LeanCloud.
func (h *Handler) fileRecords(c *call, ids []any) (map[string]map[string]any, error) {
	out := map[string]map[string]any{}
	if len(ids) == 0 {
		return out, nil
	}
	_, res, _, err := h.api.Call(c.ctx, http.MethodGet, "classes/"+FileClass,
		map[string]any{"where": map[string]any{"objectId": map[string]any{"$in": ids}}, "limit": "1000"}, core.MasterAuth())
	if err != nil {
		if core.IsCode(err, core.CodeInvalidClassName) {
			return out, nil
		}
		return nil, err
	}
	list, _ := res.(map[string]any)["results"].([]map[string]any)
	for _, r := range list {
		id, _ := r["objectId"].(string)
		out[id] = r
	}
	return out, nil
}

// toLeanCloud translates a reply: File values naming a file record are
// expanded into LeanCloud's form, FileClass is called _File again.
func (h *Handler) toLeanCloud(c *call, v any) any {
	var ids []any
	walk(v, func(m map[string]any) map[string]any {
		if m["__type"] == "File" {
			if name, ok := m["name"].(string); ok && name != "" {
				ids = append(ids, name)
			}
		}
		return m
	})
	records, err := h.fileRecords(c, ids)
	if err != nil {
		core.LoggerFrom(c.ctx).Warn("leancloud: reading file records to expand files", "err", err)
	}
	return walk(v, func(m map[string]any) map[string]any {
		renameClass(m, FileClass, "_File")
		if m["__type"] != "File" {
			return m
		}
		name, _ := m["name"].(string)
		if rec, ok := records[name]; ok {
			return fileJSON(rec)
		}
		return m
	})
}

// fileJSON is a file record in LeanCloud's File form.
func fileJSON(rec map[string]any) map[string]any {
	out := map[string]any{"__type": "File", "id": rec["objectId"]}
	for k, v := range rec {
		if k != "ACL" {
			out[k] = v
		}
	}
	if _, ok := out["metaData"]; !ok {
		out["metaData"] = map[string]any{}
	}
	return out
}

// files serves /files: registering a file by URL (the SDK's
// AV.File.withURL), reading and deleting a record. Uploading bytes
// (fileTokens, fileCallback) needs the files feature.
func (h *Handler) files(c *call) (int, any, error) {
	switch {
	case len(c.path) == 1 && c.method == http.MethodPost:
		u, _ := c.body["url"].(string)
		if u == "" {
			return 0, nil, &lcError{http.StatusBadRequest, 1, "Uploading file content is not available on this server yet; register a file by url, or upload it elsewhere."}
		}
		rec := map[string]any{"url": u}
		for _, k := range []string{"name", "mime_type", "metaData", "ACL"} {
			if v, ok := c.body[k]; ok {
				rec[k] = v
			}
		}
		if _, ok := rec["name"]; !ok {
			if pu, err := url.Parse(u); err == nil {
				rec["name"] = path.Base(pu.Path)
			}
		}
		if err := h.EnsureFileClass(c.ctx); err != nil {
			return 0, nil, err
		}
		status, res, err := h.apiCall(c, http.MethodPost, "classes/"+FileClass, rec)
		if err != nil {
			return 0, nil, err
		}
		created, _ := res.(map[string]any)
		created["url"], created["name"] = u, rec["name"]
		return status, created, nil
	case len(c.path) == 2 && c.method == http.MethodGet:
		_, res, err := h.apiCall(c, http.MethodGet, "classes/"+FileClass+"/"+url.PathEscape(c.path[1]), map[string]any{})
		if core.IsCode(err, core.CodeObjectNotFound) || core.IsCode(err, core.CodeInvalidClassName) {
			return http.StatusOK, map[string]any{}, nil
		}
		if err != nil {
			return 0, nil, err
		}
		return http.StatusOK, fileJSON(res.(map[string]any)), nil
	case len(c.path) == 2 && c.method == http.MethodDelete:
		return h.forward(c, http.MethodDelete, "classes/"+FileClass+"/"+url.PathEscape(c.path[1]), nil)
	}
	return 0, nil, unsupported(c)
}

// EnsureFileClass creates FileClass if it does not exist, so clients can
// register files without the right to create classes (done at the first
// registration, so a server that never sees one creates nothing).
func (h *Handler) EnsureFileClass(ctx context.Context) error {
	if h.app.Class(FileClass) != nil {
		return nil
	}
	_, _, _, err := h.api.Call(ctx, http.MethodPost, "schemas/"+FileClass, map[string]any{"fields": map[string]any{
		"name": map[string]any{"type": "String"}, "url": map[string]any{"type": "String"},
		"mime_type": map[string]any{"type": "String"}, "key": map[string]any{"type": "String"},
		"metaData": map[string]any{"type": "Object"}, "bucket": map[string]any{"type": "String"},
		"provider": map[string]any{"type": "String"},
	}}, core.MasterAuth())
	if err != nil && h.app.Class(FileClass) != nil {
		return nil // another node created it first
	}
	return err
}
