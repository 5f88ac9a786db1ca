package sqlstore

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/switchboardhq/switchboard/core"
)

// AggregateDialect is the Dialect ability aggregate pipelines need: JSON
// values built from columns, and the aggregates that differ by engine.
// Without it the store answers pipelines with CodeInvalidQuery.
//
// A "JSON value" is the engine's JSON type: text holding JSON in SQLite,
// jsonb in PostgreSQL. expr arguments are SQL expressions sqlstore built;
// a method may repeat them in what it returns.
type AggregateDialect interface {
	// AggJSON renders expr as a JSON value: expr holds a field of type t in
	// its column form, or a JSON value already when isJSON.
	AggJSON(expr string, t core.Type, isJSON bool) string
	// AggJSONPath returns an expression for the JSON value at path inside
	// the JSON column col, SQL NULL when missing. It may bind path with
	// b.Bind only if the dialect's placeholders are numbered ($n): the
	// expression's text is placed, and may be repeated, anywhere in the
	// statement.
	AggJSONPath(b *Builder, col string, path []string) string
	// AggScalar reads a JSON value as an SQL value to compare and sort
	// with: values bound against it are JSON arguments (see JSONArger).
	AggScalar(expr string) string
	// AggNumber reads a JSON value as a number, NULL when it is none.
	AggNumber(expr string) string
	// AggObject builds a JSON object of keys (safe identifiers) to the
	// JSON values exprs.
	AggObject(keys, exprs []string) string
	// AggArray is the aggregate of the JSON values expr into a JSON array
	// (never NULL), in order (an ORDER BY list, or ""), without nulls, and
	// without duplicates when distinct.
	AggArray(expr string, distinct bool, order string) string
	// AggPick is the aggregate of the JSON value expr of the first (or
	// last) row of the group in order.
	AggPick(expr string, last bool, order string) string
	// AggMinMax is the smallest (or largest) of expr, a column of type t
	// (or a JSON value when isJSON), in the same form.
	AggMinMax(expr string, t core.Type, isJSON, max bool) string
	// AggUnwind returns a FROM item that unwinds the JSON array in col,
	// with expressions for each element (a JSON value) and its index
	// (0-based).
	AggUnwind(col, alias string) (from, elem, index string)
}

var _ core.Aggregator = (*Store)(nil)

// Aggregate runs a pipeline (see core.Pipeline) as one SQL statement: each
// stage is a SELECT over the one before.
func (s *Store) Aggregate(ctx context.Context, c *core.Class, p *core.Pipeline) ([]core.Object, error) {
	done, err := s.admit(ctx, true)
	if err != nil {
		return nil, err
	}
	defer done()
	docs, err := s.aggregate(ctx, s.reading(ctx), c, p)
	return docs, cutByDeadline(ctx, err)
}

// Aggregate in a transaction.
func (t *txStore) Aggregate(ctx context.Context, c *core.Class, p *core.Pipeline) ([]core.Object, error) {
	if err := t.check(); err != nil {
		return nil, err
	}
	return t.s.aggregate(ctx, t.session(), c, p)
}

// aggCol is a column of a stage's SELECT: a field of the documents.
type aggCol struct {
	f      core.AggField
	name   string // the column's name in the SELECT
	isJSON bool   // holds a JSON value, not the column form of f.Type
}

// aggLayer is what one stage's SELECT outputs: the documents' fields, and
// hidden columns that carry the order of the last $sort.
type aggLayer struct {
	cols  []aggCol
	order []aggOrder
	// nulls: the documents come from $group or $count, whose null fields
	// are returned as null rather than left out.
	nulls bool
}

type aggOrder struct {
	name string
	desc bool
}

func (l aggLayer) col(name string) (aggCol, error) {
	for _, c := range l.cols {
		if c.f.Name == name {
			return c, nil
		}
	}
	return aggCol{}, invalidQuery("the documents have no field %q here", name)
}

// aggStep writes one stage's SELECT around the previous one, aliased in:
// head is what precedes "FROM (<previous>) in", tail what follows.
type aggStep struct {
	head func() error
	join string // FROM items after the previous stage ($unwind)
	tail func() error
	out  aggLayer
}

type aggCompiler struct {
	s     *Store
	d     AggregateDialect
	b     *Builder
	n     int // names given so far
	steps []aggStep
}

