package fileapi

import (
	"context"
	"io"

	"github.com/switchboardhq/switchboard/core"
)

// The files API as Go calls, for other dialects of the server (LeanCloud's
// /1.1) that take file uploads in their own protocol: the same rules,
// policy, triggers and registry as the HTTP routes, without the HTTP.

// Stored is a file the files API stored and registered.
type Stored struct {
	// Name is the stored name, URL where it is served to its uploader (a
	// signed URL when the file is protected).
	Name, URL   string
	ContentType string
	Size        int64
	Protected   bool
}

// DirectRequest asks for a direct upload: the exact size, the type and
// the file's metadata and tags.
type DirectRequest struct {
	Size        int64
	ContentType string
	Metadata    map[string]any
	Tags        map[string]any
}

// Direct is an admitted direct upload: the stored name, its final URL, the
// store's instructions and the ticket that ConfirmDirect takes (unless
// Upload.Callback: then the store reports the upload itself).
type Direct struct {
	Name, URL   string
	ContentType string
	Ticket      string
	Upload      *core.DirectUpload
}

// Admitted is an upload admitted before its bytes are sent (Admit): the
// stored name, its final URL, the type, and the ticket UploadAdmitted takes.
type Admitted struct {
	Name, URL   string
	ContentType string
	Ticket      string
}

// Upload stores body as a new file for auth, as POST /files/:name does:
// original is the client's name (Parse's rule), contentType the declared
// type ("" to go by the extension), size the body's length or -1.
func (h *Handler) Upload(ctx context.Context, auth *core.Auth, original, contentType string, body io.Reader, size int64, metadata, tags map[string]any) (Stored, error) {
	auth, err := uploader(original, auth)
	if err != nil {
		return Stored{}, err
	}
	if size > h.opts.MaxUploadSize {
		return Stored{}, core.Errorf(core.CodeFileTooLarge, "the file is larger than the limit of %d bytes", h.opts.MaxUploadSize)
	}
	return h.storeIncoming(ctx, &incoming{auth: auth, original: original, declaredType: contentType, size: size, body: body, metadata: metadata, tags: tags})
}

// uploader checks the client's file name; a nil auth is a caller without
// keys or session.
func uploader(original string, auth *core.Auth) (*core.Auth, error) {
	if err := checkUploadName(original); err != nil {
		return nil, err
	}
	if auth == nil {
		auth = &core.Auth{}
	}
	return auth, nil
}

// PrepareDirect admits a direct upload for auth, as POST
// /files/:name/direct does.
func (h *Handler) PrepareDirect(ctx context.Context, auth *core.Auth, original string, req DirectRequest) (*Direct, error) {
	if err := h.directConfigured(); err != nil {
		return nil, err
	}
	auth, err := uploader(original, auth)
	if err != nil {
		return nil, err
	}
	return h.prepare(ctx, auth, original, req)
}

// ConfirmDirect registers a direct upload, as POST /files/:name/confirm
// does: the stored file must match the ticket, or it is deleted.
func (h *Handler) ConfirmDirect(ctx context.Context, name, ticket string) (Stored, error) {
	return h.confirm(ctx, name, ticket)
}

// Admit runs the upload rules, the policy and BeforeSave for a file whose
// bytes come later and whose size is not known yet (BeforeSave sees -1),
// and signs what it admitted into a ticket that expires with direct
// uploads. UploadAdmitted stores the bytes.
func (h *Handler) Admit(ctx context.Context, auth *core.Auth, original, contentType string, metadata, tags map[string]any) (*Admitted, error) {
	if err := h.directConfigured(); err != nil {
		return nil, err
	}
	auth, err := uploader(original, auth)
	if err != nil {
		return nil, err
	}
	contentType, err = contentTypeFor(contentType, original)
	if err != nil {
		return nil, err
	}
	e, err := h.admit(ctx, auth, original, contentType, -1, metadata, tags)
	if err != nil {
		return nil, err
	}
	tk := h.signTicket(e.ticket(auth, h.now().Add(h.opts.DirectUploadTTL)))
	return &Admitted{Name: e.Name, URL: h.fileURL(e.Name), ContentType: contentType, Ticket: tk}, nil
}

// UploadAdmitted stores the bytes of an upload Admit admitted under name,
// within MaxUploadSize, registers it and runs AfterSave. A ticket of a
// direct upload is refused.
func (h *Handler) UploadAdmitted(ctx context.Context, name, ticket string, body io.Reader, size int64) (Stored, error) {
	t, err := h.readTicket(ticket, name)
	if err != nil {
		return Stored{}, err
	}
	if t.Size != -1 {
		return Stored{}, errBadTicket
	}
	if size > h.opts.MaxUploadSize {
		return Stored{}, core.Errorf(core.CodeFileTooLarge, "the file is larger than the limit of %d bytes", h.opts.MaxUploadSize)
	}
	info, err := h.files.Put(ctx, name, body, core.PutOptions{Size: size, ContentType: t.ContentType, MaxSize: h.opts.MaxUploadSize})
	if err != nil {
		return Stored{}, err
	}
	return h.complete(ctx, t.event(), info)
}

// Delete deletes a file, as DELETE /files/:name does: auth must hold the
// (writable) master key; the policy and the delete triggers run.
func (h *Handler) Delete(ctx context.Context, auth *core.Auth, name string) error {
	if auth == nil || !auth.Master || auth.ReadOnly {
		return core.Errorf(core.CodeOperationForbidden, "unauthorized: master key is required to delete files")
	}
	return h.deleteAs(ctx, auth, name)
}

// Lookup returns the record of a stored file, and whether there is one.
func (h *Handler) Lookup(ctx context.Context, name string) (Record, bool, error) {
	return h.lookup(ctx, name)
}

// MaxUploadSize is the largest upload through the server, in bytes.
func (h *Handler) MaxUploadSize() int64 { return h.opts.MaxUploadSize }
