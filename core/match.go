package core

import (
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// In-memory matching of a where tree against one object, for LiveQuery: a
// committed change is matched against every open subscription without a
// round trip to the store.
//
// The semantics are the stores' (see adapters/store/sqlstore/compile.go),
// and the shared table in adapters/store/storetest/match_cases.go runs the
// same cases through SQLite, PostgreSQL and this matcher:
//   - a missing field and a null are the same; a comparison other than
//     equality with null never matches, $ne and $nin also match a missing
//     field, $in matches it only when null is among its values;
//   - on an Array field, equality with a value and $in mean "holds an
//     element equal to", $all "holds every one of", $containedBy "every
//     element is one of"; elements compare as JSON, type and value;
//   - dates compare to the millisecond, pointers by objectId;
//   - under an Object path ("info.city") values compare as JSON scalars of
//     the same type. Where the two stores disagree with each other (an
//     ordering between a string and a number, a boolean compared with 1)
//     the matcher keeps to MongoDB's rule, which Parse documents: values of
//     different types never match;
//   - geo: haversine distance on the sphere, and ray casting in the plane
//     of latitude and longitude for polygons, the formulas both stores use.
//
// What needs other rows cannot be decided from one object: $inQuery,
// $notInQuery, $select, $dontSelect, $relatedTo, a Relation field's
// membership, and $text, whose PostgreSQL form stems words by language.
// CompileMatcher refuses those with CodeInvalidQuery, so a subscription
// that uses them is refused when it is made rather than silently wrong.

// Matcher is a compiled where tree. It is immutable and safe for
// concurrent use.
type Matcher struct {
	match func(Object) bool
}

// Match reports whether o matches. A nil Matcher matches every object.
func (m *Matcher) Match(o Object) bool {
	if m == nil || m.match == nil {
		return true
	}
	return m.match(o)
}

// CompileMatcher compiles e (a tree the query parser built for class c,
// or nil for "every object") into a Matcher. c may be nil for a class that
// does not exist yet. It fails with CodeInvalidQuery for constraints that
// cannot be decided from the object alone.
func CompileMatcher(c *Class, e Expr) (*Matcher, error) {
	mc := matchCompiler{class: c}
	fn, err := mc.compile(e)
	if err != nil {
		return nil, err
	}
	return &Matcher{match: fn}, nil
}

type matchFn func(Object) bool

type matchCompiler struct {
	class *Class
}

func matchAll(Object) bool  { return true }
func matchNone(Object) bool { return false }

func notInMemory(what string) *Error {
	return Errorf(CodeInvalidQuery, "%s cannot be used in a LiveQuery subscription: it needs other objects than the one that changed; subscribe without it and filter on the client", what)
}

func (mc matchCompiler) compile(e Expr) (matchFn, *Error) {
	switch x := e.(type) {
	case nil:
		return matchAll, nil
	case Nothing:
		return matchNone, nil
	case And:
		fns, err := mc.compileList(x.Exprs)
		if err != nil {
			return nil, err
		}
		return func(o Object) bool {
			for _, f := range fns {
				if !f(o) {
					return false
				}
			}
			return true
		}, nil
	case Or:
		fns, err := mc.compileList(x.Exprs)
		if err != nil {
			return nil, err
		}
		return func(o Object) bool { return anyMatch(fns, o) }, nil
	case Nor:
		fns, err := mc.compileList(x.Exprs)
		if err != nil {
			return nil, err
		}
		return func(o Object) bool { return !anyMatch(fns, o) }, nil
	case Cmp:
		return mc.cmp(x)
	case In:
		return mc.in(x)
	case Exists:
		if err := mc.notRelation(x.Field, x.Path, "$exists on a Relation field"); err != nil {
			return nil, err
		}
		return func(o Object) bool { return (lookup(o, x.Field, x.Path) != nil) == x.Exists }, nil
	case ArrayContains:
		if err := mc.needArray(x.Field); err != nil {
			return nil, err
		}
		vals := normalizeAll(x.Values)
		if len(vals) == 0 {
			return matchNone, nil
		}
		return func(o Object) bool {
			arr, ok := o[x.Field].([]any)
			if !ok {
				return false
			}
			for _, v := range vals {
				if !arrayHolds(arr, v) {
					return false
				}
			}
			return true
		}, nil
	case ArrayContainedBy:
		if err := mc.needArray(x.Field); err != nil {
			return nil, err
		}
		vals := normalizeAll(x.Values)
		return func(o Object) bool {
			arr, ok := o[x.Field].([]any)
			if !ok {
				return false
			}
			for _, e := range arr {
				if !containsJSON(vals, e) {
					return false
				}
			}
			return true
		}, nil
	case Regex:
		return mc.regex(x)
	case Near:
		return mc.withinDistance(x.Field, x.Point, x.MaxDistance)
	case WithinSphere:
		return mc.withinDistance(x.Field, x.Center, x.Radius)
	case WithinBox:
		if err := mc.needType(x.Field, TypeGeoPoint); err != nil {
			return nil, err
		}
		return func(o Object) bool {
			p, ok := geoPointOf(o[x.Field])
			return ok && inBox(p, x.SouthWest, x.NorthEast)
		}, nil
	case WithinPolygon:
		if err := mc.needType(x.Field, TypeGeoPoint); err != nil {
			return nil, err
		}
		if len(x.Points) < 3 {
			return nil, Errorf(CodeInvalidQuery, "$polygon needs at least 3 points")
		}
		ring := make(Polygon, len(x.Points))
		for i, p := range x.Points {
			ring[i] = [2]float64{p.Latitude, p.Longitude}
		}
		return func(o Object) bool {
			p, ok := geoPointOf(o[x.Field])
			return ok && ring.Contains(p)
		}, nil
	case PolygonContains:
		if err := mc.needType(x.Field, TypePolygon); err != nil {
			return nil, err
		}
		return func(o Object) bool {
			poly, ok := o[x.Field].(Polygon)
			return ok && poly.Contains(x.Point)
		}, nil
	case Text:
		return nil, notInMemory("$text")
	case RelatedTo:
		return nil, notInMemory("$relatedTo")
	case RelationContains:
		return nil, notInMemory("a constraint on the Relation field " + x.Field)
	case InQuery:
		if x.Not {
			return nil, notInMemory("$notInQuery")
		}
		return nil, notInMemory("$inQuery")
	case Select:
		if x.Not {
			return nil, notInMemory("$dontSelect")
		}
		return nil, notInMemory("$select")
	}
	return nil, Errorf(CodeInvalidQuery, "query operator %T cannot be matched in memory", e)
}

func (mc matchCompiler) compileList(exprs []Expr) ([]matchFn, *Error) {
	fns := make([]matchFn, len(exprs))
	for i, e := range exprs {
		f, err := mc.compile(e)
		if err != nil {
			return nil, err
		}
		fns[i] = f
	}
	return fns, nil
}

func anyMatch(fns []matchFn, o Object) bool {
	for _, f := range fns {
		if f(o) {
			return true
		}
	}
	return false
}

// fieldType returns the schema type of a field; "" when the class does not
// know it (then the stored value's own Go type decides).
func (mc matchCompiler) fieldType(name string) Type {
	f, _ := fieldOf(mc.class, name)
	return f.Type
}

func (mc matchCompiler) notRelation(field string, path []string, what string) *Error {
	if len(path) == 0 && mc.fieldType(field) == TypeRelation {
		return notInMemory(what)
	}
	return nil
}

func (mc matchCompiler) needType(field string, t Type) *Error {
	if ft := mc.fieldType(field); ft != "" && ft != t {
		return Errorf(CodeInvalidQuery, "field %q is %s, not %s", field, ft, t)
	}
	return nil
}

func (mc matchCompiler) needArray(field string) *Error { return mc.needType(field, TypeArray) }

// lookup returns the value of field, or of the JSON value under path inside
// an Object field; nil when missing or null.
func lookup(o Object, field string, path []string) any {
	v := o[field]
	for _, seg := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[seg]
	}
	return v
}

