package sqlstore

import (
	"maps"
	"slices"
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
//	                Each row also carries a copy of the object's sort
//	                fields (see sortFields), column "s:f" for field f,
//	                indexed by (principal, "s:f", rid): a page sorted by
//	                f that the caller may read is then read in order from
//	                that index, per principal, however few rows are
//	                readable (Store.findSorted).
//	"_Join:f:C"     (owningId, relatedId) for each Relation field f, indexed
//	                both ways.
//
// Internal column names start with "_", which field names never do.

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
	// getPublic and getAll read one object by objectId, whole, as the
	// public may read it and with no ACL: a get by id, most reads, skips
	// compiling its query (find).
	getPublic, getAll string

	insertReaders string // insert with the readers in one statement (RowInserter), or ""
	insertBatch   string // insert of many rows (BatchInserter), or ""

	sorts      []sortCol      // the sort fields the readers rows carry
	sortByName map[string]int // index in sorts by field name
	// readersView is the readers table seen as a class whose only fields
	// are the sort fields, for predicates on their copies (countReaders).
	readersView *plan
	// only, when set, are all the fields of the plan (see readersView).
	only        map[string]column
	addReaders  string // insert of one readers row with its sort values
	copyReaders string // insert of one readers row, sort values copied from the row

	// json is the key order of the objects' JSON read with cols (see
	// FindJSON), made once on first use.
	jsonOnce sync.Once
	json     []jsonField
}

// sortCol is a sort field of a class (see sortFields): a column of the
// class table copied into the readers table.
type sortCol struct {
	column
	rquoted string // its column in the readers table
	arg     int    // its position among the arguments of plan.insert
}

// ReadersSortColumn returns the quoted column of the readers table that
// holds a copy of field. The "s:" prefix keeps it apart from "principal"
// and "rid", which are also valid field names.
func ReadersSortColumn(field string) string { return Quote("s:" + field) }

// readersSortIndex returns the quoted index of the readers table on
// ("principal", "s:field", "rid").
func readersSortIndex(class, field string) string { return Quote("_Readers:" + class + ":" + field) }

// sortTypes are the types of fields a readers row can carry: scalars,
// whose column sorts the way queries order them.
var sortTypes = map[core.Type]bool{
	core.TypeNumber: true, core.TypeString: true, core.TypeDate: true,
	core.TypeBoolean: true, core.TypePointer: true,
}

// sortFields returns the fields of c whose values the readers rows carry,
// sorted by name: the first key of each non-unique, non-text index, when
// it is a scalar field. Those are the fields apps sort by; unique indexes
// (usernames, session tokens, request ids) are looked up, not paged
// through, and are left out. The copies are written from the class the
// core passes in: a node of a cluster that still has the old schema in
// cache while another adds an index (until the schema change reaches it)
// writes rows without the new copy, whose sorted ACL pages may then miss
// them; the next change of the index refills every copy.
func sortFields(c *core.Class) map[string]core.Type {
	out := map[string]core.Type{}
	for _, ix := range c.Indexes {
		if ix.Unique || len(ix.Keys) == 0 || ix.Keys[0].Text {
			continue
		}
		name := ix.Keys[0].Field
		if name == core.FieldObjectID {
			continue // unique in any case
		}
		t, ok := builtinTypes[name]
		if !ok {
			f, ok := c.Fields[name]
			if !ok || isBuiltin(name) {
				continue
			}
			t = f.Type
		}
		if sortTypes[t] {
			out[name] = t
		}
	}
	return out
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
	p.getAll = "SELECT " + p.selectAll + " FROM " + p.table + ` t WHERE t."objectId" = ` + d.Placeholder(1) + " LIMIT 1"
	p.getPublic = "SELECT " + p.selectAll + " FROM " + p.table + ` t WHERE t."objectId" = ` + d.Placeholder(1) + ` AND t."_rpub" LIMIT 1`

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

	sf := sortFields(c)
	p.sortByName = make(map[string]int, len(sf))
	var from, to []string
	for _, name := range slices.Sorted(maps.Keys(sf)) {
		col, _ := p.field(name)
		arg := 1 // createdAt
		if name == core.FieldUpdatedAt {
			arg = 2
		} else if i, ok := p.byName[name]; ok {
			arg = 6 + i
		}
		p.sortByName[name] = len(p.sorts)
		p.sorts = append(p.sorts, sortCol{column: col, rquoted: ReadersSortColumn(name), arg: arg})
		from, to = append(from, col.quoted), append(to, ReadersSortColumn(name))
	}
	p.readersView = &plan{class: c, nFields: p.nFields, name: p.name, table: p.readers, readers: p.readers, only: map[string]column{}}
	for _, sc := range p.sorts {
		p.readersView.only[sc.name] = column{name: sc.name, quoted: sc.rquoted, typ: sc.typ, target: sc.target}
	}
	rcols := `("principal", "rid"`
	for _, t := range to {
		rcols += ", " + t
	}
	rcols += ")"
	b = NewBuilder(d)
	b.WriteString("INSERT INTO " + p.readers + " " + rcols + " VALUES (")
	for i := 0; i < 2+len(to); i++ {
		if i > 0 {
			b.WriteString(", ")
		}
		b.Arg(nil)
	}
	b.WriteString(")")
	p.addReaders = b.String()
	b = NewBuilder(d)
	b.WriteString("INSERT INTO " + p.readers + " " + rcols + " SELECT ")
	b.Arg(nil)
	b.WriteString(`, t."_rid"`)
	for _, f := range from {
		b.WriteString(", t." + f)
	}
	b.WriteString(" FROM " + p.table + ` t WHERE t."_rid" = `)
	b.Arg(nil)
	p.copyReaders = b.String()

	if ri, ok := d.(RowInserter); ok {
		p.insertReaders = ri.InsertWithReaders(p.insert, p.readers, 6+len(p.cols), from, to)
	}
	if bi, ok := d.(BatchInserter); ok {
		cols := []BatchColumn{{`"objectId"`, core.TypeString}, {`"createdAt"`, core.TypeDate}, {`"updatedAt"`, core.TypeDate},
			{`"_acl"`, core.TypeObject}, {`"_rpub"`, core.TypeBoolean}, {`"_wperm"`, core.TypeArray}}
		for _, c := range p.cols {
			cols = append(cols, BatchColumn{c.quoted, c.typ})
		}
		p.insertBatch = bi.InsertBatch(p.table, p.readers, cols, from, to)
	}
	return p
}

// fieldType returns the type of a field or built-in field, and whether it exists.
func (p *plan) field(name string) (column, bool) {
	if p.only != nil {
		c, ok := p.only[name]
		return c, ok
	}
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
