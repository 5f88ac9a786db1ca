package sqlstore

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"time"

	"github.com/switchboardhq/switchboard/core"
)

// Metadata tables. "_SCHEMA" holds each class's schema as JSON (fields,
// CLP, indexes); "_sb_migrations" records which migrations ran.
const (
	schemaTable     = `"_SCHEMA"`
	migrationsTable = `"_sb_migrations"`
)

// migrations run in order, once each, in a write transaction that also
// records them; a store opened twice, or by two processes at once, runs
// each one exactly once. Append only: never edit a migration that shipped.
var migrations = []func(d Dialect) []string{
	1: func(d Dialect) []string {
		return []string{`CREATE TABLE IF NOT EXISTS ` + schemaTable + ` ("className" ` + d.ColumnType(core.TypeString) + ` PRIMARY KEY, "schema" ` + d.ColumnType(core.TypeString) + ` NOT NULL)`}
	},
	2: func(Dialect) []string { return nil }, // see codeMigrations
}

// codeMigrations are the steps of a migration that depend on the stored
// classes; they run after its statements, in the same transaction.
var codeMigrations = map[int]func(ctx context.Context, s *Store, ss session) error{
	// 2: the readers rows carry copies of the sort fields (sortFields).
	2: func(ctx context.Context, s *Store, ss session) error {
		classes, err := s.schemas(ctx, ss)
		if err != nil {
			return err
		}
		for _, c := range classes {
			sorts := sortFields(c)
			for _, f := range slices.Sorted(maps.Keys(sorts)) {
				if err := s.addSortColumn(ctx, ss, c.Name, f, sorts[f]); err != nil {
					return err
				}
			}
		}
		return nil
	},
}

func (s *Store) migrate(ctx context.Context) error {
	return s.write(ctx, nil, func(ss session) error {
		if _, err := ss.wc.exec(ctx, `CREATE TABLE IF NOT EXISTS `+migrationsTable+` ("version" `+s.d.ColumnType(core.TypeDate)+` PRIMARY KEY, "appliedAt" `+s.d.ColumnType(core.TypeDate)+` NOT NULL)`); err != nil {
			return wrap("create migrations table", err)
		}
		var version int64
		rows, err := ss.query(ctx, `SELECT COALESCE(MAX("version"), 0) FROM `+migrationsTable)
		if err != nil {
			return wrap("read migration version", err)
		}
		if rows.Next() {
			err = rows.Scan(&version)
		}
		rows.Close()
		if err != nil {
			return wrap("read migration version", err)
		}
		for v := int(version) + 1; v < len(migrations); v++ {
			for _, stmt := range migrations[v](s.d) {
				if _, err := ss.wc.conn.ExecContext(ctx, stmt); err != nil {
					return wrap(fmt.Sprintf("migration %d", v), err)
				}
			}
			if fn := codeMigrations[v]; fn != nil {
				if err := fn(ctx, s, ss); err != nil {
					return wrap(fmt.Sprintf("migration %d", v), err)
				}
			}
			if _, err := ss.wc.exec(ctx, `INSERT INTO `+migrationsTable+` ("version", "appliedAt") VALUES (`+s.d.Placeholder(1)+`, `+s.d.Placeholder(2)+`)`, int64(v), time.Now().UnixMilli()); err != nil {
				return wrap(fmt.Sprintf("record migration %d", v), err)
			}
		}
		return nil
	})
}

// classJSON is how a class is kept in "_SCHEMA".
type classJSON struct {
	ClassName string                `json:"className"`
	Fields    map[string]core.Field `json:"fields"`
	CLP       map[string]any        `json:"classLevelPermissions,omitempty"`
	Indexes   map[string]indexJSON  `json:"indexes,omitempty"`
}

type indexJSON struct {
	Keys   []indexKeyJSON `json:"keys"`
	Unique bool           `json:"unique,omitempty"`
}

type indexKeyJSON struct {
	Field string `json:"field"`
	Desc  bool   `json:"desc,omitempty"`
	Text  bool   `json:"text,omitempty"`
}

