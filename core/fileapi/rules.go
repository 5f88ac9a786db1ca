package fileapi

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"mime"
	"path"
	"regexp"
	"strings"

	"github.com/switchboardhq/switchboard/core"
)

// UploadRules are Parse Server's fileUpload options. A nil field takes
// Parse's default: only logged-in users may upload.
type UploadRules struct {
	// EnableForPublic lets callers without a session upload (default false).
	EnableForPublic *bool `json:"enableForPublic"`
	// EnableForAnonymousUser lets anonymous users (authData.anonymous)
	// upload (default false).
	EnableForAnonymousUser *bool `json:"enableForAnonymousUser"`
	// EnableForAuthenticatedUser lets logged-in users upload (default true).
	EnableForAuthenticatedUser *bool `json:"enableForAuthenticatedUser"`
	// FileExtensions are regular expressions, as in Parse Server; a file is
	// accepted when its extension and the subtype of its content type each
	// match one ("*" matches all). Nil means the default: everything but
	// the types a browser runs as a page or script (see DangerousType).
	FileExtensions []string `json:"fileExtensions"`
}

func flag(p *bool, def bool) bool {
	if p == nil {
		return def
	}
	return *p
}

// checkCaller applies the enableFor* rules (the master key passes).
func (h *Handler) checkCaller(ctx context.Context, auth *core.Auth) error {
	if auth != nil && auth.Master {
		if auth.ReadOnly {
			return core.Errorf(core.CodeOperationForbidden, "read-only masterKey isn't allowed to perform the write operation")
		}
		return nil
	}
	rules := h.opts.Upload
	switch {
	case auth == nil || auth.UserID == "":
		if !flag(rules.EnableForPublic, false) {
			return core.Errorf(core.CodeFileSaveError, "File upload by public is disabled.")
		}
	case h.opts.IsAnonymous != nil && h.opts.IsAnonymous(ctx, auth):
		if !flag(rules.EnableForAnonymousUser, false) {
			return core.Errorf(core.CodeFileSaveError, "File upload by anonymous user is disabled.")
		}
	default:
		if !flag(rules.EnableForAuthenticatedUser, true) {
			return core.Errorf(core.CodeFileSaveError, "File upload by authenticated user is disabled.")
		}
	}
	return nil
}

// parseNameRule is Parse Server's file name rule.
var parseNameRule = regexp.MustCompile(`^[_a-zA-Z0-9][a-zA-Z0-9@. ~_-]*$`)

// MaxNameLen is Parse Server's limit on an uploaded file's name.
const MaxNameLen = 128

// checkUploadName checks the name a client uploads under.
func checkUploadName(name string) error {
	if name == "" {
		return core.Errorf(core.CodeMissingRequiredField, "Filename not provided.")
	}
	if len(name) > MaxNameLen {
		return core.Errorf(core.CodeInvalidFileName, "Filename too long.")
	}
	if !parseNameRule.MatchString(name) {
		return core.Errorf(core.CodeInvalidFileName, "Filename contains invalid characters.")
	}
	return nil
}

// checkStoredName checks a name in a download or delete URL: any name the
// store can hold, without a folder (thumbnails live under folders).
func checkStoredName(name string) error {
	if strings.Contains(name, "/") {
		return core.Errorf(core.CodeInvalidFileName, "invalid file name")
	}
	return core.ValidateFileName(name)
}

// storedName is the name a file is stored under: Parse's unique
// "<32 hex>_<name>", or the name itself with preserveFileName.
func (h *Handler) storedName(name string) string {
	if h.opts.PreserveFileName {
		return name
	}
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b) + "_" + name
}

// contentTypeFor is the upload's type: the declared one, or the one its
// extension implies, or application/octet-stream.
func contentTypeFor(declared, name string) (string, error) {
	if strings.TrimSpace(declared) == "" {
		if t := mime.TypeByExtension(strings.ToLower(path.Ext(name))); t != "" {
			return t, nil
		}
		return "application/octet-stream", nil
	}
	if _, _, err := mime.ParseMediaType(declared); err != nil {
		return "", core.Errorf(core.CodeFileSaveError, "invalid content type %q", declared)
	}
	return declared, nil
}

// mediaType is the type without parameters, lowercased:
// "image/svg+xml; charset=x" is "image/svg+xml".
func mediaType(contentType string) string {
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		mt, _, _ = strings.Cut(contentType, ";")
	}
	return strings.ToLower(strings.TrimSpace(mt))
}

// dangerousExtensions are extensions of files a browser renders as a page
// or runs as a script.
var dangerousExtensions = map[string]bool{
	"html": true, "htm": true, "shtml": true, "xhtml": true, "xht": true, "mht": true, "mhtml": true,
	"svg": true, "svgz": true, "xml": true, "xsl": true, "xslt": true,
	"js": true, "mjs": true, "cjs": true, "jsx": true,
}

// DangerousType reports whether a file of this name and content type is
// one a browser would render as a page or run as a script from our
// origin: HTML, SVG, any XML type, JavaScript. The content type is read
// without its parameters, so "image/svg+xml; charset=x" is caught.
func DangerousType(name, contentType string) bool {
	if dangerousExtensions[strings.ToLower(strings.TrimPrefix(path.Ext(name), "."))] {
		return true
	}
	mt := mediaType(contentType)
	_, sub, _ := strings.Cut(mt, "/")
	switch {
	case mt == "text/html", mt == "application/xhtml+xml", mt == "text/xml", mt == "application/xml",
		sub == "xml" || strings.HasSuffix(sub, "+xml"),
		strings.Contains(sub, "javascript"), strings.Contains(sub, "ecmascript"), mt == "text/jscript",
		mt == "text/xsl", mt == "application/xslt+xml", mt == "multipart/x-mixed-replace":
		return true
	}
	return false
}

// checkType applies fileExtensions (the master key passes).
func (h *Handler) checkType(auth *core.Auth, name, contentType string) error {
	if auth != nil && auth.Master {
		return nil
	}
	ext := strings.ToLower(strings.TrimPrefix(path.Ext(name), "."))
	_, sub, _ := strings.Cut(mediaType(contentType), "/")
	if h.extRules == nil {
		if DangerousType(name, contentType) {
			what := ext
			if what == "" || !dangerousExtensions[what] {
				what = mediaType(contentType)
			}
			return core.Errorf(core.CodeFileSaveError, "File upload of extension %s is disabled.", what)
		}
		return nil
	}
	for _, v := range []string{ext, sub} {
		if v == "" {
			continue
		}
		if !h.extensionAllowed(v) {
			return core.Errorf(core.CodeFileSaveError, "File upload of extension %s is disabled.", v)
		}
	}
	return nil
}

func (h *Handler) extensionAllowed(v string) bool {
	for _, re := range h.extRules {
		if re == nil || re.MatchString(v) {
			return true
		}
	}
	return false
}

// compileExtensions compiles fileExtensions; "*" is nil (matches all).
func compileExtensions(patterns []string) ([]*regexp.Regexp, error) {
	if patterns == nil {
		return nil, nil
	}
	out := make([]*regexp.Regexp, 0, len(patterns))
	for _, p := range patterns {
		if p == "*" {
			out = append(out, nil)
			continue
		}
		re, err := regexp.Compile(p)
		if err != nil {
			return nil, err
		}
		out = append(out, re)
	}
	return out, nil
}
