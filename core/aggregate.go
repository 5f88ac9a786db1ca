package core

import (
	"context"
	"encoding/json"
	"maps"
	"math"
	"slices"
	"strings"
	"time"
)

// Aggregate pipelines: GET /aggregate/:class?pipeline=[...], the Parse
// SDKs' query.aggregate. The core parses a pipeline into the checked
// model below (every field resolved and typed, every value converted, as
// for a where) and a store that implements Aggregator compiles it.
//
// Documents flow from the class's objects through the stages. Fields are
// named as clients name them, with MongoDB's storage names accepted for
// the built-in ones ("_id" for objectId, "_created_at", "_updated_at");
// the group key and a document's id are "objectId" in the results, as
// Parse Server returns them. Internal fields ("_hashed_password", ...) can
// never be read, grouped or matched.

// Pipeline is a checked aggregate pipeline.
type Pipeline struct {
	// Where selects the class's objects that enter the pipeline (the
	// leading $match stages, parsed as a find's where); nil: all.
	Where Expr
	// ReadACL, when not nil, restricts the objects to those these
	// principals may read, as Query.ReadACL.
	ReadACL []string
	Stages  []Stage
	// MaxResults bounds the documents the pipeline may return.
	MaxResults int
}

// Stage is one stage after the leading $match stages.
type Stage interface{ isStage() }

// AggField is a field of the documents between two stages.
type AggField struct {
	Name string
	// Type is the field's Parse type; "" is any JSON value in Parse's wire
	// encoding (array elements after $unwind, sub-keys of an Object).
	Type Type
	// Elem is the type of the elements of an Array built by $push or
	// $addToSet from a typed field.
	Elem        Type
	TargetClass string
	// Parts are the members of a group key given as an object
	// ({"_id": {"a": "$x", "b": "$y"}}): the field is then an Object of
	// these.
	Parts []AggField
}

// AggRef reads a field of the incoming documents, or a key inside an
// Object field when Path is set (the result then has type "").
type AggRef struct {
	Field string
	Path  []string
}

// MatchStage keeps the documents that match Where, whose field names are
// those of the incoming documents. It comes after a stage that changed the
// documents; only comparisons, $in/$nin, $exists, $regex and $and/$or/$nor
// occur in it.
type MatchStage struct{ Where Expr }

// GroupStage groups documents by Keys (none: all in one group) and
// computes Accumulators over each group. The output documents are
// objectId (the key: Keys[0]'s value, an object of all of them when
// KeyObject, or null) and one field per accumulator.
type GroupStage struct {
	Keys         []GroupKey
	KeyObject    bool
	Accumulators []Accumulator
}

// GroupKey is one member of a group key.
type GroupKey struct {
	Alias string // the member's name when the key is an object
	Of    AggRef
	Type  AggField
}

// AccOp is an accumulator operator of $group.
type AccOp string

// The accumulators.
const (
	AccSum      AccOp = "$sum"
	AccAvg      AccOp = "$avg"
	AccMin      AccOp = "$min"
	AccMax      AccOp = "$max"
	AccFirst    AccOp = "$first"
	AccLast     AccOp = "$last"
	AccPush     AccOp = "$push"
	AccAddToSet AccOp = "$addToSet"
)

// Accumulator computes Out over a group: Op of the values of Of, or for
// $sum without Of, Const per document (Const 1 counts them). $first and
// $last follow the order of the last $sort before the group; $push and
// $addToSet skip missing values.
type Accumulator struct {
	Out   AggField
	Op    AccOp
	Of    *AggRef
	Const float64
}

// ProjectStage reshapes each document into exactly Fields, in order.
type ProjectStage struct{ Fields []Projection }

// Projection is one output field of $project, read from Of.
type Projection struct {
	Out AggField
	Of  AggRef
}

// SortStage orders the documents; later stages keep that order until a
// $group or $count.
type SortStage struct{ Keys []AggSortKey }

// AggSortKey is one key of $sort.
type AggSortKey struct {
	Field string
	Desc  bool
}

// SkipStage drops the first N documents.
type SkipStage struct{ N int }