func (ac *aggCompiler) name(prefix string) string {
	ac.n++
	return prefix + strconv.Itoa(ac.n)
}

func (s *Store) aggregate(ctx context.Context, ss session, class *core.Class, p *core.Pipeline) ([]core.Object, error) {
	d, ok := s.d.(AggregateDialect)
	if !ok {
		return nil, invalidQuery("this data store cannot run aggregate pipelines")
	}
	pl := s.plans.get(s.d, class)
	b := NewBuilder(s.d)
	ac := &aggCompiler{s: s, d: d, b: b}
	// The first SELECT reads the class's rows that match Where and
	// ReadACL, one column per field.
	var base aggLayer
	for _, f := range core.AggregateInput(class) {
		col, ok := pl.field(f.Name)
		if !ok {
			return nil, invalidQuery("field %q is not in the schema of class %s", f.Name, class.Name)
		}
		base.cols = append(base.cols, aggCol{f: f, name: ac.name("c") + "_" + col.name})
	}
	in := base
	for _, st := range p.Stages {
		step, err := ac.stage(in, st)
		if err != nil {
			return nil, err
		}
		ac.steps = append(ac.steps, step)
		in = step.out
	}
	out := in
	b.WriteString("SELECT ")
	for i, c := range out.cols {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("f." + c.name)
	}
	b.WriteString(" FROM (")
	if err := ac.emit(len(ac.steps), func() error {
		b.WriteString("SELECT ")
		for i, c := range base.cols {
			if i > 0 {
				b.WriteString(", ")
			}
			col, _ := pl.field(c.f.Name)
			b.WriteString("t." + col.quoted + " AS " + c.name)
		}
		b.WriteString(" FROM " + pl.table + " t WHERE ")
		return (&compiler{s: s, b: b}).filter(pl, "t", &core.Query{Where: p.Where, ReadACL: p.ReadACL}, readScan)
	}); err != nil {
		return nil, err
	}
	b.WriteString(") f")
	ac.orderBy("f", out.order)
	b.WriteString(" LIMIT ")
	b.Arg(int64(p.MaxResults) + 1)
	rows, err := ss.query(ctx, b.String(), b.Args...)
	if err != nil {
		return nil, wrap("aggregate on "+pl.name, err)
	}
	defer rows.Close()
	raw := make([]any, len(out.cols))
	dest := make([]any, len(raw))
	for i := range raw {
		dest[i] = &raw[i]
	}
	docs := []core.Object{}
	for rows.Next() {
		if len(docs) == p.MaxResults {
			return nil, invalidQuery("the pipeline returns more than %d documents; add a $limit stage or narrow its $match", p.MaxResults)
		}
		if err := rows.Scan(dest...); err != nil {
			return nil, wrap("aggregate on "+pl.name, err)
		}
		doc := make(core.Object, len(out.cols))
		for i, c := range out.cols {
			v, err := decodeAggValue(c, raw[i])
			if err != nil {
				return nil, wrap("aggregate on "+pl.name, err)
			}
			if v != nil || out.nulls || c.f.Name == core.FieldObjectID && c.isJSON {
				doc[c.f.Name] = v
			}
		}
		docs = append(docs, doc)
	}
	return docs, wrap("aggregate on "+pl.name, rows.Err())
}

// emit writes the SELECT of step i (0: base) with the steps below it.
func (ac *aggCompiler) emit(i int, base func() error) error {
	if i == 0 {
		return base()
	}
	st := ac.steps[i-1]
	if err := st.head(); err != nil {
		return err
	}
	ac.b.WriteString(" FROM (")
	if err := ac.emit(i-1, base); err != nil {
		return err
	}
	ac.b.WriteString(") " + inAlias(i) + st.join)
	return st.tail()
}

// inAlias is the alias of step i's input.
func inAlias(i int) string { return "s" + strconv.Itoa(i) }

// carry writes the columns of l, read from alias a, unchanged.
func (ac *aggCompiler) carry(a string, l aggLayer, skip string) {
	first := true
	for _, c := range l.cols {
		if c.f.Name == skip {
			continue
		}
		if !first {
			ac.b.WriteString(", ")
		}
		first = false
		ac.b.WriteString(a + "." + c.name)
	}
	for _, o := range l.order {
		if !first {
			ac.b.WriteString(", ")
		}
		first = false
		ac.b.WriteString(a + "." + o.name)
	}
	if first {
		ac.b.WriteString("1 AS " + ac.name("x"))
	}
}

