package policies

import (
	"context"
	"fmt"
	"io/fs"
	"log/slog"
	"slices"
	"sort"
	"strings"

	lru "github.com/hashicorp/golang-lru/v2"
	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/storage"
	"github.com/open-policy-agent/opa/v1/storage/inmem"
	"github.com/open-policy-agent/opa/v1/topdown/print"

	"github.com/switchboardhq/switchboard/core"
)

// policySet is one compiled and checked generation of policies. It is never
// changed once built: Load builds a new one and swaps the pointer.
type policySet struct {
	revision string
	files    []string
	points   map[string]*pointRules
}

// pointRules are the allow rules of one decision point.
type pointRules struct {
	all     *rule            // data.switchboard.<point>.allow, for every class
	classes map[string]*rule // data.switchboard.<point>.<Class>.allow
}

// rule is one allow rule with its prepared queries, reused by every
// request (prepared queries are safe for concurrent use).
type rule struct {
	name    string        // data.switchboard.objects.Post.allow
	loc     *ast.Location // its first definition
	decide  rego.PreparedEvalQuery
	partial rego.PreparedPartialQuery
	// rowLevel: some way to satisfy the rule on a read depends on the
	// object. When no object can satisfy it for a caller, a read then finds
	// nothing (as with ACLs) instead of being refused.
	rowLevel bool
	// cacheKeys lists, per read action, the parts of the input that the
	// partial evaluation depends on; a read action missing here is not
	// cached (it calls a nondeterministic built-in such as time.now_ns, or
	// reads the input as a whole). The results of partial evaluations are
	// kept in cache by those parts.
	cacheKeys map[string][]ast.Ref
	cache     *lru.Cache[string, *rego.PartialQueries]
}

// filterCacheSize bounds the partial evaluations kept per rule.
const filterCacheSize = 4096

func (r *rule) where() string {
	if r.loc == nil {
		return r.name
	}
	return fmt.Sprintf("%s (%s:%d)", r.name, r.loc.File, r.loc.Row)
}

// switchboardRoot is where decision rules live: data.switchboard.<point>.
var switchboardRoot = ast.MustParseRef("data.switchboard")

// unsafeBuiltins reach the network or the process environment. They are
// left out of the capabilities unless allowUnsafeBuiltins is set, so that a
// policy using one is refused when it loads, with its line. The net.cidr_*
// functions are pure and stay.
var unsafeBuiltins = map[string]bool{"http.send": true, "opa.runtime": true, "net.lookup_ip_addr": true}

func capabilities(allowUnsafe bool) *ast.Capabilities {
	caps := ast.CapabilitiesForThisVersion()
	if allowUnsafe {
		return caps
	}
	caps.Builtins = slices.DeleteFunc(slices.Clone(caps.Builtins), func(b *ast.Builtin) bool { return unsafeBuiltins[b.Name] })
	caps.AllowNet = []string{} // belt and braces: no host may be reached
	return caps
}

// compileSources compiles the modules of src (and tests when withTests).
func compileSources(src *sources, caps *ast.Capabilities, withTests, printStatements bool) (*ast.Compiler, error) {
	modules := make(map[string]*ast.Module, len(src.modules)+len(src.tests))
	for p, m := range src.modules {
		modules[p] = m
	}
	if withTests {
		for p, m := range src.tests {
			modules[p] = m
		}
	}
	c := ast.NewCompiler().WithCapabilities(caps).WithEnablePrintStatements(printStatements)
	c.Compile(modules)
	if !c.Failed() {
		return c, nil
	}
	var ps problems
	for _, e := range c.Errors {
		msg := e.Message
		if name, ok := strings.CutPrefix(msg, "undefined function "); ok && unsafeBuiltins[name] {
			msg = name + " is an unsafe built-in (it reaches the network or the environment) and is disabled; set policies.allowUnsafeBuiltins: true to allow it"
		}
		if e.Location == nil {
			ps.add("", 0, 0, "%s", msg)
			continue
		}
		ps.add(e.Location.File, e.Location.Row, e.Location.Col, "%s", msg)
	}
	return nil, ps.err()
}

