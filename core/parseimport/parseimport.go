// Package parseimport imports a Parse Server database on PostgreSQL (what
// `switchboard import parse POSTGRES_URL` runs): the classes of its _SCHEMA
// table with their fields, class-level permissions and indexes, each
// class's table with objectIds, dates and ACLs (_rperm/_wperm) kept, the
// _Join:<field>:<class> tables of relations, _User with its bcrypt
// _hashed_password (users log in with their passwords), _Session (users
// stay signed in), _Role, _Installation, and the config parameters of
// _GlobalConfig.
//
// It reads through database/sql, so the caller opens the database with
// the driver it ships (the binary uses pgx); rows are read as JSON
// (row_to_json), which PostgreSQL renders the same way for every column
// type Parse Server uses. The import is resumable and idempotent: classes
// are read in objectId order and written in batches, one transaction each,
// that skip ids already stored, and the progress is kept in a state file,
// so a re-run after a crash goes on where it stopped.
package parseimport

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/switchboardhq/switchboard/core"
	"github.com/switchboardhq/switchboard/core/importkit"
)

// Options configure an import.
type Options struct {
	// StateFile keeps the progress, for resuming.
	StateFile string
	// BatchSize is the number of objects per transaction (default 500).
	BatchSize int
	// Progress, if set, is told how many rows of which table are done.
	Progress func(table string, done, total int64)
}

// Report is what an import did and what it could not map.
type Report struct {
	Classes   int64
	Objects   int64
	Skipped   int64 // already stored (a re-run)
	Relations int64
	Indexes   int64
	Problems  importkit.Problems
}

func (r *Report) problem(format string, args ...any) { r.Problems.Add(format, args...) }

// notImported are Parse Server's own tables that have no counterpart here.
var notImported = map[string]string{
	"_PushStatus": "push history", "_JobStatus": "job history", "_JobSchedule": "scheduled jobs",
	"_Hooks": "webhooks", "_Audience": "push audiences", "_GraphQLConfig": "the GraphQL config",
	"_Idempotency": "request ids of idempotency (they expire)", "_ExportProgress": "export progress",
}

// classOrder imports users before what points at them.
func classOrder(name string) int {
	switch name {
	case "_User":
		return 0
	case "_Role":
		return 1
	case "_Session":
		return 2
	case "_Installation":
		return 3
	}
	return 4
}

// state is the progress of an import.
type state struct {
	// After is the last objectId imported of each class; Done marks the
	// classes finished.
	After map[string]string `json:"after"`
	Done  map[string]bool   `json:"done"`
	// Joins is the last (owningId, relatedId) added of each relation
	// table; JoinsDone marks the tables finished.
	Joins     map[string][2]string `json:"joins"`
	JoinsDone map[string]bool      `json:"joinsDone"`
	Config    bool                 `json:"config"`
}

type importer struct {
	app    *core.App
	db     *sql.DB
	opts   Options
	report *Report
	state  state
}

// Import reads the Parse Server database db into app's store.
func Import(ctx context.Context, app *core.App, db *sql.DB, opts Options) (*Report, error) {
	if opts.BatchSize <= 0 {
		opts.BatchSize = 500
	}
	im := &importer{app: app, db: db, opts: opts, report: &Report{}}
	if err := importkit.LoadJSON(opts.StateFile, &im.state); err != nil {
		return nil, err
	}
	if im.state.After == nil {
		im.state.After = map[string]string{}
	}
	if im.state.Done == nil {
		im.state.Done = map[string]bool{}
	}
	if im.state.Joins == nil {
		im.state.Joins = map[string][2]string{}
	}
	if im.state.JoinsDone == nil {
		im.state.JoinsDone = map[string]bool{}
	}
	classes, err := im.readSchema(ctx)
	if err != nil {
		return im.report, err
	}
	for _, pc := range classes {
		if why, skip := notImported[pc.Name]; skip {
			im.report.problem("class %s (%s) is Parse Server's own; not imported", pc.Name, why)
			continue
		}
		if err := im.ensureClass(ctx, pc); err != nil {
			im.report.problem("class %s: %v; not imported", pc.Name, err)
			continue
		}
		im.report.Classes++
		if err := im.importRows(ctx, pc); err != nil {
			return im.report, err
		}
	}
	for _, pc := range classes {
		if im.app.Class(pc.Name) == nil {
			continue
		}
		for _, field := range pc.relationFields() {
			if err := im.importJoin(ctx, pc, field); err != nil {
				return im.report, err
			}
		}
	}
	if err := im.importConfig(ctx); err != nil {
		return im.report, err
	}
	for _, pc := range classes {
		if im.app.Class(pc.Name) != nil {
			im.importIndexes(ctx, pc)
		}
	}
	return im.report, nil
}

