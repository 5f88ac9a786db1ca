package policies

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"

	"github.com/switchboardhq/switchboard/core"
)

// Filters: turning what is left of a policy after partial evaluation into
// a core.Expr.
//
// For a read, the engine evaluates the allow rule with everything known but
// input.object. OPA answers with the conditions on the object that make the
// rule true: a list of bodies (ORed), each a list of expressions (ANDed)
// such as `input.object.owner.objectId = "u1"`. Each expression becomes a
// core.Expr node; the stores compile those to SQL with bound parameters, so
// no value from a policy or a request is ever spliced into SQL.
//
// The translation keeps Rego's meaning over the object as the API shows it
// (Parse JSON, the document a write decision sees), so that a filter admits
// exactly the objects a decision on each of them would allow:
//   - a missing field makes a comparison undefined (false), so `!=` becomes
//     "exists and differs" while the store's $ne would also match a missing
//     field;
//   - `not` is true when its expression is undefined, which core.Nor gives
//     (a NULL child counts as false);
//   - a pointer is {"__type":"Pointer","className":...,"objectId":...}, a date
//     field {"__type":"Date","iso":...}, createdAt and updatedAt plain ISO
//     strings; comparisons on those parts map to the stored column.
//
// The same code runs in check mode when policies load: the object and the
// caller are both unknown then, operands that do not depend on the object
// are request-time values, and only the shape of each expression is checked.
// A construct that cannot become a filter is reported then, with its line.

// objectPrefix is the ref every object field starts with.
var objectPrefix = ast.MustParseRef("input.object")

// partialPrefix is where OPA puts the support rules of a partial evaluation.
var partialPrefix = ast.MustParseRef("data.partial")

// filterError is a policy construct that cannot become a filter.
type filterError struct {
	loc *ast.Location
	msg string
}

func (e *filterError) Error() string {
	if e.loc == nil || e.loc.File == "" {
		return "cannot become a filter: " + e.msg
	}
	return fmt.Sprintf("%s:%d: cannot become a filter: %s", e.loc.File, e.loc.Row, e.msg)
}

func failf(loc *ast.Location, format string, args ...any) error {
	return &filterError{loc: loc, msg: fmt.Sprintf(format, args...)}
}

// translator turns residual queries into a core.Expr.
type translator struct {
	// class is the schema the filter is for. nil (policy eval without a
	// schema) infers field types from the policy's refs and values.
	class *core.Class
	// check is load-time mode: operands that do not depend on the object are
	// values known only per request; only the shape is checked and no Expr
	// is produced.
	check bool
	// objectSupport holds the support rules (data.partial...) that depend on
	// the object, in check mode.
	objectSupport map[string]bool
	// compiler resolves refs to rules that partial evaluation left in place
	// (rules with else), in check mode; virtual caches the answers.
	compiler *ast.Compiler
	virtual  map[string]bool
}

// errNoObject says that no object can make the rule true.
var errNoObject = fmt.Errorf("no object is allowed")

// filter translates a partial evaluation done at request time. It returns
// nil for "every object", or errNoObject.
func (t *translator) filter(pq *rego.PartialQueries) (core.Expr, error) {
	if len(pq.Support) > 0 {
		r := pq.Support[0].Rules[0]
		return nil, failf(r.Loc(), "rule %v needs support rules (default, else, or not over the object)", r.Head.Ref())
	}
	if len(pq.Queries) == 0 {
		return nil, errNoObject
	}
	ors := make([]core.Expr, 0, len(pq.Queries))
	for _, body := range pq.Queries {
		x, err := t.body(body)
		if err != nil {
			return nil, err
		}
		if x == nil {
			return nil, nil // one way through needs nothing of the object
		}
		ors = append(ors, x)
	}
	return simplifyOr(ors), nil
}

// checkResidual checks, at load time, every expression of a partial
// evaluation done with the object and the caller unknown. It reports
// whether any expression depends on the object.
func checkResidual(c *ast.Compiler, pq *rego.PartialQueries) (dependsOnObject bool, errs []error) {
	t := &translator{check: true, objectSupport: objectSupportRules(pq.Support), compiler: c, virtual: map[string]bool{}}
	for _, body := range pq.Queries {
		b := t.prepare(body)
		for _, e := range b.exprs {
			if !t.readsObject(e) {
				continue
			}
			dependsOnObject = true
			if _, err := t.expr(b, e); err != nil {
				errs = append(errs, err)
			}
		}
	}
	return dependsOnObject, errs
}