// orderBy writes ORDER BY the hidden order columns of a layer read as a.
func (ac *aggCompiler) orderBy(a string, order []aggOrder) {
	if s := ac.orderList(a, order); s != "" {
		ac.b.WriteString(" ORDER BY " + s)
	}
}

func (ac *aggCompiler) orderList(a string, order []aggOrder) string {
	parts := make([]string, len(order))
	for i, o := range order {
		dir := " ASC"
		if o.desc {
			dir = " DESC"
		}
		parts[i] = a + "." + o.name + dir + ac.s.d.NullsOrder(o.desc)
	}
	return strings.Join(parts, ", ")
}

// ref returns an expression for r on layer l read as a, and the column it
// makes (without a name).
func (ac *aggCompiler) ref(l aggLayer, a string, r core.AggRef) (string, aggCol, error) {
	c, err := l.col(r.Field)
	if err != nil {
		return "", aggCol{}, err
	}
	ref := a + "." + c.name
	if len(r.Path) == 0 {
		return ref, c, nil
	}
	if c.isJSON {
		return "", aggCol{}, invalidQuery("sub-keys of %q cannot be read here", r.Field)
	}
	return ac.d.AggJSONPath(ac.b, ref, r.Path), aggCol{f: core.AggField{Name: r.Field}, isJSON: true}, nil
}

// Bind adds v as the next bind argument and returns its placeholder,
// without writing it: for expressions placed later (see AggJSONPath).
func (b *Builder) Bind(v any) string {
	b.Args = append(b.Args, v)
	return b.d.Placeholder(len(b.Args))
}

func (ac *aggCompiler) stage(in aggLayer, st core.Stage) (aggStep, error) {
	i := len(ac.steps) + 1
	a := inAlias(i)
	b := ac.b
	switch x := st.(type) {
	case core.MatchStage:
		return aggStep{
			head: func() error { b.WriteString("SELECT "); ac.carry(a, in, ""); return nil },
			tail: func() error { b.WriteString(" WHERE "); return ac.match(in, a, x.Where) },
			out:  in,
		}, nil
	case core.SortStage:
		out := aggLayer{cols: in.cols, nulls: in.nulls}
		var exprs []string
		for _, k := range x.Keys {
			c, err := in.col(k.Field)
			if err != nil {
				return aggStep{}, err
			}
			e := a + "." + c.name
			if c.isJSON {
				e = ac.d.AggScalar(e)
			}
			o := aggOrder{name: ac.name("o"), desc: k.Desc}
			out.order = append(out.order, o)
			exprs = append(exprs, e+" AS "+o.name)
		}
		return aggStep{
			head: func() error {
				b.WriteString("SELECT ")
				ac.carry(a, aggLayer{cols: in.cols}, "")
				b.WriteString(", " + strings.Join(exprs, ", "))
				return nil
			},
			tail: func() error { return nil },
			out:  out,
		}, nil
	case core.SkipStage, core.LimitStage:
		return aggStep{
			head: func() error { b.WriteString("SELECT "); ac.carry(a, in, ""); return nil },
			tail: func() error {
				ac.orderBy(a, in.order)
				b.WriteString(" LIMIT ")
				if l, ok := x.(core.LimitStage); ok {
					b.Arg(int64(l.N))
					return nil
				}
				b.Arg(int64(math.MaxInt64))
				b.WriteString(" OFFSET ")
				b.Arg(int64(x.(core.SkipStage).N))
				return nil
			},
			out: in,
		}, nil
	case core.ProjectStage:
		out := aggLayer{order: in.order}
		heads := make([]string, len(x.Fields))
		for j, p := range x.Fields {
			expr, c, err := ac.ref(in, a, p.Of)
			if err != nil {
				return aggStep{}, err
			}
			c.f, c.name = p.Out, ac.name("c")
			out.cols = append(out.cols, c)
			heads[j] = expr + " AS " + c.name
		}
		return aggStep{
			head: func() error {
				b.WriteString("SELECT " + strings.Join(heads, ", "))
				for _, o := range in.order {
					b.WriteString(", " + a + "." + o.name)
				}
				if len(heads) == 0 && len(in.order) == 0 {
					b.WriteString("1 AS " + ac.name("x"))
				}
				return nil
			},
			tail: func() error { return nil },
			out:  out,
		}, nil
	case core.UnwindStage:
		src, err := in.col(x.Field)
		if err != nil {
			return aggStep{}, err
		}
		e := ac.name("e")
		from, elem, index := ac.d.AggUnwind(a+"."+src.name, e)
		join := " CROSS JOIN " + from
		if x.PreserveEmpty {
			join = " LEFT JOIN " + from + " ON 1=1"
		}
		out := aggLayer{order: in.order, nulls: in.nulls}
		elemCol := aggCol{f: core.AggField{Name: x.Field}, name: ac.name("c"), isJSON: true}
		var idxCol aggCol
		for _, c := range in.cols {
			switch c.f.Name {
			case x.Field:
				out.cols = append(out.cols, elemCol)
			case x.IndexField:
			default:
				out.cols = append(out.cols, c)
			}
		}
		if x.IndexField != "" {
			idxCol = aggCol{f: core.AggField{Name: x.IndexField, Type: core.TypeNumber}, name: ac.name("c")}
			out.cols = append(out.cols, idxCol)
		}
		return aggStep{
			head: func() error {
				b.WriteString("SELECT ")
				ac.carry(a, aggLayer{cols: in.cols, order: in.order}, x.Field)
				b.WriteString(", " + elem + " AS " + elemCol.name)
				if x.IndexField != "" {
					b.WriteString(", CAST(" + index + " AS DOUBLE PRECISION) AS " + idxCol.name)
				}
				return nil
			},
			join: join,
			tail: func() error { return nil },
			out:  out,
		}, nil
	case core.CountStage:
		c := aggCol{f: core.AggField{Name: x.Field, Type: core.TypeNumber}, name: ac.name("c")}
		return aggStep{
			head: func() error { b.WriteString("SELECT CAST(count(*) AS DOUBLE PRECISION) AS " + c.name); return nil },
			tail: func() error { b.WriteString(" HAVING count(*) > 0"); return nil },
			out:  aggLayer{cols: []aggCol{c}, nulls: true},
		}, nil
	case core.GroupStage:
		return ac.group(in, a, x)
	}
	return aggStep{}, invalidQuery("aggregate stage %T is not supported by this store", st)
}

