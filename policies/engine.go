package policies

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"math/rand/v2"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/topdown"

	"github.com/switchboardhq/switchboard/core"
)

// DefaultPoints are the decision points policies may be written for.
var DefaultPoints = []string{
	core.PointObjects, core.PointUsers, core.PointSessions, core.PointFiles, core.PointPush,
	core.PointFunctions, core.PointJobs, core.PointSchemas, core.PointConfig,
	core.PointAppVersions, "analytics",
}

// Options configure an Engine; the zero value is usable. They mirror the
// `policies:` section of the configuration.
type Options struct {
	// AllowUnsafeBuiltins lets policies call http.send, opa.runtime and
	// net.lookup_ip_addr. Off, a policy that calls one is refused on load.
	AllowUnsafeBuiltins bool
	// Debug adds the reason (rule, file:line, failed expression) to the
	// message of a denial, and sends print() output to the log.
	Debug bool
	// ApplyToMaster evaluates policies for master-key callers too. Off, the
	// master key bypasses policies as it bypasses ACLs and CLPs.
	ApplyToMaster bool
	// DecisionLogSample is the fraction of decisions logged (0 none, 1 all).
	DecisionLogSample float64
	// Logger receives the decision log, load results and debug output;
	// nil is slog.Default().
	Logger *slog.Logger
	// Points are the decision points rules may be written for; nil is
	// DefaultPoints. A rule for any other point is refused on load, so that a
	// misspelt package does not silently guard nothing.
	Points []string
}

func (o *Options) logger() *slog.Logger {
	if o.Logger != nil {
		return o.Logger
	}
	return slog.Default()
}

// Engine runs Rego policies: it loads them, answers decisions and turns the
// rules for reads into query filters. It implements core.Authorizer. An
// Engine is safe for concurrent use; Load swaps the active policy set
// atomically while requests keep being answered.
type Engine struct {
	opts Options
	caps *ast.Capabilities
	mu   sync.Mutex // serialises Load, so an older load never replaces a newer one
	set  atomic.Pointer[policySet]
}

var _ core.Authorizer = (*Engine)(nil)

// New returns an Engine with no policies: every decision allows.
func New(opts Options) *Engine {
	if opts.Points == nil {
		opts.Points = DefaultPoints
	}
	e := &Engine{opts: opts, caps: capabilities(opts.AllowUnsafeBuiltins)}
	e.set.Store(&policySet{points: map[string]*pointRules{}})
	return e
}

// Load reads the .rego and data.json files of fsys, compiles them, checks
// that every rule for reads can become a filter, and makes them the active
// set. On any problem it returns a *LoadError listing each with file:line,
// and the set that was active stays active. A folder that does not exist
// holds no policies. *_test.rego files are left out (see RunTests).
func (e *Engine) Load(ctx context.Context, fsys fs.FS) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	set, err := buildSet(ctx, fsys, &e.opts, e.caps)
	if err != nil {
		e.opts.logger().Warn("policies refused", "err", err)
		return err
	}
	e.set.Store(set)
	e.opts.logger().Info("policies loaded", "revision", set.revision, "files", len(set.files), "rules", e.Rules())
	return nil
}

// LoadDir is Load on a folder of the file system; a missing folder holds no
// policies. The folder is opened as an os.Root, so nothing in it can reach
// outside it.
func (e *Engine) LoadDir(ctx context.Context, dir string) error {
	root, err := os.OpenRoot(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return e.Load(ctx, emptyFS{})
	}
	if err != nil {
		return &LoadError{Problems: []Problem{{File: dir, Message: err.Error()}}}
	}
	defer root.Close()
	return e.Load(ctx, root.FS())
}

type emptyFS struct{}

func (emptyFS) Open(string) (fs.File, error) { return nil, fs.ErrNotExist }

// Revision identifies the active policy set: a hash of its files, equal on
// every node that loaded the same folder ("" when none was loaded).
func (e *Engine) Revision() string { return e.set.Load().revision }

