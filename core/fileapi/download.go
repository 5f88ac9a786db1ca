package fileapi

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/switchboardhq/switchboard/core"
	"github.com/switchboardhq/switchboard/core/fileapi/thumbnail"
)

// download serves GET and HEAD /files/:appId/:name.
func (h *Handler) download(w http.ResponseWriter, r *http.Request, appID, name string) error {
	if appID != h.opts.AppID {
		return core.ErrNotFound()
	}
	if err := checkStoredName(name); err != nil {
		return err
	}
	ctx := r.Context()
	rec, _, err := h.lookup(ctx, name)
	if err != nil {
		return err
	}
	signed, err := h.checkSignature(name, r)
	if err != nil {
		return err
	}
	if !signed {
		if err := h.allowDownload(r, rec); err != nil {
			return err
		}
	}
	q := r.URL.Query()
	if size := q.Get("thumb"); size != "" {
		if h.opts.Thumbnails.Disabled {
			return core.Errorf(core.CodeCommandUnavailable, "thumbnails are turned off")
		}
		t, err := core.ParseThumb(size, q.Get("mode"))
		if err != nil {
			return err
		}
		return h.thumbnail(w, r, name, t, rec.Protected || signed)
	}
	if h.opts.RedirectDownloads {
		if _, ok := h.files.Driver().(core.FileURLVerifier); !ok {
			if u, err := h.files.SignedURL(ctx, name, h.opts.SignedURLTTL); err == nil {
				w.Header().Set("Cache-Control", "no-store")
				http.Redirect(w, r, u, http.StatusFound)
				return nil
			} else if !core.IsCode(err, core.CodeCommandUnavailable) {
				return err
			}
		}
	}
	info, err := h.files.Stat(ctx, name)
	if err != nil {
		return err
	}
	h.fileHeaders(w, info, rec.Protected || signed)
	http.ServeContent(w, r, "", info.ModTime, &lazyReader{ctx: ctx, files: h.files, name: name, size: info.Size})
	return nil
}

// checkSignature reports whether the request carries a valid signature of
// our own server (the local provider's signed URLs). A request with a
// signature that is wrong or expired is refused, even for a public file,
// so that a client learns its URL is bad.
func (h *Handler) checkSignature(name string, r *http.Request) (bool, error) {
	v, ok := h.files.Driver().(core.FileURLVerifier)
	q := r.URL.Query()
	if !ok || (!q.Has("sig") && !q.Has("exp")) {
		return false, nil
	}
	if err := v.VerifySignedURL(name, q); err != nil {
		return false, err
	}
	return true, nil
}

// allowDownload decides an unsigned download: the policy, if any, and for
// a protected file the master key only. Everyone else reads a protected
// file through a signed URL, handed out (FileURL, FileURLs) to callers
// who may read an object holding the file and whom the policy allows: a
// policy that allows downloads in general must not open the plain URL.
func (h *Handler) allowDownload(r *http.Request, rec Record) error {
	if !rec.Protected && h.opts.Authorize == nil {
		return nil
	}
	var auth *core.Auth
	if r.Header.Get("X-Parse-Application-Id") != "" {
		a, err := h.authenticate(r, nil)
		if err != nil {
			return err
		}
		auth = a
	} else {
		auth = &core.Auth{}
	}
	if rec.Protected && !auth.Master {
		return core.Errorf(core.CodeOperationForbidden, "this file is protected: ask for a signed URL")
	}
	return h.authorize(r.Context(), ActionDownload, auth, rec)
}

// fileHeaders sets what every file answer carries. Files are served from
// the API's own origin, so nothing uploaded may run there: the type is
// never sniffed, the Content-Security-Policy sandboxes any document, and a
// type a browser would render as a page or script is served as a download.
func (h *Handler) fileHeaders(w http.ResponseWriter, info core.FileInfo, private bool) {
	hd := w.Header()
	hd.Set("Content-Type", info.ContentType)
	if info.ETag != "" {
		hd.Set("ETag", `"`+info.ETag+`"`)
	}
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; sandbox")
	if DangerousType(info.Name, info.ContentType) {
		hd.Set("Content-Disposition", "attachment")
	}
	if private {
		hd.Set("Cache-Control", "private, max-age=60")
	} else {
		hd.Set("Cache-Control", h.opts.CacheControl)
	}
}