func (ac *aggCompiler) group(in aggLayer, a string, g core.GroupStage) (aggStep, error) {
	b := ac.b
	out := aggLayer{nulls: true}
	var heads []string
	key := aggCol{name: ac.name("c")}
	switch {
	case len(g.Keys) == 0:
		key.f, key.isJSON = core.AggField{Name: core.FieldObjectID}, true
		heads = append(heads, "NULL AS "+key.name)
	case g.KeyObject:
		key.f = core.AggField{Name: core.FieldObjectID, Type: core.TypeObject}
		key.isJSON = true
		names := make([]string, len(g.Keys))
		exprs := make([]string, len(g.Keys))
		for j, k := range g.Keys {
			expr, c, err := ac.ref(in, a, k.Of)
			if err != nil {
				return aggStep{}, err
			}
			part := k.Type
			part.Name = k.Alias
			key.f.Parts = append(key.f.Parts, part)
			names[j], exprs[j] = k.Alias, ac.d.AggJSON(expr, c.f.Type, c.isJSON)
		}
		heads = append(heads, ac.d.AggObject(names, exprs)+" AS "+key.name)
	default:
		expr, c, err := ac.ref(in, a, g.Keys[0].Of)
		if err != nil {
			return aggStep{}, err
		}
		key.f, key.isJSON = g.Keys[0].Type, c.isJSON
		key.f.Name = core.FieldObjectID
		heads = append(heads, expr+" AS "+key.name)
	}
	out.cols = append(out.cols, key)
	order := ac.orderList(a, in.order)
	for _, acc := range g.Accumulators {
		c := aggCol{f: acc.Out, name: ac.name("c")}
		if acc.Of == nil { // $sum of a constant
			lit := strconv.FormatFloat(acc.Const, 'g', -1, 64)
			heads = append(heads, "CAST(count(*) * "+lit+" AS DOUBLE PRECISION) AS "+c.name)
			out.cols = append(out.cols, c)
			continue
		}
		e, src, err := ac.ref(in, a, *acc.Of)
		if err != nil {
			return aggStep{}, err
		}
		var sql string
		switch acc.Op {
		case core.AccSum, core.AccAvg:
			if src.isJSON {
				e = ac.d.AggNumber(e)
			}
			if acc.Op == core.AccSum {
				sql = "CAST(coalesce(sum(" + e + "), 0) AS DOUBLE PRECISION)"
			} else {
				sql = "CAST(avg(" + e + ") AS DOUBLE PRECISION)"
			}
		case core.AccMin, core.AccMax:
			sql = ac.d.AggMinMax(e, src.f.Type, src.isJSON, acc.Op == core.AccMax)
			c.isJSON = src.isJSON
		case core.AccFirst, core.AccLast:
			sql = ac.d.AggPick(ac.d.AggJSON(e, src.f.Type, src.isJSON), acc.Op == core.AccLast, order)
			c.isJSON = true
		case core.AccPush, core.AccAddToSet:
			sql = ac.d.AggArray(ac.d.AggJSON(e, src.f.Type, src.isJSON), acc.Op == core.AccAddToSet, order)
			c.isJSON = true
		default:
			return aggStep{}, invalidQuery("accumulator %s is not supported by this store", acc.Op)
		}
		heads = append(heads, sql+" AS "+c.name)
		out.cols = append(out.cols, c)
	}
	return aggStep{
		head: func() error { b.WriteString("SELECT " + strings.Join(heads, ", ")); return nil },
		tail: func() error {
			if len(g.Keys) > 0 {
				b.WriteString(" GROUP BY 1")
			} else {
				b.WriteString(" HAVING count(*) > 0")
			}
			return nil
		},
		out: out,
	}, nil
}

