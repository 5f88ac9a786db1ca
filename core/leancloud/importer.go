package leancloud

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/switchboardhq/switchboard/core"
	"github.com/switchboardhq/switchboard/core/importkit"
)

// The import of a LeanCloud data export (switchboard import leancloud).
//
// An export folder holds, for each class, its objects as JSON Lines in
// <Class>.jsonl (or numbered parts <Class>.0.jsonl, <Class>.1.jsonl, ...),
// relation rows {"owningId", "relatedId"} in _Join:<field>:<Class>.jsonl,
// and optionally schema.json ({Class: {fields: {name: {type, className}}}}
// or {"results": [{className, fields}]}) and permissions.json ({Class:
// {create, find, get, update, delete, add_fields: {"*": true, users: [...],
// roles: [...], onlySignInUsers: true}}}).
//
// Objects keep their objectIds, dates and ACLs. _User rows keep their
// password (LeanCloud's salt + SHA-512 hash, verified at login and then
// rehashed to bcrypt) and sessionToken (a _Session per user, so users stay
// signed in). _File rows become file records (FileClass).
//
// The import is idempotent and resumable: objects are written in batches,
// each batch in one transaction that skips the ids already stored, and
// the line reached in each file is saved after every batch in the state
// file, so a re-run after a crash goes on where it stopped and never
// writes an object twice.

// ImportOptions configure an import.
type ImportOptions struct {
	// StateFile keeps the progress, for resuming.
	StateFile string
	// BatchSize is the number of objects per transaction (default 500).
	BatchSize int
	// SessionLength is how long imported sessions stay valid.
	SessionLength time.Duration
	// Progress, if set, is told how many lines of which file are done.
	Progress func(file string, done, total int64)
}

// ImportReport is what an import did and what it could not map.
type ImportReport struct {
	Objects   int64
	Skipped   int64 // already stored (a re-run)
	Relations int64
	Sessions  int64
	Indexes   int64
	Problems  importkit.Problems
}

func (r *ImportReport) problem(format string, args ...any) { r.Problems.Add(format, args...) }

type importState struct {
	Lines map[string]int64 `json:"lines"`
}

// importer holds one import's state.
type importer struct {
	app    *core.App
	st     core.Store
	dir    string
	opts   ImportOptions
	report *ImportReport
	state  importState
	files  map[string]string // _File id → key, for File values (a cache)
}

// maxFileCache bounds the id → key cache; past it, look-ups go to the store.
const maxFileCache = 100000

// Import imports the export in dir into app's store.
func Import(ctx context.Context, app *core.App, dir string, opts ImportOptions) (*ImportReport, error) {
	if opts.BatchSize <= 0 {
		opts.BatchSize = 500
	}
	if opts.SessionLength <= 0 {
		opts.SessionLength = 365 * 24 * time.Hour
	}
	im := &importer{app: app, st: app.Store(), dir: dir, opts: opts, report: &ImportReport{}, files: map[string]string{}}
	if err := importkit.LoadJSON(opts.StateFile, &im.state); err != nil {
		return nil, err
	}
	if im.state.Lines == nil {
		im.state.Lines = map[string]int64{}
	}
	schema, err := readSchemaFiles(dir)
	if err != nil {
		return nil, err
	}
	objectFiles, joinFiles, err := exportFiles(dir)
	if err != nil {
		return nil, err
	}
	// Files first (File values need their URLs), users before sessions,
	// every class before relations.
	classes := make([]string, 0, len(objectFiles))
	for c := range objectFiles {
		classes = append(classes, c)
	}
	sort.Slice(classes, func(i, j int) bool {
		return classOrder(classes[i]) < classOrder(classes[j]) || (classOrder(classes[i]) == classOrder(classes[j]) && classes[i] < classes[j])
	})
	for _, class := range classes {
		if err := im.ensureClass(ctx, class, schema[class]); err != nil {
			im.report.problem("class %s: %v", class, err)
			continue
		}
		for _, f := range objectFiles[class] {
			if err := im.importObjects(ctx, class, f); err != nil {
				return im.report, err
			}
		}
	}
	for _, j := range joinFiles {
		if err := im.importJoin(ctx, j); err != nil {
			return im.report, err
		}
	}
	// Indexes last: their fields exist by now, and rows load faster
	// without them.
	if err := im.importIndexes(ctx, schema); err != nil {
		return im.report, err
	}
	return im.report, nil
}