func (im *importer) save() error { return importkit.SaveJSON(im.opts.StateFile, im.state) }

// parseClass is one class of _SCHEMA.
type parseClass struct {
	Name    string
	Fields  map[string]parseField
	CLP     map[string]any
	Indexes map[string]any
}

type parseField struct {
	Type        string `json:"type"`
	TargetClass string `json:"targetClass"`
}

func (pc parseClass) relationFields() []string {
	var out []string
	for name, f := range pc.Fields {
		if f.Type == "Relation" {
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out
}

// readSchema reads _SCHEMA, in import order.
func (im *importer) readSchema(ctx context.Context) ([]parseClass, error) {
	rows, err := im.db.QueryContext(ctx, `SELECT "className", "schema"::text FROM "_SCHEMA"`)
	if err != nil {
		return nil, fmt.Errorf("reading _SCHEMA (is this a Parse Server database?): %w", err)
	}
	defer rows.Close()
	var out []parseClass
	for rows.Next() {
		var name, raw string
		if err := rows.Scan(&name, &raw); err != nil {
			return nil, err
		}
		var doc struct {
			Fields  map[string]parseField `json:"fields"`
			CLP     map[string]any        `json:"classLevelPermissions"`
			Indexes map[string]any        `json:"indexes"`
		}
		if err := json.Unmarshal([]byte(raw), &doc); err != nil {
			im.report.problem("class %s: its _SCHEMA entry is not JSON: %v; not imported", name, err)
			continue
		}
		out = append(out, parseClass{Name: name, Fields: doc.Fields, CLP: doc.CLP, Indexes: doc.Indexes})
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	sort.Slice(out, func(i, j int) bool {
		oi, oj := classOrder(out[i].Name), classOrder(out[j].Name)
		return oi < oj || (oi == oj && out[i].Name < out[j].Name)
	})
	return out, nil
}

// storedAsIs are fields of Parse's tables that are not fields of a class:
// the ACL columns and the default fields.
var storedAsIs = map[string]bool{"_rperm": true, "_wperm": true, core.FieldObjectID: true, core.FieldCreatedAt: true,
	core.FieldUpdatedAt: true, core.FieldACL: true}

// ensureClass creates the class, or adds the fields it lacks, with its
// class-level permissions.
func (im *importer) ensureClass(ctx context.Context, pc parseClass) error {
	if !core.ValidClassName(pc.Name) {
		return fmt.Errorf("%q is not a valid class name here", pc.Name)
	}
	fields := map[string]any{}
	for name, f := range pc.Fields {
		if _, builtIn := core.SystemClasses[pc.Name][name]; builtIn || storedAsIs[name] || strings.HasPrefix(name, "_") {
			continue // the system class has it, or it is the server's own (_hashed_password, ...)
		}
		if !core.ValidFieldName(name) {
			im.report.problem("%s.%s: not a valid field name here; not imported", pc.Name, name)
			continue
		}
		def := map[string]any{"type": f.Type}
		if f.TargetClass != "" {
			def["targetClass"] = f.TargetClass
		}
		fields[name] = def
	}
	existing := im.app.Class(pc.Name)
	if existing != nil {
		for name := range fields {
			if _, ok := existing.Fields[name]; ok {
				delete(fields, name)
			}
		}
	}
	body := map[string]any{"fields": fields}
	if pc.CLP != nil {
		body["classLevelPermissions"] = pc.CLP
	}
	apply := func(body map[string]any) error {
		var err error
		if im.app.Class(pc.Name) == nil {
			_, err = im.app.CreateSchema(ctx, core.MasterAuth(), pc.Name, body)
			if err != nil && im.app.Class(pc.Name) != nil {
				err = nil // made meanwhile (another run)
			}
		} else if len(body["fields"].(map[string]any)) > 0 || body["classLevelPermissions"] != nil {
			_, err = im.app.UpdateSchema(ctx, core.MasterAuth(), pc.Name, body)
		}
		return err
	}
	err := apply(body)
	if err != nil && pc.CLP != nil {
		// A permission the server does not take: import the class with the
		// default ones, and say so.
		im.report.problem("class %s: its class-level permissions were refused (%v); the defaults apply", pc.Name, err)
		delete(body, "classLevelPermissions")
		err = apply(body)
	}
	return err
}

// quote quotes a table name for PostgreSQL.
func quote(name string) string { return `"` + strings.ReplaceAll(name, `"`, `""`) + `"` }

// tableExists reports whether the database has the table.
func (im *importer) tableExists(ctx context.Context, name string) (bool, error) {
	var ok bool
	err := im.db.QueryRowContext(ctx, `SELECT to_regclass($1) IS NOT NULL`, quote(name)).Scan(&ok)
	return ok, err
}

// importRows imports a class's table in objectId order, a batch per
// transaction, resuming after the last id of the state file.
func (im *importer) importRows(ctx context.Context, pc parseClass) error {
	if im.state.Done[pc.Name] {
		return nil
	}
	if ok, err := im.tableExists(ctx, pc.Name); err != nil || !ok {
		if err == nil {
			im.report.problem("class %s has no table; nothing to import", pc.Name)
		}
		return err
	}
	var total int64
	if err := im.db.QueryRowContext(ctx, `SELECT count(*) FROM `+quote(pc.Name)).Scan(&total); err != nil {
		return err
	}
	after := im.state.After[pc.Name]
	var done int64
	if after != "" {
		if err := im.db.QueryRowContext(ctx, `SELECT count(*) FROM `+quote(pc.Name)+` WHERE "objectId" <= $1`, after).Scan(&done); err != nil {
			return err
		}
	}
	c := im.app.Class(pc.Name)
	dropped := map[string]bool{}
	query := `SELECT "objectId", row_to_json(t)::text FROM ` + quote(pc.Name) + ` t WHERE "objectId" > $1 ORDER BY "objectId" LIMIT $2`
	for {
		rows, err := im.db.QueryContext(ctx, query, after, im.opts.BatchSize)
		if err != nil {
			return fmt.Errorf("reading %s: %w", pc.Name, err)
		}
		var batch []core.Object
		var last string
		n := 0
		for rows.Next() {
			var id, raw string
			if err := rows.Scan(&id, &raw); err != nil {
				rows.Close()
				return err
			}
			n++
			last = id
			obj, err := im.decodeRow(pc, c, raw, dropped)
			if err != nil {
				im.report.problem("%s %s: %v; not imported", pc.Name, id, err)
				continue
			}
			batch = append(batch, obj)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		if n == 0 {
			break
		}
		if err := importkit.InferFields(ctx, im.app, pc.Name, batch); err != nil {
			return err
		}
		wrote, skipped, err := importkit.InsertNew(ctx, im.app.Store(), im.app.Class(pc.Name), batch, nil)
		if err != nil {
			return fmt.Errorf("%s: %w", pc.Name, err)
		}
		im.report.Objects += wrote
		im.report.Skipped += skipped
		after, done = last, done+int64(n)
		im.state.After[pc.Name] = after
		if err := im.save(); err != nil {
			return err
		}
		if im.opts.Progress != nil {
			im.opts.Progress(pc.Name, done, total)
		}
	}
	im.state.Done[pc.Name] = true
	if im.opts.Progress != nil {
		im.opts.Progress(pc.Name, total, total)
	}
	return im.save()
}

// decodeRow turns one row (as row_to_json renders it) into a stored
// object, by the types of the class's fields in _SCHEMA.
func (im *importer) decodeRow(pc parseClass, c *core.Class, raw string, dropped map[string]bool) (core.Object, error) {
	var row map[string]any
	if err := json.Unmarshal([]byte(raw), &row); err != nil {
		return nil, fmt.Errorf("the row is not JSON: %v", err)
	}
	id, _ := row[core.FieldObjectID].(string)
	obj := core.Object{core.FieldObjectID: id}
	for _, k := range []string{core.FieldCreatedAt, core.FieldUpdatedAt} {
		t, _ := parseTime(row[k])
		if t.IsZero() {
			t = core.Now()
		}
		obj[k] = t
	}
	if acl := aclOf(row["_rperm"], row["_wperm"]); acl != nil {
		obj[core.FieldACL] = acl
	}
	for name, v := range row {
		if storedAsIs[name] || v == nil {
			continue
		}
		f, known := pc.Fields[name]
		if strings.HasPrefix(name, "_") {
			// The server's own fields: kept where this server has them
			// (a user's password hash, tokens, lockout), else dropped.
			if _, ours := c.Fields[name]; !ours {
				if !dropped[name] {
					dropped[name] = true
					im.report.problem("%s.%s: Parse Server's own field, which this server does not keep; dropped", pc.Name, name)
				}
				continue
			}
			if !known {
				f = parseField{Type: string(c.Fields[name].Type)}
			}
		} else if !known || !core.ValidFieldName(name) {
			continue // a column the schema does not describe, or one ensureClass reported
		}
		value, err := fieldValue(f, v)
		if err != nil {
			im.report.problem("%s %s: field %s: %v; dropped", pc.Name, id, name, err)
			continue
		}
		if value != nil {
			obj[name] = value
		}
	}
	return obj, nil
}

// aclOf is the ACL of _rperm and _wperm; nil when both are null (public,
// as Parse Server reads it).
func aclOf(rperm, wperm any) core.ACL {
	r, _ := rperm.([]any)
	w, _ := wperm.([]any)
	if rperm == nil && wperm == nil {
		return nil
	}
	acl := core.ACL{}
	for _, p := range r {
		if s, ok := p.(string); ok {
			e := acl[s]
			e.Read = true
			acl[s] = e
		}
	}
	for _, p := range w {
		if s, ok := p.(string); ok {
			e := acl[s]
			e.Write = true
			acl[s] = e
		}
	}
	return acl
}

// parseTime reads a timestamp as row_to_json renders it
// ("2024-05-06T07:08:09.123+00:00"), or Parse's {__type: Date, iso}.
func parseTime(v any) (time.Time, error) {
	switch x := v.(type) {
	case string:
		if t, err := time.Parse(time.RFC3339Nano, x); err == nil {
			return t.UTC(), nil
		}
		// Timestamps without a zone are UTC, as Parse Server writes them.
		t, err := time.Parse("2006-01-02T15:04:05.999999999", x)
		return t.UTC(), err
	case map[string]any:
		iso, _ := x["iso"].(string)
		return parseTime(iso)
	}
	return time.Time{}, fmt.Errorf("not a date: %v", v)
}

// fieldValue maps a column's value to a stored value of the field's type,
// as Parse Server's PostgreSQL adapter stores each type.
func fieldValue(f parseField, v any) (any, error) {
	switch f.Type {
	case "Date":
		return parseTime(v)
	case "Pointer":
		id, ok := v.(string)
		if !ok || f.TargetClass == "" {
			return nil, fmt.Errorf("a pointer must be an objectId with a target class")
		}
		return core.Pointer{ClassName: f.TargetClass, ObjectID: id}, nil
	case "File":
		name, ok := v.(string)
		if !ok {
			return nil, fmt.Errorf("a file must be its name")
		}
		return core.File{Name: name}, nil
	case "GeoPoint":
		x, y, err := point(v)
		if err != nil {
			return nil, err
		}
		return decode(map[string]any{"__type": "GeoPoint", "latitude": y, "longitude": x}, core.TypeGeoPoint)
	case "Polygon":
		s, _ := v.(string)
		if len(s) < 4 {
			return nil, fmt.Errorf("a polygon must be ((x,y),...)")
		}
		var coords []any
		for _, p := range strings.Split(s[2:len(s)-2], "),(") {
			x, y, err := point("(" + p + ")")
			if err != nil {
				return nil, err
			}
			coords = append(coords, []any{y, x}) // as Parse Server reads it back
		}
		return decode(map[string]any{"__type": "Polygon", "coordinates": coords}, core.TypePolygon)
	case "Relation":
		return nil, nil // the _Join tables
	case "", "ACL":
		return nil, fmt.Errorf("type %q is not imported", f.Type)
	}
	return decode(v, core.Type(f.Type))
}

// decode decodes a JSON value and checks its type.
func decode(v any, want core.Type) (any, error) {
	t, dv, err := core.DecodeValue(v)
	if err != nil {
		return nil, fmt.Errorf("%s", err.Message)
	}
	if t != want {
		return nil, fmt.Errorf("a %s where the schema says %s", t, want)
	}
	return dv, nil
}

// point reads a PostgreSQL point "(x,y)".
func point(v any) (float64, float64, error) {
	s, _ := v.(string)
	s = strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(s), "("), ")")
	xs, ys, ok := strings.Cut(s, ",")
	x, err1 := strconv.ParseFloat(strings.TrimSpace(xs), 64)
	y, err2 := strconv.ParseFloat(strings.TrimSpace(ys), 64)
	if !ok || err1 != nil || err2 != nil {
		return 0, 0, fmt.Errorf("not a point: %v", v)
	}
	return x, y, nil
}

// importJoin adds the rows of _Join:<field>:<class> to the relation, in
// (owningId, relatedId) order, resuming after the last row of the state
// file. Adding a relation row twice is a no-op.
func (im *importer) importJoin(ctx context.Context, pc parseClass, field string) error {
	table := "_Join:" + field + ":" + pc.Name
	if im.state.JoinsDone[table] {
		return nil
	}
	if ok, err := im.tableExists(ctx, table); err != nil || !ok {
		return err
	}
	c := im.app.Class(pc.Name)
	if f, ok := c.Fields[field]; !ok || f.Type != core.TypeRelation {
		im.report.problem("%s: %s.%s is not a relation here; skipped", table, pc.Name, field)
		return nil
	}
	query := `SELECT "owningId", "relatedId" FROM ` + quote(table) +
		` WHERE ("owningId", "relatedId") > ($1, $2) ORDER BY "owningId", "relatedId" LIMIT $3`
	last := im.state.Joins[table]
	for {
		rows, err := im.db.QueryContext(ctx, query, last[0], last[1], im.opts.BatchSize)
		if err != nil {
			return fmt.Errorf("reading %s: %w", table, err)
		}
		byOwner := map[string][]string{}
		var owners []string
		n := 0
		for rows.Next() {
			var owner, related string
			if err := rows.Scan(&owner, &related); err != nil {
				rows.Close()
				return err
			}
			if _, seen := byOwner[owner]; !seen {
				owners = append(owners, owner)
			}
			byOwner[owner] = append(byOwner[owner], related)
			last = [2]string{owner, related}
			n++
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		if n == 0 {
			break
		}
		for _, owner := range owners {
			if _, err := im.app.Store().Update(ctx, c, owner, nil, nil, core.Update{field: core.AddRelation{IDs: byOwner[owner]}}); err != nil {
				if core.IsCode(err, core.CodeObjectNotFound) {
					im.report.problem("%s: owner %s not found; %d rows skipped", table, owner, len(byOwner[owner]))
					continue
				}
				return err
			}
			im.report.Relations += int64(len(byOwner[owner]))
		}
		im.state.Joins[table] = last
		if err := im.save(); err != nil {
			return err
		}
	}
	im.state.JoinsDone[table] = true
	return im.save()
}

// importConfig merges _GlobalConfig's parameters into the app's.
func (im *importer) importConfig(ctx context.Context) error {
	if im.state.Config {
		return nil
	}
	if ok, err := im.tableExists(ctx, "_GlobalConfig"); err != nil || !ok {
		return err
	}
	var params, masterOnly sql.NullString
	err := im.db.QueryRowContext(ctx, `SELECT "params"::text, "masterKeyOnly"::text FROM "_GlobalConfig" WHERE "objectId" = '1'`).Scan(&params, &masterOnly)
	if err == sql.ErrNoRows {
		return nil
	}
	if err != nil {
		return fmt.Errorf("reading _GlobalConfig: %w", err)
	}
	body := map[string]any{}
	for key, raw := range map[string]sql.NullString{"params": params, "masterKeyOnly": masterOnly} {
		var m map[string]any
		if raw.Valid && json.Unmarshal([]byte(raw.String), &m) == nil && len(m) > 0 {
			body[key] = m
		}
	}
	if len(body) > 0 {
		if err := im.app.UpdateConfig(ctx, core.MasterAuth(), body); err != nil {
			return fmt.Errorf("config parameters: %w", err)
		}
	}
	im.state.Config = true
	return im.save()
}

// importIndexes creates the class's indexes of _SCHEMA that do not exist
// yet; one the store refuses is reported.
func (im *importer) importIndexes(ctx context.Context, pc parseClass) {
	names := make([]string, 0, len(pc.Indexes))
	for name := range pc.Indexes {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if name == "_id_" {
			continue
		}
		if _, ok := im.app.Class(pc.Name).Indexes[name]; ok {
			continue
		}
		if _, err := im.app.UpdateSchema(ctx, core.MasterAuth(), pc.Name, map[string]any{"indexes": map[string]any{name: pc.Indexes[name]}}); err != nil {
			im.report.problem("index %s of %s: %v; skipped", name, pc.Name, err)
			continue
		}
		im.report.Indexes++
	}
}
