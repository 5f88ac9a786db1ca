// Package local is the "local" files provider, the embedded default: files
// live on the server's own disk, under the data folder.
//
// Layout under dir: objects/<name> holds the bytes (a name's "/" are
// subfolders), meta/<name> a small JSON document with its content type,
// and tmp/ the uploads in progress. A Put writes to a fresh temporary
// file, fsyncs it and renames it over the old file, so readers see the old
// bytes or the whole new ones and a failed or interrupted Put leaves
// nothing but a temporary file that is removed at once (or, after a crash,
// when the provider next opens).
//
// Signed URLs and direct uploads point at our own server: the files API
// serves PublicURL/<name> and checks the query with VerifySignedURL (a
// download) or AcceptDirectUpload (a one-time upload), both HMAC-SHA256
// over the name, the expiry and the upload's limits with the provider's
// secret.
//
// Options (files.local):
//
//	dir     string, optional. The folder; relative paths are under the data
//	        folder. Default "files".
//	secret  string, optional. The HMAC key of signed URLs, at least 32
//	        characters. Default: a random key kept in dir/secret (created
//	        on first start), so URLs survive a restart.
package local

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"mime"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/switchboardhq/switchboard/core"
)

// Name is the provider's name in core.FileProviders.
const Name = "local"

func init() { core.FileProviders.Register(Name, Open) }

// Options is the files.local config section.
type Options struct {
	Dir    string `json:"dir"`
	Secret string `json:"secret"`
}

// Driver is the local provider.
type Driver struct {
	root      string // absolute
	publicURL string
	secret    []byte
	now       func() time.Time

	mu   sync.Mutex
	used map[string]time.Time // consumed upload signatures → their expiry
}

var (
	_ core.FileDriver         = (*Driver)(nil)
	_ core.FileURLSigner      = (*Driver)(nil)
	_ core.FileURLVerifier    = (*Driver)(nil)
	_ core.FileDirectUploader = (*Driver)(nil)
	_ core.FileUploadReceiver = (*Driver)(nil)
)

// Open implements core.OpenFilesFunc.
func Open(_ context.Context, cfg core.FilesConfig) (core.FileDriver, error) {
	opts := Options{Dir: "files"}
	if err := core.DecodeOptions(cfg.Options, &opts); err != nil {
		return nil, err
	}
	return New(cfg.DataDir, cfg.PublicURL, opts)
}

// New opens the provider outside the registry.
func New(dataDir, publicURL string, opts Options) (*Driver, error) {
	root := opts.Dir
	if root == "" {
		root = "files"
	}
	if !filepath.IsAbs(root) {
		root = filepath.Join(dataDir, root)
	}
	root, err := filepath.Abs(root)
	if err != nil {
		return nil, fmt.Errorf("files.local: dir: %w", err)
	}
	for _, sub := range []string{"objects", "meta", "tmp"} {
		if err := os.MkdirAll(filepath.Join(root, sub), 0o750); err != nil {
			return nil, fmt.Errorf("files.local: creating %s: %w (check dir and its permissions)", filepath.Join(root, sub), err)
		}
	}
	d := &Driver{root: root, publicURL: strings.TrimRight(publicURL, "/"), now: time.Now, used: map[string]time.Time{}}
	if opts.Secret != "" {
		if len(opts.Secret) < 32 {
			return nil, errors.New("files.local: secret must be at least 32 characters")
		}
		d.secret = []byte(opts.Secret)
	} else if d.secret, err = loadSecret(filepath.Join(root, "secret")); err != nil {
		return nil, err
	}
	d.sweepTemp()
	return d, nil
}

// loadSecret reads the key file, creating it with a random key the first
// time.
func loadSecret(file string) ([]byte, error) {
	b, err := os.ReadFile(file)
	if err == nil && len(b) >= 32 {
		return b, nil
	}
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("files.local: reading %s: %w", file, err)
	}
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	key = []byte(hex.EncodeToString(key))
	f, err := os.OpenFile(file, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		// Another process created it between our read and our create.
		return loadSecret(file)
	}
	if err != nil {
		return nil, fmt.Errorf("files.local: creating %s: %w", file, err)
	}
	defer f.Close()
	if _, err := f.Write(key); err != nil {
		return nil, fmt.Errorf("files.local: writing %s: %w", file, err)
	}
	return key, f.Sync()
}

// sweepTemp removes uploads that a crashed process left behind. Only old
// ones: another process may share the folder and be uploading now.
func (d *Driver) sweepTemp() {
	entries, _ := os.ReadDir(filepath.Join(d.root, "tmp"))
	for _, e := range entries {
		if info, err := e.Info(); err == nil && d.now().Sub(info.ModTime()) > time.Hour {
			_ = os.Remove(filepath.Join(d.root, "tmp", e.Name()))
		}
	}
}