// LimitStage keeps the first N documents.
type LimitStage struct{ N int }

// CountStage replaces the documents by one, {Field: how many there were},
// or by none when there were none (as MongoDB does).
type CountStage struct{ Field string }

// UnwindStage outputs one document per element of the Array field Field,
// with Field set to the element (type ""). PreserveEmpty keeps documents
// whose array is missing or empty, with Field null. IndexField, when set,
// receives the element's index (a Number).
type UnwindStage struct {
	Field         string
	PreserveEmpty bool
	IndexField    string
}

func (MatchStage) isStage()   {}
func (GroupStage) isStage()   {}
func (ProjectStage) isStage() {}
func (SortStage) isStage()    {}
func (SkipStage) isStage()    {}
func (LimitStage) isStage()   {}
func (CountStage) isStage()   {}
func (UnwindStage) isStage()  {}

// maxPipelineStages bounds the stages of one pipeline.
const maxPipelineStages = 50

// maxAggregateResults bounds the documents one pipeline may return.
const maxAggregateResults = 10000

// AggregateInput returns the fields of the documents that enter a
// pipeline on class c: the built-in fields and every field that holds a
// value in the row (not relations, ACL or internal fields).
func AggregateInput(c *Class) []AggField {
	out := []AggField{{Name: FieldObjectID, Type: TypeString}, {Name: FieldCreatedAt, Type: TypeDate}, {Name: FieldUpdatedAt, Type: TypeDate}}
	for _, name := range sortedFieldNames(c) {
		f := c.Fields[name]
		if _, builtin := DefaultFields[name]; builtin || f.Type == TypeRelation || f.Type == TypeACL || strings.HasPrefix(name, "_") {
			continue
		}
		out = append(out, AggField{Name: name, Type: f.Type, TargetClass: f.TargetClass})
	}
	return out
}

// AggregateShape returns the fields of the documents after stage s, given
// the fields before it.
func AggregateShape(in []AggField, s Stage) []AggField {
	switch x := s.(type) {
	case GroupStage:
		out := []AggField{groupKeyField(x)}
		for _, a := range x.Accumulators {
			out = append(out, a.Out)
		}
		return out
	case ProjectStage:
		out := make([]AggField, len(x.Fields))
		for i, p := range x.Fields {
			out[i] = p.Out
		}
		return out
	case CountStage:
		return []AggField{{Name: x.Field, Type: TypeNumber}}
	case UnwindStage:
		out := make([]AggField, 0, len(in)+1)
		for _, f := range in {
			if f.Name == x.Field {
				f = AggField{Name: f.Name}
			}
			if f.Name != x.IndexField {
				out = append(out, f)
			}
		}
		if x.IndexField != "" {
			out = append(out, AggField{Name: x.IndexField, Type: TypeNumber})
		}
		return out
	}
	return in
}

func groupKeyField(g GroupStage) AggField {
	switch {
	case len(g.Keys) == 0:
		return AggField{Name: FieldObjectID}
	case g.KeyObject:
		parts := make([]AggField, len(g.Keys))
		for i, k := range g.Keys {
			parts[i] = k.Type
			parts[i].Name = k.Alias
		}
		return AggField{Name: FieldObjectID, Type: TypeObject, Parts: parts}
	}
	f := g.Keys[0].Type
	f.Name = FieldObjectID
	return f
}

