package policies

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"sort"
	"strings"

	"github.com/open-policy-agent/opa/v1/ast"
)

// Limits on what one policy set may hold. Policies are uploaded by
// developers with the master key, so these guard against accidents (a
// node_modules folder deployed by mistake) more than against attackers.
const (
	maxFileSize  = 1 << 20  // one .rego or data.json file
	maxTotalSize = 16 << 20 // all files together
	maxFiles     = 1000
)

// Problem is one reason a policy set was refused, located in its source.
type Problem struct {
	File    string // path inside the policy folder, "" when not about one file
	Line    int    // 1-based; 0 when unknown
	Col     int
	Message string
}

func (p Problem) String() string {
	switch {
	case p.File == "":
		return p.Message
	case p.Line == 0:
		return p.File + ": " + p.Message
	case p.Col == 0:
		return fmt.Sprintf("%s:%d: %s", p.File, p.Line, p.Message)
	}
	return fmt.Sprintf("%s:%d:%d: %s", p.File, p.Line, p.Col, p.Message)
}

// LoadError refuses a policy set. The set that was active before stays
// active. Problems are sorted by file and line.
type LoadError struct {
	Problems []Problem
}

func (e *LoadError) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = p.String()
	}
	return fmt.Sprintf("policies refused (%d problem%s; the previous policies stay active):\n%s",
		len(lines), plural(len(lines)), strings.Join(lines, "\n"))
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// problems collects Problems while a set loads.
type problems []Problem

func (ps *problems) add(file string, line, col int, format string, args ...any) {
	*ps = append(*ps, Problem{File: file, Line: line, Col: col, Message: fmt.Sprintf(format, args...)})
}

// addAST adds the errors of the OPA parser or compiler, which carry their
// own locations.
func (ps *problems) addAST(err error) {
	var list ast.Errors
	if !errors.As(err, &list) {
		ps.add("", 0, 0, "%v", err)
		return
	}
	for _, e := range list {
		msg := e.Message
		if e.Details != nil {
			if lines := e.Details.Lines(); len(lines) > 0 {
				msg += " (" + strings.Join(lines, "; ") + ")"
			}
		}
		if e.Location == nil {
			ps.add("", 0, 0, "%s", msg)
			continue
		}
		ps.add(e.Location.File, e.Location.Row, e.Location.Col, "%s", msg)
	}
}

func (ps problems) err() error {
	if len(ps) == 0 {
		return nil
	}
	out := append([]Problem(nil), ps...)
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].File != out[j].File {
			return out[i].File < out[j].File
		}
		return out[i].Line < out[j].Line
	})
	return &LoadError{Problems: out}
}

// sources is what a policy folder holds: parsed modules and the data
// document built from its data.json files.
type sources struct {
	modules  map[string]*ast.Module // by path inside the folder
	tests    map[string]*ast.Module // the *_test.rego files, for `policy test`
	data     map[string]any
	revision string // hash of every file read, the same on every node for the same folder
}

