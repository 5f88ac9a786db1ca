package fileapi

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"strings"

	"github.com/switchboardhq/switchboard/core"
)

// upload serves POST /files/:name.
func (h *Handler) upload(w http.ResponseWriter, r *http.Request, original string) error {
	if err := checkUploadName(original); err != nil {
		return err
	}
	if r.ContentLength > h.envelopeLimit() || (r.ContentLength > h.opts.MaxUploadSize && !maybeEnvelope(r)) {
		return core.Errorf(core.CodeFileTooLarge, "the file is larger than the limit of %d bytes", h.opts.MaxUploadSize)
	}
	r.Body = http.MaxBytesReader(w, r.Body, h.envelopeLimit())
	body := bufio.NewReaderSize(r.Body, 32<<10)
	first, err := body.Peek(1)
	if len(first) == 0 {
		if err != nil && err != io.EOF {
			return readErr(err)
		}
		return core.Errorf(core.CodeFileSaveError, "Invalid file upload.")
	}
	in := incoming{original: original, size: r.ContentLength, body: body, declaredType: r.Header.Get("Content-Type")}
	if maybeEnvelope(r) && first[0] == '{' {
		spool, err := h.readEnvelope(r, body, &in)
		if spool != nil {
			defer func() { spool.Close(); os.Remove(spool.Name()) }()
		}
		if err != nil {
			return err
		}
	} else {
		if in.auth, err = h.authenticate(r, nil); err != nil {
			return err
		}
		if in.metadata, in.tags, err = fileDataHeaders(r.Header); err != nil {
			return err
		}
	}
	stored, err := h.storeIncoming(r.Context(), &in)
	if err != nil {
		return err
	}
	answer(w, stored, http.StatusCreated)
	return nil
}

// fileDataHeaders reads the metadata and tags that the JS SDK sends in
// headers with a raw (streamed) upload: X-Parse-File-Metadata and
// X-Parse-File-Tags, each a JSON object.
func fileDataHeaders(hd http.Header) (metadata, tags map[string]any, err error) {
	for _, f := range []struct {
		header string
		dst    *map[string]any
	}{{"X-Parse-File-Metadata", &metadata}, {"X-Parse-File-Tags", &tags}} {
		v := hd.Get(f.header)
		if v == "" {
			continue
		}
		if err := json.Unmarshal([]byte(v), f.dst); err != nil || *f.dst == nil {
			return nil, nil, core.Errorf(core.CodeInvalidJSON, "%s must be a JSON object", f.header)
		}
	}
	return metadata, tags, nil
}

// maybeEnvelope tells whether the body may be the JS SDK's JSON envelope:
// as in Parse Server, only when the app id is not in a header (the SDK
// then puts it in the body).
func maybeEnvelope(r *http.Request) bool {
	return r.Header.Get("X-Parse-Application-Id") == ""
}

// envelopeLimit bounds the request body: a file of MaxUploadSize bytes in
// base64 is 4/3 as long, plus the envelope's other members.
func (h *Handler) envelopeLimit() int64 {
	return h.opts.MaxUploadSize/3*4 + 8 + maxEnvelopeMember*maxEnvelopeString/8
}

// incoming is one upload on its way in.
type incoming struct {
	auth         *core.Auth
	original     string
	declaredType string
	size         int64 // -1: unknown
	body         io.Reader
	metadata     map[string]any
	tags         map[string]any
}