func encodeClass(c *core.Class) (string, error) {
	cj := classJSON{ClassName: c.Name, Fields: c.Fields, CLP: c.CLP}
	if len(c.Indexes) > 0 {
		cj.Indexes = map[string]indexJSON{}
		for name, ix := range c.Indexes {
			ij := indexJSON{Unique: ix.Unique}
			for _, k := range ix.Keys {
				ij.Keys = append(ij.Keys, indexKeyJSON(k))
			}
			cj.Indexes[name] = ij
		}
	}
	b, err := json.Marshal(cj)
	return string(b), err
}

func decodeClass(raw []byte) (*core.Class, error) {
	var cj classJSON
	if err := json.Unmarshal(raw, &cj); err != nil {
		return nil, err
	}
	c := &core.Class{Name: cj.ClassName, Fields: cj.Fields, CLP: cj.CLP, Indexes: map[string]core.Index{}}
	if c.Fields == nil {
		c.Fields = map[string]core.Field{}
	}
	for name, ij := range cj.Indexes {
		ix := core.Index{Unique: ij.Unique}
		for _, k := range ij.Keys {
			ix.Keys = append(ix.Keys, core.IndexKey(k))
		}
		c.Indexes[name] = ix
	}
	return c, nil
}

func (s *Store) schemas(ctx context.Context, ss session) ([]*core.Class, error) {
	rows, err := ss.query(ctx, `SELECT "schema" FROM `+schemaTable+` ORDER BY "className"`)
	if err != nil {
		return nil, wrap("read schemas", err)
	}
	defer rows.Close()
	out := []*core.Class{}
	for rows.Next() {
		var raw any
		if err := rows.Scan(&raw); err != nil {
			return nil, wrap("read schemas", err)
		}
		js, _ := asBytes(raw)
		c, err := decodeClass(js)
		if err != nil {
			return nil, wrap("decode schema", err)
		}
		out = append(out, c)
	}
	return out, wrap("read schemas", rows.Err())
}

// storedClass reads one class's schema, nil if there is none.
func (s *Store) storedClass(ctx context.Context, ss session, name string) (*core.Class, error) {
	rows, err := ss.query(ctx, `SELECT "schema" FROM `+schemaTable+` WHERE "className" = `+s.d.Placeholder(1), name)
	if err != nil {
		return nil, wrap("read schema of "+name, err)
	}
	defer rows.Close()
	if !rows.Next() {
		return nil, wrap("read schema of "+name, rows.Err())
	}
	var raw any
	if err := rows.Scan(&raw); err != nil {
		return nil, wrap("read schema of "+name, err)
	}
	js, _ := asBytes(raw)
	c, err := decodeClass(js)
	return c, wrap("decode schema of "+name, err)
}

// ddl runs one DDL statement (never prepared and cached).
func ddl(ctx context.Context, ss session, what, stmt string) error {
	if _, err := ss.wc.conn.ExecContext(ctx, stmt); err != nil {
		return wrap(what, err)
	}
	return nil
}

func (s *Store) columnDef(name string, f core.Field) string {
	return Quote(name) + " " + s.d.ColumnType(f.Type)
}

func storedField(name string, f core.Field) bool {
	return !isBuiltin(name) && f.Type != core.TypeRelation && f.Type != core.TypeACL
}

func (s *Store) createJoinTable(ctx context.Context, ss session, class, field string) error {
	jt := JoinTable(class, field)
	text := s.d.ColumnType(core.TypeString)
	if err := ddl(ctx, ss, "create join table", `CREATE TABLE IF NOT EXISTS `+jt+` ("owningId" `+text+` NOT NULL, "relatedId" `+text+` NOT NULL, PRIMARY KEY ("owningId", "relatedId"))`+s.d.KeyTableSuffix()); err != nil {
		return err
	}
	return ddl(ctx, ss, "index join table", `CREATE INDEX IF NOT EXISTS `+Quote("_Join:"+field+":"+class+":related")+` ON `+jt+` ("relatedId", "owningId")`)
}

func indexName(class, name string) string { return Quote(class + ":" + name) }