// AggregatePipeline reads the pipeline of an aggregate request from its
// parameters: "pipeline" as a JSON array (or its text, from a URL query),
// an object of stages, or the stages themselves as parameters
// ({"$group": ...}, as older clients send them). "where", when given, is
// a first $match.
func AggregatePipeline(params map[string]any) ([]any, error) {
	var stages []any
	raw, ok := params["pipeline"]
	if s, isText := raw.(string); isText {
		if err := json.Unmarshal([]byte(s), &raw); err != nil {
			return nil, Errorf(CodeInvalidJSON, "pipeline is not valid JSON: %v", err)
		}
	}
	switch x := raw.(type) {
	case []any:
		stages = x
	case map[string]any:
		for _, k := range sortedKeys(x) {
			stages = append(stages, map[string]any{k: x[k]})
		}
	case nil:
		if ok {
			return nil, Errorf(CodeInvalidQuery, "pipeline must be an array of stages")
		}
		for _, k := range sortedKeys(params) {
			if strings.HasPrefix(k, "$") {
				v := params[k]
				if s, isText := v.(string); isText && k != "$count" && k != "$unwind" {
					if err := json.Unmarshal([]byte(s), &v); err != nil {
						return nil, Errorf(CodeInvalidJSON, "%s is not valid JSON: %v", k, err)
					}
				}
				stages = append(stages, map[string]any{k: v})
			}
		}
	default:
		return nil, Errorf(CodeInvalidQuery, "pipeline must be an array of stages")
	}
	if w, ok := params["where"]; ok && w != nil {
		if s, isText := w.(string); isText {
			if strings.TrimSpace(s) == "" {
				return stages, nil
			}
			if err := json.Unmarshal([]byte(s), &w); err != nil {
				return nil, Errorf(CodeInvalidJSON, "where is not valid JSON: %v", err)
			}
		}
		stages = append([]any{map[string]any{"$match": w}}, stages...)
	}
	return stages, nil
}

// Aggregate parses pipeline and runs it on className, and returns the
// documents in Parse's JSON form (the route's "results"). Like Parse
// Server's route it is for the master key; the API checks that.
func (a *App) Aggregate(ctx context.Context, auth *Auth, className string, pipeline []any) ([]map[string]any, error) {
	if ValidClassName(className) && checkClassAccess(className, auth) == nil && a.Class(className) == nil {
		return []map[string]any{}, nil // Parse answers nothing for a class that does not exist
	}
	p, err := a.ParseAggregate(ctx, auth, className, pipeline)
	if err != nil {
		return nil, err
	}
	c := a.Class(className)
	if c == nil || isNothing(p.Where) {
		return []map[string]any{}, nil
	}
	ag, ok := a.storeFor(ctx).(Aggregator)
	if !ok {
		return nil, Errorf(CodeInvalidQuery, "this data store cannot run aggregate pipelines")
	}
	qctx, cancel := a.QueryContext(ctx)
	defer cancel()
	docs, serr := ag.Aggregate(qctx, c, p)
	if serr != nil {
		return nil, TimeoutError(qctx, serr)
	}
	shape := AggregateInput(c)
	for _, s := range p.Stages {
		shape = AggregateShape(shape, s)
	}
	out := make([]map[string]any, len(docs))
	for i, d := range docs {
		out[i] = encodeAggDoc(shape, d)
	}
	return out, nil
}

// encodeAggDoc renders a result document in Parse's JSON form; the dates
// of an object pass through as Parse renders them in a find.
func encodeAggDoc(shape []AggField, d Object) map[string]any {
	m := make(map[string]any, len(d))
	for _, f := range shape {
		v, ok := d[f.Name]
		if !ok {
			continue
		}
		if t, isTime := v.(time.Time); isTime && (f.Name == FieldCreatedAt || f.Name == FieldUpdatedAt) {
			m[f.Name] = FormatTime(t)
			continue
		}
		m[f.Name] = encodeDeep(v)
	}
	return m
}

func encodeDeep(v any) any {
	switch x := v.(type) {
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = encodeDeep(e)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = encodeDeep(e)
		}
		return out
	}
	return EncodeValue(v)
}