func (mc matchCompiler) cmp(x Cmp) (matchFn, *Error) {
	if err := mc.notRelation(x.Field, x.Path, "a comparison on a Relation field"); err != nil {
		return nil, err
	}
	field, path := x.Field, x.Path
	get := func(o Object) any { return lookup(o, field, path) }
	isArray := len(path) == 0 && mc.fieldType(field) == TypeArray
	if isArray {
		if _, whole := x.Value.([]any); !whole && x.Value != nil {
			v := normalizeJSON(x.Value)
			switch x.Op {
			case OpEq:
				return func(o Object) bool { arr, ok := o[field].([]any); return ok && arrayHolds(arr, v) }, nil
			case OpNe:
				return func(o Object) bool { arr, ok := o[field].([]any); return !ok || !arrayHolds(arr, v) }, nil
			}
			return nil, Errorf(CodeInvalidQuery, "field %q is an Array: compare it with $all, $in or equality", field)
		}
	}
	if x.Value == nil {
		switch x.Op {
		case OpEq:
			return func(o Object) bool { return get(o) == nil }, nil
		case OpNe:
			return func(o Object) bool { return get(o) != nil }, nil
		}
		return matchNone, nil
	}
	if x.Op == OpEq || x.Op == OpNe {
		eq, err := mc.equality(field, path, x.Value)
		if err != nil {
			return nil, err
		}
		if x.Op == OpEq {
			return func(o Object) bool { v := get(o); return v != nil && eq(v) }, nil
		}
		return func(o Object) bool { v := get(o); return v == nil || !eq(v) }, nil
	}
	order, err := mc.ordering(field, path, x.Value)
	if err != nil {
		return nil, err
	}
	want := map[CmpOp]func(int) bool{
		OpLt: func(c int) bool { return c < 0 }, OpLte: func(c int) bool { return c <= 0 },
		OpGt: func(c int) bool { return c > 0 }, OpGte: func(c int) bool { return c >= 0 },
	}[x.Op]
	if want == nil {
		return nil, Errorf(CodeInvalidQuery, "unknown comparison %q", x.Op)
	}
	return func(o Object) bool {
		v := get(o)
		if v == nil {
			return false
		}
		c, ok := order(v)
		return ok && want(c)
	}, nil
}

