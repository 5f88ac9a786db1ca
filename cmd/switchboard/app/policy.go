package app

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/switchboardhq/switchboard/core"
	"github.com/switchboardhq/switchboard/policies"
)

// defaultPolicyDir is the policies folder of the default data folder.
var defaultPolicyDir = filepath.Join("sb_data", "policies")

const policyUsage = `Usage:
  switchboard policy test [--verbose] [--allow-unsafe-builtins] [DIR]
  switchboard policy eval --input FILE [--dir DIR] [--schema FILE] [--apply-to-master]
                          [--allow-unsafe-builtins]

DIR is a policy folder: .rego files and data.json files (a data.json in
folder a/b is data.a.b). It defaults to ./sb_data/policies, the policies
folder of the default data folder. README.md ("Permission policies") is the policy guide.

test runs the Rego unit tests: every rule named test_* (usually in
*_test.rego files beside the policies), with the folder's data and the
built-ins the server allows. It exits 0 when all pass and 1 when one
fails, when the folder does not load, or when it holds no test.

eval answers one decision as the server would, with the reason of a
denial. FILE ("-" for standard input) holds the input document policies
read: {"point": "objects", "action": "find", "class": "Post",
"auth": {"userId": "...", "roles": ["role:x"]}, "object": {...}, ...}.
A read without "object" answers with the filter the store would run,
shown as a where document; --schema gives the class's schema
({"className": "Post", "fields": {"author": {"type": "Pointer",
"targetClass": "_User"}}}) so the filter uses its field types. It prints
JSON ("decision": allow, filter, deny or error) and exits 0 when the
operation is allowed (with or without a filter) and 1 when it is denied
or the policies do not load. As on the server, the master key bypasses
policies unless --apply-to-master is given.
`

// maxInputSize bounds the files policy eval reads.
const maxInputSize = 10 << 20

// policyCommand runs `switchboard policy ...` and returns the exit code.
func policyCommand(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, policyUsage)
		return exitUsage
	}
	switch args[0] {
	case "test":
		return policyTest(ctx, args[1:], stdout, stderr)
	case "eval":
		return policyEval(ctx, args[1:], stdout, stderr)
	case "help", "-h", "--help", "-help":
		fmt.Fprint(stdout, policyUsage)
		return exitOK
	}
	fmt.Fprintf(stderr, "switchboard policy: unknown command %q\n\n%s", args[0], policyUsage)
	return exitUsage
}

func policyFlags(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("switchboard policy "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, policyUsage) }
	return fs
}

func policyTest(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := policyFlags("test", stderr)
	verbose := fs.Bool("verbose", false, "list every test, not only failures")
	unsafe := fs.Bool("allow-unsafe-builtins", false, "allow http.send, opa.runtime and net.lookup_ip_addr")
	if err := fs.Parse(args); err != nil {
		return exitUsage
	}
	dir := defaultPolicyDir
	switch fs.NArg() {
	case 0:
	case 1:
		dir = fs.Arg(0)
	default:
		fmt.Fprintf(stderr, "switchboard policy test: unexpected argument %q\n", fs.Arg(1))
		return exitUsage
	}
	root, err := openPolicyDir(dir)
	if err != nil {
		fmt.Fprintf(stderr, "switchboard policy test: %v\n", err)
		return exitFailure
	}
	defer root.Close()
	sum, err := policies.RunTests(ctx, root.FS(), policies.Options{AllowUnsafeBuiltins: *unsafe}, stdout, *verbose)
	if err != nil {
		fmt.Fprintf(stderr, "switchboard policy test: %v\n", err)
		return exitFailure
	}
	if sum.Passed+sum.Failed+sum.Errored == 0 {
		fmt.Fprintf(stderr, "switchboard policy test: no test_ rules in %s\n", dir)
		return exitFailure
	}
	if !sum.OK() {
		return exitFailure
	}
	return exitOK
}

// openPolicyDir opens a policy folder as an os.Root, so that nothing in it
// reaches outside it.
func openPolicyDir(dir string) (*os.Root, error) {
	root, err := os.OpenRoot(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("no policy folder at %s (give the folder as an argument or with --dir)", dir)
	}
	return root, err
}