// ParseAggregate checks a pipeline (the JSON array of stages) against the
// schema of className for auth, and returns it ready for a store. Errors
// are CodeInvalidQuery for a malformed or unsupported stage, and
// CodeInvalidKeyName for a field that cannot be read.
func (a *App) ParseAggregate(ctx context.Context, auth *Auth, className string, pipeline []any) (*Pipeline, error) {
	if !ValidClassName(className) {
		return nil, Errorf(CodeInvalidClassName, "Invalid classname: %s", className)
	}
	if err := checkClassAccess(className, auth); err != nil {
		return nil, err
	}
	if len(pipeline) > maxPipelineStages {
		return nil, Errorf(CodeInvalidQuery, "the pipeline has %d stages, more than the limit of %d", len(pipeline), maxPipelineStages)
	}
	c := a.Class(className)
	ap := &aggParser{q: &queryParser{app: a, ctx: ctx, auth: auth}, class: c}
	if c != nil {
		ap.shape = AggregateInput(c)
	}
	p := &Pipeline{ReadACL: auth.Principals(), MaxResults: maxAggregateResults}
	if c != nil {
		clp, err := authorize(c, opFind, auth)
		if err != nil {
			return nil, err
		}
		p.Where = clp
	}
	leading := true
	for i, raw := range pipeline {
		m, ok := raw.(map[string]any)
		if !ok || len(m) != 1 {
			return nil, Errorf(CodeInvalidQuery, "pipeline stage %d must be an object with one key, such as {\"$match\": {...}}", i+1)
		}
		for name, arg := range m {
			if name == "$match" && leading {
				w, ok := arg.(map[string]any)
				if !ok {
					return nil, Errorf(CodeInvalidQuery, "$match needs an object")
				}
				e, err := ap.q.parse(c, storageToFieldNames(w), 0)
				if err != nil {
					return nil, err
				}
				p.Where = andExpr(e, p.Where)
				continue
			}
			leading = false
			s, err := ap.stage(name, arg)
			if err != nil {
				return nil, err
			}
			p.Stages = append(p.Stages, s)
			ap.shape = AggregateShape(ap.shape, s)
			ap.grouped = ap.grouped || name != "$match" && name != "$sort" && name != "$skip" && name != "$limit"
		}
	}
	return p, nil
}

// storageToFieldNames renames MongoDB's storage names of the built-in
// fields in a where document (and its $or/$and/$nor branches).
func storageToFieldNames(w map[string]any) map[string]any {
	out := make(map[string]any, len(w))
	for k, v := range w {
		if f, ok := storageNames[k]; ok {
			k = f
		}
		if list, ok := v.([]any); ok && (k == "$or" || k == "$and" || k == "$nor") {
			branches := make([]any, len(list))
			for i, b := range list {
				if bm, ok := b.(map[string]any); ok {
					b = storageToFieldNames(bm)
				}
				branches[i] = b
			}
			v = branches
		}
		out[k] = v
	}
	return out
}

// aggParser parses the stages after the leading $match ones, keeping the
// fields of the documents between stages.
type aggParser struct {
	q       *queryParser
	class   *Class
	shape   []AggField
	grouped bool // a stage changed the documents: fields are no longer the class's
}

func (ap *aggParser) stage(name string, arg any) (Stage, *Error) {
	switch name {
	case "$match":
		w, ok := arg.(map[string]any)
		if !ok {
			return nil, Errorf(CodeInvalidQuery, "$match needs an object")
		}
		e, err := ap.match(w, 0)
		if err != nil {
			return nil, err
		}
		return MatchStage{Where: e}, nil
	case "$group":
		return ap.group(arg)
	case "$project":
		return ap.project(arg)
	case "$sort":
		return ap.sort(arg)
	case "$skip", "$limit":
		n, ok := arg.(float64)
		if !ok || n != math.Trunc(n) || n < 0 || n > math.MaxInt32 || name == "$limit" && n == 0 {
			return nil, Errorf(CodeInvalidQuery, "%s needs a positive integer", name)
		}
		if name == "$skip" {
			return SkipStage{N: int(n)}, nil
		}
		return LimitStage{N: int(n)}, nil
	case "$count":
		s, ok := arg.(string)
		if !ok || !validOutputName(s) {
			return nil, Errorf(CodeInvalidQuery, "$count needs the name of its output field: letters, digits and _, not starting with _")
		}
		return CountStage{Field: s}, nil
	case "$unwind":
		return ap.unwind(arg)
	}
	if !strings.HasPrefix(name, "$") {
		return nil, Errorf(CodeInvalidQuery, "Invalid aggregate stage '%s'.", name)
	}
	return nil, Errorf(CodeInvalidQuery, "aggregate stage %s is not supported: use $match, $group, $project, $sort, $skip, $limit, $count or $unwind", name)
}