// objectSupportRules returns the support rules that depend on the object,
// directly or through other support rules.
func objectSupportRules(support []*ast.Module) map[string]bool {
	out := map[string]bool{}
	for changed := true; changed; {
		changed = false
		for _, m := range support {
			for _, r := range m.Rules {
				name := r.Ref().String()
				if out[name] {
					continue
				}
				dep := false
				ast.WalkRefs(r, func(ref ast.Ref) bool {
					if ref.HasPrefix(objectPrefix) || (ref.HasPrefix(partialPrefix) && out[ref.GroundPrefix().String()]) {
						dep = true
					}
					return dep
				})
				if dep {
					out[name] = true
					changed = true
				}
			}
		}
	}
	return out
}

// body is one residual body, with the variables that merely name a part of
// the object replaced by that part.
type body struct {
	exprs   []*ast.Expr
	aliases map[ast.Var]ast.Ref // m -> input.object.members[x], from `m = input.object.members[x]`
	uses    map[ast.Var]int     // how often each variable occurs
}

func (t *translator) prepare(b ast.Body) *body {
	out := &body{aliases: map[ast.Var]ast.Ref{}, uses: map[ast.Var]int{}}
	for _, e := range b {
		if v, ref, ok := aliasBinding(e); ok {
			if _, dup := out.aliases[v]; !dup {
				out.aliases[v] = ref
				continue
			}
		}
		out.exprs = append(out.exprs, e)
	}
	for i, e := range out.exprs {
		out.exprs[i] = out.substitute(e)
	}
	for _, e := range out.exprs {
		ast.WalkVars(e, func(v ast.Var) bool {
			out.uses[v]++
			return false
		})
	}
	return out
}

// aliasBinding recognises `v = input.object...` (either way round).
func aliasBinding(e *ast.Expr) (ast.Var, ast.Ref, bool) {
	if e.Negated || len(e.With) > 0 || !e.IsCall() || !e.Operator().Equal(ast.Equality.Ref()) || len(e.Operands()) != 2 {
		return "", nil, false
	}
	a, b := e.Operand(0), e.Operand(1)
	for range 2 {
		if v, ok := a.Value.(ast.Var); ok && !v.IsWildcard() {
			if r, ok := b.Value.(ast.Ref); ok && r.HasPrefix(objectPrefix) {
				return v, r, true
			}
		}
		a, b = b, a
	}
	return "", nil, false
}

// substitute replaces aliased variables in e's operands.
func (b *body) substitute(e *ast.Expr) *ast.Expr {
	if len(b.aliases) == 0 {
		return e
	}
	e = e.Copy()
	sub := func(t *ast.Term) *ast.Term {
		switch v := t.Value.(type) {
		case ast.Var:
			if r, ok := b.aliases[v]; ok {
				return &ast.Term{Value: r.Copy(), Location: t.Location}
			}
		case ast.Ref:
			if head, ok := v[0].Value.(ast.Var); ok {
				if r, ok := b.aliases[head]; ok {
					return &ast.Term{Value: r.Concat(v[1:]), Location: t.Location}
				}
			}
		}
		return t
	}
	switch ts := e.Terms.(type) {
	case *ast.Term:
		e.Terms = sub(ts)
	case []*ast.Term:
		for i := 1; i < len(ts); i++ {
			ts[i] = sub(ts[i])
		}
	}
	return e
}

// readsObject reports whether x (an expression or a term) reads the
// object: a ref to input.object, or, in check mode, a ref to a support rule
// or to a rule left in place that reads it.
func (t *translator) readsObject(x any) bool {
	dep := false
	ast.WalkRefs(x, func(r ast.Ref) bool {
		switch {
		case r.HasPrefix(objectPrefix):
			dep = true
		case r.HasPrefix(partialPrefix):
			dep = t.objectSupport[r.GroundPrefix().String()]
		case r.HasPrefix(ast.DefaultRootRef) && t.compiler != nil:
			dep = t.ruleReadsObject(r)
		}
		return dep
	})
	return dep
}