func classOrder(c string) int {
	switch c {
	case "_File":
		return 0
	case "_User":
		return 1
	case "_Role":
		return 2
	}
	return 3
}

// exportFiles lists the object files by class and the relation files.
func exportFiles(dir string) (map[string][]string, []joinFile, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, nil, fmt.Errorf("reading the export: %w", err)
	}
	objects := map[string][]string{}
	var joins []joinFile
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || !strings.HasSuffix(name, ".jsonl") && !strings.HasSuffix(name, ".json") || name == "schema.json" || name == "permissions.json" || name == "indexes.json" {
			continue
		}
		base := strings.TrimSuffix(strings.TrimSuffix(name, ".jsonl"), ".json")
		if i := strings.LastIndexByte(base, '.'); i > 0 && strings.Trim(base[i+1:], "0123456789") == "" {
			base = base[:i] // Class.0.jsonl
		}
		if strings.HasPrefix(base, "_Join:") {
			parts := strings.Split(base, ":")
			if len(parts) == 3 {
				joins = append(joins, joinFile{path: filepath.Join(dir, name), field: parts[1], owner: parts[2]})
			}
			continue
		}
		objects[base] = append(objects[base], filepath.Join(dir, name))
	}
	for _, list := range objects {
		sort.Strings(list)
	}
	sort.Slice(joins, func(i, j int) bool { return joins[i].path < joins[j].path })
	return objects, joins, nil
}

type joinFile struct{ path, field, owner string }

// classSchema is one class of schema.json, permissions.json and
// indexes.json.
type classSchema struct {
	Fields      map[string]map[string]any
	Permissions map[string]any
	Indexes     []exportIndex
}

func readSchemaFiles(dir string) (map[string]classSchema, error) {
	out := map[string]classSchema{}
	if b, err := os.ReadFile(filepath.Join(dir, "schema.json")); err == nil {
		var doc map[string]any
		if err := json.Unmarshal(b, &doc); err != nil {
			return nil, fmt.Errorf("schema.json: %w", err)
		}
		add := func(name string, v any) {
			m, _ := v.(map[string]any)
			fields, _ := m["fields"].(map[string]any)
			if fields == nil {
				fields = m
			}
			cs := out[name]
			cs.Fields = map[string]map[string]any{}
			for f, def := range fields {
				if d, ok := def.(map[string]any); ok && f != "indexes" {
					cs.Fields[f] = d
				}
			}
			if ix, ok := m["indexes"]; ok && m["fields"] != nil {
				cs.Indexes = append(cs.Indexes, decodeIndexes(ix)...)
			}
			out[name] = cs
		}
		if list, ok := doc["results"].([]any); ok {
			for _, e := range list {
				m, _ := e.(map[string]any)
				name, _ := m["className"].(string)
				add(name, m)
			}
		} else {
			for name, v := range doc {
				add(name, v)
			}
		}
	}
	if b, err := os.ReadFile(filepath.Join(dir, "indexes.json")); err == nil {
		byClass, err := readIndexesDoc(b)
		if err != nil {
			return nil, fmt.Errorf("indexes.json: %w", err)
		}
		for name, list := range byClass {
			cs := out[name]
			cs.Indexes = append(cs.Indexes, list...)
			out[name] = cs
		}
	}
	if b, err := os.ReadFile(filepath.Join(dir, "permissions.json")); err == nil {
		var doc map[string]map[string]any
		if err := json.Unmarshal(b, &doc); err != nil {
			return nil, fmt.Errorf("permissions.json: %w", err)
		}
		for name, p := range doc {
			cs := out[name]
			cs.Permissions = p
			out[name] = cs
		}
	}
	return out, nil
}

