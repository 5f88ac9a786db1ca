package core

import (
	"context"
	"math"
	"regexp"
	"regexp/syntax"
	"strconv"
	"strings"
	"time"
)

// queryParser turns a client's `where` document into a checked Expr tree.
// Every field is resolved against the schema and every value converted to the
// field's Go type, so stores compile only trusted trees.
type queryParser struct {
	app   *App
	ctx   context.Context
	auth  *Auth
	nodes int // constraints seen so far, bounded by limits
	// near is set by $nearSphere so the find sorts by distance when the
	// client gave no order, as Parse does.
	near *OrderKey
}

const earthRadiusKm = 6371.0
const earthRadiusMiles = 3958.8

// maxWhereNodes bounds the total constraints in one query, on top of the
// per-$or width and nesting limits.
const maxWhereNodes = 2000

func (p *queryParser) limits() QueryLimits { return p.app.opts.Limits }

func (p *queryParser) parse(c *Class, where map[string]any, depth int) (Expr, *Error) {
	if depth > p.limits().MaxDepth {
		return nil, Errorf(CodeInvalidQuery, "query nests deeper than %d levels", p.limits().MaxDepth)
	}
	exprs := make([]Expr, 0, len(where))
	for key, val := range where {
		p.nodes++
		if p.nodes > maxWhereNodes {
			return nil, Errorf(CodeInvalidQuery, "query has more than %d constraints", maxWhereNodes)
		}
		e, err := p.parseKey(c, key, val, depth)
		if err != nil {
			return nil, err
		}
		if e != nil {
			exprs = append(exprs, e)
		}
	}
	return simplifyAnd(exprs), nil
}

// simplifyAnd folds an And: nil for no constraint, the child for one, and
// Nothing if any child is Nothing.
func simplifyAnd(exprs []Expr) Expr {
	for _, e := range exprs {
		if _, ok := e.(Nothing); ok {
			return Nothing{}
		}
	}
	switch len(exprs) {
	case 0:
		return nil
	case 1:
		return exprs[0]
	}
	return And{Exprs: exprs}
}

func (p *queryParser) parseKey(c *Class, key string, val any, depth int) (Expr, *Error) {
	switch key {
	case "$or", "$and", "$nor":
		list, ok := val.([]any)
		if !ok || len(list) == 0 {
			return nil, Errorf(CodeInvalidQuery, "%s must be a non-empty array of queries", key)
		}
		if len(list) > p.limits().MaxOrWidth {
			return nil, Errorf(CodeInvalidQuery, "%s has %d clauses, more than the limit of %d", key, len(list), p.limits().MaxOrWidth)
		}
		children := make([]Expr, 0, len(list))
		for _, item := range list {
			m, ok := item.(map[string]any)
			if !ok {
				return nil, Errorf(CodeInvalidQuery, "%s must be an array of queries", key)
			}
			e, err := p.parse(c, m, depth+1)
			if err != nil {
				return nil, err
			}
			if e == nil {
				e = And{} // matches everything
			}
			children = append(children, e)
		}
		switch key {
		case "$or":
			return Or{Exprs: children}, nil
		case "$and":
			return simplifyAnd(children), nil
		}
		return Nor{Exprs: children}, nil
	case "$relatedTo":
		return p.parseRelatedTo(c, val)
	}
	if strings.HasPrefix(key, "$") {
		// Parse Server: only $or, $and, $nor (and $relatedTo) may start a
		// where key with "$"; anything else is a bad key name.
		return nil, Errorf(CodeInvalidKeyName, "Invalid key name: %s", key)
	}
	name, path := key, []string(nil)
	if i := strings.IndexByte(key, '.'); i > 0 {
		name, path = key[:i], strings.Split(key[i+1:], ".")
		for _, seg := range path {
			if seg == "" || strings.ContainsAny(seg, "$") {
				return nil, Errorf(CodeInvalidKeyName, "Invalid key name: %s", key)
			}
		}
	}
	if !ValidFieldName(name) {
		return nil, Errorf(CodeInvalidKeyName, "Invalid key name: %s", key)
	}
	f, known := fieldOf(c, name)
	if !known {
		return p.unknownField(key, val)
	}
	if err := checkProbe(c, p.auth, name); err != nil {
		return nil, err
	}
	if path != nil && f.Type != TypeObject {
		return nil, Errorf(CodeInvalidQuery, "cannot query %s: only Object fields have sub-keys", key)
	}
	if f.Type == TypeACL {
		return nil, Errorf(CodeInvalidQuery, "the ACL field cannot be queried")
	}
	fc := fieldConstraint{p: p, class: c, name: name, path: path, field: f}
	if m, ok := val.(map[string]any); ok && isOperatorMap(m) {
		exprs := make([]Expr, 0, len(m))
		for op, arg := range m {
			if op == "$options" || strings.HasPrefix(op, "$maxDistance") {
				continue // read together with $regex and $nearSphere
			}
			e, err := fc.operator(op, arg, m, depth)
			if err != nil {
				return nil, err
			}
			if e != nil {
				exprs = append(exprs, e)
			}
		}
		if _, has := m["$options"]; has {
			if _, ok := m["$regex"]; !ok {
				return nil, Errorf(CodeInvalidQuery, "$options needs $regex")
			}
		}
		return simplifyAnd(exprs), nil
	}
	return fc.equals(val)
}

