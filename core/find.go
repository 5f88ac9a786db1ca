package core

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
)

// FindOptions are the parameters of a find, as Parse clients send them
// (strings from a URL query or JSON values from a body). The API passes
// them through untouched; ParseFindOptions does the checking.
type FindOptions struct {
	Where       map[string]any
	Order       string
	Limit       *int
	Skip        int
	Keys        []string
	ExcludeKeys []string
	Include     []string
	Count       bool
	// RedirectClassNameForKey makes a find on class X with this key run on
	// the target class of X's relation field (the JS SDK's relation.query()).
	RedirectClassNameForKey string
	// JSON says the caller writes the objects as JSON and nothing else:
	// FindResult.JSON may then carry them instead of Results (see
	// JSONFinder). The API sets it for the requests it answers itself.
	JSON bool
}

// ParseFindOptions reads find parameters from a Parse request: either the
// URL-query form (every value a string, where as JSON text) or the JSON body
// form of the JS SDK.
func ParseFindOptions(params map[string]any) (FindOptions, error) {
	var o FindOptions
	for key, v := range params {
		switch key {
		case "where":
			switch w := v.(type) {
			case nil:
			case map[string]any:
				o.Where = w
			case string:
				if strings.TrimSpace(w) == "" {
					continue
				}
				if err := json.Unmarshal([]byte(w), &o.Where); err != nil {
					return o, Errorf(CodeInvalidJSON, "where is not valid JSON: %v", err)
				}
			default:
				return o, Errorf(CodeInvalidJSON, "where must be a JSON object")
			}
		case "order":
			s, err := stringParam(key, v)
			if err != nil {
				return o, err
			}
			o.Order = s
		case "limit":
			n, err := intParam(key, v)
			if err != nil {
				return o, err
			}
			o.Limit = &n
		case "skip":
			n, err := intParam(key, v)
			if err != nil {
				return o, err
			}
			if n < 0 {
				return o, Errorf(CodeInvalidQuery, "skip must be a non-negative number")
			}
			o.Skip = n
		case "keys", "excludeKeys", "include":
			list, err := listParam(key, v)
			if err != nil {
				return o, err
			}
			switch key {
			case "keys":
				o.Keys = list
			case "excludeKeys":
				o.ExcludeKeys = list
			default:
				o.Include = list
			}
		case "count":
			switch c := v.(type) {
			case bool:
				o.Count = c
			case float64:
				o.Count = c != 0
			case string:
				o.Count = c == "1" || c == "true"
			}
		case "redirectClassNameForKey":
			s, err := stringParam(key, v)
			if err != nil {
				return o, err
			}
			o.RedirectClassNameForKey = s
		case "hint", "explain", "readPreference", "includeReadPreference", "subqueryReadPreference", "comment":
			// Accepted for compatibility; they tune MongoDB, which we are not.
		}
	}
	return o, nil
}

func stringParam(key string, v any) (string, error) {
	s, ok := v.(string)
	if !ok {
		return "", Errorf(CodeInvalidQuery, "%s must be a string", key)
	}
	return s, nil
}

func intParam(key string, v any) (int, error) {
	switch x := v.(type) {
	case float64:
		if x != float64(int(x)) {
			return 0, Errorf(CodeInvalidQuery, "%s must be an integer", key)
		}
		return int(x), nil
	case string:
		n, err := strconv.Atoi(x)
		if err != nil {
			return 0, Errorf(CodeInvalidQuery, "%s must be an integer, got %q", key, x)
		}
		return n, nil
	}
	return 0, Errorf(CodeInvalidQuery, "%s must be an integer", key)
}

func listParam(key string, v any) ([]string, error) {
	switch x := v.(type) {
	case string:
		if x == "" {
			return nil, nil
		}
		parts := strings.Split(x, ",")
		for i := range parts {
			parts[i] = strings.TrimSpace(parts[i])
		}
		return parts, nil
	case []any:
		out := make([]string, 0, len(x))
		for _, e := range x {
			s, ok := e.(string)
			if !ok {
				return nil, Errorf(CodeInvalidQuery, "%s must be a list of field names", key)
			}
			out = append(out, s)
		}
		return out, nil
	}
	return nil, Errorf(CodeInvalidQuery, "%s must be a comma-separated string", key)
}

// FindResult is the answer to a find: results, and count when asked for.
type FindResult struct {
	// Results are the objects, or nil when JSON holds them.
	Results []map[string]any
	// JSON, when FindOptions.JSON asked for it and the store could, is the
	// JSON array of the objects, as encoding/json would write Results.
	JSON  []byte
	Count *int64
	// ClassName is the class the results are of when
	// redirectClassNameForKey sent the query to a relation's target class.
	ClassName string
}

