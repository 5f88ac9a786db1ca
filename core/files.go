package core

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// FileDriver is the files provider contract: the local disk, Qiniu Kodo and
// S3-compatible stores implement it, and so can a plugin. A driver only
// moves bytes under names; the Parse rules (unique names, upload rules,
// triggers, protected files) live in the core, and the checks every driver
// would otherwise repeat live in Files, the portable type that wraps it.
//
// Promises Files makes to every driver:
//   - name passed ValidateFileName: 1 to MaxFileNameLen bytes of UTF-8,
//     no control character or backslash, "/" only between non-empty
//     segments that are neither "." nor ".."; a driver may use it as a
//     path below its root or as an object key without further escaping
//     against traversal;
//   - Put's size is -1 (unknown) or the exact number of bytes r yields;
//     r fails (with the caller's *Error) rather than yield more or fewer,
//     and it fails with CodeFileTooLarge past the caller's limit;
//   - contentType is a valid media type, never empty;
//   - a *ByteRange has Offset >= 0 and Length > 0 or -1 (to the end);
//   - ListOptions.Limit is within 1..MaxListLimit;
//   - ctx is never nil.
//
// Promises every driver makes:
//   - methods are safe for concurrent use;
//   - Put streams: it holds at most a bounded buffer (a part of a
//     multipart upload, never the whole body) whatever the size;
//   - Put is atomic: readers see the old file or the whole new one, and
//     a Put that fails, because r failed, ctx ended or the store refused,
//     leaves no file under name (nor a partial one) and returns the error;
//     a Put that returned nil has stored every byte of r durably;
//   - a Put over an existing name replaces it;
//   - Get returns the bytes of one version of the file, the one whose
//     FileInfo it returns, and the caller closes the reader;
//   - errors are *Error: CodeObjectNotFound for a missing file,
//     CodeInvalidFileName for a name the store cannot hold,
//     CodeFileTooLarge for a body over the store's own limit,
//     CodeConnectionFailed for a failure worth retrying (network, 5xx,
//     throttling, a canceled ctx), CodeInternalServerError with the cause
//     for anything else (credentials, a missing bucket); an error never
//     repeats a secret from the options;
//   - List returns names in increasing byte order, each once across the
//     pages of one listing, and FileInfo.Name is the full name.
//
// Files are found by name in the FileProviders registry.
type FileDriver interface {
	// Put stores the bytes of r under name. size is the number of bytes
	// when known, or -1.
	Put(ctx context.Context, name string, r io.Reader, size int64, contentType string) (FileInfo, error)
	// Get opens the file for reading, the whole file when rng is nil.
	// A range that starts at or past the end is CodeInvalidValue.
	Get(ctx context.Context, name string, rng *ByteRange) (io.ReadCloser, FileInfo, error)
	// Stat describes the file.
	Stat(ctx context.Context, name string) (FileInfo, error)
	// Delete removes the file; CodeObjectNotFound if there is none.
	Delete(ctx context.Context, name string) error
	// List returns one page of the files whose names start with
	// opts.Prefix, after opts.Cursor.
	List(ctx context.Context, opts ListOptions) (ListPage, error)
	// Close releases the driver's resources.
	Close() error
}

// FileInfo describes one stored file.
type FileInfo struct {
	Name        string
	Size        int64
	ContentType string
	// ETag changes whenever the content changes. It is opaque, without
	// quotes; the HTTP layer quotes it.
	ETag    string
	ModTime time.Time
}

// ByteRange is a part of a file: Length bytes from Offset, or everything
// from Offset when Length is -1.
type ByteRange struct {
	Offset, Length int64
}

// ListOptions select one page of a listing.
type ListOptions struct {
	Prefix string
	// Cursor is the Next of the previous page, or "" for the first.
	Cursor string
	// Limit is the page size (Files fills the default, DefaultListLimit).
	Limit int
}

// ListPage is one page of a listing. Next is "" on the last page.
type ListPage struct {
	Files []FileInfo
	Next  string
}

// Listing limits.
const (
	DefaultListLimit = 1000
	MaxListLimit     = 1000
	// MaxFileNameLen is the longest name in bytes (S3's key limit).
	MaxFileNameLen = 1024
)

// FileURLSigner is an optional driver ability: short-lived URLs that let
// anyone holding them read one file without credentials (S3 presigned GET,
// Qiniu private download URLs, the local provider's HMAC URLs). A URL must
// stop working after expires and when any part of it is altered.
type FileURLSigner interface {
	SignedURL(ctx context.Context, name string, expires time.Duration) (string, error)
}