// validOutputName reports whether a stage may name an output field so.
func validOutputName(s string) bool {
	return isName(s) && !invalidFieldNames[s]
}

// field looks a field of the current documents up by any of its names.
func (ap *aggParser) field(name string) (AggField, *Error) {
	if f, ok := storageNames[name]; ok {
		name = f
	}
	name = strings.TrimPrefix(name, "_p_") // MongoDB's column of a pointer field
	if strings.HasPrefix(name, "_") {
		return AggField{}, Errorf(CodeInvalidKeyName, "%s is an internal field: it cannot be aggregated", name)
	}
	for _, f := range ap.shape {
		if f.Name == name {
			if !ap.grouped && ap.class != nil {
				if err := checkProbe(ap.class, ap.q.auth, name); err != nil {
					return AggField{}, err
				}
			}
			return f, nil
		}
	}
	return AggField{}, Errorf(CodeInvalidQuery, "the documents at this stage have no field %s", name)
}

// ref reads an expression "$field" or "$field.sub.key".
func (ap *aggParser) ref(v any, what string) (AggRef, AggField, *Error) {
	s, ok := v.(string)
	if !ok || len(s) < 2 || s[0] != '$' {
		return AggRef{}, AggField{}, Errorf(CodeInvalidQuery, "%s must be a field reference such as \"$score\"", what)
	}
	name, rest, dotted := strings.Cut(s[1:], ".")
	f, err := ap.field(name)
	if err != nil {
		return AggRef{}, AggField{}, err
	}
	r := AggRef{Field: f.Name}
	if !dotted {
		return r, f, nil
	}
	if f.Type != TypeObject || f.Parts != nil {
		return AggRef{}, AggField{}, Errorf(CodeInvalidQuery, "%s: only Object fields have sub-keys", s)
	}
	r.Path = strings.Split(rest, ".")
	for _, seg := range r.Path {
		if seg == "" || strings.ContainsAny(seg, "$") {
			return AggRef{}, AggField{}, Errorf(CodeInvalidKeyName, "Invalid key name: %s", s)
		}
	}
	return r, AggField{Name: f.Name}, nil
}

func (ap *aggParser) group(arg any) (Stage, *Error) {
	m, ok := arg.(map[string]any)
	if !ok {
		return nil, Errorf(CodeInvalidQuery, "$group needs an object")
	}
	if _, ok := m[FieldObjectID]; ok {
		return nil, Errorf(CodeInvalidQuery, "Cannot use 'objectId' in aggregation stage $group.")
	}
	id, ok := m["_id"]
	if !ok {
		return nil, Errorf(CodeInvalidQuery, "Invalid parameter for query: group. Missing key _id")
	}
	var g GroupStage
	switch x := id.(type) {
	case nil:
	case string:
		r, f, err := ap.ref(x, "the _id of $group")
		if err != nil {
			return nil, err
		}
		g.Keys = []GroupKey{{Of: r, Type: groupable(f)}}
	case map[string]any:
		if len(x) == 0 {
			break // {} groups everything, as null does
		}
		g.KeyObject = true
		for _, alias := range sortedKeys(x) {
			if !validOutputName(alias) {
				return nil, Errorf(CodeInvalidQuery, "$group _id member %q: use letters, digits and _", alias)
			}
			r, f, err := ap.ref(x[alias], "a member of the _id of $group")
			if err != nil {
				return nil, err
			}
			g.Keys = append(g.Keys, GroupKey{Alias: alias, Of: r, Type: groupable(f)})
		}
	default:
		return nil, Errorf(CodeInvalidQuery, "the _id of $group must be null, a field reference such as \"$name\" or an object of them")
	}
	for _, name := range sortedKeys(m) {
		if name == "_id" {
			continue
		}
		if !validOutputName(name) {
			return nil, Errorf(CodeInvalidQuery, "$group field %q: use letters, digits and _, not starting with _", name)
		}
		acc, err := ap.accumulator(name, m[name])
		if err != nil {
			return nil, err
		}
		g.Accumulators = append(g.Accumulators, acc)
	}
	return g, nil
}