// ruleReadsObject reports whether the rules ref names read the object,
// directly or through the rules they depend on.
func (t *translator) ruleReadsObject(ref ast.Ref) bool {
	key := ref.GroundPrefix().String()
	if v, ok := t.virtual[key]; ok {
		return v
	}
	t.virtual[key] = false // a cycle through this rule adds nothing
	seen := map[*ast.Rule]bool{}
	var visit func(r *ast.Rule) bool
	visit = func(r *ast.Rule) bool {
		if seen[r] {
			return false
		}
		seen[r] = true
		dep := false
		ast.WalkRefs(r, func(x ast.Ref) bool {
			dep = dep || x.HasPrefix(objectPrefix)
			return dep
		})
		if dep {
			return true
		}
		for d := range t.compiler.Graph.Dependencies(r) {
			if dr, ok := d.(*ast.Rule); ok && visit(dr) {
				return true
			}
		}
		return false
	}
	for _, r := range t.compiler.GetRules(ref.GroundPrefix()) {
		if visit(r) {
			t.virtual[key] = true
			return true
		}
	}
	return false
}

func (t *translator) body(ab ast.Body) (core.Expr, error) {
	b := t.prepare(ab)
	if len(b.exprs) == 0 {
		return nil, nil
	}
	ands := make([]core.Expr, 0, len(b.exprs))
	for _, e := range b.exprs {
		if !t.readsObject(e) {
			return nil, failf(e.Loc(), "%v does not depend on the object but was left unevaluated", e)
		}
		x, err := t.expr(b, e)
		if err != nil {
			return nil, err
		}
		ands = append(ands, x)
	}
	return simplifyAnd(ands), nil
}

// expr translates one expression that depends on the object.
func (t *translator) expr(b *body, e *ast.Expr) (core.Expr, error) {
	loc := e.Loc()
	switch {
	case len(e.With) > 0:
		return nil, failf(loc, "`with` cannot be used on the object")
	case e.IsEvery():
		return nil, failf(loc, "`every` over the object cannot become a filter; use `not` with `some` instead")
	}
	x, err := t.positive(b, e)
	if err != nil || !e.Negated {
		return x, err
	}
	if t.check {
		return x, nil
	}
	return core.Nor{Exprs: []core.Expr{x}}, nil
}

// positive translates e without its `not`.
func (t *translator) positive(b *body, e *ast.Expr) (core.Expr, error) {
	loc := e.Loc()
	if term, ok := e.Terms.(*ast.Term); ok {
		ref, ok := term.Value.(ast.Ref)
		if ok && !ref.HasPrefix(objectPrefix) && ref.HasPrefix(ast.DefaultRootRef) {
			return nil, failf(loc, "%v is a helper rule over the object that cannot be inlined into a filter (a `default` or `else` rule, a rule with several values, or `not` applied to a rule); write the condition inline", ruleName(ref))
		}
		if !ok || !ref.HasPrefix(objectPrefix) {
			return nil, failf(loc, "%v cannot become a filter", e)
		}
		f, err := t.objRef(b, ref, loc)
		if err != nil {
			return nil, err
		}
		return t.truthy(f, loc)
	}
	if !e.IsCall() {
		return nil, failf(loc, "%v cannot become a filter", e)
	}
	op := e.Operator().String()
	args := e.Operands()
	for _, a := range args {
		if call, ok := a.Value.(ast.Call); ok && t.readsObject(a) {
			return nil, unsupportedCall(loc, call[0].String())
		}
	}
	switch op {
	case ast.Equality.Name, ast.Equal.Name, ast.NotEqual.Name, ast.LessThan.Name, ast.LessThanEq.Name, ast.GreaterThan.Name, ast.GreaterThanEq.Name:
		if len(args) != 2 {
			break
		}
		return t.compare(b, loc, op, args[0], args[1])
	case ast.Member.Name:
		if len(args) != 2 {
			break
		}
		return t.member(b, loc, args[0], args[1])
	case ast.StartsWith.Name, ast.EndsWith.Name, ast.Contains.Name:
		if len(args) != 2 {
			break
		}
		return t.stringMatch(b, loc, op, args[0], args[1])
	case ast.RegexMatch.Name, ast.RegexMatchDeprecated.Name:
		if len(args) != 2 {
			break
		}
		return t.regexMatch(b, loc, args[0], args[1])
	}
	return nil, unsupportedCall(loc, op)
}