// systemFields are LeanCloud's fields that are not data.
var droppedUserFields = []string{"salt", "password", "sessionToken"}

// ensureClass creates the class with the fields of its schema file, if
// any, and its class-level permissions.
func (im *importer) ensureClass(ctx context.Context, lcClass string, cs classSchema) error {
	if lcClass == "_File" {
		// LeanCloud's files become the dialect's file records, whose
		// fields and permissions are fixed.
		_, err := EnsureFileClass(ctx, im.app)
		return err
	}
	class := toParseClass(lcClass)
	if !core.ValidClassName(class) {
		return fmt.Errorf("%q is not a valid class name here", lcClass)
	}
	fields := map[string]any{}
	for name, def := range cs.Fields {
		t, _ := def["type"].(string)
		if _, builtin := core.DefaultFields[name]; builtin || (lcClass == "_User" && contains(droppedUserFields, name)) {
			continue
		}
		f := map[string]any{"type": t}
		switch t {
		case "Pointer", "Relation":
			target, _ := def["className"].(string)
			if target == "" {
				target, _ = def["targetClass"].(string)
			}
			f["targetClass"] = toParseClass(target)
		case "File":
			if lcClass != "_File" {
				f["type"] = "File"
			}
		case "Any", "":
			im.report.problem("%s.%s: type %q has no Switchboard equivalent; the field is inferred from its values", lcClass, name, t)
			continue
		}
		fields[name] = f
	}
	body := map[string]any{"fields": fields}
	if cs.Permissions != nil {
		body["classLevelPermissions"] = convertPermissions(cs.Permissions)
	}
	if im.app.Class(class) == nil {
		if _, err := im.app.CreateSchema(ctx, core.MasterAuth(), class, body); err != nil && im.app.Class(class) == nil {
			return err
		}
		return nil
	}
	existing := im.app.Class(class)
	missing := map[string]any{}
	for name, f := range fields {
		if _, ok := existing.Fields[name]; !ok {
			missing[name] = f
		}
	}
	if len(missing) > 0 || cs.Permissions != nil {
		upd := map[string]any{"fields": missing}
		if cs.Permissions != nil {
			upd["classLevelPermissions"] = body["classLevelPermissions"]
		}
		if _, err := im.app.UpdateSchema(ctx, core.MasterAuth(), class, upd); err != nil {
			return err
		}
	}
	return nil
}

func contains(list []string, s string) bool {
	for _, e := range list {
		if e == s {
			return true
		}
	}
	return false
}

// convertPermissions maps LeanCloud's class permissions to Parse CLPs.
func convertPermissions(p map[string]any) map[string]any {
	out := map[string]any{}
	for op, raw := range p {
		parseOp := op
		if op == "add_fields" {
			parseOp = "addField"
		}
		m, ok := raw.(map[string]any)
		if !ok {
			continue
		}
		perms := map[string]any{}
		for k, v := range m {
			switch k {
			case "*":
				if v == true {
					perms["*"] = true
				}
			case "onlySignInUsers":
				if v == true {
					perms["requiresAuthentication"] = true
				}
			case "users", "roles":
				list, _ := v.([]any)
				for _, e := range list {
					if s, ok := e.(string); ok {
						if k == "roles" {
							s = "role:" + s
						}
						perms[s] = true
					}
				}
			default:
				if v == true {
					perms[k] = true
				}
			}
		}
		out[parseOp] = perms
	}
	return out
}