// isOperatorMap tells a constraint map ({"$gt": 1}) from a literal value.
func isOperatorMap(m map[string]any) bool {
	for k := range m {
		if strings.HasPrefix(k, "$") {
			return true
		}
	}
	return false
}

func fieldOf(c *Class, name string) (Field, bool) {
	if f, ok := DefaultFields[name]; ok {
		return f, true
	}
	if c == nil {
		return Field{}, false
	}
	f, ok := c.Fields[name]
	return f, ok
}

// unknownField answers a constraint on a field the class does not have by
// evaluating it against null, as a document store would: {"x": null} and
// {"x": {"$exists": false}} match everything, {"x": 1} matches nothing.
func (p *queryParser) unknownField(key string, val any) (Expr, *Error) {
	matchesNull := false
	if m, ok := val.(map[string]any); ok && isOperatorMap(m) {
		matchesNull = true
		for op, arg := range m {
			switch op {
			case "$exists":
				b, ok := arg.(bool)
				if !ok {
					return nil, Errorf(CodeInvalidQuery, "$exists needs a boolean")
				}
				matchesNull = matchesNull && !b
			case "$eq":
				matchesNull = matchesNull && arg == nil
			case "$ne":
				matchesNull = matchesNull && arg != nil
			case "$nin", "$dontSelect", "$notInQuery":
			case "$in":
				list, _ := arg.([]any)
				hasNull := false
				for _, v := range list {
					hasNull = hasNull || v == nil
				}
				matchesNull = matchesNull && hasNull
			case "$regex":
				// Checked even on a field the class lacks, so that a bad
				// pattern or option is the same 102 whatever the schema.
				if _, err := p.checkRegex(arg, m["$options"]); err != nil {
					return nil, err
				}
				matchesNull = false
			case "$options":
				if _, ok := m["$regex"]; !ok {
					return nil, Errorf(CodeInvalidQuery, "$options needs $regex")
				}
			case "$maxDistance", "$maxDistanceInRadians", "$maxDistanceInMiles", "$maxDistanceInKilometers":
			default:
				if !knownOperators[op] {
					return nil, Errorf(CodeInvalidQuery, "bad constraint %s on %s", op, key)
				}
				matchesNull = false
			}
		}
	} else {
		matchesNull = val == nil
	}
	if matchesNull {
		return nil, nil
	}
	return Nothing{}, nil
}

var knownOperators = map[string]bool{
	"$lt": true, "$lte": true, "$gt": true, "$gte": true, "$ne": true, "$eq": true,
	"$in": true, "$nin": true, "$exists": true, "$all": true, "$containedBy": true,
	"$regex": true, "$options": true, "$select": true, "$dontSelect": true,
	"$inQuery": true, "$notInQuery": true, "$text": true, "$nearSphere": true,
	"$maxDistance": true, "$maxDistanceInRadians": true, "$maxDistanceInMiles": true,
	"$maxDistanceInKilometers": true, "$within": true, "$geoWithin": true, "$geoIntersects": true,
}

// fieldConstraint parses the constraints on one field.
type fieldConstraint struct {
	p     *queryParser
	class *Class
	name  string
	path  []string
	field Field
}

func (fc fieldConstraint) key() string {
	if fc.path == nil {
		return fc.name
	}
	return fc.name + "." + strings.Join(fc.path, ".")
}

// equals handles {"field": value}.
func (fc fieldConstraint) equals(val any) (Expr, *Error) {
	switch fc.field.Type {
	case TypeArray:
		if fc.path == nil {
			if list, ok := val.([]any); ok {
				// Equal as sets: every element in both directions.
				return And{Exprs: []Expr{ArrayContains{Field: fc.name, Values: list}, ArrayContainedBy{Field: fc.name, Values: list}}}, nil
			}
			if val == nil {
				return Cmp{Field: fc.name, Op: OpEq}, nil
			}
			return ArrayContains{Field: fc.name, Values: []any{val}}, nil
		}
	case TypeRelation:
		ptr, ok := val.(map[string]any)
		if !ok {
			return nil, Errorf(CodeInvalidQuery, "a Relation field is queried with a Pointer")
		}
		pt, err := decodePointer(ptr)
		if err != nil {
			return nil, err
		}
		if pt.ClassName != fc.field.TargetClass {
			return Nothing{}, nil
		}
		return RelationContains{Field: fc.name, IDs: []string{pt.ObjectID}}, nil
	}
	v, err := fc.value(val)
	if err != nil {
		return nil, err
	}
	return Cmp{Field: fc.name, Path: fc.path, Op: OpEq, Value: v}, nil
}