// query is stages 5 and 6 of a query: the where document parsed against
// the schema, the store call with the authorizers' filter and the ACL, then
// protected fields, keys and include.
func (a *App) query(e *FindEvent) error {
	ctx, auth, c, opts := e.Ctx, e.Auth, e.Class, e.Options
	limit := a.opts.DefaultLimit
	if opts.Limit != nil {
		limit = *opts.Limit
		if limit < 0 {
			limit = a.opts.DefaultLimit
		}
	}
	if limit > a.opts.MaxLimit {
		limit = a.opts.MaxLimit
	}
	e.Results = []map[string]any{}
	if opts.Count {
		var zero int64
		e.Count = &zero
	}
	p := &queryParser{app: a, ctx: ctx, auth: auth}
	if c == nil {
		// Parse answers an empty result for a class that does not exist yet.
		if _, err := p.parse(nil, opts.Where, 0); err != nil {
			return err
		}
		return nil
	}
	where, perr := p.parse(c, opts.Where, 0)
	if perr != nil {
		return perr
	}
	where, err := a.authorizeSubqueries(ctx, a.findInput(c.Name, c, e.Op, auth, nil), where)
	if err != nil {
		return err
	}
	where = andExpr(where, e.filter)
	q := &Query{Where: where, Limit: limit, Skip: opts.Skip, ReadACL: auth.Principals()}
	if opts.Order != "" {
		order, err := parseOrder(c, opts.Order)
		if err != nil {
			return err
		}
		q.Order = order
	} else if p.near != nil {
		q.Order = []OrderKey{*p.near}
	}
	q.Keys = topLevelKeys(c, opts.Keys)
	for _, k := range q.Order {
		if err := checkProbe(c, auth, k.Field); err != nil {
			return err
		}
	}
	for _, k := range q.Keys {
		if err := checkProbe(c, auth, k); err != nil {
			return err
		}
	}
	if isNothing(where) {
		return nil
	}
	st := a.storeFor(ctx)
	// The query time limit bounds every read of this request, includes too.
	qctx := ctx
	if !primaryKeyLookup(q, opts) {
		var cancel context.CancelFunc
		qctx, cancel = a.QueryContext(ctx)
		defer cancel()
	}
	if opts.Count {
		n, err := st.Count(qctx, c, q)
		if err != nil {
			return TimeoutError(qctx, err)
		}
		e.Count = &n
	}
	if limit == 0 {
		return nil
	}
	if jf, ok := st.(JSONFinder); ok && opts.JSON && a.objectsLeaveAsStored(e, c, auth) {
		// A guess at the size, so that the JSON grows in place: a few
		// hundred bytes an object, up to 8 KiB (a bigger answer grows).
		out, _, ok, err := jf.FindJSON(qctx, c, q, make([]byte, 0, min(384*max(limit, 1)+64, 8<<10)))
		if err != nil {
			return TimeoutError(qctx, err)
		}
		if ok {
			e.Results, e.json = nil, out
			return nil
		}
	}
	objs, err := st.Find(qctx, c, q)
	if err != nil {
		return TimeoutError(qctx, err)
	}
	e.Results = make([]map[string]any, len(objs))
	for i, o := range objs {
		e.Results[i] = encodeOwned(c, o)
	}
	stripProtected(c, auth, e.Results)
	applyKeys(e.Results, opts.Keys, opts.ExcludeKeys)
	if len(opts.Include) > 0 {
		return TimeoutError(qctx, a.include(qctx, auth, c, e.Results, opts.Include, opts.Keys))
	}
	return nil
}

// objectsLeaveAsStored reports whether the objects of a find leave the
// server exactly as EncodeObject writes the store's rows, so that a store
// may write their JSON itself (JSONFinder): no afterFind trigger to see or
// change them, no include to fill in, no keys to cut, no protected field
// to strip for this caller, and no File field, whose URL depends on the
// caller. Checked after the beforeFind triggers, which may have changed
// the options.
func (a *App) objectsLeaveAsStored(e *FindEvent, c *Class, auth *Auth) bool {
	opts := e.Options
	if len(opts.Include) > 0 || opts.Keys != nil || len(opts.ExcludeKeys) > 0 || a.hooks.AfterFind.Has(e.ClassName) {
		return false
	}
	if len(protectedFields(c, auth)) > 0 {
		return false
	}
	for _, f := range c.Fields {
		if f.Type == TypeFile {
			return false
		}
	}
	return true
}