// buildSet reads, compiles, discovers the decision rules, prepares their
// queries and checks that every read rule can become a filter.
func buildSet(ctx context.Context, fsys fs.FS, opts *Options, caps *ast.Capabilities) (*policySet, error) {
	src, err := readSources(fsys)
	if err != nil {
		return nil, err
	}
	c, err := compileSources(src, caps, false, opts.Debug)
	if err != nil {
		return nil, err
	}
	store := inmem.NewFromObject(src.data)
	set := &policySet{revision: src.revision, points: map[string]*pointRules{}}
	for p := range src.modules {
		set.files = append(set.files, p)
	}
	sort.Strings(set.files)

	var ps problems
	found := discoverRules(c, opts, &ps)
	for _, d := range found {
		r, err := prepareRule(ctx, c, store, caps, opts, d)
		if err != nil {
			ps.addAST(err)
			continue
		}
		pr := set.points[d.point]
		if pr == nil {
			pr = &pointRules{classes: map[string]*rule{}}
			set.points[d.point] = pr
		}
		if d.class == "" {
			pr.all = r
		} else {
			pr.classes[d.class] = r
		}
	}
	if err := ps.err(); err != nil {
		return nil, err
	}
	return set, nil
}

// discovered is an allow rule found in the compiled modules.
type discovered struct {
	point, class string
	ref          ast.Ref
	loc          *ast.Location
}

// discoverRules finds data.switchboard.<point>.allow and
// data.switchboard.<point>.<Class>.allow.
func discoverRules(c *ast.Compiler, opts *Options, ps *problems) []discovered {
	byName := map[string]*discovered{}
	for _, m := range c.Modules {
		for _, r := range m.Rules {
			ref := r.Ref()
			if !ref.HasPrefix(switchboardRoot) || len(ref) < 4 {
				continue
			}
			rest := ref[len(switchboardRoot):]
			last, ok := rest[len(rest)-1].Value.(ast.String)
			if !ok || last != "allow" {
				if !ref.IsGround() && len(rest) <= 3 {
					ps.add(r.Loc().File, r.Loc().Row, 0, "rule %v: decision rules need a fixed path, data.switchboard.<point>.allow or data.switchboard.<point>.<Class>.allow", ref)
				}
				continue
			}
			loc := r.Loc()
			if len(rest) > 3 || !ref.IsGround() {
				ps.add(loc.File, loc.Row, 0, "rule %v: decision rules are data.switchboard.<point>.allow or data.switchboard.<point>.<Class>.allow", ref)
				continue
			}
			if len(r.Head.Args) > 0 || r.Head.RuleKind() != ast.SingleValue {
				ps.add(loc.File, loc.Row, 0, "%v must be a boolean rule (allow if { ... }), not a function or a set", ref)
				continue
			}
			point := string(rest[0].Value.(ast.String))
			if !slices.Contains(opts.Points, point) {
				ps.add(loc.File, loc.Row, 0, "%v: unknown decision point %q (known: %s)", ref, point, strings.Join(opts.Points, ", "))
				continue
			}
			d := discovered{point: point, ref: ref, loc: loc}
			if len(rest) == 3 {
				d.class = string(rest[1].Value.(ast.String))
			}
			name := ref.String()
			if prev, ok := byName[name]; ok {
				if loc.File < prev.loc.File || (loc.File == prev.loc.File && loc.Row < prev.loc.Row) {
					prev.loc = loc
				}
				continue
			}
			byName[name] = &d
		}
	}
	out := make([]discovered, 0, len(byName))
	for _, d := range byName {
		out = append(out, *d)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ref.Compare(out[j].ref) < 0 })
	return out
}

// readActions are the reads a filter answers; the load-time check runs a
// partial evaluation for each.
var readActions = []string{core.ActionGet, core.ActionFind, core.ActionCount, core.ActionAggregate}

