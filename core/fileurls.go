package core

import (
	"context"
	"fmt"
)

// FileClass is the system class in which the files API records what it
// stored: name, type, size, protection, owner. It is internal: only the
// server and the master key reach it.
const FileClass = "_File"

// SystemClass returns the system class name, creating it, or adding the
// built-in fields and indexes it lacks, on first use. It is for features
// outside the core that keep records in a system class of their own (the
// files API's FileClass).
func (a *App) SystemClass(ctx context.Context, name string) (*Class, error) {
	if _, ok := SystemClasses[name]; !ok {
		return nil, fmt.Errorf("core: %q is not a system class", name)
	}
	return a.systemClass(ctx, name)
}

// FileURLResolver gives File values the URL a caller should use, as
// objects leave the server: Parse stores a file's name and serves its
// URL, and a protected file's URL is a short-lived signed one that depends
// on who asks. The files feature installs it (SetFileURLResolver).
type FileURLResolver interface {
	// FileURLs returns the URL of each of names for auth; a name missing
	// from the map keeps the URL it has. It is called once per reply with
	// the distinct names the reply holds, from many goroutines at once.
	FileURLs(ctx context.Context, auth *Auth, names []string) (map[string]string, error)
}

// SetFileURLResolver installs the resolver of file URLs (nil removes it).
func (a *App) SetFileURLResolver(r FileURLResolver) {
	if r == nil {
		a.fileURLs.Store(nil)
		return
	}
	a.fileURLs.Store(&r)
}

// ResolveFileURLs sets the "url" of every File value ({"__type": "File"})
// in objs, encoded objects as the API answers them, included objects and
// arrays inside them too, to what the FileURLResolver says for auth. It
// does nothing without a resolver. The query pipeline calls it on every
// result; features that encode objects themselves (LiveQuery events) call
// it before they send them.
func (a *App) ResolveFileURLs(ctx context.Context, auth *Auth, objs ...map[string]any) error {
	p := a.fileURLs.Load()
	if p == nil || len(objs) == 0 {
		return nil
	}
	var files []map[string]any
	for _, o := range objs {
		files = collectFiles(o, files)
	}
	if len(files) == 0 {
		return nil
	}
	seen := make(map[string]bool, len(files))
	names := make([]string, 0, len(files))
	for _, f := range files {
		name := f["name"].(string)
		if !seen[name] {
			seen[name] = true
			names = append(names, name)
		}
	}
	urls, err := (*p).FileURLs(ctx, auth, names)
	if err != nil {
		return err
	}
	for _, f := range files {
		if u, ok := urls[f["name"].(string)]; ok {
			f["url"] = u
		}
	}
	return nil
}

// collectFiles appends the File values found in v (a value of an encoded
// object) to out.
// HasFileValues reports whether obj holds a File value that
// ResolveFileURLs would rewrite, at any depth. It rewrites them in place,
// so a caller that shares nested maps between readers copies obj first
// when this is true.
func (a *App) HasFileValues(obj map[string]any) bool {
	return a.fileURLs.Load() != nil && len(collectFiles(obj, nil)) > 0
}

func collectFiles(v any, out []map[string]any) []map[string]any {
	switch x := v.(type) {
	case map[string]any:
		if x["__type"] == "File" {
			if name, ok := x["name"].(string); ok && name != "" {
				return append(out, x)
			}
			return out
		}
		for _, e := range x {
			out = collectFiles(e, out)
		}
	case []any:
		for _, e := range x {
			out = collectFiles(e, out)
		}
	case []map[string]any:
		for _, e := range x {
			out = collectFiles(e, out)
		}
	}
	return out
}