// groupable is the type of a group key read from f: a pointer groups by
// its objectId, which Parse Server returns as the key.
func groupable(f AggField) AggField {
	if f.Type == TypePointer {
		return AggField{Name: f.Name, Type: TypeString}
	}
	return f
}

func (ap *aggParser) accumulator(name string, v any) (Accumulator, *Error) {
	m, ok := v.(map[string]any)
	if !ok || len(m) != 1 {
		return Accumulator{}, Errorf(CodeInvalidQuery, "$group field %s needs one accumulator, such as {\"$sum\": \"$score\"}", name)
	}
	for opName, arg := range m {
		op := AccOp(opName)
		acc := Accumulator{Op: op, Out: AggField{Name: name}}
		if n, isNum := arg.(float64); isNum && op == AccSum {
			acc.Const, acc.Out.Type = n, TypeNumber
			return acc, nil
		}
		switch op {
		case AccSum, AccAvg, AccMin, AccMax, AccFirst, AccLast, AccPush, AccAddToSet:
		default:
			return Accumulator{}, Errorf(CodeInvalidQuery, "accumulator %s is not supported: use $sum, $avg, $min, $max, $first, $last, $push or $addToSet", opName)
		}
		r, f, err := ap.ref(arg, opName)
		if err != nil {
			return Accumulator{}, err
		}
		acc.Of = &r
		switch op {
		case AccSum, AccAvg:
			if f.Type != TypeNumber && f.Type != "" {
				return Accumulator{}, Errorf(CodeInvalidQuery, "%s needs a Number field, %s is %s", opName, f.Name, f.Type)
			}
			acc.Out.Type = TypeNumber
		case AccMin, AccMax:
			switch f.Type {
			case TypeString, TypeNumber, TypeDate, TypeBoolean, TypePointer, "":
			default:
				return Accumulator{}, Errorf(CodeInvalidQuery, "%s cannot compare %s values", opName, f.Type)
			}
			acc.Out = AggField{Name: name, Type: f.Type, TargetClass: f.TargetClass}
		case AccFirst, AccLast:
			acc.Out = AggField{Name: name, Type: f.Type, TargetClass: f.TargetClass, Elem: f.Elem, Parts: f.Parts}
		case AccPush, AccAddToSet:
			acc.Out = AggField{Name: name, Type: TypeArray, Elem: f.Type, TargetClass: f.TargetClass}
		}
		return acc, nil
	}
	return Accumulator{}, nil
}

func (ap *aggParser) project(arg any) (Stage, *Error) {
	m, ok := arg.(map[string]any)
	if !ok || len(m) == 0 {
		return nil, Errorf(CodeInvalidQuery, "$project needs an object of fields, such as {\"score\": 1}")
	}
	include, exclude := false, false
	keepID, idNamed := true, false
	var ps ProjectStage
	named := map[string]bool{}
	for _, name := range sortedKeys(m) {
		v := m[name]
		if f, ok := storageNames[name]; ok {
			name = f
		}
		on, isFlag := flag(v)
		switch {
		case isFlag && name == FieldObjectID:
			keepID, idNamed = on, true
			continue
		case isFlag && on:
			include = true
			f, err := ap.field(name)
			if err != nil {
				return nil, err
			}
			ps.Fields = append(ps.Fields, Projection{Out: f, Of: AggRef{Field: f.Name}})
		case isFlag:
			exclude = true
			if _, err := ap.field(name); err != nil {
				return nil, err
			}
			named[name] = true
		default:
			include = true
			if !validOutputName(name) {
				return nil, Errorf(CodeInvalidQuery, "$project field %q: use letters, digits and _, not starting with _", name)
			}
			r, f, err := ap.ref(v, "$project "+name)
			if err != nil {
				return nil, err
			}
			f.Name = name
			ps.Fields = append(ps.Fields, Projection{Out: f, Of: r})
		}
	}
	if include && exclude {
		return nil, Errorf(CodeInvalidQuery, "$project cannot both include and exclude fields (other than _id)")
	}
	if !include && !(idNamed && keepID && !exclude) {
		// Exclusion (or only {_id: 0}): every other field stays.
		for _, f := range ap.shape {
			if !named[f.Name] && f.Name != FieldObjectID {
				ps.Fields = append(ps.Fields, Projection{Out: f, Of: AggRef{Field: f.Name}})
			}
		}
	}
	if keepID {
		if f, err := ap.field(FieldObjectID); err == nil {
			ps.Fields = append([]Projection{{Out: f, Of: AggRef{Field: f.Name}}}, ps.Fields...)
		}
	}
	return ps, nil
}