// Rules lists the active decision rules with their first line, sorted.
func (e *Engine) Rules() []string {
	out := []string{}
	for _, pr := range e.set.Load().points {
		if pr.all != nil {
			out = append(out, pr.all.where())
		}
		for _, r := range pr.classes {
			out = append(out, r.where())
		}
	}
	slices.Sort(out)
	return out
}

// Covers reports whether any rule applies to point and class. The pipeline
// may call it before building an AuthzInput, so that an operation no policy
// covers costs one map lookup.
func (e *Engine) Covers(point, class string) bool {
	pr := e.set.Load().points[point]
	return pr != nil && (pr.all != nil || pr.classes[class] != nil)
}

// Authorize implements core.Authorizer. The rules asked are
// data.switchboard.<point>.allow and data.switchboard.<point>.<class>.allow;
// each one that exists must allow. A write, or a read of one known object,
// is allowed when the rule is true for the input; a read through a query
// is answered with the filter that keeps the objects the rule allows.
func (e *Engine) Authorize(ctx context.Context, in *core.AuthzInput) (core.Expr, error) {
	pr := e.set.Load().points[in.Point]
	if pr == nil {
		return nil, nil
	}
	rules := make([]*rule, 0, 2)
	if pr.all != nil {
		rules = append(rules, pr.all)
	}
	if r := pr.classes[in.Class]; r != nil && in.Class != "" {
		rules = append(rules, r)
	}
	if len(rules) == 0 || (in.Auth != nil && in.Auth.Master && !e.opts.ApplyToMaster) {
		return nil, nil
	}
	if err := ctx.Err(); err != nil {
		return nil, core.Errorf(core.CodeTimeout, "the policy decision was cancelled: %v", err)
	}
	start := time.Now()
	now := in.Request.Time
	if now.IsZero() {
		now = start
	}
	input, err := inputValue(in, now)
	if err != nil {
		return nil, core.Errorf(core.CodeInvalidJSON, "the request cannot be given to the policies: %v", err)
	}
	var filter core.Expr
	var decided *rule
	read := core.IsReadAction(in.Action) && in.Object == nil
	for _, r := range rules {
		decided = r
		var x core.Expr
		if read {
			x, err = e.filter(ctx, r, in, input, now)
		} else {
			err = e.decide(ctx, r, in, input, now)
		}
		if err != nil {
			break
		}
		filter = simplifyAnd([]core.Expr{filter, x})
	}
	e.logDecision(in, decided, filter, err, time.Since(start))
	if err != nil {
		return nil, err
	}
	return filter, nil
}

// decide answers a yes/no decision.
func (e *Engine) decide(ctx context.Context, r *rule, in *core.AuthzInput, input ast.Value, now time.Time) error {
	rs, err := r.decide.Eval(ctx, rego.EvalParsedInput(input), rego.EvalTime(now))
	if err != nil {
		return e.evalError(r, err)
	}
	if len(rs) == 1 && len(rs[0].Expressions) == 1 && rs[0].Expressions[0].Value == true {
		return nil
	}
	return e.denial(ctx, r, in, input, now)
}