// value converts a query value to the field's Go type.
func (fc fieldConstraint) value(val any) (any, *Error) {
	if val == nil {
		return nil, nil
	}
	if fc.path != nil {
		switch val.(type) {
		case string, float64, bool:
			return val, nil
		}
		if m, ok := val.(map[string]any); ok {
			if _, v, err := DecodeValue(m); err == nil {
				if t, ok := v.(time.Time); ok {
					// Dates nested in Objects are stored in their wire form.
					return FormatTime(t), nil
				}
			}
		}
		return nil, Errorf(CodeInvalidQuery, "%s: only strings, numbers and booleans can be compared inside an Object", fc.key())
	}
	switch fc.field.Type {
	case TypeString:
		if s, ok := val.(string); ok {
			return s, nil
		}
	case TypeNumber:
		if n, ok := val.(float64); ok {
			return n, nil
		}
	case TypeBoolean:
		if b, ok := val.(bool); ok {
			return b, nil
		}
	case TypeDate:
		switch x := val.(type) {
		case string:
			t, err := ParseTime(x)
			if err != nil {
				return nil, AsError(err)
			}
			return t, nil
		case map[string]any:
			if rt, ok := x["$relativeTime"]; ok {
				s, ok := rt.(string)
				if !ok {
					return nil, Errorf(CodeInvalidJSON, "$relativeTime must be a string")
				}
				return relativeTime(s, time.Now())
			}
			if t, v, err := DecodeValue(x); err == nil && t == TypeDate {
				return v, nil
			}
		}
	case TypePointer:
		switch x := val.(type) {
		case string:
			return x, nil
		case map[string]any:
			pt, err := decodePointer(x)
			if err != nil {
				return nil, err
			}
			if pt.ClassName != fc.field.TargetClass {
				// A pointer to another class never equals a stored one; "$"
				// cannot occur in an objectId, so this id matches nothing.
				return pt.ClassName + "$" + pt.ObjectID, nil
			}
			return pt.ObjectID, nil
		}
	case TypeObject:
		if m, ok := val.(map[string]any); ok {
			return m, nil
		}
	case TypeBytes:
		if m, ok := val.(map[string]any); ok {
			if t, v, err := DecodeValue(m); err == nil && t == TypeBytes {
				return v, nil
			}
		}
	case TypeFile:
		if m, ok := val.(map[string]any); ok {
			if t, v, err := DecodeValue(m); err == nil && t == TypeFile {
				return v, nil
			}
		}
	case TypeGeoPoint:
		if m, ok := val.(map[string]any); ok {
			if t, v, err := DecodeValue(m); err == nil && t == TypeGeoPoint {
				return v, nil
			}
		}
	case TypePolygon:
		if m, ok := val.(map[string]any); ok && m["__type"] == "Polygon" {
			poly, err := decodePolygon(m["coordinates"])
			if err != nil {
				return nil, err
			}
			if err := fc.p.checkPolygonSize(poly); err != nil {
				return nil, err
			}
			return poly, nil
		}
	case TypeArray:
		return val, nil
	}
	return nil, Errorf(CodeInvalidQuery, "%s: cannot compare a %s field with %s", fc.key(), fc.field.Type, describe(val))
}

func describe(v any) string {
	switch x := v.(type) {
	case string:
		return "a string"
	case float64:
		return "a number"
	case bool:
		return "a boolean"
	case []any:
		return "an array"
	case map[string]any:
		if t, ok := x["__type"].(string); ok {
			return "a " + t
		}
		return "an object"
	}
	return "null"
}

