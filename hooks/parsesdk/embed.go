// Package parsesdk embeds the Node build of the Parse JS SDK (the `parse`
// npm package, version in VERSION), which cloud code runs inside goja so
// that Parse.Object, Parse.Query, Parse.User and the rest behave exactly as
// on Parse Server. The files under lib/ are the package's own, unmodified;
// update.sh replaces them with another version (see LICENSE and NOTICE).
package parsesdk

import (
	"embed"
	"io/fs"
	"strings"
)

//go:embed lib/node/*.js VERSION
var files embed.FS

// Version is the vendored SDK version, e.g. "8.6.2".
func Version() string {
	b, _ := files.ReadFile("VERSION")
	return strings.TrimSpace(string(b))
}

// Files returns the SDK's CommonJS modules; "Parse.js" is the entry point.
func Files() fs.FS {
	sub, err := fs.Sub(files, "lib/node")
	if err != nil {
		panic(err) // the embed pattern above guarantees the folder
	}
	return sub
}