// equality returns a test "the stored (non-nil) value equals q".
func (mc matchCompiler) equality(field string, path []string, q any) (func(any) bool, *Error) {
	if len(path) > 0 {
		qv := normalizeJSON(q)
		if isComposite(qv) {
			return nil, Errorf(CodeInvalidQuery, "%s: only strings, numbers and booleans can be compared inside an Object", field)
		}
		return func(v any) bool { return scalarEqual(v, qv) }, nil
	}
	switch qv := q.(type) {
	case time.Time:
		ms := qv.UnixMilli()
		return func(v any) bool { t, ok := v.(time.Time); return ok && t.UnixMilli() == ms }, nil
	case string:
		// Pointer fields compare by objectId; Bytes by their base64 text.
		return func(v any) bool { s, ok := comparableString(v); return ok && s == qv }, nil
	case float64, bool:
		return func(v any) bool { return scalarEqual(v, qv) }, nil
	case Bytes:
		return func(v any) bool { s, ok := comparableString(v); return ok && s == qv.Base64 }, nil
	case File:
		return func(v any) bool { f, ok := v.(File); return ok && f == qv }, nil
	case map[string]any, []any:
		qn := normalizeJSON(qv)
		return func(v any) bool { return jsonEqual(normalizeJSON(v), qn) }, nil
	case Pointer:
		return func(v any) bool { s, ok := comparableString(v); return ok && s == qv.ObjectID }, nil
	}
	if f, ok := toNumber(q); ok {
		return func(v any) bool { return scalarEqual(v, f) }, nil
	}
	return nil, Errorf(CodeInvalidQuery, "field %q cannot be compared with a %T", field, q)
}

// ordering returns a comparison of the stored (non-nil) value with q: the
// sign of stored - q, and false when they do not compare (other types).
func (mc matchCompiler) ordering(field string, path []string, q any) (func(any) (int, bool), *Error) {
	qv := q
	if len(path) > 0 {
		qv = normalizeJSON(q)
		if isComposite(qv) {
			return nil, Errorf(CodeInvalidQuery, "%s: only strings, numbers and booleans can be compared inside an Object", field)
		}
		return func(v any) (int, bool) { return compareScalars(v, qv) }, nil
	}
	switch x := qv.(type) {
	case time.Time:
		ms := x.UnixMilli()
		return func(v any) (int, bool) {
			t, ok := v.(time.Time)
			if !ok {
				return 0, false
			}
			return compareNumbers(float64(t.UnixMilli()), float64(ms)), true
		}, nil
	case string:
		return func(v any) (int, bool) {
			s, ok := comparableString(v)
			if !ok {
				return 0, false
			}
			return strings.Compare(s, x), true
		}, nil
	case Bytes:
		return func(v any) (int, bool) {
			s, ok := comparableString(v)
			if !ok {
				return 0, false
			}
			return strings.Compare(s, x.Base64), true
		}, nil
	case float64, bool:
		return func(v any) (int, bool) { return compareScalars(v, x) }, nil
	}
	if f, ok := toNumber(q); ok {
		return func(v any) (int, bool) { return compareScalars(v, f) }, nil
	}
	// Objects, arrays and files have no order the two stores share.
	return nil, Errorf(CodeInvalidQuery, "field %q: a %T has no order to compare with", field, q)
}