func (s *Store) createIndex(ctx context.Context, ss session, c *core.Class, name string, ix core.Index) error {
	var cols []string
	var keys []IndexColumn
	ixr, engineIndex := s.d.(Indexer)
	for _, k := range ix.Keys {
		if k.Text && !engineIndex {
			continue // no text index in SQL; $text scans (or a TextSearcher serves it)
		}
		f, ok := c.Fields[k.Field]
		if !ok {
			if _, builtin := builtinTypes[k.Field]; !builtin {
				return core.Errorf(core.CodeInvalidQuery, "index %q names field %q, which class %s does not have", name, k.Field, c.Name)
			}
		} else if f.Type == core.TypeRelation {
			return core.Errorf(core.CodeInvalidQuery, "index %q cannot include Relation field %q", name, k.Field)
		}
		if engineIndex {
			t := f.Type
			if !ok {
				t = builtinTypes[k.Field]
			}
			keys = append(keys, IndexColumn{Quoted: Quote(k.Field), Type: t, Desc: k.Desc, Text: k.Text})
			continue
		}
		col := Quote(k.Field)
		if k.Desc {
			col += " DESC"
		}
		cols = append(cols, col)
	}
	if engineIndex {
		for _, stmt := range ixr.IndexSQL(TableName(c.Name), indexName(c.Name, name), ix.Unique, keys) {
			if _, err := ss.wc.conn.ExecContext(ctx, stmt); err != nil {
				return s.wrapWrite("create index "+name+" on "+c.Name, err)
			}
		}
		return nil
	}
	if len(cols) == 0 {
		return nil
	}
	stmt := "CREATE "
	if ix.Unique {
		stmt += "UNIQUE "
	}
	stmt += "INDEX " + indexName(c.Name, name) + " ON " + TableName(c.Name) + " (" + joinComma(cols) + ")"
	if _, err := ss.wc.conn.ExecContext(ctx, stmt); err != nil {
		return s.wrapWrite("create index "+name+" on "+c.Name, err)
	}
	return nil
}

func joinComma(s []string) string {
	out := ""
	for i, x := range s {
		if i > 0 {
			out += ", "
		}
		out += x
	}
	return out
}

func (s *Store) createClass(ctx context.Context, wc *writerConn, c *core.Class) error {
	js, err := encodeClass(c)
	if err != nil {
		return core.Internal(fmt.Errorf("encoding schema of %s: %w", c.Name, err))
	}
	return s.write(ctx, wc, func(ss session) error {
		if _, err := ss.wc.exec(ctx, `INSERT INTO `+schemaTable+` ("className", "schema") VALUES (`+s.d.Placeholder(1)+`, `+s.d.Placeholder(2)+`)`, c.Name, js); err != nil {
			if s.d.IsUniqueViolation(err) {
				return &core.Error{Code: core.CodeDuplicateValue, Message: fmt.Sprintf("Class %s already exists.", c.Name), Err: err}
			}
			return wrap("create class "+c.Name, err)
		}
		text, date := s.d.ColumnType(core.TypeString), s.d.ColumnType(core.TypeDate)
		def := "CREATE TABLE " + TableName(c.Name) + " (" + s.d.RowIDColumn() + `, "objectId" ` + text + ` NOT NULL UNIQUE, "createdAt" ` + date + ` NOT NULL, "updatedAt" ` + date + ` NOT NULL, "_acl" ` + s.d.ColumnType(core.TypeObject) + `, "_rpub" ` + s.d.ColumnType(core.TypeBoolean) + ` NOT NULL, "_wperm" ` + s.d.ColumnType(core.TypeArray)
		for _, name := range slices.Sorted(maps.Keys(c.Fields)) {
			if f := c.Fields[name]; storedField(name, f) {
				def += ", " + s.columnDef(name, f)
			}
		}
		def += ")"
		if err := ddl(ctx, ss, "create table "+c.Name, def); err != nil {
			return err
		}
		rt := ReadersTable(c.Name)
		sorts := sortFields(c)
		rdef := `CREATE TABLE ` + rt + ` ("principal" ` + text + ` NOT NULL, "rid" ` + s.d.ColumnType(core.TypeDate) + ` NOT NULL`
		for _, f := range slices.Sorted(maps.Keys(sorts)) {
			rdef += ", " + ReadersSortColumn(f) + " " + s.d.ColumnType(sorts[f])
		}
		if err := ddl(ctx, ss, "create readers of "+c.Name, rdef+`, PRIMARY KEY ("principal", "rid"))`+s.d.KeyTableSuffix()); err != nil {
			return err
		}
		for _, f := range slices.Sorted(maps.Keys(sorts)) {
			if err := s.indexSortColumn(ctx, ss, c.Name, f); err != nil {
				return err
			}
		}
		for name, f := range c.Fields {
			if f.Type == core.TypeRelation {
				if err := s.createJoinTable(ctx, ss, c.Name, name); err != nil {
					return err
				}
			}
		}
		for _, name := range slices.Sorted(maps.Keys(c.Indexes)) {
			if err := s.createIndex(ctx, ss, c, name, c.Indexes[name]); err != nil {
				return err
			}
		}
		s.acl.invalidate(c.Name)
		return nil
	})
}