// match writes a $match after the documents changed.
func (ac *aggCompiler) match(l aggLayer, a string, e core.Expr) error {
	b := ac.b
	switch x := e.(type) {
	case nil:
		b.WriteString(sqlTrue)
	case core.Nothing:
		b.WriteString(sqlFalse)
	case core.And, core.Or, core.Nor:
		var exprs []core.Expr
		sep, empty := " AND ", sqlTrue
		switch y := x.(type) {
		case core.And:
			exprs = y.Exprs
		case core.Or:
			exprs, sep, empty = y.Exprs, " OR ", sqlFalse
		case core.Nor:
			exprs, sep, empty = y.Exprs, " OR ", sqlFalse
			b.WriteString("(")
			defer b.WriteString(" IS NOT TRUE)")
		}
		if len(exprs) == 0 {
			b.WriteString(empty)
			return nil
		}
		b.WriteString("(")
		for i, sub := range exprs {
			if i > 0 {
				b.WriteString(sep)
			}
			if err := ac.match(l, a, sub); err != nil {
				return err
			}
		}
		b.WriteString(")")
	case core.Cmp, core.In, core.Exists, core.Regex:
		return ac.matchField(l, a, x)
	default:
		return invalidQuery("%T is not supported in a $match after $group, $project or $unwind", e)
	}
	return nil
}