func (fc fieldConstraint) operator(op string, arg any, all map[string]any, depth int) (Expr, *Error) {
	isArray := fc.field.Type == TypeArray && fc.path == nil
	switch op {
	case "$eq":
		return fc.equals(arg)
	case "$ne":
		if isArray && arg != nil {
			if _, list := arg.([]any); !list {
				return Nor{Exprs: []Expr{ArrayContains{Field: fc.name, Values: []any{arg}}}}, nil
			}
		}
		if fc.field.Type == TypeRelation {
			e, err := fc.equals(arg)
			if err != nil {
				return nil, err
			}
			return Nor{Exprs: []Expr{e}}, nil
		}
		v, err := fc.value(arg)
		if err != nil {
			return nil, err
		}
		return Cmp{Field: fc.name, Path: fc.path, Op: OpNe, Value: v}, nil
	case "$lt", "$lte", "$gt", "$gte":
		if isArray || fc.field.Type == TypeGeoPoint || fc.field.Type == TypePolygon || fc.field.Type == TypeRelation {
			return nil, Errorf(CodeInvalidQuery, "%s cannot be used on the %s field %s", op, fc.field.Type, fc.key())
		}
		if arg == nil {
			return nil, Errorf(CodeInvalidQuery, "%s needs a value, not null", op)
		}
		v, err := fc.value(arg)
		if err != nil {
			return nil, err
		}
		return Cmp{Field: fc.name, Path: fc.path, Op: map[string]CmpOp{"$lt": OpLt, "$lte": OpLte, "$gt": OpGt, "$gte": OpGte}[op], Value: v}, nil
	case "$in", "$nin":
		list, ok := arg.([]any)
		if !ok {
			return nil, Errorf(CodeInvalidQuery, "bad %s value: expected an array", op)
		}
		if len(list) > fc.p.limits().MaxInValues {
			return nil, Errorf(CodeInvalidQuery, "%s has %d values, more than the limit of %d", op, len(list), fc.p.limits().MaxInValues)
		}
		if fc.field.Type == TypeRelation {
			ids := make([]string, 0, len(list))
			for _, v := range list {
				m, _ := v.(map[string]any)
				pt, err := decodePointer(m)
				if err != nil {
					return nil, err
				}
				ids = append(ids, pt.ObjectID)
			}
			return RelationContains{Field: fc.name, IDs: ids, Not: op == "$nin"}, nil
		}
		values := make([]any, 0, len(list))
		for _, v := range list {
			if isArray {
				values = append(values, v)
				continue
			}
			cv, err := fc.value(v)
			if err != nil {
				return nil, err
			}
			values = append(values, cv)
		}
		if len(values) == 0 && op == "$in" {
			return Nothing{}, nil
		}
		if len(values) == 0 {
			return nil, nil
		}
		return In{Field: fc.name, Path: fc.path, Values: values, Not: op == "$nin"}, nil
	case "$exists":
		b, ok := arg.(bool)
		if !ok {
			return nil, Errorf(CodeInvalidQuery, "$exists needs a boolean")
		}
		return Exists{Field: fc.name, Path: fc.path, Exists: b}, nil
	case "$all", "$containedBy":
		if !isArray {
			return nil, Errorf(CodeInvalidQuery, "%s needs an Array field, %s is %s", op, fc.key(), fc.field.Type)
		}
		list, ok := arg.([]any)
		if !ok {
			return nil, Errorf(CodeInvalidQuery, "bad %s value: expected an array", op)
		}
		if len(list) > fc.p.limits().MaxInValues {
			return nil, Errorf(CodeInvalidQuery, "%s has too many values", op)
		}
		if op == "$all" {
			return ArrayContains{Field: fc.name, Values: list}, nil
		}
		return ArrayContainedBy{Field: fc.name, Values: list}, nil
	case "$regex":
		return fc.regex(arg, all["$options"])
	case "$text":
		return fc.text(arg)
	case "$nearSphere":
		return fc.near(arg, all)
	case "$within":
		return fc.within(arg)
	case "$geoWithin":
		return fc.geoWithin(arg)
	case "$geoIntersects":
		return fc.geoIntersects(arg)
	case "$select", "$dontSelect":
		return fc.selectQuery(op, arg, depth)
	case "$inQuery", "$notInQuery":
		return fc.inQuery(op, arg, depth)
	}
	return nil, Errorf(CodeInvalidQuery, "bad constraint %s on %s: unknown operator", op, fc.key())
}

func (fc fieldConstraint) regex(arg, options any) (Expr, *Error) {
	if fc.field.Type != TypeString && fc.path == nil {
		return nil, Errorf(CodeInvalidQuery, "$regex needs a String field, %s is %s", fc.key(), fc.field.Type)
	}
	re, err := fc.p.checkRegex(arg, options)
	if err != nil {
		return nil, err
	}
	re.Field, re.Path = fc.name, fc.path
	return re, nil
}

// maxRegexProgram bounds the size of a pattern once its counted repeats
// are expanded (Go's compiled program, in instructions): "(.*){1,1000}z"
// is 13 characters and 5,000 instructions, and engines that expand it
// (PostgreSQL's) take seconds to compile it.
const maxRegexProgram = 3000

// maxNestedRepeat bounds a counted repeat {n,m} of something that itself
// repeats without bound, such as (a+){1,100}: PostgreSQL's regex compiler
// is cubic in m there (m = 255 takes seconds).
const maxNestedRepeat = 32

// checkRegex validates a $regex pattern and its $options: the pattern is a
// string no longer than the configured limit that compiles and is not too
// complex, the options are a string of i, m, s and x. It returns the Regex
// without its field.
func (p *queryParser) checkRegex(arg, options any) (Regex, *Error) {
	pattern, ok := arg.(string)
	if !ok {
		return Regex{}, Errorf(CodeInvalidQuery, "bad $regex: expected a string")
	}
	if max := p.limits().MaxRegexLength; len(pattern) > max {
		return Regex{}, Errorf(CodeInvalidQuery, "$regex is %d characters long, more than the limit of %d (queryLimits.maxRegexLength)", len(pattern), max)
	}
	opts := ""
	if options != nil {
		if opts, ok = options.(string); !ok {
			return Regex{}, Errorf(CodeInvalidQuery, "bad $options: expected a string")
		}
	}
	flags := ""
	for _, r := range opts {
		switch r {
		case 'i', 'm', 's':
			if !strings.ContainsRune(flags, r) {
				flags += string(r)
			}
		case 'x':
			pattern = stripExtendedWhitespace(pattern)
		default:
			return Regex{}, Errorf(CodeInvalidQuery, "bad $options value for query: %s; only i, m, s and x are supported", opts)
		}
	}
	re := pattern
	if flags != "" {
		re = "(?" + flags + ")" + pattern
	}
	if _, err := regexp.Compile(re); err != nil {
		return Regex{}, Errorf(CodeInvalidQuery, "bad $regex %q: %v", pattern, err)
	}
	if err := checkRegexCost(re); err != nil {
		return Regex{}, err
	}
	return Regex{Pattern: pattern, Options: flags}, nil
}