// indexSortColumn creates the readers index of sort field f of class.
func (s *Store) indexSortColumn(ctx context.Context, ss session, class, f string) error {
	return ddl(ctx, ss, "index readers of "+class, "CREATE INDEX "+readersSortIndex(class, f)+" ON "+ReadersTable(class)+
		` ("principal", `+ReadersSortColumn(f)+s.d.NullsOrder(false)+`, "rid")`)
}

// addSortColumn adds sort field f (of type t) to the readers of class,
// filled from the class table, and its index.
func (s *Store) addSortColumn(ctx context.Context, ss session, class, f string, t core.Type) error {
	rt, rc := ReadersTable(class), ReadersSortColumn(f)
	if err := ddl(ctx, ss, "add sort column "+f, "ALTER TABLE "+rt+" ADD COLUMN "+rc+" "+s.d.ColumnType(t)); err != nil {
		return err
	}
	if _, err := ss.wc.conn.ExecContext(ctx, "UPDATE "+rt+" SET "+rc+" = (SELECT t."+Quote(f)+" FROM "+TableName(class)+` t WHERE t."_rid" = `+rt+`."rid")`); err != nil {
		return wrap("fill sort column "+f, err)
	}
	return s.indexSortColumn(ctx, ss, class, f)
}

// dropSortColumn removes sort field f from the readers of class.
func (s *Store) dropSortColumn(ctx context.Context, ss session, class, f string) error {
	if err := ddl(ctx, ss, "drop sort index "+f, "DROP INDEX IF EXISTS "+readersSortIndex(class, f)); err != nil {
		return err
	}
	return ddl(ctx, ss, "drop sort column "+f, "ALTER TABLE "+ReadersTable(class)+" DROP COLUMN "+ReadersSortColumn(f))
}