// prepareRule prepares the rule's decision and partial queries and checks
// its read paths.
func prepareRule(ctx context.Context, c *ast.Compiler, store storage.Store, caps *ast.Capabilities, opts *Options, d discovered) (*rule, error) {
	r := &rule{name: d.ref.String(), loc: d.loc, cacheKeys: map[string][]ast.Ref{}}
	var err error
	if r.cache, err = lru.New[string, *rego.PartialQueries](filterCacheSize); err != nil {
		return nil, err
	}
	common := []func(*rego.Rego){rego.Compiler(c), rego.Store(store), rego.Capabilities(caps)}
	if opts.Debug {
		common = append(common, rego.EnablePrintStatements(true), rego.PrintHook(printHook{opts.logger()}))
	}
	r.decide, err = rego.New(append(common, rego.ParsedQuery(ast.NewBody(ast.NewExpr(ast.NewTerm(d.ref)))))...).PrepareForEval(ctx)
	if err != nil {
		return nil, err
	}
	isTrue := ast.NewBody(ast.Equal.Expr(ast.NewTerm(d.ref), ast.BooleanTerm(true)))
	r.partial, err = rego.New(append(common, rego.ParsedQuery(isTrue), rego.Unknowns([]string{"input.object"}), rego.NondeterministicBuiltins(true))...).PrepareForPartial(ctx)
	if err != nil {
		return nil, err
	}

	// The load-time check: with the object and the caller unknown, every
	// expression left over that reads the object must be translatable.
	// Nondeterministic built-ins are left unevaluated so that the cache
	// analysis sees them.
	unknowns := make([]string, len(inputKeys))
	for i, k := range inputKeys {
		unknowns[i] = "input." + k
	}
	check, err := rego.New(append(common, rego.ParsedQuery(isTrue), rego.Unknowns(unknowns))...).PrepareForPartial(ctx)
	if err != nil {
		return nil, err
	}
	var errs ast.Errors
	seen := map[string]bool{}
	for _, action := range readActions {
		in := ast.NewObject(
			[2]*ast.Term{ast.StringTerm("point"), ast.StringTerm(d.point)},
			[2]*ast.Term{ast.StringTerm("action"), ast.StringTerm(action)},
		)
		pq, err := check.Partial(ctx, rego.EvalParsedInput(in))
		if err != nil {
			return nil, err
		}
		if keys, ok := cacheKeys(c, pq); ok {
			r.cacheKeys[action] = keys
		}
		dep, problems := checkResidual(c, pq)
		r.rowLevel = r.rowLevel || dep
		for _, p := range problems {
			fe := p.(*filterError)
			if key := fmt.Sprint(fe.loc, fe.msg); !seen[key] {
				seen[key] = true
				errs = append(errs, ast.NewError("filter_error", fe.loc, "%s: cannot become a filter: %s", r.name, fe.msg))
			}
		}
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return r, nil
}

// printHook sends print() output of policies to the log in debug mode.
type printHook struct{ log *slog.Logger }

func (h printHook) Print(pctx print.Context, msg string) error {
	where := ""
	if pctx.Location != nil {
		where = fmt.Sprintf("%s:%d", pctx.Location.File, pctx.Location.Row)
	}
	h.log.Debug("policy print", "at", where, "msg", msg)
	return nil
}

// cacheKeys finds the parts of the input a partial evaluation made with
// the input unknown depends on: the ground prefixes of its input refs. ok
// is false when the result may change with anything else: a call to a
// nondeterministic built-in (time.now_ns, rand.intn, ...), the input read
// as a whole, or a rule left in place (whose dependencies are not seen here).
func cacheKeys(c *ast.Compiler, pq *rego.PartialQueries) (keys []ast.Ref, ok bool) {
	ok = true
	seen := map[string]bool{}
	visit := func(x any) {
		ast.WalkRefs(x, func(r ast.Ref) bool {
			switch {
			case r.HasPrefix(objectPrefix) || r.HasPrefix(partialPrefix):
			case r.HasPrefix(ast.InputRootRef):
				prefix := r.GroundPrefix()
				if len(prefix) < 2 {
					ok = false
				} else if k := prefix.String(); !seen[k] {
					seen[k] = true
					keys = append(keys, prefix)
				}
			case r.HasPrefix(ast.DefaultRootRef):
				if len(c.GetRules(r.GroundPrefix())) > 0 {
					ok = false
				}
			}
			return false
		})
		ast.WalkExprs(x, func(e *ast.Expr) bool {
			if e.IsCall() {
				if b, found := ast.BuiltinMap[e.Operator().String()]; found && b.Nondeterministic {
					ok = false
				}
			}
			return false
		})
		ast.WalkTerms(x, func(t *ast.Term) bool {
			if call, isCall := t.Value.(ast.Call); isCall {
				if b, found := ast.BuiltinMap[call[0].String()]; found && b.Nondeterministic {
					ok = false
				}
			}
			return false
		})
	}
	for _, q := range pq.Queries {
		visit(q)
	}
	for _, m := range pq.Support {
		visit(m)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i].Compare(keys[j]) < 0 })
	return keys, ok
}

// cacheKey is the cache key of a read by action with input, or false when
// the rule's result for that action is not cached.
func (r *rule) cacheKey(action string, input ast.Value) (string, bool) {
	paths, ok := r.cacheKeys[action]
	if !ok {
		return "", false
	}
	var b strings.Builder
	b.WriteString(action)
	for _, p := range paths {
		b.WriteByte(0)
		v, err := input.Find(p[1:])
		if err != nil {
			b.WriteByte(1) // undefined
			continue
		}
		b.WriteString(v.String())
	}
	return b.String(), true
}