// checkRegexCost refuses patterns whose matching cost explodes in some
// engine although they are short; re has compiled already.
func checkRegexCost(re string) *Error {
	tree, err := syntax.Parse(re, syntax.Perl)
	if err != nil {
		return Errorf(CodeInvalidQuery, "bad $regex: %v", err)
	}
	if nestedRepeat(tree, false) {
		return Errorf(CodeInvalidQuery, "$regex is too complex: a counted repeat {n,m} with m above %d may not contain *, + or {n,}", maxNestedRepeat)
	}
	prog, err := syntax.Compile(tree.Simplify())
	if err != nil || len(prog.Inst) > maxRegexProgram {
		return Errorf(CodeInvalidQuery, "$regex is too complex: its counted repeats expand to more than %d steps; use smaller counts", maxRegexProgram)
	}
	return nil
}

// nestedRepeat reports whether r has a counted repeat above maxNestedRepeat
// around an unbounded one (inside reports that r is inside such a repeat).
func nestedRepeat(r *syntax.Regexp, inside bool) bool {
	switch r.Op {
	case syntax.OpStar, syntax.OpPlus:
		if inside {
			return true
		}
	case syntax.OpRepeat:
		if inside && r.Max < 0 {
			return true
		}
		if r.Max > maxNestedRepeat || r.Max < 0 && r.Min > maxNestedRepeat {
			inside = true
		}
	}
	for _, s := range r.Sub {
		if nestedRepeat(s, inside) {
			return true
		}
	}
	return false
}