// FileURLVerifier is implemented by drivers whose signed URLs point at our
// own server (the local provider): the files API checks the query of a
// download request with it. It returns CodeOperationForbidden for a
// signature that is missing, wrong or expired.
type FileURLVerifier interface {
	VerifySignedURL(name string, query url.Values) error
}

// FileDirectUploader is an optional driver ability: instructions for a
// client to upload one file straight to the store, so that large bodies do
// not pass through the API server.
type FileDirectUploader interface {
	DirectUpload(ctx context.Context, name string, opts DirectUploadOptions) (*DirectUpload, error)
}

// DirectUploadOptions bound one direct upload.
type DirectUploadOptions struct {
	// ContentType is the only type the upload may have (never empty).
	ContentType string
	// Size is the exact length of the body in bytes (> 0): clients know
	// the size of the file they are about to send, and an exact size is
	// something every store can enforce (S3 signs Content-Length).
	Size int64
	// Expires is how long the instructions stay valid (> 0).
	Expires time.Duration
	// CallbackURL, when set and the store supports it (Qiniu), is where the
	// store reports the finished upload; the report is checked with
	// FileUploadCallback. Without it the client confirms the upload.
	CallbackURL string
	// CallbackBody is opaque text the store sends back in its report (a
	// signed ticket of the files API).
	CallbackBody string
}

// DirectUpload is what a client does to upload one file: an HTTP request
// with Method to URL carrying Headers; with a non-empty FileField the body
// is multipart/form-data with Fields and the file in FileField, otherwise
// the body is the file's bytes.
type DirectUpload struct {
	Method    string            `json:"method"`
	URL       string            `json:"url"`
	Headers   map[string]string `json:"headers,omitempty"`
	Fields    map[string]string `json:"fields,omitempty"`
	FileField string            `json:"fileField,omitempty"`
	ExpiresAt time.Time         `json:"expiresAt"`
	// Callback is true when the store reports the upload itself
	// (DirectUploadOptions.CallbackURL was used), so no confirm is needed.
	Callback bool `json:"callback,omitempty"`
}

// FileUploadReceiver is implemented by drivers whose direct uploads go to
// our own server (the local provider). AcceptDirectUpload checks the query
// of the upload request for name, consumes it (each URL works once) and
// returns what the upload may contain; CodeOperationForbidden when the
// URL is wrong, expired or used.
type FileUploadReceiver interface {
	AcceptDirectUpload(name string, query url.Values) (DirectUploadGrant, error)
}

// DirectUploadGrant is what a checked direct-upload URL allows.
type DirectUploadGrant struct {
	ContentType string
	Size        int64
}

// FileUploadCallback is implemented by drivers whose store reports direct
// uploads to a callback URL (Qiniu). VerifyUploadCallback checks that r
// comes from the store (its signature) and returns the stored file and the
// DirectUploadOptions.CallbackBody it carried. A forged report is
// CodeOperationForbidden.
type FileUploadCallback interface {
	VerifyUploadCallback(r *http.Request) (info FileInfo, body string, err error)
}

// FileThumbnailer is an optional driver ability: a URL of a thumbnail that
// the store renders itself (Qiniu imageView2). Drivers without it get
// thumbnails rendered by the files API.
type FileThumbnailer interface {
	ThumbnailURL(ctx context.Context, name string, thumb Thumb, expires time.Duration) (string, error)
}

// ThumbMode says how an image is fitted into a thumbnail's box.
type ThumbMode string

const (
	// ThumbFit scales the image to fit inside the box, keeping its ratio.
	ThumbFit ThumbMode = "fit"
	// ThumbCrop scales the image to cover the box and crops the overflow
	// around the center, so the thumbnail is exactly the box.
	ThumbCrop ThumbMode = "crop"
)

// Thumb is a thumbnail request: a box of Width x Height pixels.
type Thumb struct {
	Width, Height int
	Mode          ThumbMode
}

// MaxThumbSide bounds a thumbnail's side, so a request cannot ask for an
// expensive rendering.
const MaxThumbSide = 2048

