package policies

import (
	"context"
	"io"
	"io/fs"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/storage/inmem"
	"github.com/open-policy-agent/opa/v1/tester"
)

// TestSummary counts the results of RunTests.
type TestSummary struct {
	Passed, Failed, Errored, Skipped int
}

// OK reports whether tests ran and none failed.
func (s TestSummary) OK() bool {
	return s.Passed > 0 && s.Failed == 0 && s.Errored == 0
}

// RunTests runs the Rego unit tests of a policy folder: every rule whose
// name starts with test_, in any .rego file (usually *_test.rego beside the
// policy), with the folder's data.json files and the same built-ins the
// server allows. It writes a report in the form of `opa test` to w. A
// folder that does not load returns its *LoadError.
func RunTests(ctx context.Context, fsys fs.FS, opts Options, w io.Writer, verbose bool) (TestSummary, error) {
	var sum TestSummary
	src, err := readSources(fsys)
	if err != nil {
		return sum, err
	}
	caps := capabilities(opts.AllowUnsafeBuiltins)
	// Compile once with our checks, for messages that name the config
	// option; the runner then compiles again with its own test stages.
	if _, err := compileSources(src, caps, true, true); err != nil {
		return sum, err
	}
	modules := make(map[string]*ast.Module, len(src.modules)+len(src.tests))
	for p, m := range src.modules {
		modules[p] = m
	}
	for p, m := range src.tests {
		modules[p] = m
	}
	runner := tester.NewRunner().
		SetCompiler(ast.NewCompiler().WithCapabilities(caps).WithEnablePrintStatements(true)).
		SetStore(inmem.NewFromObject(src.data)).
		CapturePrintOutput(true).
		SetModules(modules)
	results, err := runner.RunTests(ctx, nil)
	if err != nil {
		var ps problems
		ps.addAST(err)
		return sum, ps.err()
	}
	counted := make(chan *tester.Result)
	go func() {
		defer close(counted)
		for r := range results {
			switch {
			case r.Skip:
				sum.Skipped++
			case r.Error != nil:
				sum.Errored++
			case r.Fail:
				sum.Failed++
			default:
				sum.Passed++
			}
			counted <- r
		}
	}()
	err = tester.PrettyReporter{Output: w, Verbose: verbose, FailureLine: true}.Report(counted)
	return sum, err
}