// filter answers a read through a query.
func (e *Engine) filter(ctx context.Context, r *rule, in *core.AuthzInput, input ast.Value, now time.Time) (core.Expr, error) {
	key, cached := r.cacheKey(in.Action, input)
	pq, hit := (*rego.PartialQueries)(nil), false
	if cached {
		pq, hit = r.cache.Get(key)
	}
	if !hit {
		var err error
		pq, err = r.partial.Partial(ctx, rego.EvalParsedInput(input), rego.EvalTime(now), rego.EvalNondeterministicBuiltins(true))
		if err != nil {
			return nil, e.evalError(r, err)
		}
		if cached {
			r.cache.Add(key, pq)
		}
	}
	t := &translator{class: in.Schema}
	x, err := t.filter(pq)
	switch {
	case errors.Is(err, errNoObject) && r.rowLevel:
		return core.Nothing{}, nil
	case errors.Is(err, errNoObject):
		return nil, e.denial(ctx, r, in, input, now)
	case err != nil:
		// The load-time check makes this rare: a value of the wrong type for
		// the schema, say. Refuse rather than read unfiltered.
		e.opts.logger().Error("policy filter failed", "rule", r.where(), "class", in.Class, "err", err)
		msg := "Permission denied: a policy for this class cannot be applied to this query."
		if e.opts.Debug {
			msg += " " + err.Error()
		}
		return nil, &core.Error{Code: core.CodeOperationForbidden, Message: msg, Err: err}
	}
	return x, nil
}

// evalError is a policy that failed to evaluate (a conflict, a cancelled
// context): the operation is refused, never allowed.
func (e *Engine) evalError(r *rule, err error) error {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return core.Errorf(core.CodeTimeout, "the policy decision was cancelled: %v", err)
	}
	return &core.Error{Code: core.CodeInternalServerError, Message: "internal server error", Err: fmt.Errorf("policy %s: %w", r.where(), err)}
}

// denial is the 119 of a rule that did not allow; in debug mode its message
// says which expression failed.
func (e *Engine) denial(ctx context.Context, r *rule, in *core.AuthzInput, input ast.Value, now time.Time) error {
	what := in.Point
	if in.Class != "" {
		what = in.Class
	}
	msg := fmt.Sprintf("Permission denied by policy for action %s on %s.", in.Action, what)
	if e.opts.Debug {
		msg += " " + explain(ctx, r, input, now)
	}
	return core.Errorf(core.CodeOperationForbidden, "%s", msg)
}

// explain evaluates the rule again with a tracer and names the last
// expression of a policy file that failed.
func explain(ctx context.Context, r *rule, input ast.Value, now time.Time) string {
	buf := topdown.NewBufferTracer()
	// Without rule indexing every body is entered, so the trace shows the
	// expression that failed rather than an index miss.
	_, _ = r.decide.Eval(ctx, rego.EvalParsedInput(input), rego.EvalTime(now), rego.EvalQueryTracer(buf), rego.EvalRuleIndexing(false))
	for i := len(*buf) - 1; i >= 0; i-- {
		ev := (*buf)[i]
		if ev.Op != topdown.FailOp || ev.Location == nil || ev.Location.File == "" {
			continue
		}
		if _, ok := ev.Node.(*ast.Expr); !ok {
			continue
		}
		return fmt.Sprintf("Rule %s: %s:%d: %s is false.", r.where(), ev.Location.File, ev.Location.Row, ev.Location.Text)
	}
	return fmt.Sprintf("Rule %s: no definition of it applies.", r.where())
}

// logDecision writes a sampled decision log line.
func (e *Engine) logDecision(in *core.AuthzInput, r *rule, filter core.Expr, err error, took time.Duration) {
	s := e.opts.DecisionLogSample
	if s <= 0 || (s < 1 && rand.Float64() >= s) {
		return
	}
	result := "allow"
	switch {
	case err != nil && core.IsCode(err, core.CodeOperationForbidden):
		result = "deny"
	case err != nil:
		result = "error"
	case filter != nil:
		result = "filter"
	}
	attrs := []any{"point", in.Point, "action", in.Action, "class", in.Class, "result", result, "took", took}
	if in.Auth != nil {
		attrs = append(attrs, "user", in.Auth.UserID, "master", in.Auth.Master)
	}
	if r != nil {
		attrs = append(attrs, "rule", r.name)
	}
	if filter != nil {
		attrs = append(attrs, "filter", WhereString(filter))
	}
	if err != nil {
		attrs = append(attrs, "err", err)
	}
	e.opts.logger().Info("policy decision", attrs...)
}
