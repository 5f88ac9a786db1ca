package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"maps"
	"slices"
	"strconv"
	"time"

	"github.com/switchboardhq/switchboard/core"
)

func (s *Store) insert(ctx context.Context, wc *writerConn, class *core.Class, obj core.Object) error {
	p := s.plans.get(s.d, class)
	id := obj.ID()
	if id == "" {
		return core.Errorf(core.CodeMissingObjectID, "Insert needs an objectId")
	}
	args := make([]any, 6+len(p.cols))
	args[0] = id
	for i, k := range [2]string{core.FieldCreatedAt, core.FieldUpdatedAt} {
		t, ok := obj[k].(time.Time)
		if !ok {
			t = core.Now()
		}
		args[1+i] = t.UnixMilli()
	}
	acl, rpub, wperm, readers, err := aclColumns(obj[core.FieldACL])
	if err != nil {
		return err
	}
	args[3], args[4], args[5] = acl, rpub, wperm
	for k := range obj {
		if _, ok := p.byName[k]; !ok && !isBuiltin(k) {
			return core.Errorf(core.CodeInvalidKeyName, "field %q is not a stored field of class %s", k, p.name)
		}
	}
	for i, c := range p.cols {
		if args[6+i], err = encodeValue(c.typ, obj[c.name]); err != nil {
			return err
		}
	}
	req := &insertReq{p: p, id: id, args: args, readers: readers}
	if wc == nil {
		if t := s.txFrom(ctx); t != nil {
			wc = t.wc
		}
	}
	if wc == nil {
		err = s.groupInsert(ctx, req)
	} else {
		err = s.insertRow(ctx, session{s: s, wc: wc}, req)
	}
	if err == nil {
		s.acl.inserted(p.name, rpub)
	}
	return err
}

// insertReq is one row to insert.
type insertReq struct {
	p       *plan
	id      string
	args    []any
	readers []string
	done    chan error
}

func (s *Store) insertRow(ctx context.Context, ss session, r *insertReq) error {
	if r.p.insertReaders != "" {
		_, err := ss.exec(ctx, r.p.insertReaders, append(r.args, r.readers)...)
		return s.wrapWrite("insert into "+r.p.name, err)
	}
	res, err := ss.wc.exec(ctx, r.p.insert, r.args...)
	if err != nil {
		return s.wrapWrite("insert into "+r.p.name, err)
	}
	rid, err := res.LastInsertId()
	if err != nil { // an engine without LastInsertId
		if rid, err = s.rowID(ctx, ss, r.p, r.id); err != nil {
			return err
		}
	}
	vals := make([]any, 2+len(r.p.sorts))
	for i, c := range r.p.sorts {
		vals[2+i] = r.args[c.arg]
	}
	return s.addReaders(ctx, ss, r.p, rid, r.readers, vals)
}

// groupInsert is group commit: concurrent Inserts outside a transaction
// queue up, and whichever caller gets the writer runs everything queued in
// one transaction, then wakes the others with their own results. Each
// Insert still returns only after the transaction holding its row has
// committed; a row that fails (a duplicate objectId) fails alone, since a
// failed statement does not undo the others.
func (s *Store) groupInsert(ctx context.Context, r *insertReq) error {
	if s.closed.Load() {
		return core.Internal(errors.New("sqlstore: store is closed"))
	}
	r.done = make(chan error, 1)
	s.pendingMu.Lock()
	s.pending = append(s.pending, r)
	s.pendingMu.Unlock()
	select {
	case err := <-r.done:
		return err
	case wc := <-s.writers:
		s.pendingMu.Lock()
		batch := s.pending
		s.pending = nil
		s.pendingMu.Unlock()
		if len(batch) > 0 {
			s.runInsertBatch(wc, batch)
		}
		s.release(wc)
		return <-r.done
	case <-ctx.Done():
		s.pendingMu.Lock()
		for i, p := range s.pending {
			if p == r {
				s.pending = append(s.pending[:i], s.pending[i+1:]...)
				s.pendingMu.Unlock()
				return core.Errorf(core.CodeTimeout, "waiting for the database writer: %v", ctx.Err())
			}
		}
		s.pendingMu.Unlock()
		return <-r.done // already in a batch that is running
	}
}

// runInsertBatch inserts batch in one transaction and reports to each
// request. It runs with its own context: the batch serves many callers.
func (s *Store) runInsertBatch(wc *writerConn, batch []*insertReq) {
	ctx := context.Background()
	if s.autocommit && batch[0].p.insertBatch != "" {
		s.runInsertStatements(ctx, session{s: s, wc: wc}, batch)
		return
	}
	errs := make([]error, len(batch))
	err := s.inTx(ctx, wc, func() error {
		ss := session{s: s, wc: wc}
		for i, r := range batch {
			if err := s.insertRow(ctx, ss, r); err != nil {
				if !core.IsCode(err, core.CodeDuplicateValue) {
					return err // unexpected: the whole batch fails
				}
				errs[i] = err
			}
		}
		return nil
	})
	for i, r := range batch {
		if err != nil {
			r.done <- err
		} else {
			r.done <- errs[i]
		}
	}
}

