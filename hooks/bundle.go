package hooks

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing/fstest"

	"github.com/dop251/goja"
	"github.com/dop251/goja/parser"
	"github.com/switchboardhq/switchboard/core"
)

// A Bundle is one uploaded version of cloud code: a folder of files, by
// slash-separated path relative to the folder. main.js is the entry point,
// as cloud: ./cloud/main.js is on Parse Server; other .js files are loaded
// with require; .json files with require too; .rego files are policies (kept
// for the policy engine, not run here).
type Bundle struct {
	Files map[string][]byte
}

// Bundle limits. A bundle over them is refused with a message that says
// which limit.
const (
	MaxBundleFiles = 2000
	MaxBundleBytes = 32 << 20
	MaxFileBytes   = 8 << 20
	// EntryPoint is the file run when a deployment starts.
	EntryPoint = "main.js"
)

// bundleExtensions are the file types a bundle may hold.
var bundleExtensions = map[string]bool{".js": true, ".cjs": true, ".json": true, ".rego": true}

var pathSegment = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.@+-]*$`)

// NewBundle checks files and returns them as a bundle. Paths must be
// relative, slash-separated, without "." or ".." segments, made of letters,
// digits and _ . @ + -, and end in .js, .cjs, .json or .rego; main.js must
// exist. Errors are *core.Error with code 141 and say what to fix.
func NewBundle(files map[string][]byte) (*Bundle, error) {
	if len(files) == 0 {
		return nil, refused("the bundle is empty; it needs at least %s", EntryPoint)
	}
	if len(files) > MaxBundleFiles {
		return nil, refused("the bundle has %d files; at most %d are allowed", len(files), MaxBundleFiles)
	}
	total := 0
	for p, b := range files {
		if err := checkBundlePath(p); err != nil {
			return nil, err
		}
		if len(b) > MaxFileBytes {
			return nil, refused("%s is %d bytes; a file may have at most %d", p, len(b), MaxFileBytes)
		}
		total += len(b)
	}
	if total > MaxBundleBytes {
		return nil, refused("the bundle is %d bytes; at most %d are allowed", total, MaxBundleBytes)
	}
	if _, ok := files[EntryPoint]; !ok {
		return nil, refused("the bundle has no %s (the entry point, as cloud/main.js on Parse Server)", EntryPoint)
	}
	return &Bundle{Files: files}, nil
}

func checkBundlePath(p string) error {
	if p == "" || strings.HasPrefix(p, "/") || strings.Contains(p, "\\") {
		return refused("file path %q must be relative and use forward slashes", p)
	}
	for _, seg := range strings.Split(p, "/") {
		if seg == "." || seg == ".." || !pathSegment.MatchString(seg) {
			return refused("file path %q: segment %q is not allowed (letters, digits and _ . @ + - only, no . or ..)", p, seg)
		}
	}
	if !bundleExtensions[path.Ext(p)] {
		return refused("file %q: only .js, .cjs, .json and .rego files may be deployed", p)
	}
	return nil
}

func refused(format string, args ...any) *core.Error {
	return core.Errorf(core.CodeScriptFailed, "cloud code bundle refused: "+format, args...)
}

// LoadDir reads a cloud-code folder into a bundle: every .js, .cjs, .json
// and .rego file below dir, skipping hidden files and folders (.git) and
// other file types (README.md, package-lock.json is kept as .json).
func LoadDir(dir string) (*Bundle, error) {
	files := map[string][]byte{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if p != dir && strings.HasPrefix(name, ".") {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if d.IsDir() || !d.Type().IsRegular() || !bundleExtensions[path.Ext(name)] {
			return nil
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		if len(files) >= MaxBundleFiles {
			return refused("%s has more than %d files", dir, MaxBundleFiles)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		files[filepath.ToSlash(rel)] = b
		return nil
	})
	if err != nil {
		var ce *core.Error
		if errors.As(err, &ce) {
			return nil, ce
		}
		return nil, fmt.Errorf("reading cloud code folder %s: %w", dir, err)
	}
	return NewBundle(files)
}

// Hash identifies the bundle's content: equal hashes, equal files.
func (b *Bundle) Hash() string {
	names := make([]string, 0, len(b.Files))
	for p := range b.Files {
		names = append(names, p)
	}
	sort.Strings(names)
	h := sha256.New()
	for _, p := range names {
		fmt.Fprintf(h, "%d:%s:%d:", len(p), p, len(b.Files[p]))
		h.Write(b.Files[p])
	}
	return hex.EncodeToString(h.Sum(nil))
}

// Sub returns the files below dir (such as "policies") as a read-only file
// system, paths relative to dir, for the policy engine; ok is false when the
// bundle has no file there.
func (b *Bundle) Sub(dir string) (fsys fs.FS, ok bool) {
	prefix := strings.Trim(dir, "/") + "/"
	m := fstest.MapFS{}
	for p, content := range b.Files {
		if rest, in := strings.CutPrefix(p, prefix); in {
			m[rest] = &fstest.MapFile{Data: content, Mode: 0o444}
		}
	}
	return m, len(m) > 0
}

// moduleWrapperPrefix is what goja_nodejs's require puts before a module's
// source on its first line; compile errors on line 1 are shifted by it.
const moduleWrapperPrefix = "(function(exports,require,module,__filename,__dirname){"

// check compiles every script of the bundle as require will, and parses
// every JSON file, so that a bundle that cannot load is refused at upload
// with file:line:column, before it can replace the active version.
func (b *Bundle) check() error {
	names := make([]string, 0, len(b.Files))
	for p := range b.Files {
		names = append(names, p)
	}
	sort.Strings(names)
	for _, p := range names {
		src := b.Files[p]
		switch path.Ext(p) {
		case ".json":
			if d := jsonDepth(string(src)); d > maxNestingDepth {
				return refused("%s nests deeper than %d levels", p, maxNestingDepth)
			}
			if !json.Valid(src) {
				var v any
				err := json.Unmarshal(src, &v)
				return refused("%s is not valid JSON: %v", p, err)
			}
		case ".js", ".cjs":
			if err := checkSourceNesting(string(src), maxNestingDepth); err != nil {
				return refused("%s: %v", p, err)
			}
			ast, err := parser.ParseFile(nil, "/"+p, moduleWrapperPrefix+string(src)+"\n})", 0, parser.WithDisableSourceMaps)
			if err != nil {
				return refused("%s", describeSyntaxError(p, err))
			}
			// Some errors (a redeclared let) come from the compiler.
			if _, err := goja.CompileAST(ast, false); err != nil {
				return refused("%s", describeSyntaxError(p, err))
			}
		}
	}
	return nil
}

// describeSyntaxError turns a goja parse error into "file:line:col: message".
func describeSyntaxError(file string, err error) string {
	at := func(line, col int, msg string) string {
		if line == 1 {
			col -= len(moduleWrapperPrefix)
		}
		return fmt.Sprintf("%s:%d:%d: SyntaxError: %s", file, line, col, msg)
	}
	var list parser.ErrorList
	if errors.As(err, &list) && len(list) > 0 {
		return at(list[0].Position.Line, list[0].Position.Column, list[0].Message)
	}
	var ce *goja.CompilerSyntaxError
	if errors.As(err, &ce) && ce.File != nil {
		pos := ce.File.Position(ce.Offset)
		return at(pos.Line, pos.Column, ce.Message)
	}
	return fmt.Sprintf("%s: %v", file, err)
}