// lazyReader is an io.ReadSeeker over a stored file for http.ServeContent:
// a Seek only moves the offset, and a Read opens a ranged Get from there,
// so a range request reads only its bytes and nothing is held in memory.
type lazyReader struct {
	ctx    context.Context
	files  *core.Files
	name   string
	size   int64
	offset int64
	rc     io.ReadCloser
}

func (l *lazyReader) Seek(offset int64, whence int) (int64, error) {
	switch whence {
	case io.SeekStart:
	case io.SeekCurrent:
		offset += l.offset
	case io.SeekEnd:
		offset += l.size
	}
	if offset < 0 {
		return 0, errors.New("seek before the start")
	}
	if offset != l.offset && l.rc != nil {
		l.rc.Close()
		l.rc = nil
	}
	l.offset = offset
	return offset, nil
}

func (l *lazyReader) Read(p []byte) (int, error) {
	if l.offset >= l.size {
		l.close()
		return 0, io.EOF
	}
	if l.rc == nil {
		rc, _, err := l.files.Get(l.ctx, l.name, &core.ByteRange{Offset: l.offset, Length: -1})
		if err != nil {
			return 0, err
		}
		l.rc = rc
	}
	n, err := l.rc.Read(p)
	l.offset += int64(n)
	if err == io.EOF || l.offset >= l.size {
		l.close()
		if l.offset < l.size {
			return n, io.ErrUnexpectedEOF // the file shrank under us
		}
		err = nil
		if n == 0 {
			err = io.EOF
		}
	}
	return n, err
}

func (l *lazyReader) close() {
	if l.rc != nil {
		l.rc.Close()
		l.rc = nil
	}
}

// thumbnail answers ?thumb=: a redirect to the store's own rendering
// (Qiniu), or a rendering of ours, cached in the store next to nothing a
// client can upload (_thumbs/<name>/...).
func (h *Handler) thumbnail(w http.ResponseWriter, r *http.Request, name string, t core.Thumb, private bool) error {
	ctx := r.Context()
	info, err := h.files.Stat(ctx, name)
	if err != nil {
		return err
	}
	if !strings.HasPrefix(info.ContentType, "image/") || DangerousType(name, info.ContentType) {
		return core.Errorf(core.CodeInvalidImageData, "thumbnails are made of JPEG, PNG, GIF and WebP images only")
	}
	if _, ok := h.files.Driver().(core.FileThumbnailer); ok {
		u, err := h.files.ThumbnailURL(ctx, name, t, h.opts.SignedURLTTL)
		if err != nil {
			return err
		}
		w.Header().Set("Cache-Control", "no-store")
		http.Redirect(w, r, u, http.StatusFound)
		return nil
	}
	// The cache key holds the source's ETag: a replaced file (with
	// preserveFileName) gets new thumbnails.
	sum := sha256.Sum256([]byte(info.ETag))
	cached := thumbPrefix(name) + hex.EncodeToString(sum[:8]) + "-" + t.String()
	var out []byte
	ct := "image/png"
	if rc, ci, err := h.files.Get(ctx, cached, nil); err == nil {
		out, err = io.ReadAll(io.LimitReader(rc, thumbnail.DefaultMaxSourceBytes))
		rc.Close()
		if err != nil {
			return core.Internal(err)
		}
		ct = ci.ContentType
	} else {
		rc, _, err := h.files.Get(ctx, name, nil)
		if err != nil {
			return err
		}
		out, ct, err = thumbnail.Render(rc, t, h.opts.Thumbnails.Limits)
		rc.Close()
		if err != nil {
			return err
		}
		if _, err := h.files.Put(ctx, cached, bytes.NewReader(out), core.PutOptions{Size: int64(len(out)), ContentType: ct}); err != nil {
			h.logger(ctx).Warn("caching a thumbnail", "file", name, "err", err)
		}
	}
	h.fileHeaders(w, core.FileInfo{Name: name, ContentType: ct, ETag: fmt.Sprintf("%s-%s", info.ETag, t)}, private)
	http.ServeContent(w, r, "", info.ModTime, bytes.NewReader(out))
	return nil
}

// now is the handler's clock.
func (h *Handler) now() time.Time { return h.opts.Now() }