func unsupportedCall(loc *ast.Location, op string) error {
	return failf(loc, "%s(...) on the object cannot become a filter; filters support ==, !=, <, <=, >, >=, in, startswith, endswith, contains, regex.match and not", builtinName(op))
}

// ruleName shows a support rule by the name of the rule it stands for.
func ruleName(ref ast.Ref) string {
	if ref.HasPrefix(partialPrefix) {
		return ast.DefaultRootRef.Concat(ref[len(partialPrefix):]).String()
	}
	return ref.String()
}

func builtinName(op string) string {
	if op == ast.Member.Name {
		return "in"
	}
	return op
}

// field is the part of the object a ref reads.
type field struct {
	name string
	keys []string // string keys after the field name
	elem bool     // the ref ends with a variable: any element of an Array field
	ref  ast.Ref
}

func (f field) String() string { return f.ref.String() }

// objRef parses input.object.<field>(.<key>)*([<var>])?.
func (t *translator) objRef(b *body, ref ast.Ref, loc *ast.Location) (field, error) {
	f := field{ref: ref}
	if len(ref) < 3 {
		return f, failf(loc, "the whole object cannot be compared; compare its fields (input.object.<field>)")
	}
	name, ok := ref[2].Value.(ast.String)
	if !ok {
		return f, failf(loc, "%v: the field name must be written out, not computed", ref)
	}
	f.name = string(name)
	for i, term := range ref[3:] {
		switch k := term.Value.(type) {
		case ast.String:
			f.keys = append(f.keys, string(k))
		case ast.Var:
			if i != len(ref)-4 {
				return f, failf(loc, "%v: an element of an Array field can only be compared whole (e.g. `{...} in input.object.%s`), not by its keys", ref, f.name)
			}
			if !k.IsWildcard() && b.uses[k] > 1 {
				return f, failf(loc, "%v: the same element of an Array field is used in more than one condition; a filter can only ask whether the array holds a value", ref)
			}
			f.elem = true
		default:
			return f, failf(loc, "%v: only named keys and `some` over an Array field can become a filter (no indexes)", ref)
		}
	}
	return f, nil
}

// operand classifies a call argument: the object (a field), or a value.
type operand struct {
	isField bool
	field   field
	value   any  // the Go value (request time)
	param   bool // check mode: a value known only per request
}

func (t *translator) operand(b *body, term *ast.Term, loc *ast.Location) (operand, error) {
	if r, ok := term.Value.(ast.Ref); ok && r.HasPrefix(objectPrefix) {
		f, err := t.objRef(b, r, loc)
		return operand{isField: true, field: f}, err
	}
	if t.check {
		if t.readsObject(term) {
			return operand{}, failf(loc, "%v: the object can only be compared through its fields, not inside a value", term)
		}
		return operand{param: true}, nil
	}
	if !term.IsGround() {
		return operand{}, failf(loc, "%v is not known when the filter is made", term)
	}
	v, err := ast.JSON(term.Value)
	if err != nil {
		return operand{}, failf(loc, "%v: %v", term, err)
	}
	return operand{value: goValue(v)}, nil
}

// goValue turns OPA's JSON (json.Number) into the core's (float64).
func goValue(v any) any {
	switch x := v.(type) {
	case json.Number:
		f, err := x.Float64()
		if err != nil {
			return x.String()
		}
		return f
	case []any:
		for i := range x {
			x[i] = goValue(x[i])
		}
	case map[string]any:
		for k := range x {
			x[k] = goValue(x[k])
		}
	}
	return v
}

// two returns the field and the value of a binary expression, with swapped
// set when the field was on the right.
func (t *translator) two(b *body, loc *ast.Location, l, r *ast.Term) (f field, v operand, swapped bool, err error) {
	a, err := t.operand(b, l, loc)
	if err != nil {
		return
	}
	c, err := t.operand(b, r, loc)
	if err != nil {
		return
	}
	switch {
	case a.isField && c.isField:
		err = failf(loc, "%v and %v are both fields of the object; a filter compares a field with a value", a.field, c.field)
	case a.isField:
		f, v = a.field, c
	case c.isField:
		f, v, swapped = c.field, a, true
	default:
		err = failf(loc, "no field of the object in this comparison")
	}
	return
}

