package sqlstore

import (
	"math"
	"regexp"
	"strconv"
	"strings"
	"unicode"

	"github.com/switchboardhq/switchboard/core"
)

// compiler translates a checked core.Expr tree into an SQL predicate. It
// writes into one Builder, so the argument order follows the text.
type compiler struct {
	s      *Store
	b      *Builder
	nAlias int
}

func invalidQuery(format string, args ...any) error {
	return core.Errorf(core.CodeInvalidQuery, format, args...)
}

const (
	sqlFalse = "(1=0)"
	sqlTrue  = "(1=1)"
)

// newAlias returns a fresh table alias for a subquery.
func (c *compiler) newAlias() string {
	c.nAlias++
	return "s" + strconv.Itoa(c.nAlias)
}

// expr writes the predicate for e on the class of p aliased alias.
func (c *compiler) expr(p *plan, alias string, e core.Expr) error {
	b := c.b
	switch x := e.(type) {
	case nil:
		b.WriteString(sqlTrue)
	case core.And:
		return c.list(p, alias, x.Exprs, " AND ", sqlTrue)
	case core.Or:
		return c.list(p, alias, x.Exprs, " OR ", sqlFalse)
	case core.Nor:
		return c.nor(p, alias, x.Exprs)
	case core.Nothing:
		b.WriteString(sqlFalse)
	case core.Cmp:
		return c.cmp(p, alias, x)
	case core.In:
		return c.in(p, alias, x)
	case core.Exists:
		return c.exists(p, alias, x)
	case core.ArrayContains:
		return c.arrayOp(p, alias, x.Field, x.Values, true)
	case core.ArrayContainedBy:
		return c.arrayOp(p, alias, x.Field, x.Values, false)
	case core.Regex:
		return c.regex(p, alias, x)
	case core.Text:
		return c.text(p, alias, x)
	case core.Near:
		return c.near(p, alias, x.Field, x.Point, x.MaxDistance)
	case core.WithinSphere:
		return c.near(p, alias, x.Field, x.Center, x.Radius)
	case core.WithinBox:
		return c.box(p, alias, x)
	case core.WithinPolygon:
		return c.polygon(p, alias, x)
	case core.PolygonContains:
		return c.polygonContains(p, alias, x)
	case core.RelatedTo:
		return c.relatedTo(alias, x)
	case core.RelationContains:
		return c.relationContains(p, alias, x)
	case core.InQuery:
		return c.inQuery(p, alias, x)
	case core.Select:
		return c.selectQuery(p, alias, x)
	default:
		// The core builds value nodes (core.Cmp, not *core.Cmp).
		return invalidQuery("query operator %T is not supported by this store", e)
	}
	return nil
}

func (c *compiler) list(p *plan, alias string, exprs []core.Expr, sep, empty string) error {
	if len(exprs) == 0 {
		c.b.WriteString(empty)
		return nil
	}
	c.b.WriteByte('(')
	for i, e := range exprs {
		if i > 0 {
			c.b.WriteString(sep)
		}
		if err := c.expr(p, alias, e); err != nil {
			return err
		}
	}
	c.b.WriteByte(')')
	return nil
}

// nor is NOT (a OR b) where an unknown (NULL) child counts as false, as a
// missing field does in MongoDB.
func (c *compiler) nor(p *plan, alias string, exprs []core.Expr) error {
	if len(exprs) == 0 {
		c.b.WriteString(sqlTrue)
		return nil
	}
	c.b.WriteString("(")
	if err := c.list(p, alias, exprs, " OR ", sqlFalse); err != nil {
		return err
	}
	c.b.WriteString(" IS NOT TRUE)")
	return nil
}

// column looks a field up for a predicate.
func (c *compiler) column(p *plan, name string) (column, error) {
	col, ok := p.field(name)
	if !ok {
		return column{}, invalidQuery("field %q is not in the schema of class %s", name, p.name)
	}
	return col, nil
}