// stripExtendedWhitespace applies the "x" option, which Go's RE2 lacks:
// unescaped white space is dropped and "#" starts a comment to end of line.
func stripExtendedWhitespace(p string) string {
	var b strings.Builder
	escaped, comment := false, false
	for _, r := range p {
		switch {
		case comment:
			comment = r != '\n'
		case escaped:
			b.WriteRune(r)
			escaped = false
		case r == '\\':
			b.WriteRune(r)
			escaped = true
		case r == '#':
			comment = true
		case r == ' ' || r == '\t' || r == '\n' || r == '\r':
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

func (fc fieldConstraint) text(arg any) (Expr, *Error) {
	if fc.field.Type != TypeString || fc.path != nil {
		return nil, Errorf(CodeInvalidQuery, "$text needs a String field, %s is %s", fc.key(), fc.field.Type)
	}
	m, ok := arg.(map[string]any)
	search, ok2 := m["$search"].(map[string]any)
	if !ok || !ok2 {
		return nil, Errorf(CodeInvalidJSON, "bad $text: $search, should be object")
	}
	term, ok := search["$term"].(string)
	if !ok {
		return nil, Errorf(CodeInvalidJSON, "bad $text: $term, should be string")
	}
	t := Text{Field: fc.name, Search: term}
	if v, ok := search["$language"]; ok {
		if t.Language, ok = v.(string); !ok {
			return nil, Errorf(CodeInvalidJSON, "bad $text: $language, should be string")
		}
	}
	if v, ok := search["$caseSensitive"]; ok {
		if t.CaseSensitive, ok = v.(bool); !ok {
			return nil, Errorf(CodeInvalidJSON, "bad $text: $caseSensitive, should be boolean")
		}
	}
	if v, ok := search["$diacriticSensitive"]; ok {
		if _, ok := v.(bool); !ok {
			return nil, Errorf(CodeInvalidJSON, "bad $text: $diacriticSensitive, should be boolean")
		}
	}
	return t, nil
}

func (fc fieldConstraint) geoPoint(op string, v any) (GeoPoint, *Error) {
	if fc.field.Type != TypeGeoPoint || fc.path != nil {
		return GeoPoint{}, Errorf(CodeInvalidQuery, "%s needs a GeoPoint field, %s is %s", op, fc.key(), fc.field.Type)
	}
	m, ok := v.(map[string]any)
	if !ok {
		return GeoPoint{}, Errorf(CodeInvalidJSON, "bad %s: expected a GeoPoint", op)
	}
	return decodeGeoPoint(m)
}

func (fc fieldConstraint) near(arg any, all map[string]any) (Expr, *Error) {
	pt, err := fc.geoPoint("$nearSphere", arg)
	if err != nil {
		return nil, err
	}
	n := Near{Field: fc.name, Point: pt}
	for key, scale := range map[string]float64{"$maxDistance": 1, "$maxDistanceInRadians": 1, "$maxDistanceInMiles": earthRadiusMiles, "$maxDistanceInKilometers": earthRadiusKm} {
		raw, ok := all[key]
		if !ok {
			continue
		}
		d, ok := raw.(float64)
		if !ok || d < 0 || math.IsNaN(d) {
			return nil, Errorf(CodeInvalidJSON, "bad %s: expected a non-negative number", key)
		}
		n.MaxDistance = d / scale
	}
	if fc.p.near == nil {
		fc.p.near = &OrderKey{Field: fc.name, Near: &pt}
	}
	return n, nil
}

func (fc fieldConstraint) within(arg any) (Expr, *Error) {
	m, _ := arg.(map[string]any)
	box, ok := m["$box"].([]any)
	if !ok || len(box) != 2 {
		return nil, Errorf(CodeInvalidJSON, "bad $within: expected {\"$box\": [southwest, northeast]}")
	}
	sw, err := fc.geoPoint("$box", box[0])
	if err != nil {
		return nil, err
	}
	ne, err := fc.geoPoint("$box", box[1])
	if err != nil {
		return nil, err
	}
	// Any two opposite corners make the box, in either order, as on Parse
	// Server (MongoDB's $box and PostgreSQL's box both normalize them).
	lo := GeoPoint{Latitude: min(sw.Latitude, ne.Latitude), Longitude: min(sw.Longitude, ne.Longitude)}
	hi := GeoPoint{Latitude: max(sw.Latitude, ne.Latitude), Longitude: max(sw.Longitude, ne.Longitude)}
	return WithinBox{Field: fc.name, SouthWest: lo, NorthEast: hi}, nil
}

func (fc fieldConstraint) geoWithin(arg any) (Expr, *Error) {
	m, _ := arg.(map[string]any)
	if raw, ok := m["$polygon"]; ok {
		if fc.field.Type != TypeGeoPoint {
			return nil, Errorf(CodeInvalidQuery, "$geoWithin needs a GeoPoint field")
		}
		if pm, ok := raw.(map[string]any); ok && pm["__type"] == "Polygon" {
			raw = pm["coordinates"]
		}
		poly, err := decodePolygon(raw)
		if err != nil {
			return nil, Errorf(CodeInvalidJSON, "bad $geoWithin value; $polygon should contain at least 3 GeoPoints: %s", err.Message)
		}
		if err := fc.p.checkPolygonSize(poly); err != nil {
			return nil, err
		}
		pts := make([]GeoPoint, len(poly))
		for i, c := range poly {
			pts[i] = GeoPoint{Latitude: c[0], Longitude: c[1]}
		}
		return WithinPolygon{Field: fc.name, Points: pts}, nil
	}
	if raw, ok := m["$centerSphere"]; ok {
		list, ok := raw.([]any)
		if !ok || len(list) != 2 {
			return nil, Errorf(CodeInvalidJSON, "bad $geoWithin value; $centerSphere should be [point, radius]")
		}
		var center GeoPoint
		switch c := list[0].(type) {
		case []any: // MongoDB order: [longitude, latitude]
			if len(c) != 2 {
				return nil, Errorf(CodeInvalidJSON, "bad $centerSphere point: expected [longitude, latitude]")
			}
			lng, ok1 := c[0].(float64)
			lat, ok2 := c[1].(float64)
			if !ok1 || !ok2 {
				return nil, Errorf(CodeInvalidJSON, "bad $centerSphere point: expected [longitude, latitude]")
			}
			var err *Error
			if center, err = decodeGeoPoint(map[string]any{"latitude": lat, "longitude": lng}); err != nil {
				return nil, err
			}
		default:
			var err *Error
			if center, err = fc.geoPoint("$centerSphere", c); err != nil {
				return nil, err
			}
		}
		radius, ok := list[1].(float64)
		if !ok || radius < 0 {
			return nil, Errorf(CodeInvalidJSON, "bad $centerSphere radius: expected a non-negative number of radians")
		}
		if fc.field.Type != TypeGeoPoint {
			return nil, Errorf(CodeInvalidQuery, "$geoWithin needs a GeoPoint field")
		}
		return WithinSphere{Field: fc.name, Center: center, Radius: radius}, nil
	}
	return nil, Errorf(CodeInvalidJSON, "bad $geoWithin value; expected $polygon or $centerSphere")
}

// checkPolygonSize applies queryLimits.maxPolygonPoints to a polygon in a
// query: every row's test walks all of its points.
func (p *queryParser) checkPolygonSize(poly Polygon) *Error {
	if max := p.limits().MaxPolygonPoints; len(poly) > max {
		return Errorf(CodeInvalidQuery, "the polygon has %d points, more than the limit of %d (queryLimits.maxPolygonPoints)", len(poly), max)
	}
	return nil
}

func (fc fieldConstraint) geoIntersects(arg any) (Expr, *Error) {
	if fc.field.Type != TypePolygon {
		return nil, Errorf(CodeInvalidQuery, "$geoIntersects needs a Polygon field, %s is %s", fc.key(), fc.field.Type)
	}
	m, _ := arg.(map[string]any)
	pm, ok := m["$point"].(map[string]any)
	if !ok {
		return nil, Errorf(CodeInvalidJSON, "bad $geoIntersect value; $point should be GeoPoint")
	}
	pt, err := decodeGeoPoint(pm)
	if err != nil {
		return nil, err
	}
	return PolygonContains{Field: fc.name, Point: pt}, nil
}

// subQuery parses {"className": ..., "where": ...} of $inQuery and $select.
func (p *queryParser) subQuery(m map[string]any, depth int) (*Class, *Query, *Error) {
	name, _ := m["className"].(string)
	if !ValidClassName(name) {
		return nil, nil, Errorf(CodeInvalidClassName, "Invalid classname: %s", name)
	}
	if err := checkClassAccess(name, p.auth); err != nil {
		return nil, nil, err
	}
	c := p.app.Class(name)
	q := &Query{Limit: -1, ReadACL: p.auth.Principals()}
	if c == nil {
		return nil, q, nil
	}
	var where map[string]any
	if raw, ok := m["where"]; ok && raw != nil {
		w, ok := raw.(map[string]any)
		if !ok {
			return nil, nil, Errorf(CodeInvalidQuery, "subquery where must be an object")
		}
		where = w
	}
	// A subquery is a find on its class by the same caller: the class's
	// authorization and its BeforeFind rules (no client lists
	// _Installation, sessions need a user) apply as to a find of its own,
	// as Parse Server runs a subquery as a query of its own.
	e := &FindEvent{Ctx: p.ctx, Auth: p.auth, ClassName: name, Op: opFind, Options: FindOptions{Where: where}, Class: c,
		Context: cloudContext(p.ctx)}
	filter, aerr := p.app.authorizeFind(e)
	if aerr != nil {
		return nil, nil, AsError(aerr)
	}
	if err := p.app.hooks.BeforeFind.Trigger(name, e, nil); err != nil {
		return nil, nil, AsError(err)
	}
	if e.Options.Where != nil {
		expr, err := p.parse(c, e.Options.Where, depth+1)
		if err != nil {
			return nil, nil, err
		}
		q.Where = expr
	}
	q.Where = andExpr(q.Where, filter)
	if raw, ok := m["limit"]; ok {
		n, ok := raw.(float64)
		if !ok || n < 0 {
			return nil, nil, Errorf(CodeInvalidQuery, "subquery limit must be a non-negative number")
		}
		q.Limit = int(n)
	}
	if raw, ok := m["skip"]; ok {
		n, ok := raw.(float64)
		if !ok || n < 0 {
			return nil, nil, Errorf(CodeInvalidQuery, "subquery skip must be a non-negative number")
		}
		q.Skip = int(n)
	}
	if raw, ok := m["order"].(string); ok {
		order, err := parseOrder(c, raw)
		if err != nil {
			return nil, nil, err
		}
		q.Order = order
		// With a limit, the order decides which objects match: sorting on
		// a protected field would reveal how its values compare.
		for _, k := range q.Order {
			if err := checkProbe(c, p.auth, k.Field); err != nil {
				return nil, nil, err
			}
		}
	}
	return c, q, nil
}

func (fc fieldConstraint) inQuery(op string, arg any, depth int) (Expr, *Error) {
	m, ok := arg.(map[string]any)
	if !ok {
		return nil, Errorf(CodeInvalidQuery, "bad %s: expected {\"className\": ..., \"where\": ...}", op)
	}
	if fc.field.Type != TypePointer || fc.path != nil {
		return nil, Errorf(CodeInvalidQuery, "%s needs a Pointer field, %s is %s", op, fc.key(), fc.field.Type)
	}
	c, q, err := fc.p.subQuery(m, depth)
	if err != nil {
		return nil, err
	}
	not := op == "$notInQuery"
	if c == nil || c.Name != fc.field.TargetClass || isNothing(q.Where) {
		// Nothing can match the subquery: $inQuery matches nothing,
		// $notInQuery everything.
		if not {
			return nil, nil
		}
		return Nothing{}, nil
	}
	return InQuery{Field: fc.name, Class: c, Sub: q, Not: not}, nil
}

func (fc fieldConstraint) selectQuery(op string, arg any, depth int) (Expr, *Error) {
	m, ok := arg.(map[string]any)
	qm, ok2 := m["query"].(map[string]any)
	key, ok3 := m["key"].(string)
	if !ok || !ok2 || !ok3 {
		return nil, Errorf(CodeInvalidQuery, "improper usage of %s: expected {\"query\": {...}, \"key\": ...}", op)
	}
	c, q, err := fc.p.subQuery(qm, depth)
	if err != nil {
		return nil, err
	}
	not := op == "$dontSelect"
	if c == nil || isNothing(q.Where) {
		if not {
			return nil, nil
		}
		return Nothing{}, nil
	}
	if _, ok := fieldOf(c, key); !ok || !ValidFieldName(key) {
		return nil, Errorf(CodeInvalidKeyName, "%s: class %s has no field %s", op, c.Name, key)
	}
	if err := checkProbe(c, fc.p.auth, key); err != nil {
		return nil, err
	}
	return Select{Field: fc.name, Path: fc.path, Class: c, Sub: q, Key: key, Not: not}, nil
}

func isNothing(e Expr) bool { _, ok := e.(Nothing); return ok }

func (p *queryParser) parseRelatedTo(c *Class, val any) (Expr, *Error) {
	m, ok := val.(map[string]any)
	obj, ok2 := m["object"].(map[string]any)
	key, ok3 := m["key"].(string)
	if !ok || !ok2 || !ok3 {
		return nil, Errorf(CodeInvalidQuery, "bad $relatedTo: expected {\"object\": pointer, \"key\": field}")
	}
	owner, err := decodePointer(obj)
	if err != nil {
		return nil, err
	}
	oc := p.app.Class(owner.ClassName)
	if oc == nil || c == nil {
		return Nothing{}, nil
	}
	f, ok := oc.Fields[key]
	if !ok || f.Type != TypeRelation || f.TargetClass != c.Name {
		return Nothing{}, nil
	}
	visible, err := p.ownerVisible(oc, owner.ObjectID, key)
	if err != nil {
		return nil, err
	}
	if !visible {
		return Nothing{}, nil
	}
	return RelatedTo{Owner: owner, Key: key}, nil
}

// ownerVisible decides whether the caller may list the members of relation
// key of an owner object: only if they could read the owner itself (Parse
// Server's fix of GHSA-wmwx-jr2p-4j4r). The owner is fetched through the
// query pipeline as a get by the caller, so the owner class's access rules,
// get permission (requiresAuthentication, pointer permissions), BeforeFind
// rules, the Authorizer and the owner's ACL all apply. A class the caller
// may not get from answers the error that get would; an owner they may not
// read makes the relation empty, as a missing one does, so that its
// existence does not show. A relation field protected from the caller
// cannot be queried (119), as any protected field.
func (p *queryParser) ownerVisible(oc *Class, id, key string) (bool, *Error) {
	if p.auth.Master {
		return true, nil
	}
	if err := checkProbe(oc, p.auth, key); err != nil {
		return false, err
	}
	one := 1
	res, err := p.app.find(p.ctx, p.auth, oc.Name, FindOptions{
		Where: map[string]any{FieldObjectID: id}, Limit: &one, Keys: []string{FieldObjectID},
	}, opGet)
	if err != nil {
		return false, AsError(err)
	}
	return len(res.Results) == 1, nil
}

// relativeTime parses Parse's $relativeTime: "3 days ago", "in 2 hours",
// "now", with several "N unit" pairs allowed.
func relativeTime(s string, now time.Time) (time.Time, *Error) {
	fields := strings.Fields(strings.ToLower(s))
	if len(fields) == 1 && fields[0] == "now" {
		return now.UTC().Truncate(time.Millisecond), nil
	}
	sign := 0
	switch {
	case len(fields) > 0 && fields[0] == "in":
		sign, fields = 1, fields[1:]
	case len(fields) > 0 && fields[len(fields)-1] == "ago":
		sign, fields = -1, fields[:len(fields)-1]
	}
	if sign == 0 || len(fields) == 0 || len(fields)%2 != 0 {
		return time.Time{}, Errorf(CodeInvalidJSON, "bad $relativeTime %q: expected \"N unit ago\", \"in N unit\" or \"now\"", s)
	}
	var total time.Duration
	for i := 0; i < len(fields); i += 2 {
		n, err := strconv.ParseFloat(fields[i], 64)
		if err != nil {
			return time.Time{}, Errorf(CodeInvalidJSON, "bad $relativeTime %q: %q is not a number", s, fields[i])
		}
		unit, ok := relativeUnits[fields[i+1]]
		if !ok {
			return time.Time{}, Errorf(CodeInvalidJSON, "bad $relativeTime %q: unknown unit %q", s, fields[i+1])
		}
		total += time.Duration(n * float64(unit))
	}
	return now.Add(time.Duration(sign) * total).UTC().Truncate(time.Millisecond), nil
}

var relativeUnits = func() map[string]time.Duration {
	m := map[string]time.Duration{}
	add := func(d time.Duration, names ...string) {
		for _, n := range names {
			m[n] = d
		}
	}
	day := 24 * time.Hour
	add(365*day, "yr", "yrs", "year", "years")
	add(30*day, "mo", "mos", "month", "months")
	add(7*day, "wk", "wks", "week", "weeks")
	add(day, "d", "day", "days")
	add(time.Hour, "hr", "hrs", "hour", "hours")
	add(time.Minute, "min", "mins", "minute", "minutes")
	add(time.Second, "sec", "secs", "second", "seconds")
	return m
}()

// storageNames maps the names Parse Server's MongoDB storage gives the
// built-in fields, which clients may use in order and in aggregate
// pipelines, to the fields.
var storageNames = map[string]string{"_created_at": FieldCreatedAt, "_updated_at": FieldUpdatedAt, "_id": FieldObjectID}

// parseOrder reads "-score,name". Unknown fields are skipped, as Parse does
// for fields not yet in the schema; a name that cannot be a field is 105.
// "$score" (text-search relevance) is accepted and ignored.
func parseOrder(c *Class, s string) ([]OrderKey, *Error) {
	var keys []OrderKey
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		desc := strings.HasPrefix(part, "-")
		name := strings.TrimPrefix(part, "-")
		if name == "" || name == "$score" {
			continue
		}
		if builtin, ok := storageNames[name]; ok {
			name = builtin // Parse Server's MongoDB names for the built-in dates
		}
		if !ValidFieldName(name) {
			return nil, Errorf(CodeInvalidKeyName, "Invalid field name: %s.", name)
		}
		if f, ok := fieldOf(c, name); ok && f.Type != TypeRelation && f.Type != TypeACL {
			keys = append(keys, OrderKey{Field: name, Desc: desc})
		}
	}
	return keys, nil
}