// runInsertStatements inserts batch autocommitted, with one statement per
// class (BatchInserter), and reports to each request. An objectId queued
// twice goes in a second round, so that the statement's answer (which ids
// it inserted) is each row's own.
func (s *Store) runInsertStatements(ctx context.Context, ss session, batch []*insertReq) {
	for len(batch) > 0 {
		p := batch[0].p
		var now, later []*insertReq
		seen := make(map[string]bool, len(batch))
		for _, r := range batch {
			if r.p != p || seen[r.id] {
				later = append(later, r)
				continue
			}
			seen[r.id] = true
			now = append(now, r)
		}
		s.insertStatement(ctx, ss, p, now)
		batch = later
	}
}

// insertStatement inserts rows of one class with one statement.
func (s *Store) insertStatement(ctx context.Context, ss session, p *plan, rows []*insertReq) {
	if len(rows) == 1 && p.insertReaders != "" {
		rows[0].done <- s.insertRow(ctx, ss, rows[0])
		return
	}
	ncol := 6 + len(p.cols)
	args := make([]any, ncol, ncol+2)
	for i := range ncol {
		vals := make([]any, len(rows))
		for j, r := range rows {
			vals[j] = r.args[i]
		}
		args[i] = vals
	}
	var ids, principals []string
	for _, r := range rows {
		for _, pr := range r.readers {
			ids, principals = append(ids, r.id), append(principals, pr)
		}
	}
	args = append(args, ids, principals)
	inserted := make(map[string]bool, len(rows))
	res, err := ss.query(ctx, p.insertBatch, args...)
	if err == nil {
		for res.Next() {
			var id string
			if err = res.Scan(&id); err != nil {
				break
			}
			inserted[id] = true
		}
		res.Close()
		if err == nil {
			err = res.Err()
		}
	}
	for _, r := range rows {
		switch {
		case err != nil:
			r.done <- s.wrapWrite("insert into "+p.name, err)
		case inserted[r.id]:
			r.done <- nil
		default:
			r.done <- &core.Error{Code: core.CodeDuplicateValue, Message: "A duplicate value for a field with unique values was provided"}
		}
	}
}

// rowID returns the "_rid" of object id.
func (s *Store) rowID(ctx context.Context, ss session, p *plan, id string) (int64, error) {
	rows, err := ss.query(ctx, `SELECT "_rid" FROM `+p.table+` WHERE "objectId" = `+s.d.Placeholder(1), id)
	if err != nil {
		return 0, wrap("row key of "+p.name, err)
	}
	defer rows.Close()
	var rid int64
	if !rows.Next() {
		return 0, core.ErrNotFound()
	}
	return rid, wrap("row key of "+p.name, rows.Scan(&rid))
}

// removeReaders deletes the readers rows of row rid.
func (s *Store) removeReaders(ctx context.Context, ss session, p *plan, rid int64, readers []string) error {
	q := "DELETE FROM " + p.readers + ` WHERE "principal" = ` + s.d.Placeholder(1) + ` AND "rid" = ` + s.d.Placeholder(2)
	for _, r := range readers {
		if _, err := ss.wc.exec(ctx, q, r, rid); err != nil {
			return wrap("remove readers of "+p.name, err)
		}
	}
	return nil
}

// objectReaders returns the readers of an object the store returned.
func objectReaders(o core.Object) ([]string, error) {
	switch a := o[core.FieldACL].(type) {
	case nil:
		return []string{core.PublicPrincipal}, nil
	case core.ACL:
		return a.Readers(), nil
	default:
		return nil, core.Internal(errors.New("sqlstore: returned ACL has an unexpected type"))
	}
}

// storedReaders returns the readers of a stored "_acl" value.
func storedReaders(raw any) ([]string, error) {
	a, err := decodeACL(raw)
	if err != nil {
		return nil, err
	}
	if a == nil {
		return []string{core.PublicPrincipal}, nil
	}
	return a.Readers(), nil
}

// addReaders inserts the readers rows of row rid. vals are the arguments
// of plan.addReaders: two free places for the principal and rid, then the
// row's sort values.
func (s *Store) addReaders(ctx context.Context, ss session, p *plan, rid int64, readers []string, vals []any) error {
	for _, r := range readers {
		vals[0], vals[1] = r, rid
		if _, err := ss.wc.exec(ctx, p.addReaders, vals...); err != nil {
			return wrap("insert readers of "+p.name, err)
		}
	}
	return nil
}

// copyReaders inserts the readers rows of row rid, with its sort values
// as the row holds them.
func (s *Store) copyReaders(ctx context.Context, ss session, p *plan, rid int64, readers []string) error {
	for _, r := range readers {
		if _, err := ss.wc.exec(ctx, p.copyReaders, r, rid); err != nil {
			return wrap("insert readers of "+p.name, err)
		}
	}
	return nil
}