// operand returns a function writing the left-hand side for field+path, and
// the function that converts a value to its bind argument.
func (c *compiler) operand(p *plan, alias, field string, path []string) (col column, lhs func(), conv func(any) (any, error), err error) {
	col, err = c.column(p, field)
	if err != nil {
		return
	}
	ref := alias + "." + col.quoted
	if len(path) > 0 {
		if col.typ != core.TypeObject {
			err = invalidQuery("field %q of type %s has no sub-keys", field, col.typ)
			return
		}
		lhs = func() { c.s.d.JSONValue(c.b, ref, path) }
		conv = func(v any) (any, error) { return c.s.jsonArg(v), nil }
		col.typ = "" // a JSON value: no field type
		return
	}
	if col.typ == core.TypeRelation {
		err = invalidQuery("field %q is a Relation; compare it with a pointer", field)
		return
	}
	lhs = func() { c.b.WriteString(ref) }
	t := col.typ
	conv = func(v any) (any, error) {
		if s, ok := v.(string); ok && t == core.TypePointer {
			return s, nil
		}
		a, err := encodeValue(t, v)
		if err != nil {
			return nil, invalidQuery("field %q: %s", field, core.AsError(err).Message)
		}
		return a, nil
	}
	return
}

var cmpSQL = map[core.CmpOp]string{
	core.OpEq: " = ", core.OpNe: " <> ", core.OpLt: " < ", core.OpLte: " <= ", core.OpGt: " > ", core.OpGte: " >= ",
}