// readEnvelope decodes a JSON-envelope upload into a spool file and
// authenticates with its fields.
func (h *Handler) readEnvelope(r *http.Request, body *bufio.Reader, in *incoming) (*os.File, error) {
	spool, err := os.CreateTemp(h.opts.TempDir, "switchboard-upload-*")
	if err != nil {
		return nil, core.Internal(err)
	}
	env, err := scanEnvelope(body, spool, h.opts.MaxUploadSize)
	if err != nil {
		return spool, err
	}
	if !env.hasData {
		return spool, core.Errorf(core.CodeFileSaveError, "Invalid file upload: no base64 data.")
	}
	if in.auth, err = h.authenticate(r, env.fields); err != nil {
		return spool, err
	}
	if env.size == 0 {
		return spool, core.Errorf(core.CodeFileSaveError, "Invalid file upload.")
	}
	in.declaredType = env.fields["_ContentType"]
	if in.declaredType == "" {
		in.declaredType = env.dataType
	}
	if len(env.fileData) > 0 && string(env.fileData) != "null" {
		var fd struct {
			Metadata map[string]any `json:"metadata"`
			Tags     map[string]any `json:"tags"`
		}
		if err := json.Unmarshal(env.fileData, &fd); err != nil {
			return spool, core.Errorf(core.CodeInvalidJSON, "fileData must be an object with metadata and tags objects")
		}
		in.metadata, in.tags = fd.Metadata, fd.Tags
	}
	if _, err := spool.Seek(0, io.SeekStart); err != nil {
		return spool, core.Internal(err)
	}
	in.size, in.body = env.size, spool
	return spool, nil
}

// storeIncoming runs the rules and triggers around one upload.
func (h *Handler) storeIncoming(ctx context.Context, in *incoming) (Stored, error) {
	contentType, err := contentTypeFor(in.declaredType, in.original)
	if err != nil {
		return Stored{}, err
	}
	e, err := h.admit(ctx, in.auth, in.original, contentType, in.size, in.metadata, in.tags)
	if err != nil {
		return Stored{}, err
	}
	info, err := h.files.Put(ctx, e.Name, in.body, core.PutOptions{Size: in.size, ContentType: contentType, MaxSize: h.opts.MaxUploadSize})
	if err != nil {
		return Stored{}, err
	}
	return h.complete(ctx, e, info)
}

// admit checks an upload before any byte is stored: the caller, the
// name and type, the policy and BeforeSave. It returns the event with the
// stored name.
func (h *Handler) admit(ctx context.Context, auth *core.Auth, original, contentType string, size int64, metadata, tags map[string]any) (*FileEvent, error) {
	if err := h.checkCaller(ctx, auth); err != nil {
		return nil, err
	}
	if err := h.checkType(auth, original, contentType); err != nil {
		return nil, err
	}
	e := &FileEvent{
		Action: ActionUpload, Auth: auth, Name: h.storedName(original), OriginalName: original,
		ContentType: contentType, Size: size, Protected: h.opts.ProtectByDefault, Metadata: metadata, Tags: tags,
	}
	if err := h.authorize(ctx, ActionUpload, auth, e.record()); err != nil {
		return nil, err
	}
	if h.opts.BeforeSave != nil {
		stored := e.Name
		if err := h.opts.BeforeSave(ctx, e); err != nil {
			return nil, triggerError(err)
		}
		// A trigger may rename the file; the new name must be one the
		// download route can serve.
		if e.Name != stored {
			if err := checkStoredName(e.Name); err != nil {
				return nil, err
			}
		}
	}
	if e.Protected && h.opts.Registry == nil {
		return nil, core.Internal(errors.New("fileapi: a protected upload needs a Registry"))
	}
	return e, nil
}

func (e *FileEvent) record() Record {
	owner := ""
	if e.Auth != nil {
		owner = e.Auth.UserID
	}
	return Record{Name: e.Name, ContentType: e.ContentType, Size: e.Size, Protected: e.Protected, Owner: owner, Metadata: e.Metadata, Tags: e.Tags}
}

// triggerError keeps a trigger's *core.Error and reports anything else as
// a failed script (141), as Parse does.
func triggerError(err error) error {
	var ce *core.Error
	if errors.As(err, &ce) {
		return ce
	}
	return &core.Error{Code: core.CodeScriptFailed, Message: err.Error(), Err: err}
}