// primaryKeyLookup reports whether q is a get by objectId and nothing
// else: one primary-key lookup, whose cost is bounded, so the query time
// limit (a timer and a cancelable context, a microsecond of every get)
// would guard nothing. The request's own context still reaches the store
// (which may not watch it for a lookup that cannot wait: sqlstore's InProcess).
func primaryKeyLookup(q *Query, opts FindOptions) bool {
	w, ok := q.Where.(Cmp)
	if !ok || w.Field != FieldObjectID || w.Op != OpEq || len(w.Path) > 0 || opts.Count || len(opts.Include) > 0 {
		return false
	}
	_, ok = w.Value.(string)
	return ok && q.Limit == 1
}

// Distinct returns the distinct values of a field among the matching objects.
// Like Parse Server's aggregate route it needs the master key.
func (a *App) Distinct(ctx context.Context, auth *Auth, className, field string, where map[string]any) ([]any, error) {
	if err := auth.requireMaster("run aggregate queries"); err != nil {
		return nil, err
	}
	c := a.Class(className)
	if c == nil {
		return []any{}, nil
	}
	// Internal fields (password hashes, reset tokens) and fields protected
	// from the caller are never distinct keys, not even for the read-only
	// master key.
	if strings.HasPrefix(field, "_") || protectedFields(c, auth)[field] {
		return nil, Errorf(CodeInvalidKeyName, "Invalid field name for distinct: %s.", field)
	}
	f, ok := fieldOf(c, field)
	if !ok || f.Type == TypeRelation || f.Type == TypeACL {
		return []any{}, nil
	}
	p := &queryParser{app: a, ctx: ctx, auth: auth}
	expr, err := p.parse(c, where, 0)
	if err != nil {
		return nil, err
	}
	if isNothing(expr) {
		return []any{}, nil
	}
	qctx, cancel := a.QueryContext(ctx)
	defer cancel()
	values, serr := a.storeFor(ctx).Distinct(qctx, c, field, &Query{Where: expr, Limit: -1, ReadACL: auth.Principals()})
	if serr != nil {
		return nil, TimeoutError(qctx, serr)
	}
	out := make([]any, len(values))
	for i, v := range values {
		out[i] = EncodeValue(v)
	}
	return out, nil
}

// topLevelKeys turns "keys" (which may be dotted for included objects) into
// the top-level fields the store should return; nil means all.
func topLevelKeys(c *Class, keys []string) []string {
	if len(keys) == 0 {
		return nil
	}
	seen := map[string]bool{}
	out := make([]string, 0, len(keys))
	for _, k := range keys {
		top, _, _ := strings.Cut(k, ".")
		if seen[top] {
			continue
		}
		seen[top] = true
		if f, ok := fieldOf(c, top); ok && f.Type != TypeRelation {
			out = append(out, top)
		}
	}
	return out
}

// applyKeys removes excluded fields and, when keys were given, relation
// placeholders that were not asked for.
func applyKeys(results []map[string]any, keys, exclude []string) {
	if len(keys) == 0 && len(exclude) == 0 {
		return
	}
	var wanted map[string]bool
	if len(keys) > 0 {
		wanted = map[string]bool{FieldObjectID: true, FieldCreatedAt: true, FieldUpdatedAt: true, FieldACL: true}
		for _, k := range keys {
			top, _, _ := strings.Cut(k, ".")
			wanted[top] = true
		}
	}
	for _, r := range results {
		for _, k := range exclude {
			if k != FieldObjectID {
				delete(r, k)
			}
		}
		if wanted != nil {
			for k := range r {
				if !wanted[k] {
					delete(r, k)
				}
			}
		}
	}
}

func (a *App) checkInclude(paths []string) error {
	if len(paths) > a.opts.Limits.MaxIncludeCount {
		return Errorf(CodeInvalidQuery, "include has %d paths, more than the limit of %d", len(paths), a.opts.Limits.MaxIncludeCount)
	}
	for _, p := range paths {
		if strings.Count(p, ".")+1 > a.opts.Limits.MaxIncludeDepth {
			return Errorf(CodeInvalidQuery, "include path %q is deeper than the limit of %d", p, a.opts.Limits.MaxIncludeDepth)
		}
	}
	return nil
}

// includeNode is one level of the include tree: "a.b,a.c" is a → {b, c}.
type includeNode struct {
	children map[string]*includeNode
	all      bool // "*": every pointer field at this level
}

func buildIncludeTree(paths []string) *includeNode {
	root := &includeNode{children: map[string]*includeNode{}}
	for _, p := range paths {
		n := root
		for _, seg := range strings.Split(p, ".") {
			if seg == "*" {
				n.all = true
				break
			}
			child, ok := n.children[seg]
			if !ok {
				child = &includeNode{children: map[string]*includeNode{}}
				n.children[seg] = child
			}
			n = child
		}
	}
	return root
}