var cmpOps = map[string]core.CmpOp{
	ast.Equality.Name: core.OpEq, ast.Equal.Name: core.OpEq, ast.NotEqual.Name: core.OpNe,
	ast.LessThan.Name: core.OpLt, ast.LessThanEq.Name: core.OpLte, ast.GreaterThan.Name: core.OpGt, ast.GreaterThanEq.Name: core.OpGte,
}

var flipped = map[core.CmpOp]core.CmpOp{
	core.OpEq: core.OpEq, core.OpNe: core.OpNe, core.OpLt: core.OpGt, core.OpLte: core.OpGte, core.OpGt: core.OpLt, core.OpGte: core.OpLte,
}

func (t *translator) compare(b *body, loc *ast.Location, opName string, l, r *ast.Term) (core.Expr, error) {
	f, v, swapped, err := t.two(b, loc, l, r)
	if err != nil {
		return nil, err
	}
	op := cmpOps[opName]
	if swapped {
		op = flipped[op]
	}
	k, err := t.kind(f, loc)
	if err != nil {
		return nil, err
	}
	return k.compare(t, op, v, loc)
}

func (t *translator) member(b *body, loc *ast.Location, l, r *ast.Term) (core.Expr, error) {
	a, err := t.operand(b, l, loc)
	if err != nil {
		return nil, err
	}
	c, err := t.operand(b, r, loc)
	if err != nil {
		return nil, err
	}
	switch {
	case a.isField && c.isField:
		return nil, failf(loc, "%v in %v: both are fields of the object", a.field, c.field)
	case c.isField:
		// value in input.object.arr
		k, err := t.kind(c.field, loc)
		if err != nil {
			return nil, err
		}
		return k.holds(t, a, loc)
	case a.isField:
		k, err := t.kind(a.field, loc)
		if err != nil {
			return nil, err
		}
		if t.check {
			return k.compare(t, core.OpEq, c, loc)
		}
		vals, ok := collection(c.value)
		if !ok {
			return nil, failf(loc, "`%v in x` needs x to be an array, a set or an object, not %s", a.field, quote(c.value))
		}
		return k.in(t, vals, loc)
	}
	return nil, failf(loc, "no field of the object in this `in`")
}

// collection returns the members `x in c` ranges over.
func collection(v any) ([]any, bool) {
	switch x := v.(type) {
	case []any:
		return x, true
	case map[string]any:
		out := make([]any, 0, len(x))
		for _, m := range x {
			out = append(out, m)
		}
		return out, true
	}
	return nil, false
}

func (t *translator) stringMatch(b *body, loc *ast.Location, op string, l, r *ast.Term) (core.Expr, error) {
	k, s, err := t.fieldAndValue(b, loc, l, r, fmt.Sprintf("%s(x, y) becomes a filter only with a field of the object as x and a string as y", op))
	if err != nil || t.check {
		return nil, err
	}
	str, ok := s.value.(string)
	if !ok {
		return core.Nothing{}, nil // Rego: a builtin error, the expression is undefined
	}
	pattern := regexp.QuoteMeta(str)
	switch op {
	case ast.StartsWith.Name:
		pattern = "^" + pattern
	case ast.EndsWith.Name:
		pattern += "$"
	}
	return k.regex(t, pattern, loc)
}

func (t *translator) regexMatch(b *body, loc *ast.Location, l, r *ast.Term) (core.Expr, error) {
	k, p, err := t.fieldAndValue(b, loc, r, l, "regex.match(pattern, x) becomes a filter only with a fixed pattern and a field of the object as x")
	if err != nil || t.check {
		return nil, err
	}
	pattern, ok := p.value.(string)
	if !ok {
		return core.Nothing{}, nil
	}
	if _, err := regexp.Compile(pattern); err != nil {
		return core.Nothing{}, nil // Rego: an invalid pattern is a builtin error, undefined
	}
	return k.regex(t, pattern, loc)
}