// complete registers a stored file and runs AfterSave. A file that
// cannot be registered is deleted: nothing is kept that the server does
// not know about.
func (h *Handler) complete(ctx context.Context, e *FileEvent, info core.FileInfo) (Stored, error) {
	e.Info, e.Size = info, info.Size
	if h.opts.Registry != nil {
		rec := e.record()
		rec.ETag, rec.CreatedAt = info.ETag, h.opts.Now().UTC()
		if err := h.opts.Registry.Register(ctx, rec); err != nil {
			if derr := h.files.Delete(context.WithoutCancel(ctx), e.Name); derr != nil && !core.IsCode(derr, core.CodeFileDeleteError) {
				h.logger(ctx).Error("removing a file that could not be registered", "file", e.Name, "err", derr)
			}
			return Stored{}, err
		}
	}
	url := h.fileURL(e.Name)
	if e.Protected {
		signed, err := h.files.SignedURL(ctx, e.Name, h.opts.SignedURLTTL)
		if err != nil {
			return Stored{}, err
		}
		url = signed
	}
	e.URL = url
	if h.opts.AfterSave != nil {
		// The file is saved; a failing AfterSave is logged, not undone, as
		// in Parse.
		if err := h.opts.AfterSave(ctx, e); err != nil {
			h.logger(ctx).Warn("afterSave file trigger failed", "file", e.Name, "err", err)
		}
	}
	return Stored{Name: e.Name, URL: url, ContentType: e.ContentType, Size: info.Size, Protected: e.Protected}, nil
}

// answer is the reply to a finished upload: {url, name} and Location.
func answer(w http.ResponseWriter, s Stored, status int) {
	w.Header().Set("Location", s.URL)
	writeJSON(w, status, map[string]string{"url": s.URL, "name": s.Name})
}

// delete serves DELETE /files/:name: master key only, as in Parse.
func (h *Handler) delete(w http.ResponseWriter, r *http.Request, name string) error {
	auth, err := h.authenticate(r, nil)
	if err != nil {
		return err
	}
	if !auth.Master {
		return core.Errorf(core.CodeOperationForbidden, "unauthorized: master key is required to delete files")
	}
	if auth.ReadOnly {
		return core.Errorf(core.CodeOperationForbidden, "read-only masterKey isn't allowed to perform the write operation")
	}
	if err := h.deleteAs(r.Context(), auth, name); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{})
	return nil
}

// deleteAs deletes a file for a master-key caller: the policy, the delete
// triggers and the removal of the file, its record and its thumbnails.
func (h *Handler) deleteAs(ctx context.Context, auth *core.Auth, name string) error {
	if err := checkStoredName(name); err != nil {
		return err
	}
	rec, _, err := h.lookup(ctx, name)
	if err != nil {
		return err
	}
	if err := h.authorize(ctx, ActionDelete, auth, rec); err != nil {
		return err
	}
	e := &FileEvent{Action: ActionDelete, Auth: auth, Name: name, ContentType: rec.ContentType, Size: rec.Size, Protected: rec.Protected, Metadata: rec.Metadata, Tags: rec.Tags}
	if h.opts.BeforeDelete != nil {
		if err := h.opts.BeforeDelete(ctx, e); err != nil {
			return triggerError(err)
		}
	}
	if err := h.remove(ctx, name); err != nil {
		return err
	}
	if h.opts.AfterDelete != nil {
		if err := h.opts.AfterDelete(ctx, e); err != nil {
			h.logger(ctx).Warn("afterDelete file trigger failed", "file", name, "err", err)
		}
	}
	return nil
}

// remove deletes a file, its record and its cached thumbnails. Any failure
// to delete the file is 153, as Parse answers.
func (h *Handler) remove(ctx context.Context, name string) error {
	if err := h.files.Delete(ctx, name); err != nil {
		e := core.AsError(err)
		if e.Code != core.CodeFileDeleteError {
			msg := "Could not delete file."
			if e.Code == core.CodeObjectNotFound {
				msg = "Could not delete file: there is no such file."
			}
			return &core.Error{Code: core.CodeFileDeleteError, Message: msg, Err: err}
		}
		return e
	}
	if h.opts.Registry != nil {
		if err := h.opts.Registry.Remove(ctx, name); err != nil {
			h.logger(ctx).Error("forgetting a deleted file", "file", name, "err", err)
		}
	}
	_ = h.files.Walk(ctx, thumbPrefix(name), func(fi core.FileInfo) error {
		return h.files.Delete(ctx, fi.Name)
	})
	return nil
}

// thumbPrefix is where the thumbnails of name are cached; names of the
// files API hold no "/", so no upload can land there.
func thumbPrefix(name string) string { return "_thumbs/" + strings.TrimSuffix(name, "/") + "/" }