// ParseThumb reads "200x200" and a mode ("", "fit" or "crop").
func ParseThumb(size, mode string) (Thumb, error) {
	w, h, ok := strings.Cut(size, "x")
	width, err1 := strconv.Atoi(w)
	height, err2 := strconv.Atoi(h)
	if !ok || err1 != nil || err2 != nil || width < 1 || height < 1 || width > MaxThumbSide || height > MaxThumbSide {
		return Thumb{}, Errorf(CodeInvalidValue, "thumb must be WIDTHxHEIGHT with sides from 1 to %d, like 200x200", MaxThumbSide)
	}
	t := Thumb{Width: width, Height: height, Mode: ThumbMode(mode)}
	switch t.Mode {
	case "":
		t.Mode = ThumbFit
	case ThumbFit, ThumbCrop:
	default:
		return Thumb{}, Errorf(CodeInvalidValue, "thumb mode must be fit or crop")
	}
	return t, nil
}

// String is the canonical form, "200x200-crop".
func (t Thumb) String() string { return fmt.Sprintf("%dx%d-%s", t.Width, t.Height, t.Mode) }

// FilesConfig is what a files provider is opened with: the ProviderEnv
// every kind gets (its section in Options, DataDir, and PublicURL, where the
// files API serves this app's files, for drivers that sign URLs for our
// own server).
type FilesConfig = ProviderEnv

// OpenFilesFunc opens a files provider.
type OpenFilesFunc = OpenFunc[FileDriver]

// FileProviders is the registry of files providers ("local", "qiniu", "s3").
var FileProviders = NewRegistry[OpenFilesFunc]("files")

// OpenFiles opens the named provider through the provider lifecycle
// (OpenProvider) and wraps it in Files.
func OpenFiles(ctx context.Context, provider string, cfg FilesConfig) (*Files, error) {
	d, err := OpenProvider(ctx, FileProviders, provider, cfg)
	if err != nil {
		return nil, err
	}
	return NewFiles(provider, d), nil
}

// ValidateFileName checks a name against the rules every driver relies on
// (see FileDriver). A bad name is CodeInvalidFileName.
func ValidateFileName(name string) error {
	bad := func(why string) error { return Errorf(CodeInvalidFileName, "invalid file name: %s", why) }
	switch {
	case name == "":
		return bad("it is empty")
	case len(name) > MaxFileNameLen:
		return bad(fmt.Sprintf("it is longer than %d bytes", MaxFileNameLen))
	case !utf8.ValidString(name):
		return bad("it is not UTF-8")
	}
	for _, r := range name {
		if r < 0x20 || r == 0x7f || r == '\\' || (r >= 0x80 && r < 0xa0) {
			return bad("it holds a control character or a backslash")
		}
	}
	for seg := range strings.SplitSeq(name, "/") {
		switch seg {
		case "":
			return bad("it has an empty path segment (a leading, trailing or double slash)")
		case ".", "..":
			return bad(`it has a "." or ".." path segment`)
		}
	}
	return nil
}

// Files is the portable files type the rest of the server uses. It checks
// names and arguments, enforces sizes while the bytes stream, turns driver
// errors into *Error with the codes of the FileDriver contract and exposes
// the optional abilities with a clear error when the driver lacks them.
type Files struct {
	provider string
	d        FileDriver
}

// NewFiles wraps a driver; provider is its name, for errors.
func NewFiles(provider string, d FileDriver) *Files { return &Files{provider: provider, d: d} }

// Provider is the name of the provider behind f.
func (f *Files) Provider() string { return f.provider }

// Driver returns the driver, for optional interfaces not wrapped here.
func (f *Files) Driver() FileDriver { return f.d }

// PutOptions describe one upload.
type PutOptions struct {
	// Size is the body's length when known, or -1. A body that turns out
	// longer or shorter is CodeInvalidContentLength and stores nothing.
	Size int64
	// ContentType is the body's media type (default
	// application/octet-stream).
	ContentType string
	// MaxSize, when > 0, caps the body: a larger one is CodeFileTooLarge
	// and stores nothing, even when Size was not known in advance.
	MaxSize int64
}