// fieldAndValue resolves a string built-in's operands: fieldTerm must be a
// field of the object and valueTerm a value (usage is the message
// otherwise). In check mode it also checks the field can be matched.
func (t *translator) fieldAndValue(b *body, loc *ast.Location, fieldTerm, valueTerm *ast.Term, usage string) (kind, operand, error) {
	f, err := t.operand(b, fieldTerm, loc)
	if err != nil {
		return kind{}, operand{}, err
	}
	v, err := t.operand(b, valueTerm, loc)
	if err != nil {
		return kind{}, operand{}, err
	}
	if !f.isField || v.isField {
		return kind{}, operand{}, failf(loc, "%s", usage)
	}
	k, err := t.kind(f.field, loc)
	if err != nil {
		return kind{}, operand{}, err
	}
	if t.check {
		_, err = k.regex(t, "", loc)
	}
	return k, v, err
}

func (t *translator) truthy(f field, loc *ast.Location) (core.Expr, error) {
	k, err := t.kind(f, loc)
	if err != nil {
		return nil, err
	}
	return k.truthy(t, loc)
}

// quote shows a value in a message as the JSON it was in the policy,
// shortened.
func quote(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	if len(b) > 60 {
		return string(b[:57]) + "..."
	}
	return string(b)
}

// parseDate reads an ISO date in the exact form Parse stores
// (2006-01-02T15:04:05.000Z). Ordering strings of that form orders the
// dates, so a Rego string comparison and a SQL date comparison agree.
func parseDate(v any) (time.Time, bool) {
	s, ok := v.(string)
	if !ok || len(s) != len(isoLayout) {
		return time.Time{}, false
	}
	t, err := time.Parse(isoLayout, s)
	return t, err == nil
}

const isoLayout = "2006-01-02T15:04:05.000Z"

// simplifyAnd folds an And: nil when empty, the child when one, Nothing
// when a child is Nothing; nested Ands are flattened.
func simplifyAnd(exprs []core.Expr) core.Expr {
	out := make([]core.Expr, 0, len(exprs))
	for _, e := range exprs {
		switch x := e.(type) {
		case nil:
		case core.Nothing:
			return core.Nothing{}
		case core.And:
			if len(x.Exprs) == 0 {
				continue
			}
			out = append(out, x.Exprs...)
		default:
			out = append(out, e)
		}
	}
	switch len(out) {
	case 0:
		return nil
	case 1:
		return out[0]
	}
	return core.And{Exprs: out}
}

// simplifyOr folds an Or: nil (everything) when a child is nil, Nothing when
// empty; Nothing children are dropped, nested Ors flattened, and equalities
// on one field merged into an In, which an index serves as well as one
// equality.
func simplifyOr(exprs []core.Expr) core.Expr {
	out := make([]core.Expr, 0, len(exprs))
	merged := map[string]int{} // field and path -> index in out of its In
	for _, e := range flattenOr(exprs) {
		if e == nil {
			return nil
		}
		if _, none := e.(core.Nothing); none {
			continue
		}
		if x, ok := e.(core.Cmp); ok && x.Op == core.OpEq && isScalar(x.Value) {
			key := mergeKey(x.Field, x.Path)
			if i, ok := merged[key]; ok {
				in := out[i].(core.In)
				if !slices.Contains(in.Values, x.Value) {
					in.Values = append(in.Values, x.Value)
				}
				out[i] = in
				continue
			}
			merged[key] = len(out)
			e = core.In{Field: x.Field, Path: x.Path, Values: []any{x.Value}}
		}
		out = append(out, e)
	}
	for _, i := range merged {
		if in := out[i].(core.In); len(in.Values) == 1 {
			out[i] = core.Cmp{Field: in.Field, Path: in.Path, Op: core.OpEq, Value: in.Values[0]}
		}
	}
	switch len(out) {
	case 0:
		return core.Nothing{}
	case 1:
		return out[0]
	}
	return core.Or{Exprs: out}
}

// flattenOr lifts the children of nested Ors.
func flattenOr(exprs []core.Expr) []core.Expr {
	var out []core.Expr
	for _, e := range exprs {
		if or, ok := e.(core.Or); ok {
			if len(or.Exprs) == 0 {
				out = append(out, core.Nothing{})
				continue
			}
			out = append(out, flattenOr(or.Exprs)...)
			continue
		}
		out = append(out, e)
	}
	return out
}

func isScalar(v any) bool {
	switch v.(type) {
	case string, float64, bool, time.Time:
		return true
	}
	return false
}