// Root is the folder the provider keeps its files in.
func (d *Driver) Root() string { return d.root }

func (d *Driver) objectPath(name string) string {
	return filepath.Join(d.root, "objects", filepath.FromSlash(name))
}

func (d *Driver) metaPath(name string) string {
	return filepath.Join(d.root, "meta", filepath.FromSlash(name))
}

type meta struct {
	ContentType string `json:"contentType"`
}

// Put implements core.FileDriver.
func (d *Driver) Put(ctx context.Context, name string, r io.Reader, _ int64, contentType string) (core.FileInfo, error) {
	obj := d.objectPath(name)
	if st, err := os.Lstat(obj); err == nil && st.IsDir() {
		return core.FileInfo{}, d.fsError("put", name, syscallEISDIR)
	}
	if err := os.MkdirAll(filepath.Dir(obj), 0o750); err != nil {
		return core.FileInfo{}, d.fsError("put", name, err)
	}
	tmp, err := os.CreateTemp(filepath.Join(d.root, "tmp"), "put-*")
	if err != nil {
		return core.FileInfo{}, d.fsError("put", name, err)
	}
	committed := false
	defer func() {
		if !committed {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if _, err := io.Copy(tmp, ctxReader{ctx, r}); err != nil {
		return core.FileInfo{}, asError(err, "storing the upload")
	}
	if err := tmp.Sync(); err != nil {
		return core.FileInfo{}, d.fsError("put", name, err)
	}
	if err := tmp.Close(); err != nil {
		return core.FileInfo{}, d.fsError("put", name, err)
	}
	if err := ctx.Err(); err != nil {
		return core.FileInfo{}, canceled(err)
	}
	// The content type goes in first: a crash between the two renames
	// leaves the new type on the old bytes, never new bytes untyped.
	if err := d.writeMeta(name, meta{ContentType: contentType}); err != nil {
		return core.FileInfo{}, d.fsError("put", name, err)
	}
	if err := os.Rename(tmp.Name(), obj); err != nil {
		return core.FileInfo{}, d.fsError("put", name, err)
	}
	committed = true
	syncDir(filepath.Dir(obj))
	return d.Stat(ctx, name)
}

func (d *Driver) writeMeta(name string, m meta) error {
	p := d.metaPath(name)
	if err := os.MkdirAll(filepath.Dir(p), 0o750); err != nil {
		return err
	}
	b, _ := json.Marshal(m)
	tmp, err := os.CreateTemp(filepath.Join(d.root, "tmp"), "meta-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), p)
}

// syncDir makes a rename durable. Best effort: some file systems refuse to
// fsync a directory, and the rename itself already happened.
func syncDir(dir string) {
	if f, err := os.Open(dir); err == nil {
		_ = f.Sync()
		f.Close()
	}
}

// Get implements core.FileDriver.
func (d *Driver) Get(_ context.Context, name string, rng *core.ByteRange) (io.ReadCloser, core.FileInfo, error) {
	f, err := os.Open(d.objectPath(name))
	if err != nil {
		return nil, core.FileInfo{}, d.fsError("get", name, err)
	}
	// Describe the handle we hold, not the path: a Put that replaces the
	// file meanwhile does not change what this reader returns.
	st, err := f.Stat()
	if err != nil || !st.Mode().IsRegular() {
		f.Close()
		if err == nil {
			return nil, core.FileInfo{}, core.ErrNotFound()
		}
		return nil, core.FileInfo{}, d.fsError("get", name, err)
	}
	info := d.info(name, st)
	if rng == nil {
		return f, info, nil
	}
	if rng.Offset >= st.Size() {
		f.Close()
		return nil, core.FileInfo{}, core.Errorf(core.CodeInvalidValue, "range starts at %d, past the end of the %d-byte file", rng.Offset, st.Size())
	}
	if _, err := f.Seek(rng.Offset, io.SeekStart); err != nil {
		f.Close()
		return nil, core.FileInfo{}, d.fsError("get", name, err)
	}
	n := st.Size() - rng.Offset
	if rng.Length > 0 {
		n = min(n, rng.Length)
	}
	return readCloser{io.LimitReader(f, n), f}, info, nil
}

type readCloser struct {
	io.Reader
	io.Closer
}

// Stat implements core.FileDriver.
func (d *Driver) Stat(_ context.Context, name string) (core.FileInfo, error) {
	st, err := os.Stat(d.objectPath(name))
	if err != nil {
		return core.FileInfo{}, d.fsError("stat", name, err)
	}
	if !st.Mode().IsRegular() {
		return core.FileInfo{}, core.ErrNotFound()
	}
	return d.info(name, st), nil
}

// info describes a stored file. The ETag derives from the size and the
// modification time in nanoseconds, which every rename into place changes,
// so it costs no hashing on upload.
func (d *Driver) info(name string, st os.FileInfo) core.FileInfo {
	return core.FileInfo{
		Name:        name,
		Size:        st.Size(),
		ContentType: d.contentType(name),
		ETag:        strconv.FormatInt(st.Size(), 16) + "-" + strconv.FormatInt(st.ModTime().UnixNano(), 16),
		ModTime:     st.ModTime().UTC(),
	}
}

func (d *Driver) contentType(name string) string {
	var m meta
	if b, err := os.ReadFile(d.metaPath(name)); err == nil && json.Unmarshal(b, &m) == nil && m.ContentType != "" {
		return m.ContentType
	}
	if t := mime.TypeByExtension(path.Ext(name)); t != "" {
		return t
	}
	return "application/octet-stream"
}

// Delete implements core.FileDriver.
func (d *Driver) Delete(_ context.Context, name string) error {
	obj := d.objectPath(name)
	st, err := os.Lstat(obj)
	if err == nil && !st.Mode().IsRegular() {
		return core.ErrNotFound()
	}
	if err == nil {
		err = os.Remove(obj)
	}
	if err != nil {
		return d.fsError("delete", name, err)
	}
	_ = os.Remove(d.metaPath(name))
	d.pruneDirs(filepath.Dir(obj), filepath.Join(d.root, "objects"))
	d.pruneDirs(filepath.Dir(d.metaPath(name)), filepath.Join(d.root, "meta"))
	return nil
}

// pruneDirs removes the empty folders a deleted name leaves, up to stop.
func (d *Driver) pruneDirs(dir, stop string) {
	for dir != stop && strings.HasPrefix(dir, stop) {
		if os.Remove(dir) != nil { // not empty, or gone
			return
		}
		dir = filepath.Dir(dir)
	}
}

// List implements core.FileDriver. The folder walk does not visit names in
// byte order ("a/b" comes before "a-c" in a walk, after it as strings), so
// the names under the prefix are collected and sorted; the cursor is the
// last name of the previous page.
func (d *Driver) List(ctx context.Context, opts core.ListOptions) (core.ListPage, error) {
	base := filepath.Join(d.root, "objects")
	start := base
	if i := strings.LastIndex(opts.Prefix, "/"); i > 0 && core.ValidateFileName(opts.Prefix[:i]) == nil {
		start = filepath.Join(base, filepath.FromSlash(opts.Prefix[:i]))
	}
	var names []string
	err := filepath.WalkDir(start, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if !e.Type().IsRegular() {
			return nil
		}
		rel, err := filepath.Rel(base, p)
		if err != nil {
			return err
		}
		name := filepath.ToSlash(rel)
		if strings.HasPrefix(name, opts.Prefix) && name > opts.Cursor {
			names = append(names, name)
		}
		return nil
	})
	if err != nil {
		return core.ListPage{}, asError(err, "listing files")
	}
	slices.Sort(names)
	var page core.ListPage
	for _, name := range names {
		if len(page.Files) == opts.Limit {
			page.Next = page.Files[len(page.Files)-1].Name
			break
		}
		st, err := os.Stat(d.objectPath(name))
		if err != nil {
			continue // deleted since the walk
		}
		page.Files = append(page.Files, d.info(name, st))
	}
	return page, nil
}

// Close implements core.FileDriver.
func (d *Driver) Close() error { return nil }

// SignedURL implements core.FileURLSigner: PublicURL/<name>?exp=&sig=.
func (d *Driver) SignedURL(_ context.Context, name string, expires time.Duration) (string, error) {
	if d.publicURL == "" {
		return "", core.Internal(errors.New("files.local: signed URLs need the files API's public URL (FilesConfig.PublicURL)"))
	}
	exp := strconv.FormatInt(d.now().Add(expires).Unix(), 10)
	q := url.Values{"exp": {exp}, "sig": {d.sign("GET", name, exp)}}
	return d.publicURL + "/" + escapeName(name) + "?" + q.Encode(), nil
}

// VerifySignedURL implements core.FileURLVerifier.
func (d *Driver) VerifySignedURL(name string, q url.Values) error {
	exp := q.Get("exp")
	if err := d.checkExpiry(exp); err != nil {
		return err
	}
	if !d.equalSig(q.Get("sig"), d.sign("GET", name, exp)) {
		return forbidden("the signature of this URL does not match")
	}
	return nil
}

// DirectUpload implements core.FileDirectUploader: a one-time PUT to
// PublicURL/<name>, signed over the name, expiry, content type, exact size
// and a nonce.
func (d *Driver) DirectUpload(_ context.Context, name string, opts core.DirectUploadOptions) (*core.DirectUpload, error) {
	if d.publicURL == "" {
		return nil, core.Internal(errors.New("files.local: direct uploads need the files API's public URL (FilesConfig.PublicURL)"))
	}
	expiresAt := d.now().Add(opts.Expires)
	exp := strconv.FormatInt(expiresAt.Unix(), 10)
	nonce := make([]byte, 16)
	_, _ = rand.Read(nonce)
	q := url.Values{
		"exp":   {exp},
		"ct":    {opts.ContentType},
		"size":  {strconv.FormatInt(opts.Size, 10)},
		"nonce": {hex.EncodeToString(nonce)},
	}
	q.Set("sig", d.sign("PUT", name, exp, q.Get("ct"), q.Get("size"), q.Get("nonce")))
	return &core.DirectUpload{
		Method:    "PUT",
		URL:       d.publicURL + "/" + escapeName(name) + "?" + q.Encode(),
		Headers:   map[string]string{"Content-Type": opts.ContentType},
		ExpiresAt: expiresAt.UTC().Truncate(time.Second),
	}, nil
}

// AcceptDirectUpload implements core.FileUploadReceiver. A URL is good for
// one upload: its signature is remembered until it expires.
func (d *Driver) AcceptDirectUpload(name string, q url.Values) (core.DirectUploadGrant, error) {
	exp, ct, sizeStr, nonce := q.Get("exp"), q.Get("ct"), q.Get("size"), q.Get("nonce")
	if err := d.checkExpiry(exp); err != nil {
		return core.DirectUploadGrant{}, err
	}
	sig := q.Get("sig")
	if nonce == "" || !d.equalSig(sig, d.sign("PUT", name, exp, ct, sizeStr, nonce)) {
		return core.DirectUploadGrant{}, forbidden("the signature of this upload URL does not match")
	}
	size, err := strconv.ParseInt(sizeStr, 10, 64)
	if err != nil || size <= 0 {
		return core.DirectUploadGrant{}, forbidden("the upload URL has no valid size")
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	now := d.now()
	for s, until := range d.used {
		if now.After(until) {
			delete(d.used, s)
		}
	}
	if _, dup := d.used[sig]; dup {
		return core.DirectUploadGrant{}, forbidden("this upload URL was already used; ask for a new one")
	}
	expAt, _ := strconv.ParseInt(exp, 10, 64)
	d.used[sig] = time.Unix(expAt, 0).Add(time.Second)
	return core.DirectUploadGrant{ContentType: ct, Size: size}, nil
}

func (d *Driver) checkExpiry(exp string) error {
	t, err := strconv.ParseInt(exp, 10, 64)
	if err != nil {
		return forbidden("the URL has no valid expiry; ask for a new one")
	}
	if d.now().Unix() > t {
		return forbidden("the URL has expired; ask for a new one")
	}
	return nil
}

// sign is HMAC-SHA256 over the parts, each on its own line: a name cannot
// hold a newline, so no two different inputs sign the same text.
func (d *Driver) sign(parts ...string) string {
	m := hmac.New(sha256.New, d.secret)
	m.Write([]byte(strings.Join(parts, "\n")))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

func (d *Driver) equalSig(got, want string) bool {
	return got != "" && subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}

func forbidden(msg string) *core.Error { return core.Errorf(core.CodeOperationForbidden, "%s", msg) }

// escapeName escapes each segment of a name for a URL path.
func escapeName(name string) string {
	segs := strings.Split(name, "/")
	for i, s := range segs {
		segs[i] = url.PathEscape(s)
	}
	return strings.Join(segs, "/")
}

// fsError maps a file-system error to the contract's codes.
func (d *Driver) fsError(op, name string, err error) error {
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return core.ErrNotFound()
	case errors.Is(err, syscallENAMETOOLONG):
		return core.Errorf(core.CodeInvalidFileName, "invalid file name: too long for the disk")
	case errors.Is(err, syscallENOTDIR), errors.Is(err, syscallEISDIR), errors.Is(err, syscallEEXIST):
		// "a/b" when "a" is a file, or "a" when "a/b" exists.
		if op == "put" {
			return core.Errorf(core.CodeInvalidFileName, "invalid file name: %q clashes with a folder or file of the same name", name)
		}
		return core.ErrNotFound()
	}
	return core.Internal(fmt.Errorf("files.local: %s %q: %w", op, name, err))
}

// asError keeps an *Error that came through a reader (the caller's own
// failure) and treats other failures while copying as a disk problem.
func asError(err error, doing string) error {
	var e *core.Error
	if errors.As(err, &e) {
		return e
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return canceled(err)
	}
	return core.Internal(fmt.Errorf("files.local: %s: %w", doing, err))
}

func canceled(err error) *core.Error {
	return &core.Error{Code: core.CodeConnectionFailed, Message: "the upload was canceled", Err: err}
}

// ctxReader stops a copy once ctx ends, so a canceled Put returns promptly
// even while its source keeps delivering.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