// include replaces pointers in results by the objects they point to, level
// by level, with one query per class and level. Objects the caller may not
// read stay as bare pointers, so include never leaks past the ACL.
func (a *App) include(ctx context.Context, auth *Auth, c *Class, results []map[string]any, paths, keys []string) error {
	return a.includeLevel(ctx, auth, c, results, buildIncludeTree(paths), keys, "")
}

func (a *App) includeLevel(ctx context.Context, auth *Auth, c *Class, objs []map[string]any, node *includeNode, keys []string, prefix string) error {
	fields := node.children
	if node.all && c != nil {
		fields = make(map[string]*includeNode, len(node.children))
		for k, v := range node.children {
			fields[k] = v
		}
		for name, f := range c.Fields {
			if f.Type == TypePointer {
				if _, ok := fields[name]; !ok {
					fields[name] = &includeNode{children: map[string]*includeNode{}}
				}
			}
		}
	}
	for field, child := range fields {
		// Collect the pointers at this field, by class.
		ids := map[string][]any{}
		for _, o := range objs {
			forEachPointer(o[field], func(p map[string]any) {
				cls, _ := p["className"].(string)
				id, _ := p["objectId"].(string)
				if ValidClassName(cls) && id != "" {
					ids[cls] = append(ids[cls], id)
				}
			})
		}
		fetched := map[string]map[string]any{}
		var fetchedList []map[string]any
		var fetchedClass *Class
		for cls, list := range ids {
			target := a.Class(cls)
			if target == nil || checkClassAccess(cls, auth) != nil {
				continue
			}
			clp, denied := authorize(target, opFind, auth)
			if denied != nil {
				continue // no permission on the class: the pointers stay bare
			}
			policy, perr := a.ask(ctx, a.findInput(cls, target, opFind, auth, nil))
			if perr != nil {
				if IsCode(perr, CodeOperationForbidden) {
					continue // a policy refuses the class: bare pointers too
				}
				return perr
			}
			clp = andExpr(clp, policy)
			q := &Query{
				Where:   andExpr(In{Field: FieldObjectID, Values: dedupe(list)}, clp),
				Limit:   -1,
				ReadACL: auth.Principals(),
				Keys:    subKeys(target, keys, prefix+field+"."),
			}
			found, err := a.storeFor(ctx).Find(ctx, target, q)
			if err != nil {
				return err
			}
			encoded := make([]map[string]any, len(found))
			for i, o := range found {
				encoded[i] = encodeOwned(target, o)
			}
			stripProtected(target, auth, encoded)
			for _, enc := range encoded {
				enc["__type"] = "Object"
				enc["className"] = cls
				fetched[cls+"$"+enc[FieldObjectID].(string)] = enc
				fetchedList = append(fetchedList, enc)
			}
			fetchedClass = target
		}
		for _, o := range objs {
			o[field] = replacePointers(o[field], fetched)
		}
		if len(child.children) > 0 || child.all {
			// Nested levels: a field usually points at one class; if it
			// points at several, each class's objects resolve on their own.
			byClass := map[string][]map[string]any{}
			for _, enc := range fetchedList {
				byClass[enc["className"].(string)] = append(byClass[enc["className"].(string)], enc)
			}
			for cls, list := range byClass {
				target := a.Class(cls)
				if target == nil {
					target = fetchedClass
				}
				if err := a.includeLevel(ctx, auth, target, list, child, keys, prefix+field+"."); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

func forEachPointer(v any, fn func(map[string]any)) {
	switch x := v.(type) {
	case map[string]any:
		if x["__type"] == "Pointer" {
			fn(x)
		}
	case []any:
		for _, e := range x {
			forEachPointer(e, fn)
		}
	}
}

func replacePointers(v any, fetched map[string]map[string]any) any {
	switch x := v.(type) {
	case map[string]any:
		if x["__type"] == "Pointer" {
			cls, _ := x["className"].(string)
			id, _ := x["objectId"].(string)
			if obj, ok := fetched[cls+"$"+id]; ok {
				return obj
			}
		}
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = replacePointers(e, fetched)
		}
		return out
	}
	return v
}

// subKeys picks the keys under prefix ("author.name" → "name") for an
// included class; nil when keys were not restricted there.
func subKeys(c *Class, keys []string, prefix string) []string {
	var sub []string
	for _, k := range keys {
		if rest, ok := strings.CutPrefix(k, prefix); ok && rest != "" {
			sub = append(sub, rest)
		}
	}
	return topLevelKeys(c, sub)
}

func dedupe(list []any) []any {
	seen := make(map[any]bool, len(list))
	out := list[:0:0]
	for _, v := range list {
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out
}