// syncSorts copies the sort values of object id into its readers rows,
// after an update changed one of them.
func (s *Store) syncSorts(ctx context.Context, ss session, p *plan, id string, readers []string) error {
	b := NewBuilder(s.d)
	b.WriteString("UPDATE " + p.readers + " AS r SET ")
	for i, c := range p.sorts {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(c.rquoted + " = t." + c.quoted)
	}
	b.WriteString(" FROM " + p.table + ` t WHERE t."objectId" = `)
	b.Arg(id)
	b.WriteString(` AND r."rid" = t."_rid" AND r."principal" IN `)
	args := make([]any, len(readers))
	for i, r := range readers {
		args[i] = r
	}
	b.ArgList(args)
	if _, err := ss.wc.exec(ctx, b.String(), b.Args...); err != nil {
		return wrap("update readers of "+p.name, err)
	}
	return nil
}

// writeFilter writes the writeACL predicate on the row aliased t.
func (s *Store) writeFilter(b *Builder, writeACL []string) {
	b.WriteString(` AND (t."_wperm" IS NULL OR `)
	s.d.StringsHasAny(b, `t."_wperm"`, writeACL)
	b.WriteString(")")
}

func (s *Store) update(ctx context.Context, wc *writerConn, class *core.Class, id string, where core.Expr, writeACL []string, upd core.Update) (core.Object, error) {
	p := s.plans.get(s.d, class)
	keys := make([]string, 0, len(upd))
	needRead, oneStatement := false, true
	for k, op := range upd {
		keys = append(keys, k)
		switch op.(type) {
		case core.Add, core.AddUnique, core.Remove:
			needRead = true
		case core.AddRelation, core.RemoveRelation:
			oneStatement = false
		}
	}
	_, setsACL := upd[core.FieldACL]
	// A changed sort field is copied into the readers rows too (syncSorts).
	setsSort := false
	for k := range upd {
		if _, ok := p.sortByName[k]; ok {
			setsSort = true
		}
	}
	oneStatement = oneStatement && !needRead && !setsACL && !setsSort
	slices.Sort(keys)
	run := func(fn func(ss session) error) error { return s.write(ctx, wc, fn) }
	if oneStatement && s.autocommitting(ctx, wc) {
		run = func(fn func(ss session) error) error {
			if s.closed.Load() {
				return core.Internal(errors.New("sqlstore: store is closed"))
			}
			done, err := s.admit(ctx, isHeavy(where))
			if err != nil {
				return err
			}
			defer done()
			return fn(session{s: s})
		}
	}
	var out core.Object
	err := run(func(ss session) error {
		var cur core.Object
		if needRead {
			if err := s.lockRow(ctx, ss, p, id); err != nil {
				return err
			}
			var err error
			objs, err := s.find(ctx, ss, class, &core.Query{Where: core.And{Exprs: []core.Expr{core.Cmp{Field: core.FieldObjectID, Op: core.OpEq, Value: id}, where}}, Limit: 1})
			if err != nil {
				return err
			}
			if len(objs) == 0 {
				return core.ErrNotFound()
			}
			cur = objs[0]
		}
		// A new ACL replaces the row's readers: find the old ones first.
		var oldRid int64
		var oldReaders []string
		if _, ok := upd[core.FieldACL]; ok {
			lock := ""
			if rl, ok := s.d.(RowLocker); ok {
				lock = rl.LockSuffix()
			}
			rows, err := ss.query(ctx, `SELECT "_rid", "_acl" FROM `+p.table+` WHERE "objectId" = `+s.d.Placeholder(1)+lock, id)
			if err != nil {
				return wrap("read ACL of "+p.name, err)
			}
			var rawACL any
			found := rows.Next()
			if found {
				err = rows.Scan(&oldRid, &rawACL)
			}
			rows.Close()
			if err != nil {
				return wrap("read ACL of "+p.name, err)
			}
			if !found {
				return core.ErrNotFound()
			}
			if oldReaders, err = storedReaders(rawACL); err != nil {
				return wrap("read ACL of "+p.name, err)
			}
		}
		b := NewBuilder(s.d)
		b.WriteString("UPDATE " + p.table + " AS t SET ")
		n := 0
		set := func(col string) {
			if n > 0 {
				b.WriteString(", ")
			}
			n++
			b.WriteString(col + " = ")
		}
		var newReaders []string
		aclChanged, rpub := false, false
		type relOp struct {
			field string
			ids   []string
			add   bool
		}
		var rels []relOp
		for _, k := range keys {
			op := upd[k]
			if k == core.FieldACL {
				var v any
				switch o := op.(type) {
				case core.Set:
					v = o.Value
				case core.Unset:
				default:
					return core.Errorf(core.CodeInvalidACL, "ACL can only be set or removed")
				}
				acl, pub, wperm, readers, err := aclColumns(v)
				if err != nil {
					return err
				}
				set(`"_acl"`)
				b.Arg(acl)
				set(`"_rpub"`)
				b.Arg(pub)
				set(`"_wperm"`)
				b.Arg(wperm)
				aclChanged, rpub, newReaders = true, pub, readers
				continue
			}
			col, ok := p.field(k)
			if !ok || k == core.FieldObjectID {
				return core.Errorf(core.CodeInvalidKeyName, "field %q cannot be updated in class %s", k, p.name)
			}
			_, addRel := op.(core.AddRelation)
			_, removeRel := op.(core.RemoveRelation)
			if (col.typ == core.TypeRelation) != (addRel || removeRel) {
				return core.Errorf(core.CodeInvalidValue, "field %q is %s: relations change only with AddRelation and RemoveRelation, other fields never", k, col.typ)
			}
			switch o := op.(type) {
			case core.Set:
				v, err := encodeValue(col.typ, o.Value)
				if err != nil {
					return err
				}
				set(col.quoted)
				b.Arg(v)
			case core.Unset:
				set(col.quoted)
				b.WriteString("NULL")
			case core.Increment:
				if col.typ != core.TypeNumber {
					return core.Errorf(core.CodeInvalidValue, "cannot increment %q: it is %s, not Number", k, col.typ)
				}
				set(col.quoted)
				b.WriteString("COALESCE(" + col.quoted + ", 0) + ")
				b.Arg(o.Amount)
			case core.Bitwise:
				if col.typ != core.TypeNumber {
					return core.Errorf(core.CodeInvalidValue, "cannot apply a bit operation to %q: it is %s, not Number", k, col.typ)
				}
				set(col.quoted)
				bitwiseSQL(b, col.quoted, o)
			case core.Add, core.AddUnique, core.Remove:
				if col.typ != core.TypeArray {
					return core.Errorf(core.CodeInvalidValue, "cannot add to or remove from %q: it is %s, not Array", k, col.typ)
				}
				arr, err := applyArrayOp(cur[k], op)
				if err != nil {
					return err
				}
				v, err := marshalJSON(arr)
				if err != nil {
					return err
				}
				set(col.quoted)
				b.Arg(v)
			case core.AddRelation:
				rels = append(rels, relOp{k, o.IDs, true})
			case core.RemoveRelation:
				rels = append(rels, relOp{k, o.IDs, false})
			default:
				return core.Errorf(core.CodeInvalidValue, "update operation %T is not supported", op)
			}
		}
		if n == 0 {
			set(`"updatedAt"`)
			b.WriteString(`"updatedAt"`)
		}
		b.WriteString(` WHERE t."objectId" = `)
		b.Arg(id)
		if where != nil {
			b.WriteString(" AND ")
			c := compiler{s: s, b: b}
			if err := c.expr(p, "t", where); err != nil {
				return err
			}
		}
		if writeACL != nil {
			s.writeFilter(b, writeACL)
		}
		b.WriteString(" RETURNING " + p.returning)
		rows, err := ss.query(ctx, b.String(), b.Args...)
		if err != nil {
			return s.wrapWrite("update "+p.name, err)
		}
		objs, err := s.scanObjects(rows, p, p.cols)
		if err != nil {
			return err
		}
		if len(objs) == 0 {
			return core.ErrNotFound()
		}
		out = objs[0]
		if aclChanged {
			if err := s.removeReaders(ctx, ss, p, oldRid, oldReaders); err != nil {
				return err
			}
			if err := s.copyReaders(ctx, ss, p, oldRid, newReaders); err != nil {
				return err
			}
			s.acl.aclChanged(p.name, rpub)
		} else if setsSort {
			readers, err := objectReaders(out)
			if err != nil {
				return err
			}
			if err := s.syncSorts(ctx, ss, p, id, readers); err != nil {
				return err
			}
		}
		for _, r := range rels {
			if err := s.changeRelation(ctx, ss, p, r.field, id, r.ids, r.add); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// bitwiseSQL writes a bit operation on a Number column in SQL that SQLite
// and PostgreSQL both run: the value is cast to a 64-bit integer (a
// fraction is dropped), and XOR, which SQLite lacks, is (a | b) - (a & b).
func bitwiseSQL(b *Builder, col string, o core.Bitwise) {
	cur := "CAST(COALESCE(" + col + ", 0) AS BIGINT)"
	arg := func() {
		b.WriteString("CAST(")
		b.Arg(o.Value)
		b.WriteString(" AS BIGINT)")
	}
	switch o.Op {
	case core.BitAnd:
		b.WriteString("(" + cur + " & ")
		arg()
		b.WriteString(")")
	case core.BitOr:
		b.WriteString("(" + cur + " | ")
		arg()
		b.WriteString(")")
	default:
		b.WriteString("((" + cur + " | ")
		arg()
		b.WriteString(") - (" + cur + " & ")
		arg()
		b.WriteString("))")
	}
}

func (s *Store) changeRelation(ctx context.Context, ss session, p *plan, field, id string, ids []string, add bool) error {
	col, ok := p.field(field)
	if !ok || col.typ != core.TypeRelation {
		return core.Errorf(core.CodeInvalidKeyName, "field %q is not a Relation of class %s", field, p.name)
	}
	jt := JoinTable(p.name, field)
	var q string
	if add {
		q = "INSERT INTO " + jt + ` ("owningId", "relatedId") VALUES (` + s.d.Placeholder(1) + ", " + s.d.Placeholder(2) + `) ON CONFLICT DO NOTHING`
	} else {
		q = "DELETE FROM " + jt + ` WHERE "owningId" = ` + s.d.Placeholder(1) + ` AND "relatedId" = ` + s.d.Placeholder(2)
	}
	for _, rid := range ids {
		if _, err := ss.wc.exec(ctx, q, id, rid); err != nil {
			return wrap("change relation "+field+" of "+p.name, err)
		}
	}
	return nil
}

// applyArrayOp computes Add, AddUnique or Remove on the current array. It
// runs inside the write transaction, between reading the row and writing
// it, so it is atomic like the SQL operations.
func applyArrayOp(cur any, op core.Op) ([]any, error) {
	arr, _ := cur.([]any)
	arr = slices.Clone(arr)
	if arr == nil {
		arr = []any{}
	}
	switch o := op.(type) {
	case core.Add:
		return append(arr, o.Values...), nil
	case core.AddUnique:
		keys := make(map[string]bool, len(arr))
		for _, v := range arr {
			keys[jsonKey(v)] = true
		}
		for _, v := range o.Values {
			if k := jsonKey(v); !keys[k] {
				keys[k] = true
				arr = append(arr, v)
			}
		}
		return arr, nil
	case core.Remove:
		drop := make(map[string]bool, len(o.Values))
		for _, v := range o.Values {
			drop[jsonKey(v)] = true
		}
		out := arr[:0]
		for _, v := range arr {
			if !drop[jsonKey(v)] {
				out = append(out, v)
			}
		}
		return out, nil
	}
	return nil, core.Errorf(core.CodeInvalidValue, "not an array operation: %T", op)
}

// jsonKey is a value's canonical JSON text (map keys sorted), so values
// decoded from storage compare equal to the ones the core passes.
func jsonKey(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return ""
	}
	return string(b)
}

// delete removes the rows matching where (and writeACL), with their
// readers and relation rows. With whole set it also returns the deleted
// objects, every field, for DeleteObject; a bulk delete only counts.
func (s *Store) delete(ctx context.Context, wc *writerConn, class *core.Class, where core.Expr, writeACL []string, whole bool) (int64, []core.Object, error) {
	p := s.plans.get(s.d, class)
	b := NewBuilder(s.d)
	b.WriteString("DELETE FROM " + p.table + " AS t WHERE ")
	c := compiler{s: s, b: b}
	if err := c.expr(p, "t", where); err != nil {
		return 0, nil, err
	}
	if writeACL != nil {
		s.writeFilter(b, writeACL)
	}
	// _rid and the stored ACL find the readers rows to remove; the rest of
	// a whole row follows in the order scanObjects reads.
	cols := []column(nil)
	b.WriteString(` RETURNING "_rid", "_acl"`)
	if whole {
		cols = p.cols
		b.WriteString(", " + p.returning)
	} else {
		b.WriteString(`, "objectId"`)
	}
	var n int64
	var deleted []core.Object
	err := s.write(ctx, wc, func(ss session) error {
		rows, err := ss.query(ctx, b.String(), b.Args...)
		if err != nil {
			return wrap("delete from "+p.name, err)
		}
		var ids []any
		type row struct {
			rid     int64
			readers []string
		}
		var gone []row
		raw := make([]any, 2+4+len(cols))
		dest := make([]any, len(raw))
		for i := range raw {
			dest[i] = &raw[i]
		}
		if !whole {
			raw, dest = raw[:3], dest[:3]
		}
		for rows.Next() {
			var r row
			err := rows.Scan(dest...)
			if err == nil {
				r.rid, err = asInt64(raw[0])
			}
			if err == nil {
				r.readers, err = storedReaders(raw[1])
			}
			var id string
			if err == nil && whole {
				var o core.Object
				if o, err = decodeRow(raw[2:], cols); err == nil {
					deleted = append(deleted, o)
					id = o.ID()
				}
			} else if err == nil {
				var ok bool
				if id, ok = asString(raw[2]); !ok {
					err = errors.New("objectId is not text")
				}
			}
			if err != nil {
				rows.Close()
				return wrap("delete from "+p.name, err)
			}
			ids, gone = append(ids, id), append(gone, r)
		}
		if err := rows.Close(); err != nil {
			return wrap("delete from "+p.name, err)
		}
		if err := rows.Err(); err != nil {
			return wrap("delete from "+p.name, err)
		}
		n = int64(len(ids))
		for _, r := range gone {
			if err := s.removeReaders(ctx, ss, p, r.rid, r.readers); err != nil {
				return err
			}
		}
		for _, name := range slices.Sorted(maps.Keys(class.Fields)) {
			if class.Fields[name].Type == core.TypeRelation {
				if err := s.deleteIn(ctx, ss, JoinTable(p.name, name)+` WHERE "owningId" IN `, ids); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return 0, nil, err
	}
	s.acl.deleted(p.name, n)
	return n, deleted, nil
}

// deleteObject deletes one object by id and returns it whole.
func (s *Store) deleteObject(ctx context.Context, wc *writerConn, class *core.Class, id string, where core.Expr, writeACL []string) (core.Object, error) {
	cond := core.Expr(core.Cmp{Field: core.FieldObjectID, Op: core.OpEq, Value: id})
	if where != nil {
		cond = core.And{Exprs: []core.Expr{cond, where}}
	}
	_, objs, err := s.delete(ctx, wc, class, cond, writeACL, true)
	if err != nil {
		return nil, err
	}
	if len(objs) == 0 {
		return nil, core.ErrNotFound()
	}
	return objs[0], nil
}

// deleteIn runs "DELETE FROM <from> (keys...)" in chunks.
func (s *Store) deleteIn(ctx context.Context, ss session, from string, keys []any) error {
	for len(keys) > 0 {
		chunk := keys[:min(len(keys), 500)]
		keys = keys[len(chunk):]
		b := NewBuilder(s.d)
		b.WriteString("DELETE FROM " + from)
		b.ArgList(chunk)
		if _, err := ss.wc.exec(ctx, b.String(), b.Args...); err != nil {
			return wrap("delete side rows", err)
		}
	}
	return nil
}

// selectColumns returns the columns a query returns: all, or Keys plus the
// built-in fields.
func selectColumns(p *plan, keys []string) ([]column, string) {
	if keys == nil {
		return p.cols, p.selectAll
	}
	want := make(map[string]bool, len(keys))
	for _, k := range keys {
		if i := indexDot(k); i >= 0 {
			k = k[:i]
		}
		want[k] = true
	}
	cols := make([]column, 0, len(want))
	sel := `t."objectId", t."createdAt", t."updatedAt", t."_acl"`
	for _, c := range p.cols {
		if want[c.name] {
			cols = append(cols, c)
			sel += ", t." + c.quoted
		}
	}
	return cols, sel
}

func indexDot(s string) int {
	for i := 0; i < len(s); i++ {
		if s[i] == '.' {
			return i
		}
	}
	return -1
}

func (s *Store) find(ctx context.Context, ss session, class *core.Class, q *core.Query) ([]core.Object, error) {
	if q == nil {
		q = &core.Query{Limit: -1}
	}
	if q.Limit == 0 {
		return []core.Object{}, nil
	}
	rows, p, cols, err := s.findRows(ctx, ss, class, q)
	if err != nil {
		return nil, err
	}
	return s.scanObjects(rows, p, cols)
}

// findRows runs the query of a find (q.Limit is not 0) and returns its
// rows, whose columns are the four system ones and then cols.
func (s *Store) findRows(ctx context.Context, ss session, class *core.Class, q *core.Query) (*sql.Rows, *plan, []column, error) {
	p := s.plans.get(s.d, class)
	if sql, id, ok := p.getByID(q); ok {
		if s.inProcess {
			ctx = context.WithoutCancel(ctx) // see Config.InProcess
		}
		rows, err := ss.query(ctx, sql, id)
		if err != nil {
			return nil, nil, nil, wrap("find in "+p.name, err)
		}
		return rows, p, p.cols, nil
	}
	cols, sel := selectColumns(p, q.Keys)
	b := NewBuilder(s.d)
	c := compiler{s: s, b: b}
	rp := s.readPlanFor(ctx, ss, p, q, false)
	if rcol, ok := sortedDrive(p, q, rp); ok {
		b.WriteString("SELECT " + sel + " FROM " + p.table + ` t WHERE t."_rid" IN (`)
		if err := c.sortedReaders(p, q, rcol); err != nil {
			return nil, nil, nil, err
		}
		b.WriteString(")")
		if len(q.Order) == 0 {
			// "+ 0": not the table's key order, which PostgreSQL's generic
			// plan would walk from the first row, merging with the
			// candidates, until it met Limit of them; the candidates are
			// few, and sorting them is cheap.
			b.WriteString(` ORDER BY t."_rid" + 0`)
		}
	} else if rp == readDrive && q.ReadACL != nil && len(q.Order) == 0 {
		// All rows in no particular order: the readers index can stream
		// them. DISTINCT drops a row readable through two of the caller's
		// principals.
		b.WriteString("SELECT DISTINCT " + sel + " FROM " + p.readers + " r JOIN " + p.table + ` t ON t."_rid" = r."rid" WHERE r."principal" IN `)
		b.ArgList(append(nonPublic(q.ReadACL), core.PublicPrincipal))
		b.WriteString(" AND ")
		if err := c.expr(p, "t", q.Where); err != nil {
			return nil, nil, nil, err
		}
	} else {
		b.WriteString("SELECT " + sel + " FROM " + p.table + " t WHERE ")
		if err := c.filter(p, "t", q, rp); err != nil {
			return nil, nil, nil, err
		}
	}
	if err := c.orderPage(p, "t", q); err != nil {
		return nil, nil, nil, err
	}
	rows, err := ss.query(ctx, b.String(), b.Args...)
	if err != nil {
		return nil, nil, nil, wrap("find in "+p.name, err)
	}
	return rows, p, cols, nil
}

// getByID returns the statement of plan.getPublic or plan.getAll and its
// argument when q is a get by id of a whole object (the shape core gives
// GET /classes/C/:id) by the public or with no ACL; ok false otherwise.
func (p *plan) getByID(q *core.Query) (sql string, id string, ok bool) {
	w, isCmp := q.Where.(core.Cmp)
	if !isCmp || w.Field != core.FieldObjectID || w.Op != core.OpEq || len(w.Path) > 0 ||
		q.Limit != 1 || q.Skip != 0 || len(q.Order) > 0 || q.Keys != nil {
		return "", "", false
	}
	if id, ok = w.Value.(string); !ok {
		return "", "", false
	}
	switch {
	case q.ReadACL == nil:
		return p.getAll, id, true
	case len(q.ReadACL) == 1 && q.ReadACL[0] == core.PublicPrincipal:
		return p.getPublic, id, true
	}
	return "", "", false
}

// sortedDrive reports whether a find reads its candidates in order from
// an index of the readers table (compiler.sortedReaders), and on which of
// its columns: when the caller may read few rows (readDrive) and the page
// has a size, in no order (by "rid", the readers' key, and then the page
// is in the order of "_rid", as a scan of the table gives it) or sorted on
// one sort field of the class.
func sortedDrive(p *plan, q *core.Query, rp readPlan) (string, bool) {
	if rp != readDrive || q.ReadACL == nil || q.Limit < 0 {
		return "", false
	}
	if len(q.Order) == 0 {
		return `"rid"`, true
	}
	if len(q.Order) != 1 || q.Order[0].Near != nil {
		return "", false
	}
	i, ok := p.sortByName[q.Order[0].Field]
	if !ok {
		return "", false
	}
	return p.sorts[i].rquoted, true
}

// sortedReaders writes a subquery of the "_rid" of candidate rows for a
// page of q in the order of the readers column rcol: for each of the
// caller's principals, the first Skip+Limit rows it may read that match
// q.Where, in that order from the readers' index ("principal", rcol).
// The page is among them: each of its rows is readable through some
// principal, and is in that principal's first Skip+Limit. The caller
// sorts and pages the candidates again (a row may come through two
// principals). Each branch stops after Skip+Limit rows, so no list of
// every readable row is read or sorted, however few the caller may read.
func (c *compiler) sortedReaders(p *plan, q *core.Query, rcol string) error {
	b := c.b
	seen := make(map[string]bool, len(q.ReadACL)+1)
	principals := append(slices.Clone(q.ReadACL), core.PublicPrincipal)
	filtered := q.Where != nil
	if a, ok := q.Where.(core.And); ok && len(a.Exprs) == 0 {
		filtered = false
	}
	dir := "" // "rid": never NULL
	if len(q.Order) > 0 {
		dir = " ASC" + c.s.d.NullsOrder(false)
		if q.Order[0].Desc {
			dir = " DESC" + c.s.d.NullsOrder(true)
		}
	}
	n := 0
	for _, pr := range principals {
		if seen[pr] {
			continue
		}
		seen[pr] = true
		if n > 0 {
			b.WriteString(" UNION ALL ")
		}
		n++
		r := c.newAlias()
		b.WriteString(`SELECT "rid" FROM (SELECT ` + r + `."rid" FROM ` + p.readers + " " + r)
		if filtered {
			t := c.newAlias()
			b.WriteString(" JOIN " + p.table + " " + t + " ON " + t + `."_rid" = ` + r + `."rid" WHERE ` + r + `."principal" = `)
			b.Arg(pr)
			b.WriteString(" AND ")
			if err := c.expr(p, t, q.Where); err != nil {
				return err
			}
		} else {
			b.WriteString(" WHERE " + r + `."principal" = `)
			b.Arg(pr)
		}
		b.WriteString(" ORDER BY " + r + "." + rcol + dir + " LIMIT ")
		if q.Skip == 0 {
			b.WriteString(strconv.Itoa(q.Limit)) // see orderPage
		} else {
			b.Arg(int64(q.Limit) + int64(q.Skip))
		}
		b.WriteString(") " + c.newAlias())
	}
	return nil
}

// scanObjects reads rows of (objectId, createdAt, updatedAt, _acl, cols...)
// and closes them.
func (s *Store) scanObjects(rows *sql.Rows, p *plan, cols []column) ([]core.Object, error) {
	defer rows.Close()
	raw := make([]any, 4+len(cols))
	dest := make([]any, len(raw))
	for i := range raw {
		dest[i] = &raw[i]
	}
	out := []core.Object{}
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return nil, wrap("reading "+p.name, err)
		}
		o, err := decodeRow(raw, cols)
		if err != nil {
			return nil, wrap("decoding "+p.name, err)
		}
		out = append(out, o)
	}
	if err := rows.Err(); err != nil {
		return nil, wrap("reading "+p.name, err)
	}
	return out, nil
}

func decodeRow(raw []any, cols []column) (core.Object, error) {
	o := make(core.Object, 4+len(cols))
	id, ok := asString(raw[0])
	if !ok {
		return nil, errors.New("objectId is not text")
	}
	o[core.FieldObjectID] = id
	for i, k := range [2]string{core.FieldCreatedAt, core.FieldUpdatedAt} {
		v, err := decodeValue(core.TypeDate, raw[1+i], "")
		if err != nil {
			return nil, err
		}
		if v != nil {
			o[k] = v
		}
	}
	acl, err := decodeACL(raw[3])
	if err != nil {
		return nil, err
	}
	if acl != nil {
		o[core.FieldACL] = acl
	}
	for i, c := range cols {
		if raw[4+i] == nil {
			continue
		}
		v, err := decodeValue(c.typ, raw[4+i], c.target)
		if err != nil {
			return nil, err
		}
		o[c.name] = v
	}
	return o, nil
}

func (s *Store) count(ctx context.Context, ss session, class *core.Class, q *core.Query) (int64, error) {
	if q == nil {
		q = &core.Query{Limit: -1}
	}
	p := s.plans.get(s.d, class)
	b := NewBuilder(s.d)
	c := compiler{s: s, b: b}
	if !c.countPublic(p, q) {
		b = NewBuilder(s.d)
		c = compiler{s: s, b: b}
		b.WriteString("SELECT count(*) FROM " + p.table + " t WHERE ")
		if err := c.filter(p, "t", q, s.readPlanFor(ctx, ss, p, q, true)); err != nil {
			return 0, err
		}
	}
	rows, err := ss.query(ctx, b.String(), b.Args...)
	if err != nil {
		return 0, wrap("count in "+p.name, err)
	}
	defer rows.Close()
	var n int64
	if rows.Next() {
		if err := rows.Scan(&n); err != nil {
			return 0, wrap("count in "+p.name, err)
		}
	}
	return n, wrap("count in "+p.name, rows.Err())
}

// countPublic writes the count of q from the readers table alone, when it
// can: the caller is the public (ReadACL is just "*") and q.Where only
// compares sort fields, whose values the readers rows carry. The rows the
// public may read are exactly those with a "*" readers row, and their
// index ("principal", "s:field", "rid") then answers the count without
// reading the class table, the way an index on field answers a count with
// no ACL; the table's own index would need a look at each matching row's
// "_rpub". It reports false when it cannot (and may have written part of
// a statement: the caller starts another).
func (c *compiler) countPublic(p *plan, q *core.Query) bool {
	if len(q.ReadACL) == 0 || slices.ContainsFunc(q.ReadACL, func(pr string) bool { return pr != core.PublicPrincipal }) ||
		!onSortFields(p, q.Where) {
		return false
	}
	c.b.WriteString("SELECT count(*) FROM " + p.readers + ` r WHERE r."principal" = `)
	c.b.Arg(core.PublicPrincipal)
	c.b.WriteString(" AND ")
	return c.expr(p.readersView, "r", q.Where) == nil
}

// onSortFields reports whether e only compares, lists or tests the
// existence of top-level sort fields of p (see sortFields).
func onSortFields(p *plan, e core.Expr) bool {
	sortField := func(name string, path []string) bool {
		_, ok := p.sortByName[name]
		return ok && len(path) == 0
	}
	switch x := e.(type) {
	case nil:
		return true
	case core.And:
		for _, sub := range x.Exprs {
			if !onSortFields(p, sub) {
				return false
			}
		}
		return true
	case core.Cmp:
		return sortField(x.Field, x.Path)
	case core.In:
		return sortField(x.Field, x.Path)
	case core.Exists:
		return sortField(x.Field, x.Path)
	}
	return false
}

func (s *Store) distinct(ctx context.Context, ss session, class *core.Class, field string, q *core.Query) ([]any, error) {
	if q == nil {
		q = &core.Query{Limit: -1}
	}
	p := s.plans.get(s.d, class)
	col, ok := p.field(field)
	if !ok || col.typ == core.TypeRelation {
		return nil, invalidQuery("cannot get distinct values of %q in class %s", field, p.name)
	}
	b := NewBuilder(s.d)
	isArray := col.typ == core.TypeArray
	if isArray {
		from, elem := s.d.ArrayElements(`t.`+col.quoted, "e")
		b.WriteString("SELECT DISTINCT " + elem + " FROM " + p.table + " t, " + from + " WHERE ")
	} else {
		b.WriteString("SELECT DISTINCT t." + col.quoted + " FROM " + p.table + " t WHERE t." + col.quoted + " IS NOT NULL AND ")
	}
	c := compiler{s: s, b: b}
	if err := c.filter(p, "t", q, s.readPlanFor(ctx, ss, p, q, true)); err != nil {
		return nil, err
	}
	rows, err := ss.query(ctx, b.String(), b.Args...)
	if err != nil {
		return nil, wrap("distinct in "+p.name, err)
	}
	defer rows.Close()
	out := []any{}
	for rows.Next() {
		var raw any
		if err := rows.Scan(&raw); err != nil {
			return nil, wrap("distinct in "+p.name, err)
		}
		var v any
		if isArray {
			js, _ := asBytes(raw)
			if err := json.Unmarshal(js, &v); err != nil {
				return nil, wrap("distinct in "+p.name, err)
			}
		} else if v, err = decodeValue(col.typ, raw, col.target); err != nil {
			return nil, wrap("distinct in "+p.name, err)
		}
		out = append(out, v)
	}
	return out, wrap("distinct in "+p.name, rows.Err())
}