func (s *Store) updateClass(ctx context.Context, wc *writerConn, old, new *core.Class) error {
	if old.Name != new.Name {
		return core.Errorf(core.CodeInvalidSchemaOperation, "UpdateClass cannot rename %s to %s", old.Name, new.Name)
	}
	js, err := encodeClass(new)
	if err != nil {
		return core.Internal(fmt.Errorf("encoding schema of %s: %w", new.Name, err))
	}
	name, table := new.Name, TableName(new.Name)
	changed := func(f string) bool {
		o, inOld := old.Fields[f]
		n, inNew := new.Fields[f]
		return inOld && (!inNew || o.Type != n.Type || o.TargetClass != n.TargetClass)
	}
	oldSorts, newSorts := sortFields(old), sortFields(new)
	keepSort := func(f string) bool {
		t, ok := newSorts[f]
		return ok && oldSorts[f] == t && !changed(f)
	}
	return s.write(ctx, wc, func(ss session) error {
		// The readers' copies of sort fields that go, or change type.
		for _, f := range slices.Sorted(maps.Keys(oldSorts)) {
			if !keepSort(f) {
				if err := s.dropSortColumn(ctx, ss, name, f); err != nil {
					return err
				}
			}
		}
		// Drop indexes that went, changed, or cover a field that goes.
		for _, ixName := range slices.Sorted(maps.Keys(old.Indexes)) {
			oi := old.Indexes[ixName]
			ni, keep := new.Indexes[ixName]
			if keep && reflect.DeepEqual(oi, ni) {
				for _, k := range oi.Keys {
					if changed(k.Field) {
						keep = false
					}
				}
				if keep {
					continue
				}
			}
			if err := ddl(ctx, ss, "drop index "+ixName, "DROP INDEX IF EXISTS "+indexName(name, ixName)); err != nil {
				return err
			}
		}
		for _, f := range slices.Sorted(maps.Keys(old.Fields)) {
			if !changed(f) {
				continue
			}
			of := old.Fields[f]
			if of.Type == core.TypeRelation {
				if err := ddl(ctx, ss, "drop relation "+f, "DROP TABLE IF EXISTS "+JoinTable(name, f)); err != nil {
					return err
				}
			} else if storedField(f, of) {
				if err := ddl(ctx, ss, "drop field "+f, "ALTER TABLE "+table+" DROP COLUMN "+Quote(f)); err != nil {
					return err
				}
			}
		}
		for _, f := range slices.Sorted(maps.Keys(new.Fields)) {
			nf := new.Fields[f]
			if _, had := old.Fields[f]; had && !changed(f) {
				continue
			}
			if nf.Type == core.TypeRelation {
				if err := s.createJoinTable(ctx, ss, name, f); err != nil {
					return err
				}
			} else if storedField(f, nf) {
				if err := ddl(ctx, ss, "add field "+f, "ALTER TABLE "+table+" ADD COLUMN "+s.columnDef(f, nf)); err != nil {
					return err
				}
			}
		}
		for _, ixName := range slices.Sorted(maps.Keys(new.Indexes)) {
			ni := new.Indexes[ixName]
			if oi, had := old.Indexes[ixName]; had && reflect.DeepEqual(oi, ni) {
				keep := true
				for _, k := range oi.Keys {
					if changed(k.Field) {
						keep = false
					}
				}
				if keep {
					continue
				}
			}
			if err := s.createIndex(ctx, ss, new, ixName, ni); err != nil {
				return err
			}
		}
		for _, f := range slices.Sorted(maps.Keys(newSorts)) {
			if _, had := oldSorts[f]; !had || !keepSort(f) {
				if err := s.addSortColumn(ctx, ss, name, f, newSorts[f]); err != nil {
					return err
				}
			}
		}
		res, err := ss.wc.exec(ctx, `UPDATE `+schemaTable+` SET "schema" = `+s.d.Placeholder(1)+` WHERE "className" = `+s.d.Placeholder(2), js, name)
		if err != nil {
			return wrap("update schema of "+name, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return core.Errorf(core.CodeInvalidClassName, "class %s does not exist", name)
		}
		return nil
	})
}

func (s *Store) deleteClass(ctx context.Context, wc *writerConn, name string) error {
	return s.write(ctx, wc, func(ss session) error {
		c, err := s.storedClass(ctx, ss, name)
		if err != nil {
			return err
		}
		if c != nil {
			for f, fd := range c.Fields {
				if fd.Type == core.TypeRelation {
					if err := ddl(ctx, ss, "drop relation "+f, "DROP TABLE IF EXISTS "+JoinTable(name, f)); err != nil {
						return err
					}
				}
			}
		}
		for _, t := range []string{ReadersTable(name), TableName(name)} {
			if err := ddl(ctx, ss, "drop class "+name, "DROP TABLE IF EXISTS "+t); err != nil {
				return err
			}
		}
		if _, err := ss.wc.exec(ctx, `DELETE FROM `+schemaTable+` WHERE "className" = `+s.d.Placeholder(1), name); err != nil {
			return wrap("delete schema of "+name, err)
		}
		s.acl.invalidate(name)
		return nil
	})
}