// evalResult is what policy eval prints.
type evalResult struct {
	Decision string         `json:"decision"` // allow, filter, deny or error
	Filter   map[string]any `json:"filter,omitempty"`
	Code     int            `json:"code,omitempty"`
	Error    string         `json:"error,omitempty"`
	Revision string         `json:"revision"`
	Rules    []string       `json:"rules"`
}

// decide answers one decision as the server would, and explains a denial
// (the CLI's policy eval and the console's policies page).
func decide(ctx context.Context, engine *policies.Engine, in *core.AuthzInput) evalResult {
	res := evalResult{Revision: engine.Revision(), Rules: engine.Rules()}
	filter, err := engine.Authorize(ctx, in)
	switch {
	case err != nil:
		ce := core.AsError(err)
		res.Decision, res.Code, res.Error = "deny", int(ce.Code), ce.Message
		if ce.Code != core.CodeOperationForbidden {
			res.Decision = "error"
		}
		if ce.Err != nil {
			res.Error += ": " + ce.Err.Error()
		}
	case filter != nil:
		res.Decision, res.Filter = "filter", policies.Where(filter)
	default:
		res.Decision = "allow"
	}
	return res
}

func policyEval(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := policyFlags("eval", stderr)
	inputFile := fs.String("input", "", "the input document, a JSON file (- for standard input)")
	dir := fs.String("dir", defaultPolicyDir, "the policy folder")
	schemaFile := fs.String("schema", "", "the class's schema, a JSON file, for the filter of a read")
	unsafe := fs.Bool("allow-unsafe-builtins", false, "allow http.send, opa.runtime and net.lookup_ip_addr")
	master := fs.Bool("apply-to-master", false, "evaluate policies for the master key too (policies.applyToMaster)")
	if err := fs.Parse(args); err != nil {
		return exitUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "switchboard policy eval: unexpected argument %q\n", fs.Arg(0))
		return exitUsage
	}
	if *inputFile == "" {
		fmt.Fprint(stderr, "switchboard policy eval: --input FILE is required\n")
		return exitUsage
	}
	fail := func(format string, args ...any) int {
		fmt.Fprintf(stderr, "switchboard policy eval: "+format+"\n", args...)
		return exitFailure
	}
	var doc policies.Document
	if err := readJSON(*inputFile, &doc); err != nil {
		return fail("reading the input: %v", err)
	}
	in, err := doc.AuthzInput()
	if err != nil {
		return fail("the input: %v", err)
	}
	if *schemaFile != "" {
		var s struct {
			ClassName string                `json:"className"`
			Fields    map[string]core.Field `json:"fields"`
		}
		if err := readJSON(*schemaFile, &s); err != nil {
			return fail("reading the schema: %v", err)
		}
		if s.ClassName != "" && in.Class != "" && s.ClassName != in.Class {
			return fail("the schema is of class %s, the input of class %s", s.ClassName, in.Class)
		}
		in.Schema = &core.Class{Name: s.ClassName, Fields: s.Fields}
	}

	root, err := openPolicyDir(*dir)
	if err != nil {
		return fail("%v", err)
	}
	defer root.Close()
	engine := policies.New(policies.Options{
		AllowUnsafeBuiltins: *unsafe, Debug: true, ApplyToMaster: *master,
		Logger: slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
	})
	if err := engine.Load(ctx, root.FS()); err != nil {
		return fail("%v", err)
	}
	res := decide(ctx, engine, in)
	code := exitOK
	if res.Decision == "deny" || res.Decision == "error" {
		code = exitFailure
	}
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(res); err != nil {
		return fail("%v", err)
	}
	return code
}

// readJSON decodes a JSON file ("-" is standard input) of at most
// maxInputSize bytes into v, refusing unknown keys.
func readJSON(name string, v any) error {
	var r io.Reader = os.Stdin
	if name != "-" {
		f, err := os.Open(name)
		if err != nil {
			return err
		}
		defer f.Close()
		r = f
	}
	b, err := io.ReadAll(io.LimitReader(r, maxInputSize+1))
	if err != nil {
		return err
	}
	if len(b) > maxInputSize {
		return fmt.Errorf("larger than %d MiB", maxInputSize>>20)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	return nil
}