func (ac *aggCompiler) matchField(l aggLayer, a string, e core.Expr) error {
	var field string
	switch x := e.(type) {
	case core.Cmp:
		field = x.Field
	case core.In:
		field = x.Field
	case core.Exists:
		field = x.Field
	case core.Regex:
		field = x.Field
	}
	c, err := l.col(field)
	if err != nil {
		return err
	}
	lhs := a + "." + c.name
	if c.isJSON {
		lhs = ac.d.AggScalar(lhs)
	}
	conv := func(v any) (any, error) {
		if c.isJSON {
			return ac.s.jsonArg(v), nil
		}
		if s, ok := v.(string); ok && c.f.Type == core.TypePointer {
			return s, nil
		}
		return encodeValue(c.f.Type, v)
	}
	b := ac.b
	switch x := e.(type) {
	case core.Exists:
		if x.Exists {
			b.WriteString("(" + lhs + " IS NOT NULL)")
		} else {
			b.WriteString("(" + lhs + " IS NULL)")
		}
	case core.Regex:
		re, err := GoRegex(x.Pattern, x.Options)
		if err != nil {
			return err
		}
		ac.s.d.Regex(b, func() { b.WriteString(lhs) }, re)
	case core.Cmp:
		op, ok := cmpSQL[x.Op]
		if !ok {
			return invalidQuery("unknown comparison %q", x.Op)
		}
		if x.Value == nil {
			switch x.Op {
			case core.OpEq:
				b.WriteString("(" + lhs + " IS NULL)")
			case core.OpNe:
				b.WriteString("(" + lhs + " IS NOT NULL)")
			default:
				b.WriteString(sqlFalse)
			}
			return nil
		}
		v, err := conv(x.Value)
		if err != nil {
			return err
		}
		b.WriteString("(")
		if x.Op == core.OpNe {
			b.WriteString(lhs + " IS NULL OR ")
		}
		b.WriteString(lhs + op)
		b.Arg(v)
		b.WriteString(")")
	case core.In:
		var args []any
		hasNull := false
		for _, v := range x.Values {
			if v == nil {
				hasNull = true
				continue
			}
			a, err := conv(v)
			if err != nil {
				return err
			}
			args = append(args, a)
		}
		b.WriteString("(")
		switch {
		case x.Not && hasNull:
			b.WriteString(lhs + " IS NOT NULL AND ")
		case x.Not || hasNull:
			b.WriteString(lhs + " IS NULL OR ")
		}
		switch {
		case len(args) == 0 && x.Not:
			b.WriteString(sqlTrue)
		case len(args) == 0:
			b.WriteString(sqlFalse)
		default:
			b.WriteString(lhs)
			if x.Not {
				b.WriteString(" NOT")
			}
			b.WriteString(" IN ")
			b.ArgList(args)
		}
		b.WriteString(")")
	}
	return nil
}

// decodeAggValue converts a result column back to a core value.
func decodeAggValue(c aggCol, raw any) (any, error) {
	if raw == nil {
		return nil, nil
	}
	if !c.isJSON {
		return decodeValue(c.f.Type, raw, c.f.TargetClass)
	}
	js, ok := asBytes(raw)
	if !ok {
		// An engine may give a JSON scalar as an SQL one.
		switch x := raw.(type) {
		case int64:
			js = []byte(strconv.FormatInt(x, 10))
		case float64:
			js = []byte(strconv.FormatFloat(x, 'g', -1, 64))
		case bool:
			js = []byte(strconv.FormatBool(x))
		default:
			return nil, fmt.Errorf("unexpected JSON column %T", raw)
		}
	}
	var v any
	if err := json.Unmarshal(js, &v); err != nil {
		return nil, fmt.Errorf("decoding a JSON column: %w", err)
	}
	return fromJSON(c.f, v)
}

// fromJSON converts a decoded JSON value of a field of type f.Type, as
// AggJSON renders it, to its core value.
func fromJSON(f core.AggField, v any) (any, error) {
	if v == nil {
		return nil, nil
	}
	switch {
	case f.Parts != nil:
		m, ok := v.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("a group key is %T, not an object", v)
		}
		out := make(map[string]any, len(m))
		for _, p := range f.Parts {
			pv, err := fromJSON(p, m[p.Name])
			if err != nil {
				return nil, err
			}
			out[p.Name] = pv
		}
		return out, nil
	case f.Type == "" || f.Type == core.TypeObject:
		return v, nil
	case f.Type == core.TypeArray:
		list, ok := v.([]any)
		if !ok || f.Elem == "" {
			return v, nil
		}
		out := make([]any, len(list))
		for i, e := range list {
			ev, err := fromJSON(core.AggField{Type: f.Elem, TargetClass: f.TargetClass}, e)
			if err != nil {
				return nil, err
			}
			out[i] = ev
		}
		return out, nil
	case f.Type == core.TypeBoolean:
		switch x := v.(type) {
		case bool:
			return x, nil
		case float64:
			return x != 0, nil
		}
	case f.Type == core.TypeDate:
		if ms, ok := v.(float64); ok {
			return time.UnixMilli(int64(math.Round(ms))).UTC(), nil
		}
	case f.Type == core.TypeNumber:
		if n, ok := v.(float64); ok {
			return n, nil
		}
	default:
		if s, ok := v.(string); ok {
			return decodeValue(f.Type, s, f.TargetClass)
		}
		js, err := json.Marshal(v)
		if err != nil {
			return nil, err
		}
		return decodeValue(f.Type, string(js), f.TargetClass)
	}
	return nil, fmt.Errorf("unexpected JSON %T for a %s field", v, f.Type)
}
