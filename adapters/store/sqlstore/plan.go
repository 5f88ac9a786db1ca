package sqlstore

import (
	"sort"
	"strings"
	"sync"

	"github.com/switchboardhq/switchboard/core"
)

// Table layout of a class C:
//
//	"C"             one row per object: "_rid" an integer row key,
//	                "objectId" TEXT UNIQUE,
//	                "createdAt"/"updatedAt" integer ms, "_acl" (the full ACL
//	                as JSON, NULL for none), "_rpub" (1 when the public may
//	                read), "_wperm" (JSON array of writers, NULL when the
//	                public may write), then one column per non-relation field.
//	"_Readers:C"    (principal, rid): who may read each object ("*"
//	                included), keyed by principal so that a ReadACL
//	                filter is an index range per principal. There is no
//	                index by rid, which would cost every insert a fourth
//	                B-tree write: deletes and ACL changes remove the exact
//	                (principal, rid) pairs from the row's old ACL instead.
//	"_Join:f:C"     (owningId, relatedId) for each Relation field f, indexed
//	                both ways.
//
// Internal column names start with "_", which field names never do.
const (
	colACL   = "_acl"
	colRPub  = "_rpub"
	colWPerm = "_wperm"
)

// TableName returns the quoted table of a class.
func TableName(class string) string { return Quote(class) }

// ReadersTable returns the quoted readers side table of a class.
func ReadersTable(class string) string { return Quote("_Readers:" + class) }

// JoinTable returns the quoted join table of relation field of class.
func JoinTable(class, field string) string { return Quote("_Join:" + field + ":" + class) }

// column is one stored field of a class.
type column struct {
	name   string
	quoted string
	typ    core.Type
	target string
}

// plan is what the store derives from a class schema once: its columns in
// a fixed order and the SQL that depends only on them.
type plan struct {
	class     *core.Class
	nFields   int
	name      string
	table     string
	readers   string
	cols      []column // user fields, sorted by name; relations excluded
	byName    map[string]int
	selectAll string // column list for every field (alias "t")
	returning string // the same columns, unqualified, for RETURNING
	insert    string // INSERT of every column

	insertReaders string // insert with the readers in one statement (RowInserter), or ""
	insertBatch   string // insert of many rows (BatchInserter), or ""
}

// builtinTypes are the types of the fields every class has.
var builtinTypes = map[string]core.Type{
	core.FieldObjectID:  core.TypeString,
	core.FieldCreatedAt: core.TypeDate,
	core.FieldUpdatedAt: core.TypeDate,
}

func isBuiltin(name string) bool {
	_, ok := builtinTypes[name]
	return ok || name == core.FieldACL
}

func newPlan(d Dialect, c *core.Class) *plan {
	p := &plan{class: c, nFields: len(c.Fields), name: c.Name, table: TableName(c.Name), readers: ReadersTable(c.Name), byName: map[string]int{}}
	names := make([]string, 0, len(c.Fields))
	for n, f := range c.Fields {
		if isBuiltin(n) || f.Type == core.TypeRelation || f.Type == core.TypeACL {
			continue
		}
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		f := c.Fields[n]
		p.byName[n] = len(p.cols)
		p.cols = append(p.cols, column{name: n, quoted: Quote(n), typ: f.Type, target: f.TargetClass})
	}
	var sb strings.Builder
	sb.WriteString(`t."objectId", t."createdAt", t."updatedAt", t."_acl"`)
	for _, c := range p.cols {
		sb.WriteString(", t.")
		sb.WriteString(c.quoted)
	}
	p.selectAll = sb.String()
	p.returning = strings.ReplaceAll(p.selectAll, `t."`, `"`)

	b := NewBuilder(d)
	b.WriteString("INSERT INTO ")
	b.WriteString(p.table)
	b.WriteString(` ("objectId", "createdAt", "updatedAt", "_acl", "_rpub", "_wperm"`)
	for _, c := range p.cols {
		b.WriteString(", ")
		b.WriteString(c.quoted)
	}
	b.WriteString(") VALUES (")
	for i := 0; i < 6+len(p.cols); i++ {
		if i > 0 {
			b.WriteString(", ")
		}
		b.Arg(nil)
	}
	b.WriteString(")")
	p.insert = b.String()
	if ri, ok := d.(RowInserter); ok {
		p.insertReaders = ri.InsertWithReaders(p.insert, p.readers, 6+len(p.cols))
	}
	if bi, ok := d.(BatchInserter); ok {
		cols := []BatchColumn{{`"objectId"`, core.TypeString}, {`"createdAt"`, core.TypeDate}, {`"updatedAt"`, core.TypeDate},
			{`"_acl"`, core.TypeObject}, {`"_rpub"`, core.TypeBoolean}, {`"_wperm"`, core.TypeArray}}
		for _, c := range p.cols {
			cols = append(cols, BatchColumn{c.quoted, c.typ})
		}
		p.insertBatch = bi.InsertBatch(p.table, p.readers, cols)
	}
	return p
}

// fieldType returns the type of a field or built-in field, and whether it exists.
func (p *plan) field(name string) (column, bool) {
	if t, ok := builtinTypes[name]; ok {
		return column{name: name, quoted: Quote(name), typ: t}, true
	}
	if i, ok := p.byName[name]; ok {
		return p.cols[i], true
	}
	if f, ok := p.class.Fields[name]; ok && f.Type == core.TypeRelation {
		return column{name: name, quoted: Quote(name), typ: core.TypeRelation, target: f.TargetClass}, true
	}
	return column{}, false
}

// planCache maps the *core.Class values the core passes in to their plans.
// The core replaces a class's *Class when its schema changes, so a pointer
// is a good key; the field count is checked as well in case a caller
// changed a class in place. The cache is cleared when it grows large.
type planCache struct {
	mu sync.RWMutex
	m  map[*core.Class]*plan
}

func (pc *planCache) get(d Dialect, c *core.Class) *plan {
	pc.mu.RLock()
	p := pc.m[c]
	pc.mu.RUnlock()
	if p != nil && p.nFields == len(c.Fields) && p.name == c.Name {
		return p
	}
	p = newPlan(d, c)
	pc.mu.Lock()
	if pc.m == nil || len(pc.m) > 512 {
		pc.m = map[*core.Class]*plan{}
	}
	pc.m[c] = p
	pc.mu.Unlock()
	return p
}