// Put streams r into the file name.
func (f *Files) Put(ctx context.Context, name string, r io.Reader, opts PutOptions) (FileInfo, error) {
	if err := ValidateFileName(name); err != nil {
		return FileInfo{}, err
	}
	if opts.Size < -1 {
		return FileInfo{}, Errorf(CodeInvalidContentLength, "invalid content length %d", opts.Size)
	}
	if opts.MaxSize > 0 && opts.Size > opts.MaxSize {
		return FileInfo{}, tooLarge(opts.MaxSize)
	}
	ct := opts.ContentType
	if ct == "" {
		ct = "application/octet-stream"
	}
	body := &checkedReader{r: r, want: opts.Size, max: opts.MaxSize}
	info, err := f.d.Put(ctx, name, body, opts.Size, ct)
	if err == nil && body.err == nil {
		// A driver that stopped reading before the end stored a truncated
		// file: catch it here rather than trust every driver.
		var one [1]byte
		if n, _ := body.Read(one[:]); n > 0 || (opts.Size >= 0 && body.n != opts.Size) {
			body.err = Internal(fmt.Errorf("files %s: put %q: the driver stopped reading after %d bytes", f.provider, name, body.n))
		}
	}
	if body.err != nil {
		// The body's own failure (too long, too large, a client that went
		// away) is the answer, whatever the driver made of it. A driver
		// that reported success despite it broke the contract: remove what
		// it stored rather than keep a truncated file.
		if err == nil {
			_ = f.d.Delete(context.WithoutCancel(ctx), name)
		}
		return FileInfo{}, body.err
	}
	if err != nil {
		return FileInfo{}, f.wrap("put", name, err, CodeFileSaveError, "Could not store file.")
	}
	return info, nil
}

// Get opens name, or a range of it.
func (f *Files) Get(ctx context.Context, name string, rng *ByteRange) (io.ReadCloser, FileInfo, error) {
	if err := ValidateFileName(name); err != nil {
		return nil, FileInfo{}, err
	}
	if rng != nil && (rng.Offset < 0 || rng.Length == 0 || rng.Length < -1) {
		return nil, FileInfo{}, Errorf(CodeInvalidValue, "invalid byte range")
	}
	rc, info, err := f.d.Get(ctx, name, rng)
	if err != nil {
		return nil, FileInfo{}, f.wrap("get", name, err, CodeInternalServerError, "")
	}
	return rc, info, nil
}

// Stat describes name.
func (f *Files) Stat(ctx context.Context, name string) (FileInfo, error) {
	if err := ValidateFileName(name); err != nil {
		return FileInfo{}, err
	}
	info, err := f.d.Stat(ctx, name)
	if err != nil {
		return FileInfo{}, f.wrap("stat", name, err, CodeInternalServerError, "")
	}
	return info, nil
}

// Delete removes name.
func (f *Files) Delete(ctx context.Context, name string) error {
	if err := ValidateFileName(name); err != nil {
		return err
	}
	if err := f.d.Delete(ctx, name); err != nil {
		return f.wrap("delete", name, err, CodeFileDeleteError, "Could not delete file.")
	}
	return nil
}

// List returns one page of names starting with opts.Prefix.
func (f *Files) List(ctx context.Context, opts ListOptions) (ListPage, error) {
	if opts.Limit <= 0 {
		opts.Limit = DefaultListLimit
	}
	opts.Limit = min(opts.Limit, MaxListLimit)
	if !utf8.ValidString(opts.Prefix) || len(opts.Prefix) > MaxFileNameLen {
		return ListPage{}, Errorf(CodeInvalidValue, "invalid list prefix")
	}
	page, err := f.d.List(ctx, opts)
	if err != nil {
		return ListPage{}, f.wrap("list", opts.Prefix, err, CodeInternalServerError, "")
	}
	return page, nil
}

// Walk calls fn for every file whose name starts with prefix, page by page,
// until fn returns an error (returned as is) or the listing ends.
func (f *Files) Walk(ctx context.Context, prefix string, fn func(FileInfo) error) error {
	opts := ListOptions{Prefix: prefix}
	for {
		page, err := f.List(ctx, opts)
		if err != nil {
			return err
		}
		for _, info := range page.Files {
			if err := fn(info); err != nil {
				return err
			}
		}
		if page.Next == "" {
			return nil
		}
		opts.Cursor = page.Next
	}
}

// SignedURL returns a URL that reads name until expires has passed, or
// CodeCommandUnavailable when the provider cannot sign URLs.
func (f *Files) SignedURL(ctx context.Context, name string, expires time.Duration) (string, error) {
	s, ok := f.d.(FileURLSigner)
	if !ok {
		return "", f.unavailable("signed URLs")
	}
	if err := ValidateFileName(name); err != nil {
		return "", err
	}
	if expires <= 0 {
		return "", Errorf(CodeInvalidValue, "a signed URL needs a positive expiry")
	}
	u, err := s.SignedURL(ctx, name, expires)
	if err != nil {
		return "", f.wrap("sign URL for", name, err, CodeInternalServerError, "")
	}
	return u, nil
}