// flag reads a $project value 1/0/true/false.
func flag(v any) (on, ok bool) {
	switch x := v.(type) {
	case bool:
		return x, true
	case float64:
		return x != 0, true
	}
	return false, false
}

func (ap *aggParser) sort(arg any) (Stage, *Error) {
	m, ok := arg.(map[string]any)
	if !ok || len(m) == 0 {
		return nil, Errorf(CodeInvalidQuery, "$sort needs an object such as {\"score\": -1}")
	}
	// JSON objects have no order; the keys sort by name. Clients that need
	// a precise multi-key order use one $sort per key, last key first.
	var s SortStage
	for _, name := range sortedKeys(m) {
		dir, ok := m[name].(float64)
		if !ok || dir != 1 && dir != -1 {
			return nil, Errorf(CodeInvalidQuery, "$sort %s must be 1 or -1", name)
		}
		f, err := ap.field(name)
		if err != nil {
			return nil, err
		}
		if f.Parts != nil {
			return nil, Errorf(CodeInvalidQuery, "$sort cannot sort by a group key made of several fields")
		}
		s.Keys = append(s.Keys, AggSortKey{Field: f.Name, Desc: dir < 0})
	}
	return s, nil
}

func (ap *aggParser) unwind(arg any) (Stage, *Error) {
	var u UnwindStage
	path := arg
	if m, ok := arg.(map[string]any); ok {
		path = m["path"]
		for k, v := range m {
			switch k {
			case "path":
			case "preserveNullAndEmptyArrays":
				b, ok := v.(bool)
				if !ok {
					return nil, Errorf(CodeInvalidQuery, "$unwind preserveNullAndEmptyArrays must be a boolean")
				}
				u.PreserveEmpty = b
			case "includeArrayIndex":
				s, ok := v.(string)
				if !ok || !validOutputName(s) {
					return nil, Errorf(CodeInvalidQuery, "$unwind includeArrayIndex must name a field: letters, digits and _")
				}
				u.IndexField = s
			default:
				return nil, Errorf(CodeInvalidQuery, "$unwind does not take %q: use path, preserveNullAndEmptyArrays or includeArrayIndex", k)
			}
		}
	}
	r, f, err := ap.ref(path, "$unwind")
	if err != nil {
		return nil, err
	}
	if r.Path != nil || f.Type != TypeArray {
		return nil, Errorf(CodeInvalidQuery, "$unwind needs an Array field, %s is %s", r.Field, f.Type)
	}
	u.Field = r.Field
	return u, nil
}