// comparableString is the text a stored String, Pointer or Bytes value
// compares by.
func comparableString(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, true
	case Pointer:
		return x.ObjectID, true
	case *Pointer:
		if x != nil {
			return x.ObjectID, true
		}
	case Bytes:
		return x.Base64, true
	}
	return "", false
}

func toNumber(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, true
	case float32:
		return float64(x), true
	case int:
		return float64(x), true
	case int64:
		return float64(x), true
	case int32:
		return float64(x), true
	}
	return 0, false
}

func compareNumbers(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// compareScalars orders two JSON scalars of the same type (strings
// byte-wise, numbers, false before true); other pairs do not compare.
func compareScalars(a, b any) (int, bool) {
	switch x := a.(type) {
	case string:
		y, ok := b.(string)
		return strings.Compare(x, y), ok
	case bool:
		y, ok := b.(bool)
		if !ok {
			return 0, false
		}
		switch {
		case x == y:
			return 0, true
		case y:
			return -1, true
		}
		return 1, true
	}
	fa, ok1 := toNumber(a)
	fb, ok2 := toNumber(b)
	if !ok1 || !ok2 {
		return 0, false
	}
	return compareNumbers(fa, fb), true
}

func scalarEqual(a, b any) bool {
	c, ok := compareScalars(a, b)
	return ok && c == 0
}

func isComposite(v any) bool {
	switch v.(type) {
	case map[string]any, []any:
		return true
	}
	return false
}

// normalizeJSON turns Go values of values.go that may appear inside query
// values (dates, pointers, ...) into their Parse JSON form, so that they
// compare with the decoded JSON stored in Object and Array fields.
func normalizeJSON(v any) any {
	switch x := v.(type) {
	case nil, string, bool, float64, map[string]any, []any:
		return v
	case time.Time, Pointer, GeoPoint, Polygon, Bytes, File, ACL:
		return EncodeValue(x)
	}
	if f, ok := toNumber(v); ok {
		return f
	}
	return v
}

func normalizeAll(vals []any) []any {
	out := make([]any, len(vals))
	for i, v := range vals {
		out[i] = normalizeJSON(v)
	}
	return out
}

// jsonEqual is deep equality of decoded JSON values: same types, numbers by
// value, objects by key set (in any order), arrays element by element.
func jsonEqual(a, b any) bool {
	switch x := a.(type) {
	case nil:
		return b == nil
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for k, xv := range x {
			yv, ok := y[k]
			if !ok || !jsonEqual(normalizeJSON(xv), normalizeJSON(yv)) {
				return false
			}
		}
		return true
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !jsonEqual(normalizeJSON(x[i]), normalizeJSON(y[i])) {
				return false
			}
		}
		return true
	}
	if b == nil || isComposite(b) {
		return false
	}
	return scalarEqual(a, b)
}

func containsJSON(vals []any, e any) bool {
	e = normalizeJSON(e)
	for _, v := range vals {
		if jsonEqual(e, v) {
			return true
		}
	}
	return false
}

// arrayHolds reports whether the stored array holds an element equal to v.
func arrayHolds(arr []any, v any) bool {
	for _, e := range arr {
		if jsonEqual(normalizeJSON(e), v) {
			return true
		}
	}
	return false
}

func (mc matchCompiler) in(x In) (matchFn, *Error) {
	if err := mc.notRelation(x.Field, x.Path, "$in on a Relation field"); err != nil {
		return nil, err
	}
	if len(x.Values) == 0 {
		if x.Not {
			return matchAll, nil
		}
		return matchNone, nil
	}
	field, path := x.Field, x.Path
	if len(path) == 0 && mc.fieldType(field) == TypeArray {
		vals := normalizeAll(x.Values)
		holdsAny := func(o Object) bool {
			arr, ok := o[field].([]any)
			if !ok {
				return false
			}
			for _, v := range vals {
				if arrayHolds(arr, v) {
					return true
				}
			}
			return false
		}
		if x.Not {
			return func(o Object) bool { return !holdsAny(o) }, nil
		}
		return holdsAny, nil
	}
	hasNull := false
	var eqs []func(any) bool
	for _, v := range x.Values {
		if v == nil {
			hasNull = true
			continue
		}
		eq, err := mc.equality(field, path, v)
		if err != nil {
			return nil, err
		}
		eqs = append(eqs, eq)
	}
	inList := func(v any) bool {
		for _, eq := range eqs {
			if eq(v) {
				return true
			}
		}
		return false
	}
	not := x.Not
	return func(o Object) bool {
		v := lookup(o, field, path)
		if v == nil {
			// $in matches a missing field only when null is listed, and
			// $nin only when it is not.
			return hasNull != not
		}
		return inList(v) != not
	}, nil
}