// DirectUpload returns instructions for a client to upload name straight to
// the store, or CodeCommandUnavailable when the provider has none.
func (f *Files) DirectUpload(ctx context.Context, name string, opts DirectUploadOptions) (*DirectUpload, error) {
	du, ok := f.d.(FileDirectUploader)
	if !ok {
		return nil, f.unavailable("direct uploads")
	}
	if err := ValidateFileName(name); err != nil {
		return nil, err
	}
	if opts.ContentType == "" || opts.Size <= 0 || opts.Expires <= 0 {
		return nil, Errorf(CodeInvalidValue, "a direct upload needs a content type, a positive size and a positive expiry")
	}
	up, err := du.DirectUpload(ctx, name, opts)
	if err != nil {
		return nil, f.wrap("prepare direct upload of", name, err, CodeInternalServerError, "")
	}
	return up, nil
}

// ThumbnailURL returns the URL of a thumbnail rendered by the store, or
// CodeCommandUnavailable when the store renders none.
func (f *Files) ThumbnailURL(ctx context.Context, name string, t Thumb, expires time.Duration) (string, error) {
	th, ok := f.d.(FileThumbnailer)
	if !ok {
		return "", f.unavailable("thumbnails")
	}
	if err := ValidateFileName(name); err != nil {
		return "", err
	}
	u, err := th.ThumbnailURL(ctx, name, t, expires)
	if err != nil {
		return "", f.wrap("thumbnail", name, err, CodeInternalServerError, "")
	}
	return u, nil
}

// Close closes the driver.
func (f *Files) Close() error { return f.d.Close() }

func (f *Files) unavailable(what string) *Error {
	return Errorf(CodeCommandUnavailable, "the %s files provider does not support %s", f.provider, what)
}

// wrap keeps a driver's *Error (adding context to its cause) and turns
// anything else into code with a safe message; code internal keeps the
// generic message.
func (f *Files) wrap(op, name string, err error, code Code, msg string) error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	if code == CodeInternalServerError {
		return Internal(fmt.Errorf("files %s: %s %q: %w", f.provider, op, name, err))
	}
	return &Error{Code: code, Message: msg, Err: fmt.Errorf("files %s: %s %q: %w", f.provider, op, name, err)}
}

func tooLarge(max int64) *Error {
	return Errorf(CodeFileTooLarge, "the file is larger than the limit of %d bytes", max)
}

// checkedReader enforces a declared size and a maximum while the body
// streams, and remembers the first failure so Files.Put reports it even
// if the driver wraps or drops it. With a declared size it never hands a
// driver the last byte before it knows the body ends there: a driver that
// sends exactly Size bytes and stops reading (a single S3 PUT) would
// otherwise store a body that was really longer.
type checkedReader struct {
	r    io.Reader
	want int64 // -1: unknown
	max  int64 // 0: none
	n    int64
	eof  bool
	err  error
}

func (c *checkedReader) Read(p []byte) (int, error) {
	if c.err != nil {
		return 0, c.err
	}
	if c.eof {
		return 0, io.EOF
	}
	if c.want >= 0 && int64(len(p)) > c.want-c.n {
		p = p[:c.want-c.n]
	}
	var n int
	var err error
	if len(p) > 0 {
		n, err = c.r.Read(p)
	}
	c.n += int64(n)
	if c.want >= 0 && c.n == c.want && err == nil {
		err = c.peekEnd()
	}
	switch {
	case c.err != nil:
	case c.max > 0 && c.n > c.max:
		c.err = tooLarge(c.max)
	case err == io.EOF && c.want >= 0 && c.n < c.want:
		c.err = Errorf(CodeInvalidContentLength, "the body ended after %d of its declared %d bytes", c.n, c.want)
	case err != nil && err != io.EOF:
		var e *Error
		if errors.As(err, &e) {
			c.err = e
		} else {
			c.err = &Error{Code: CodeConnectionFailed, Message: "the upload was interrupted", Err: err}
		}
	}
	if c.err != nil {
		return 0, c.err
	}
	if err == io.EOF {
		c.eof = true
	}
	return n, err
}

// peekEnd reads past the declared end: io.EOF if the body ends there,
// a failure of its own, or (recorded in c.err) a body that is longer.
func (c *checkedReader) peekEnd() error {
	var one [1]byte
	for range 100 { // a Reader may return 0, nil; it may not do so forever
		m, err := c.r.Read(one[:])
		if m > 0 {
			c.err = Errorf(CodeInvalidContentLength, "the body is longer than its declared length of %d bytes", c.want)
			return c.err
		}
		if err != nil {
			return err
		}
	}
	return io.ErrNoProgress
}