func (c *compiler) cmp(p *plan, alias string, x core.Cmp) error {
	op, ok := cmpSQL[x.Op]
	if !ok {
		return invalidQuery("unknown comparison %q", x.Op)
	}
	col, lhs, conv, err := c.operand(p, alias, x.Field, x.Path)
	if err != nil {
		return err
	}
	b := c.b
	if col.typ == core.TypeArray && len(x.Path) == 0 {
		if _, whole := x.Value.([]any); !whole && x.Value != nil {
			// {"arr": v} matches arrays holding v, as in MongoDB.
			switch x.Op {
			case core.OpEq:
				c.s.d.ArrayAny(b, alias+"."+col.quoted, []any{x.Value})
				return nil
			case core.OpNe:
				b.WriteString("(" + alias + "." + col.quoted + " IS NULL OR NOT ")
				c.s.d.ArrayAny(b, alias+"."+col.quoted, []any{x.Value})
				b.WriteString(")")
				return nil
			}
			return invalidQuery("field %q is an Array: compare it with $all, $in or equality", x.Field)
		}
	}
	if x.Value == nil {
		switch x.Op {
		case core.OpEq:
			b.WriteString("(")
			lhs()
			b.WriteString(" IS NULL)")
		case core.OpNe:
			b.WriteString("(")
			lhs()
			b.WriteString(" IS NOT NULL)")
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
		// $ne also matches objects where the field is missing.
		lhs()
		b.WriteString(" IS NULL OR ")
	}
	lhs()
	b.WriteString(op)
	b.Arg(v)
	b.WriteString(")")
	return nil
}

func (c *compiler) in(p *plan, alias string, x core.In) error {
	col, lhs, conv, err := c.operand(p, alias, x.Field, x.Path)
	if err != nil {
		return err
	}
	b := c.b
	if len(x.Values) == 0 {
		if x.Not {
			b.WriteString(sqlTrue)
		} else {
			b.WriteString(sqlFalse)
		}
		return nil
	}
	if col.typ == core.TypeArray {
		ref := alias + "." + col.quoted
		if x.Not {
			b.WriteString("(" + ref + " IS NULL OR NOT ")
			c.s.d.ArrayAny(b, ref, x.Values)
			b.WriteString(")")
		} else {
			c.s.d.ArrayAny(b, ref, x.Values)
		}
		return nil
	}
	args := make([]any, 0, len(x.Values))
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
	// $in matches a missing field only when null is among the values, and
	// $nin only when it is not.
	nullTest, listOp, emptyList := " IS NULL OR ", " IN ", sqlFalse
	if x.Not {
		listOp, emptyList = " NOT IN ", sqlTrue
		if hasNull {
			nullTest = " IS NOT NULL AND "
		}
	}
	b.WriteString("(")
	if x.Not || hasNull {
		lhs()
		b.WriteString(nullTest)
	}
	if len(args) == 0 {
		b.WriteString(emptyList)
	} else {
		lhs()
		b.WriteString(listOp)
		b.ArgList(args)
	}
	b.WriteString(")")
	return nil
}

func (c *compiler) exists(p *plan, alias string, x core.Exists) error {
	col, err := c.column(p, x.Field)
	if err != nil {
		return err
	}
	b := c.b
	if col.typ == core.TypeRelation && len(x.Path) == 0 {
		if !x.Exists {
			b.WriteString("NOT ")
		}
		b.WriteString("EXISTS (SELECT 1 FROM " + JoinTable(p.name, col.name) + ` j WHERE j."owningId" = ` + alias + `."objectId")`)
		return nil
	}
	_, lhs, _, err := c.operand(p, alias, x.Field, x.Path)
	if err != nil {
		return err
	}
	b.WriteString("(")
	lhs()
	if x.Exists {
		b.WriteString(" IS NOT NULL)")
	} else {
		b.WriteString(" IS NULL)")
	}
	return nil
}

func (c *compiler) arrayOp(p *plan, alias, field string, vals []any, all bool) error {
	col, err := c.column(p, field)
	if err != nil {
		return err
	}
	if col.typ != core.TypeArray {
		return invalidQuery("field %q is not an Array", field)
	}
	ref := alias + "." + col.quoted
	if all {
		if len(vals) == 0 {
			c.b.WriteString(sqlFalse)
			return nil
		}
		c.s.d.ArrayAll(c.b, ref, vals)
		return nil
	}
	c.b.WriteString("(" + ref + " IS NOT NULL AND ")
	if len(vals) == 0 {
		c.b.WriteString(ref + " = ")
		c.b.Arg("[]")
	} else {
		c.s.d.ArrayOnly(c.b, ref, vals)
	}
	c.b.WriteString(")")
	return nil
}

// GoRegex turns a Parse/MongoDB regular expression and its options into a
// Go regular expression, and checks it compiles.
func GoRegex(pattern, options string) (string, error) {
	flags := ""
	for _, o := range options {
		switch o {
		case 'i', 'm', 's':
			if !strings.ContainsRune(flags, o) {
				flags += string(o)
			}
		case 'x':
			pattern = stripExtended(pattern)
		case 'u':
		default:
			return "", invalidQuery("unknown $options %q: use i, m, s or x", string(o))
		}
	}
	if flags != "" {
		pattern = "(?" + flags + ")" + pattern
	}
	if _, err := regexp.Compile(pattern); err != nil {
		return "", invalidQuery("invalid $regex: %v", err)
	}
	return pattern, nil
}

// stripExtended removes the whitespace and #-comments that the "x" option
// allows, except escaped or inside a character class.
func stripExtended(p string) string {
	var sb strings.Builder
	inClass, comment := false, false
	for i := 0; i < len(p); i++ {
		ch := p[i]
		switch {
		case comment:
			if ch == '\n' {
				comment = false
			}
		case ch == '\\' && i+1 < len(p):
			sb.WriteByte(ch)
			sb.WriteByte(p[i+1])
			i++
		case inClass:
			if ch == ']' {
				inClass = false
			}
			sb.WriteByte(ch)
		case ch == '[':
			inClass = true
			sb.WriteByte(ch)
		case ch == '#':
			comment = true
		case ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r' || ch == '\f' || ch == '\v':
		default:
			sb.WriteByte(ch)
		}
	}
	return sb.String()
}

func (c *compiler) regex(p *plan, alias string, x core.Regex) error {
	col, lhs, _, err := c.operand(p, alias, x.Field, x.Path)
	if err != nil {
		return err
	}
	if len(x.Path) == 0 && col.typ != core.TypeString {
		return invalidQuery("$regex needs a String field; %q is %s", x.Field, col.typ)
	}
	re, err := GoRegex(x.Pattern, x.Options)
	if err != nil {
		return err
	}
	c.s.d.Regex(c.b, lhs, re)
	return nil
}

// TextTerms splits a $search string into terms that must occur and terms
// that must not ("-word"); "quoted phrases" stay whole.
func TextTerms(search string) (must, mustNot []string) {
	s := strings.TrimSpace(search)
	for s != "" {
		neg := false
		if s[0] == '-' {
			neg = true
			s = s[1:]
		}
		var term string
		if s != "" && s[0] == '"' {
			end := strings.IndexByte(s[1:], '"')
			if end < 0 {
				term, s = s[1:], ""
			} else {
				term, s = s[1:1+end], s[2+end:]
			}
		} else {
			end := strings.IndexFunc(s, unicode.IsSpace)
			if end < 0 {
				term, s = s, ""
			} else {
				term, s = s[:end], s[end:]
			}
		}
		s = strings.TrimLeftFunc(s, unicode.IsSpace)
		if term = strings.TrimSpace(term); term == "" {
			continue
		}
		if neg {
			mustNot = append(mustNot, term)
		} else {
			must = append(must, term)
		}
	}
	return must, mustNot
}

func (c *compiler) text(p *plan, alias string, x core.Text) error {
	col, err := c.column(p, x.Field)
	if err != nil {
		return err
	}
	if col.typ != core.TypeString {
		return invalidQuery("$text needs a String field; %q is %s", x.Field, col.typ)
	}
	ref := alias + "." + col.quoted
	if ts, ok := c.s.d.(TextSearcher); ok {
		if ts.TextSearch(c.b, ref, x) {
			return nil
		}
	}
	must, mustNot := TextTerms(x.Search)
	if len(must)+len(mustNot) == 0 {
		c.b.WriteString(sqlFalse)
		return nil
	}
	flags := "(?i)"
	if x.CaseSensitive {
		flags = ""
	}
	c.b.WriteString("(" + ref + " IS NOT NULL")
	lhs := func() { c.b.WriteString(ref) }
	for _, t := range must {
		c.b.WriteString(" AND ")
		c.s.d.Regex(c.b, lhs, flags+regexp.QuoteMeta(t))
	}
	for _, t := range mustNot {
		c.b.WriteString(" AND NOT ")
		c.s.d.Regex(c.b, lhs, flags+regexp.QuoteMeta(t))
	}
	c.b.WriteString(")")
	return nil
}

func (c *compiler) geoColumn(p *plan, field string, t core.Type) (string, error) {
	col, err := c.column(p, field)
	if err != nil {
		return "", err
	}
	if col.typ != t {
		return "", invalidQuery("field %q is %s, not %s", field, col.typ, t)
	}
	return col.quoted, nil
}

func (c *compiler) near(p *plan, alias, field string, pt core.GeoPoint, max float64) error {
	q, err := c.geoColumn(p, field, core.TypeGeoPoint)
	if err != nil {
		return err
	}
	ref := alias + "." + q
	if max <= 0 || math.IsInf(max, 1) {
		c.b.WriteString("(" + ref + " IS NOT NULL)")
		return nil
	}
	c.b.WriteString("(")
	c.s.d.GeoDistance(c.b, ref, pt)
	c.b.WriteString(" <= ")
	c.b.Arg(max)
	c.b.WriteString(")")
	return nil
}

func (c *compiler) box(p *plan, alias string, x core.WithinBox) error {
	q, err := c.geoColumn(p, x.Field, core.TypeGeoPoint)
	if err != nil {
		return err
	}
	lat, lng := c.s.d.GeoLatLng(alias + "." + q)
	b := c.b
	b.WriteString("(" + lat + " BETWEEN ")
	b.Arg(x.SouthWest.Latitude)
	b.WriteString(" AND ")
	b.Arg(x.NorthEast.Latitude)
	if x.SouthWest.Longitude <= x.NorthEast.Longitude {
		b.WriteString(" AND " + lng + " BETWEEN ")
		b.Arg(x.SouthWest.Longitude)
		b.WriteString(" AND ")
		b.Arg(x.NorthEast.Longitude)
	} else { // the box crosses the antimeridian
		b.WriteString(" AND (" + lng + " >= ")
		b.Arg(x.SouthWest.Longitude)
		b.WriteString(" OR " + lng + " <= ")
		b.Arg(x.NorthEast.Longitude)
		b.WriteString(")")
	}
	b.WriteString(")")
	return nil
}

func (c *compiler) polygon(p *plan, alias string, x core.WithinPolygon) error {
	q, err := c.geoColumn(p, x.Field, core.TypeGeoPoint)
	if err != nil {
		return err
	}
	if len(x.Points) < 3 {
		return invalidQuery("$polygon needs at least 3 points")
	}
	c.s.d.GeoInPolygon(c.b, alias+"."+q, x.Points)
	return nil
}

func (c *compiler) polygonContains(p *plan, alias string, x core.PolygonContains) error {
	q, err := c.geoColumn(p, x.Field, core.TypePolygon)
	if err != nil {
		return err
	}
	c.s.d.PolygonContains(c.b, alias+"."+q, x.Point)
	return nil
}

func (c *compiler) relatedTo(alias string, x core.RelatedTo) error {
	c.b.WriteString("(" + alias + `."objectId" IN (SELECT "relatedId" FROM ` + JoinTable(x.Owner.ClassName, x.Key) + ` WHERE "owningId" = `)
	c.b.Arg(x.Owner.ObjectID)
	c.b.WriteString("))")
	return nil
}

func (c *compiler) relationContains(p *plan, alias string, x core.RelationContains) error {
	col, err := c.column(p, x.Field)
	if err != nil {
		return err
	}
	if col.typ != core.TypeRelation {
		return invalidQuery("field %q is not a Relation", x.Field)
	}
	if len(x.IDs) == 0 {
		if x.Not {
			c.b.WriteString(sqlTrue)
		} else {
			c.b.WriteString(sqlFalse)
		}
		return nil
	}
	c.b.WriteString("(" + alias + `."objectId"`)
	if x.Not {
		c.b.WriteString(" NOT")
	}
	c.b.WriteString(` IN (SELECT "owningId" FROM ` + JoinTable(p.name, col.name) + ` WHERE "relatedId" IN `)
	ids := make([]any, len(x.IDs))
	for i, id := range x.IDs {
		ids[i] = id
	}
	c.b.ArgList(ids)
	c.b.WriteString("))")
	return nil
}

func (c *compiler) inQuery(p *plan, alias string, x core.InQuery) error {
	if x.Class == nil {
		return invalidQuery("$inQuery without a class")
	}
	_, lhs, _, err := c.operand(p, alias, x.Field, nil)
	if err != nil {
		return err
	}
	return c.subquery(lhs, x.Class, x.Sub, core.FieldObjectID, x.Not)
}

func (c *compiler) selectQuery(p *plan, alias string, x core.Select) error {
	if x.Class == nil {
		return invalidQuery("$select without a class")
	}
	_, lhs, _, err := c.operand(p, alias, x.Field, x.Path)
	if err != nil {
		return err
	}
	return c.subquery(lhs, x.Class, x.Sub, x.Key, x.Not)
}

// subquery writes lhs [NOT] IN (SELECT key FROM class WHERE sub ...).
func (c *compiler) subquery(lhs func(), class *core.Class, sub *core.Query, key string, not bool) error {
	sp := c.s.plans.get(c.s.d, class)
	kcol, ok := sp.field(key)
	if !ok || kcol.typ == core.TypeRelation {
		return invalidQuery("key %q is not a field of class %s", key, class.Name)
	}
	if sub == nil {
		sub = &core.Query{Limit: -1}
	}
	b := c.b
	b.WriteString("(")
	if not {
		lhs()
		b.WriteString(" IS NULL OR ")
	}
	lhs()
	if not {
		b.WriteString(" NOT")
	}
	sa := c.newAlias()
	b.WriteString(" IN (SELECT " + sa + "." + kcol.quoted + " FROM " + sp.table + " " + sa + " WHERE " + sa + "." + kcol.quoted + " IS NOT NULL AND ")
	if err := c.filter(sp, sa, sub, readScan); err != nil {
		return err
	}
	if err := c.orderPage(sp, sa, sub); err != nil {
		return err
	}
	b.WriteString("))")
	return nil
}

// readPlan is how a ReadACL filter is written (see Store.readPlanFor).
type readPlan int

const (
	// readScan reads rows in whatever order the query needs and checks each
	// one: public rows pass at once, others are looked up among the rows
	// the caller's non-public principals may read.
	readScan readPlan = iota
	// readDrive lets the readers index produce the candidate rows: best when
	// few rows are public, so that few rows are readable at all.
	readDrive
)

// filter writes the WHERE predicate of q (its Where and its ReadACL).
func (c *compiler) filter(p *plan, alias string, q *core.Query, rp readPlan) error {
	if err := c.expr(p, alias, q.Where); err != nil {
		return err
	}
	if q.ReadACL != nil {
		c.b.WriteString(" AND ")
		c.readFilter(p, alias, q.ReadACL, rp)
	}
	return nil
}

// nonPublic returns the principals other than "*", as bind arguments.
func nonPublic(principals []string) []any {
	others := make([]any, 0, len(principals))
	for _, pr := range principals {
		if pr != core.PublicPrincipal {
			others = append(others, pr)
		}
	}
	return others
}

// readFilter writes the ReadACL predicate.
func (c *compiler) readFilter(p *plan, alias string, principals []string, rp readPlan) {
	b := c.b
	others := nonPublic(principals)
	if rp == readDrive {
		all := append(others, core.PublicPrincipal)
		b.WriteString(alias + `."_rid" IN (SELECT "rid" FROM ` + p.readers + ` WHERE "principal" IN `)
		b.ArgList(all)
		b.WriteString(")")
		return
	}
	if len(others) == 0 {
		b.WriteString(alias + `."_rpub"`)
		return
	}
	b.WriteString("(" + alias + `."_rpub" OR ` + alias + `."_rid" IN (SELECT "rid" FROM ` + p.readers + ` WHERE "principal" IN `)
	b.ArgList(others)
	b.WriteString("))")
}

// neverNull are the built-in fields every row has.
var neverNull = map[string]bool{core.FieldObjectID: true, core.FieldCreatedAt: true, core.FieldUpdatedAt: true}

// orderPage writes ORDER BY, LIMIT and OFFSET.
func (c *compiler) orderPage(p *plan, alias string, q *core.Query) error {
	b := c.b
	for i, k := range q.Order {
		if i == 0 {
			b.WriteString(" ORDER BY ")
		} else {
			b.WriteString(", ")
		}
		if k.Near != nil {
			q, err := c.geoColumn(p, k.Field, core.TypeGeoPoint)
			if err != nil {
				return err
			}
			c.s.d.GeoDistance(b, alias+"."+q, *k.Near)
		} else {
			col, err := c.column(p, k.Field)
			if err != nil {
				return err
			}
			if col.typ == core.TypeRelation {
				return invalidQuery("cannot sort by Relation field %q", k.Field)
			}
			b.WriteString(alias + "." + col.quoted)
		}
		if k.Desc {
			b.WriteString(" DESC")
		} else {
			b.WriteString(" ASC")
		}
		if !neverNull[k.Field] {
			// objectId and the dates are never NULL: without a NULLS
			// clause PostgreSQL walks their index in order (keyset
			// pages) instead of sorting every row after the cursor.
			b.WriteString(c.s.d.NullsOrder(k.Desc))
		}
	}
	if q.Limit >= 0 {
		// The limit is written into the statement, not passed as an
		// argument: PostgreSQL plans a prepared statement without its
		// arguments once it finds that plan no worse than the ones made
		// with them, and with an unknown limit it is always worse, so
		// every page was planned anew (two fifths of the database's CPU
		// for a 20-row page). An int, so nothing to escape; pages use few
		// distinct limits, so the statement caches stay small.
		b.WriteString(" LIMIT ")
		b.WriteString(strconv.Itoa(q.Limit))
	} else if q.Skip > 0 {
		b.WriteString(" LIMIT ")
		b.Arg(int64(math.MaxInt64))
	}
	if q.Skip > 0 {
		b.WriteString(" OFFSET ")
		b.Arg(int64(q.Skip))
	}
	return nil
}