func (mc matchCompiler) regex(x Regex) (matchFn, *Error) {
	if len(x.Path) == 0 {
		if t := mc.fieldType(x.Field); t != "" && t != TypeString {
			return nil, Errorf(CodeInvalidQuery, "$regex needs a String field; %q is %s", x.Field, t)
		}
	}
	pattern, flags := x.Pattern, ""
	for _, r := range x.Options {
		switch r {
		case 'i', 'm', 's':
			if !strings.ContainsRune(flags, r) {
				flags += string(r)
			}
		case 'x':
			pattern = stripExtendedWhitespace(pattern)
		case 'u':
		default:
			return nil, Errorf(CodeInvalidQuery, "unknown $options %q: use i, m, s or x", string(r))
		}
	}
	if flags != "" {
		pattern = "(?" + flags + ")" + pattern
	}
	re, err := regexp.Compile(pattern)
	if err != nil {
		return nil, Errorf(CodeInvalidQuery, "invalid $regex: %v", err)
	}
	field, path := x.Field, x.Path
	return func(o Object) bool {
		switch v := lookup(o, field, path).(type) {
		case string:
			return re.MatchString(v)
		case float64:
			// Both stores match a number under an Object path by its JSON
			// text.
			if len(path) > 0 && math.Abs(v) < 1e21 {
				return re.MatchString(strconv.FormatFloat(v, 'f', -1, 64))
			}
		}
		return false
	}, nil
}

func (mc matchCompiler) withinDistance(field string, center GeoPoint, max float64) (matchFn, *Error) {
	if err := mc.needType(field, TypeGeoPoint); err != nil {
		return nil, err
	}
	if max <= 0 || math.IsInf(max, 1) {
		return func(o Object) bool { _, ok := geoPointOf(o[field]); return ok }, nil
	}
	return func(o Object) bool {
		p, ok := geoPointOf(o[field])
		return ok && SphereDistance(p, center) <= max
	}, nil
}

func geoPointOf(v any) (GeoPoint, bool) {
	switch x := v.(type) {
	case GeoPoint:
		return x, true
	case *GeoPoint:
		if x != nil {
			return *x, true
		}
	}
	return GeoPoint{}, false
}

func inBox(p, sw, ne GeoPoint) bool {
	if p.Latitude < sw.Latitude || p.Latitude > ne.Latitude {
		return false
	}
	if sw.Longitude <= ne.Longitude {
		return p.Longitude >= sw.Longitude && p.Longitude <= ne.Longitude
	}
	// The box crosses the antimeridian.
	return p.Longitude >= sw.Longitude || p.Longitude <= ne.Longitude
}

// SphereDistance returns the angle in radians between two points on a
// sphere, by the haversine formula (the one both stores compute in SQL).
func SphereDistance(a, b GeoPoint) float64 {
	const rad = math.Pi / 180
	la1, la2 := a.Latitude*rad, b.Latitude*rad
	dla, dlo := la2-la1, (b.Longitude-a.Longitude)*rad
	h := math.Sin(dla/2)*math.Sin(dla/2) + math.Cos(la1)*math.Cos(la2)*math.Sin(dlo/2)*math.Sin(dlo/2)
	return 2 * math.Asin(math.Min(1, math.Sqrt(h)))
}

// Contains reports whether p lies inside the ring, by ray casting in the
// plane of latitude and longitude, as MongoDB's $polygon does.
func (poly Polygon) Contains(p GeoPoint) bool {
	in := false
	for i, j := 0, len(poly)-1; i < len(poly); j, i = i, i+1 {
		yi, xi := poly[i][0], poly[i][1]
		yj, xj := poly[j][0], poly[j][1]
		if (yi > p.Latitude) != (yj > p.Latitude) && p.Longitude < (xj-xi)*(p.Latitude-yi)/(yj-yi)+xi {
			in = !in
		}
	}
	return in
}