// readSources reads every .rego and data.json file of fsys. A data.json in
// folder a/b becomes data.a.b (the OPA bundle convention); one at the root
// is the root of data. Hidden files and folders (".git") are skipped.
// Symbolic links are refused: a deployed folder must not reach outside
// itself. This is a short walk of our own rather than OPA's loader so that
// limits, paths in messages and the revision hash are ours.
func readSources(fsys fs.FS) (*sources, error) {
	src := &sources{modules: map[string]*ast.Module{}, tests: map[string]*ast.Module{}, data: map[string]any{}}
	var ps problems
	hash := sha256.New()
	total, files := 0, 0
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if p == "." && errors.Is(err, fs.ErrNotExist) {
				return fs.SkipAll // no policy folder: no policies
			}
			ps.add(p, 0, 0, "cannot read: %v", err)
			return nil
		}
		name := d.Name()
		if p != "." && strings.HasPrefix(name, ".") {
			if d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if d.Type()&fs.ModeSymlink != 0 {
			ps.add(p, 0, 0, "symbolic links are not followed in a policy folder; copy the file instead")
			return nil
		}
		if d.IsDir() || (!strings.HasSuffix(name, ".rego") && name != "data.json") {
			return nil
		}
		if !d.Type().IsRegular() {
			ps.add(p, 0, 0, "not a regular file")
			return nil
		}
		files++
		if files > maxFiles {
			ps.add(p, 0, 0, "more than %d policy files; deploy only the policy folder", maxFiles)
			return fs.SkipAll
		}
		b, err := readLimited(fsys, p)
		if err != nil {
			ps.add(p, 0, 0, "%v", err)
			return nil
		}
		total += len(b)
		if total > maxTotalSize {
			ps.add(p, 0, 0, "policy files add up to more than %d MiB", maxTotalSize>>20)
			return fs.SkipAll
		}
		fmt.Fprintf(hash, "%s\x00%d\x00", p, len(b))
		hash.Write(b)
		if name == "data.json" {
			addData(src.data, p, b, &ps)
			return nil
		}
		mod, err := ast.ParseModuleWithOpts(p, string(b), ast.ParserOptions{RegoVersion: ast.RegoV1, ProcessAnnotation: true})
		if mod == nil && (err == nil || strings.Contains(err.Error(), "empty module")) {
			ps.add(p, 1, 0, "empty policy file: a .rego file needs a package")
			return nil
		}
		if err != nil {
			ps.addAST(err)
			return nil
		}
		if strings.HasSuffix(name, "_test.rego") {
			src.tests[p] = mod
		} else {
			src.modules[p] = mod
		}
		return nil
	})
	if err != nil {
		ps.add("", 0, 0, "reading the policy folder: %v", err)
	}
	src.revision = hex.EncodeToString(hash.Sum(nil))[:16]
	return src, ps.err()
}

func readLimited(fsys fs.FS, p string) ([]byte, error) {
	f, err := fsys.Open(p)
	if err != nil {
		return nil, fmt.Errorf("cannot read: %w", err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("cannot read: %w", err)
	}
	if len(b) > maxFileSize {
		return nil, fmt.Errorf("file is larger than %d KiB", maxFileSize>>10)
	}
	return b, nil
}

// addData merges one data.json into data at the folder's path.
func addData(data map[string]any, p string, b []byte, ps *problems) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber() // OPA's store keeps numbers as json.Number
	var v any
	if err := dec.Decode(&v); err != nil {
		line := 0
		var se *json.SyntaxError
		if errors.As(err, &se) {
			line = 1 + bytes.Count(b[:min(int(se.Offset), len(b))], []byte("\n"))
		}
		ps.add(p, line, 0, "invalid JSON: %v", err)
		return
	}
	dir := path.Dir(p)
	if dir == "." {
		obj, ok := v.(map[string]any)
		if !ok {
			ps.add(p, 1, 0, "the data.json at the root of the policy folder must hold a JSON object")
			return
		}
		for k, x := range obj {
			if _, dup := data[k]; dup {
				ps.add(p, 1, 0, "data.%s is also set by another data.json", k)
				continue
			}
			data[k] = x
		}
		return
	}
	node := data
	segs := strings.Split(dir, "/")
	for i, seg := range segs {
		if i == len(segs)-1 {
			if _, dup := node[seg]; dup {
				ps.add(p, 1, 0, "data.%s is also set by another data.json", strings.Join(segs, "."))
				return
			}
			node[seg] = v
			return
		}
		next, ok := node[seg].(map[string]any)
		if !ok {
			if _, taken := node[seg]; taken {
				ps.add(p, 1, 0, "data.%s is not an object in another data.json", strings.Join(segs[:i+1], "."))
				return
			}
			next = map[string]any{}
			node[seg] = next
		}
		node = next
	}
}