// importObjects imports one file of a class, in batches, resuming after
// the line the state file names.
func (im *importer) importObjects(ctx context.Context, lcClass, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	total := countLines(path)
	done := im.state.Lines[path]
	r := bufio.NewReaderSize(f, 1<<20)
	var line int64
	var rows []row
	flush := func() error {
		batch, err := im.decodeRows(ctx, lcClass, path, rows)
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		if err := im.writeBatch(ctx, lcClass, batch); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		rows = rows[:0]
		im.state.Lines[path] = line
		if im.opts.Progress != nil {
			im.opts.Progress(path, line, total)
		}
		return im.saveState()
	}
	for {
		raw, err := r.ReadBytes('\n')
		if len(strings.TrimSpace(string(raw))) > 0 {
			line++
			if line > done {
				var m map[string]any
				if err := json.Unmarshal(raw, &m); err != nil || m == nil {
					im.report.problem("%s:%d: not a JSON object", filepath.Base(path), line)
				} else {
					rows = append(rows, row{line: line, m: m})
				}
				if len(rows) >= im.opts.BatchSize {
					if err := flush(); err != nil {
						return err
					}
				}
			}
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
	}
	if line > done {
		return flush()
	}
	if im.opts.Progress != nil {
		im.opts.Progress(path, line, total)
	}
	return nil
}

func countLines(path string) int64 {
	f, err := os.Open(path)
	if err != nil {
		return -1
	}
	defer f.Close()
	var n int64
	buf := make([]byte, 1<<20)
	for {
		k, err := f.Read(buf)
		for _, b := range buf[:k] {
			if b == '\n' {
				n++
			}
		}
		if err != nil {
			return n
		}
	}
}

func (im *importer) saveState() error {
	return importkit.SaveJSON(im.opts.StateFile, im.state)
}

// row is one exported object and its line.
type row struct {
	line int64
	m    map[string]any
}

// decodeRows decodes a batch of rows, once the keys of the files they
// refer to are known.
func (im *importer) decodeRows(ctx context.Context, lcClass, path string, rows []row) ([]core.Object, error) {
	if err := im.resolveFiles(ctx, rows); err != nil {
		return nil, err
	}
	batch := make([]core.Object, 0, len(rows))
	for _, r := range rows {
		var obj core.Object
		var err error
		if lcClass == "_File" {
			obj, err = im.decodeFileRow(r.m)
		} else {
			obj, err = im.decodeObject(lcClass, r.m)
		}
		if err != nil {
			im.report.problem("%s:%d: %v", filepath.Base(path), r.line, err)
			continue
		}
		batch = append(batch, obj)
	}
	return batch, nil
}

// resolveFiles puts the keys of the files the rows refer to in the cache,
// reading those it lacks from the store (an earlier run imported them).
func (im *importer) resolveFiles(ctx context.Context, rows []row) error {
	var missing []any
	seen := map[string]bool{}
	for _, r := range rows {
		walk(r.m, func(m map[string]any) map[string]any {
			if isFileRef(m) {
				if id := fileID(m); id != "" && im.files[id] == "" && !seen[id] {
					seen[id] = true
					missing = append(missing, id)
				}
			}
			return m
		})
	}
	c := im.app.Class(FileClass)
	if len(missing) == 0 || c == nil {
		return nil
	}
	if len(im.files)+len(missing) > maxFileCache {
		im.files = map[string]string{}
	}
	found, err := im.st.Find(ctx, c, &core.Query{Where: core.In{Field: core.FieldObjectID, Values: missing}, Keys: []string{fieldKey}, Limit: len(missing)})
	if err != nil {
		return err
	}
	for _, o := range found {
		im.files[o.ID()] = recordKey(o)
	}
	return nil
}

// isFileRef tells a File value or a pointer to _File.
func isFileRef(m map[string]any) bool {
	return m["__type"] == "File" || (m["__type"] == "Pointer" && m["className"] == "_File")
}

// decodeFileRow turns an exported _File row into a file record: the
// bytes stay at its url until they are fetched (FetchFiles), under the key
// the record names from the start.
func (im *importer) decodeFileRow(m map[string]any) (core.Object, error) {
	id, _ := m["objectId"].(string)
	if id == "" {
		return nil, fmt.Errorf("no objectId")
	}
	name, _ := m["name"].(string)
	u, _ := m["url"].(string)
	if name == "" {
		name = urlName(u)
	}
	rec := &newRecord{id: id, name: name, key: importKey(id, name), url: u}
	rec.mimeType, _ = m["mime_type"].(string)
	rec.provider, _ = m["provider"].(string)
	rec.bucket, _ = m["bucket"].(string)
	rec.meta, _ = m["metaData"].(map[string]any)
	if u == "" {
		im.report.problem("_File %s: no url; the record is kept without its content", id)
	}
	if acl, ok := m["ACL"]; ok && acl != nil {
		a, err := core.DecodeACL(acl)
		if err != nil {
			return nil, fmt.Errorf("ACL: %s", err.Message)
		}
		rec.acl = a
	}
	times := exportTimes(m)
	rec.createdAt = times[core.FieldCreatedAt]
	obj := rec.object()
	obj[core.FieldUpdatedAt] = times[core.FieldUpdatedAt]
	if len(im.files) < maxFileCache {
		im.files[id] = rec.key
	}
	return obj, nil
}

// exportTimes reads createdAt and updatedAt (now when missing).
func exportTimes(m map[string]any) map[string]time.Time {
	out := map[string]time.Time{}
	for _, k := range []string{core.FieldCreatedAt, core.FieldUpdatedAt} {
		var t time.Time
		switch v := m[k].(type) {
		case string:
			t, _ = core.ParseTime(v)
		case map[string]any:
			s, _ := v["iso"].(string)
			t, _ = core.ParseTime(s)
		}
		if t.IsZero() {
			t = core.Now()
		}
		out[k] = t
	}
	return out
}

// decodeObject turns one exported object into a stored object.
func (im *importer) decodeObject(lcClass string, m map[string]any) (core.Object, error) {
	id, _ := m["objectId"].(string)
	if id == "" {
		return nil, fmt.Errorf("no objectId")
	}
	obj := core.Object{core.FieldObjectID: id}
	for k, t := range exportTimes(m) {
		obj[k] = t
	}
	if acl, ok := m["ACL"]; ok && acl != nil {
		a, err := core.DecodeACL(acl)
		if err != nil {
			return nil, fmt.Errorf("ACL: %s", err.Message)
		}
		obj[core.FieldACL] = a
	}
	if lcClass == "_User" {
		salt, _ := m["salt"].(string)
		pw, _ := m["password"].(string)
		switch {
		case strings.HasPrefix(pw, "$2"):
			obj["_hashed_password"] = pw // bcrypt already
		case pw != "":
			obj["_hashed_password"] = core.LeanCloudPasswordHash(salt, pw)
		}
		if tok, _ := m["sessionToken"].(string); tok != "" {
			obj["__sessionToken"] = tok // made into a _Session by writeBatch
		}
	}
	for k, v := range m {
		if _, builtin := core.DefaultFields[k]; builtin || k == "ACL" || (lcClass == "_User" && contains(droppedUserFields, k)) {
			continue
		}
		if !core.ValidFieldName(k) || strings.HasPrefix(k, "_") {
			im.report.problem("%s %s: field %q is not a valid field name here; dropped", lcClass, id, k)
			continue
		}
		v = im.fileValues(lcClass, id, k, v)
		t, dv, err := core.DecodeValue(v)
		if err != nil {
			im.report.problem("%s %s: field %s: %s; dropped", lcClass, id, k, err.Message)
			continue
		}
		if t == core.TypeRelation || t == "" {
			continue // relations come from _Join files; null is no value
		}
		obj[k] = dv
	}
	return obj, nil
}

// fileValues turns LeanCloud File values and pointers to _File, at any
// depth of v, into Parse File values naming the record's key (see
// FileClass). A file the export does not hold keeps its id as its name,
// and is reported.
func (im *importer) fileValues(lcClass, objectID, field string, v any) any {
	return walk(v, func(m map[string]any) map[string]any {
		if !isFileRef(m) {
			return m
		}
		id := fileID(m)
		if id == "" {
			return m
		}
		key, ok := im.files[id]
		if !ok {
			im.report.problem("%s %s: field %s refers to file %s, which the export does not hold", lcClass, objectID, field, id)
			key = id
		}
		return map[string]any{"__type": "File", "name": key}
	})
}

// writeBatch stores a batch in one transaction, skipping the objects
// already stored (a re-run), with the fields the batch needs; a user's
// session token becomes a _Session in the same transaction.
func (im *importer) writeBatch(ctx context.Context, lcClass string, batch []core.Object) error {
	if len(batch) == 0 {
		return nil
	}
	class := toParseClass(lcClass)
	tokens := map[string]string{}
	for _, o := range batch {
		if token, _ := o["__sessionToken"].(string); token != "" {
			tokens[o.ID()] = token
		}
		delete(o, "__sessionToken")
	}
	if err := importkit.InferFields(ctx, im.app, class, batch); err != nil {
		return err
	}
	var sessions core.Class
	if lcClass == "_User" {
		if err := im.ensureSessionClass(ctx); err != nil {
			return err
		}
		sessions = *im.app.Class("_Session")
	}
	var nsessions int64
	wrote, skipped, err := importkit.InsertNew(ctx, im.st, im.app.Class(class), batch, func(ctx context.Context, tx core.Store, o core.Object) error {
		token := tokens[o.ID()]
		if token == "" {
			return nil
		}
		now := core.Now()
		if err := tx.Insert(ctx, &sessions, core.Object{
			core.FieldObjectID: o.ID(), core.FieldCreatedAt: now, core.FieldUpdatedAt: now,
			core.FieldACL:  core.ACL{o.ID(): {Read: true, Write: true}},
			"sessionToken": token, "user": core.Pointer{ClassName: "_User", ObjectID: o.ID()},
			"expiresAt": now.Add(im.opts.SessionLength), "restricted": false,
			"createdWith": map[string]any{"action": "login", "authProvider": "leancloud-import"},
		}); err != nil {
			return fmt.Errorf("session of user %s: %w", o.ID(), err)
		}
		nsessions++
		return nil
	})
	if err != nil {
		return err
	}
	im.report.Objects += wrote
	im.report.Skipped += skipped
	im.report.Sessions += nsessions
	return nil
}

func (im *importer) ensureSessionClass(ctx context.Context) error {
	if im.app.Class("_Session") != nil {
		return nil
	}
	_, err := im.app.CreateSchema(ctx, core.MasterAuth(), "_Session", map[string]any{})
	if err != nil && im.app.Class("_Session") != nil {
		return nil
	}
	return err
}

// importJoin adds relation rows: _Join:<field>:<Class> holds
// {"owningId", "relatedId"}; the field's target class comes from the
// schema, or from the related id's own class when the schema has none.
func (im *importer) importJoin(ctx context.Context, j joinFile) error {
	class := toParseClass(j.owner)
	c := im.app.Class(class)
	if c == nil {
		im.report.problem("%s: class %s was not imported; relations skipped", filepath.Base(j.path), j.owner)
		return nil
	}
	f, ok := c.Fields[j.field]
	if !ok || f.Type != core.TypeRelation {
		im.report.problem("%s: %s.%s is not a Relation in the schema (give it in schema.json); relations skipped", filepath.Base(j.path), j.owner, j.field)
		return nil
	}
	file, err := os.Open(j.path)
	if err != nil {
		return err
	}
	defer file.Close()
	byOwner := map[string][]string{}
	sc := bufio.NewScanner(file)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		var row map[string]any
		if json.Unmarshal(sc.Bytes(), &row) != nil {
			continue
		}
		o, _ := row["owningId"].(string)
		r, _ := row["relatedId"].(string)
		if o != "" && r != "" {
			byOwner[o] = append(byOwner[o], r)
		}
	}
	if err := sc.Err(); err != nil {
		return err
	}
	// Adding a relation row twice is a no-op, so relations need no state.
	for owner, related := range byOwner {
		if _, err := im.st.Update(ctx, c, owner, nil, nil, core.Update{j.field: core.AddRelation{IDs: related}}); err != nil {
			if core.IsCode(err, core.CodeObjectNotFound) {
				im.report.problem("%s: owner %s not found; %d relation rows skipped", filepath.Base(j.path), owner, len(related))
				continue
			}
			return err
		}
		im.report.Relations += int64(len(related))
	}
	return nil
}