// match parses a $match after the documents changed: comparisons of their
// fields with values.
func (ap *aggParser) match(w map[string]any, depth int) (Expr, *Error) {
	if depth > ap.q.limits().MaxDepth {
		return nil, Errorf(CodeInvalidQuery, "$match nests deeper than %d levels", ap.q.limits().MaxDepth)
	}
	var exprs []Expr
	for _, key := range sortedKeys(w) {
		val := w[key]
		switch key {
		case "$or", "$and", "$nor":
			list, ok := val.([]any)
			if !ok || len(list) == 0 || len(list) > ap.q.limits().MaxOrWidth {
				return nil, Errorf(CodeInvalidQuery, "%s must be a non-empty array of at most %d conditions", key, ap.q.limits().MaxOrWidth)
			}
			var children []Expr
			for _, item := range list {
				m, ok := item.(map[string]any)
				if !ok {
					return nil, Errorf(CodeInvalidQuery, "%s must be an array of conditions", key)
				}
				e, err := ap.match(m, depth+1)
				if err != nil {
					return nil, err
				}
				if e == nil {
					e = And{}
				}
				children = append(children, e)
			}
			switch key {
			case "$or":
				exprs = append(exprs, Or{Exprs: children})
			case "$and":
				exprs = append(exprs, And{Exprs: children})
			default:
				exprs = append(exprs, Nor{Exprs: children})
			}
			continue
		}
		if strings.HasPrefix(key, "$") {
			return nil, Errorf(CodeInvalidKeyName, "Invalid key name: %s", key)
		}
		f, err := ap.field(key)
		if err != nil {
			return nil, err
		}
		if f.Parts != nil || f.Type == TypeArray || f.Type == TypeObject || f.Type == TypePolygon || f.Type == TypeGeoPoint {
			return nil, Errorf(CodeInvalidQuery, "$match after $group, $project or $unwind compares scalar fields; %s is %s", key, f.Type)
		}
		m, isOps := val.(map[string]any)
		if !isOps || !isOperatorMap(m) {
			v, err := ap.value(f, val)
			if err != nil {
				return nil, err
			}
			exprs = append(exprs, Cmp{Field: f.Name, Op: OpEq, Value: v})
			continue
		}
		for _, op := range sortedKeys(m) {
			arg := m[op]
			switch op {
			case "$eq", "$ne", "$lt", "$lte", "$gt", "$gte":
				v, err := ap.value(f, arg)
				if err != nil {
					return nil, err
				}
				if v == nil && op != "$eq" && op != "$ne" {
					return nil, Errorf(CodeInvalidQuery, "%s needs a value, not null", op)
				}
				exprs = append(exprs, Cmp{Field: f.Name, Op: map[string]CmpOp{"$eq": OpEq, "$ne": OpNe, "$lt": OpLt, "$lte": OpLte, "$gt": OpGt, "$gte": OpGte}[op], Value: v})
			case "$in", "$nin":
				list, ok := arg.([]any)
				if !ok || len(list) > ap.q.limits().MaxInValues {
					return nil, Errorf(CodeInvalidQuery, "%s needs an array of at most %d values", op, ap.q.limits().MaxInValues)
				}
				vals := make([]any, len(list))
				for i, x := range list {
					v, err := ap.value(f, x)
					if err != nil {
						return nil, err
					}
					vals[i] = v
				}
				exprs = append(exprs, In{Field: f.Name, Values: vals, Not: op == "$nin"})
			case "$exists":
				b, ok := arg.(bool)
				if !ok {
					return nil, Errorf(CodeInvalidQuery, "$exists needs a boolean")
				}
				exprs = append(exprs, Exists{Field: f.Name, Exists: b})
			case "$regex":
				if f.Type != TypeString && f.Type != "" {
					return nil, Errorf(CodeInvalidQuery, "$regex needs a String field, %s is %s", key, f.Type)
				}
				re, err := ap.q.checkRegex(arg, m["$options"])
				if err != nil {
					return nil, err
				}
				re.Field = f.Name
				exprs = append(exprs, re)
			case "$options":
				if _, ok := m["$regex"]; !ok {
					return nil, Errorf(CodeInvalidQuery, "$options needs $regex")
				}
			default:
				return nil, Errorf(CodeInvalidQuery, "%s is not supported in a $match after $group, $project or $unwind", op)
			}
		}
	}
	return simplifyAnd(exprs), nil
}

// value converts a $match value for field f.
func (ap *aggParser) value(f AggField, v any) (any, *Error) {
	if v == nil {
		return nil, nil
	}
	if f.Type == "" {
		switch v.(type) {
		case string, float64, bool:
			return v, nil
		}
		return nil, Errorf(CodeInvalidQuery, "%s: only strings, numbers and booleans can be compared here", f.Name)
	}
	fc := fieldConstraint{p: ap.q, name: f.Name, field: Field{Type: f.Type, TargetClass: f.TargetClass}}
	return fc.value(v)
}

func sortedKeys[V any](m map[string]V) []string { return slices.Sorted(maps.Keys(m)) }

func sortedFieldNames(c *Class) []string { return sortedKeys(c.Fields) }
