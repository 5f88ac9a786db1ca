package fileapi

import (
	"bufio"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/switchboardhq/switchboard/core"
)

// The direct-upload flow, for files too large to pass through the API:
//
//  1. POST /files/:name/direct {"size": N, "contentType": "..."} with the
//     caller's keys and session. The upload rules, the policy and
//     BeforeSave run as for any upload; the answer names the stored file,
//     its final URL, the store's upload instructions and a ticket.
//  2. The client performs the instructions: a form POST to Qiniu, a
//     presigned PUT to S3, a one-time PUT to our own server (local).
//  3. The file is registered by the store's verified callback (Qiniu,
//     whose answer the client gets from the upload itself), or by
//     POST /files/:name/confirm {"ticket": ...} (S3, local), which checks
//     the stored file against the ticket and deletes it if it differs.
//
// The ticket is signed with Options.Secret and carries what was admitted
// (name, size, type, protection, owner, triggers' metadata), so any node
// can finish the upload and nothing a client changes survives.

type ticket struct {
	Name        string         `json:"n"`
	Original    string         `json:"o"`
	Size        int64          `json:"s"`
	ContentType string         `json:"t"`
	Protected   bool           `json:"p,omitempty"`
	Owner       string         `json:"u,omitempty"`
	Master      bool           `json:"m,omitempty"`
	Metadata    map[string]any `json:"md,omitempty"`
	Tags        map[string]any `json:"tg,omitempty"`
	Expires     int64          `json:"e"`
}

func (h *Handler) signTicket(t ticket) string {
	payload, _ := json.Marshal(t)
	p := base64.RawURLEncoding.EncodeToString(payload)
	return p + "." + h.mac(p)
}

func (h *Handler) mac(s string) string {
	m := hmac.New(sha256.New, h.opts.Secret)
	m.Write([]byte("fileapi ticket\n" + s))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

var errBadTicket = core.Errorf(core.CodeOperationForbidden, "the upload ticket is invalid or expired; start the upload again")

func (h *Handler) readTicket(s, name string) (ticket, error) {
	p, sig, ok := strings.Cut(s, ".")
	if !ok || !hmac.Equal([]byte(sig), []byte(h.mac(p))) {
		return ticket{}, errBadTicket
	}
	raw, err := base64.RawURLEncoding.DecodeString(p)
	var t ticket
	if err != nil || json.Unmarshal(raw, &t) != nil || t.Name != name || h.now().Unix() > t.Expires {
		return ticket{}, errBadTicket
	}
	return t, nil
}

func (h *Handler) directConfigured() error {
	if len(h.opts.Secret) == 0 {
		return core.Errorf(core.CodeCommandUnavailable, "direct uploads are not configured on this server")
	}
	return nil
}

// readJSON reads a small JSON body: the caller's fields and, when the body
// is the JS SDK's envelope, its credentials.
func readJSON(w http.ResponseWriter, r *http.Request, dst any) (map[string]string, error) {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	var raw map[string]json.RawMessage
	if err := json.NewDecoder(bufio.NewReader(r.Body)).Decode(&raw); err != nil || raw == nil {
		return nil, core.Errorf(core.CodeInvalidJSON, "invalid JSON")
	}
	env := map[string]string{}
	for k, v := range raw {
		if strings.HasPrefix(k, "_") {
			var s string
			if json.Unmarshal(v, &s) == nil {
				env[k] = s
			}
			delete(raw, k)
		}
	}
	b, _ := json.Marshal(raw)
	if err := json.Unmarshal(b, dst); err != nil {
		return nil, core.Errorf(core.CodeInvalidJSON, "invalid JSON: %v", err)
	}
	if maybeEnvelope(r) {
		return env, nil
	}
	return nil, nil
}

// prepareDirect serves POST /files/:name/direct.
func (h *Handler) prepareDirect(w http.ResponseWriter, r *http.Request, original string) error {
	if err := h.directConfigured(); err != nil {
		return err
	}
	if err := checkUploadName(original); err != nil {
		return err
	}
	var req struct {
		Size        int64          `json:"size"`
		ContentType string         `json:"contentType"`
		Metadata    map[string]any `json:"metadata"`
		Tags        map[string]any `json:"tags"`
	}
	env, err := readJSON(w, r, &req)
	if err != nil {
		return err
	}
	auth, err := h.authenticate(r, env)
	if err != nil {
		return err
	}
	d, err := h.prepare(r.Context(), auth, original, DirectRequest{Size: req.Size, ContentType: req.ContentType, Metadata: req.Metadata, Tags: req.Tags})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"name": d.Name, "url": d.URL, "upload": d.Upload, "ticket": d.Ticket})
	return nil
}

// prepare admits a direct upload and gets the store's instructions.
func (h *Handler) prepare(ctx context.Context, auth *core.Auth, original string, req DirectRequest) (*Direct, error) {
	if req.Size <= 0 {
		return nil, core.Errorf(core.CodeInvalidContentLength, "size must be the file's exact length in bytes")
	}
	if req.Size > h.opts.MaxDirectUploadSize {
		return nil, core.Errorf(core.CodeFileTooLarge, "the file is larger than the limit of %d bytes", h.opts.MaxDirectUploadSize)
	}
	contentType, err := contentTypeFor(req.ContentType, original)
	if err != nil {
		return nil, err
	}
	e, err := h.admit(ctx, auth, original, contentType, req.Size, req.Metadata, req.Tags)
	if err != nil {
		return nil, err
	}
	tk := h.signTicket(e.ticket(auth, h.now().Add(h.opts.DirectUploadTTL)))
	opts := core.DirectUploadOptions{ContentType: contentType, Size: req.Size, Expires: h.opts.DirectUploadTTL}
	if _, ok := h.files.Driver().(core.FileUploadCallback); ok {
		opts.CallbackURL = PublicURL(h.opts.ServerURL, h.opts.AppID) + "/" + url.PathEscape(e.Name) + "/callback"
		opts.CallbackBody = tk
	}
	up, err := h.files.DirectUpload(ctx, e.Name, opts)
	if err != nil {
		return nil, err
	}
	return &Direct{Name: e.Name, URL: h.fileURL(e.Name), ContentType: contentType, Ticket: tk, Upload: up}, nil
}

// ticket is what the event admitted, signed into a ticket until expires.
func (e *FileEvent) ticket(auth *core.Auth, expires time.Time) ticket {
	return ticket{
		Name: e.Name, Original: e.OriginalName, Size: e.Size, ContentType: e.ContentType, Protected: e.Protected,
		Owner: auth.UserID, Master: auth.Master, Metadata: e.Metadata, Tags: e.Tags, Expires: expires.Unix(),
	}
}

// confirmDirect serves POST /files/:name/confirm.
func (h *Handler) confirmDirect(w http.ResponseWriter, r *http.Request, name string) error {
	if err := h.directConfigured(); err != nil {
		return err
	}
	var req struct {
		Ticket string `json:"ticket"`
	}
	if _, err := readJSON(w, r, &req); err != nil {
		return err
	}
	stored, err := h.confirm(r.Context(), name, req.Ticket)
	if err != nil {
		return err
	}
	answer(w, stored, http.StatusCreated)
	return nil
}

// confirm registers a direct upload after checking the stored file
// against its ticket.
func (h *Handler) confirm(ctx context.Context, name, tk string) (Stored, error) {
	if err := h.directConfigured(); err != nil {
		return Stored{}, err
	}
	t, err := h.readTicket(tk, name)
	if err != nil {
		return Stored{}, err
	}
	if t.Size <= 0 {
		return Stored{}, errBadTicket // a ticket of Admit, not of a direct upload
	}
	info, err := h.files.Stat(ctx, name)
	if core.IsCode(err, core.CodeObjectNotFound) {
		return Stored{}, core.Errorf(core.CodeFileSaveError, "the file has not been uploaded yet")
	}
	if err != nil {
		return Stored{}, err
	}
	if info.Size != t.Size || mediaType(info.ContentType) != mediaType(t.ContentType) {
		// The store took something other than what was admitted: it must
		// not stay.
		if err := h.files.Delete(ctx, name); err != nil {
			h.logger(ctx).Error("removing a direct upload that broke its ticket", "file", name, "err", err)
		}
		return Stored{}, core.Errorf(core.CodeFileSaveError, "the uploaded file does not match the upload request (size or type)")
	}
	return h.complete(ctx, t.event(), info)
}

func (t ticket) event() *FileEvent {
	return &FileEvent{
		Action: ActionUpload, Auth: &core.Auth{UserID: t.Owner, Master: t.Master}, Name: t.Name, OriginalName: t.Original,
		ContentType: t.ContentType, Size: t.Size, Protected: t.Protected, Metadata: t.Metadata, Tags: t.Tags,
	}
}

// callback serves POST /files/:appId/:name/callback, the store's report.
func (h *Handler) callback(w http.ResponseWriter, r *http.Request, appID, name string) error {
	if err := h.directConfigured(); err != nil {
		return err
	}
	v, ok := h.files.Driver().(core.FileUploadCallback)
	if appID != h.opts.AppID || !ok {
		return core.ErrNotFound()
	}
	info, body, err := v.VerifyUploadCallback(r)
	if err != nil {
		return err
	}
	if info.Name != name {
		return core.Errorf(core.CodeOperationForbidden, "the callback reports another file")
	}
	t, err := h.readTicket(body, name)
	if err != nil {
		return err
	}
	if info.Size != t.Size {
		return core.Errorf(core.CodeFileSaveError, "the uploaded file does not match the upload request (size)")
	}
	info.ContentType = t.ContentType
	stored, err := h.complete(r.Context(), t.event(), info)
	if err != nil {
		return err
	}
	answer(w, stored, http.StatusOK)
	return nil
}

// receiveDirect serves PUT /files/:appId/:name, the local provider's
// one-time upload URL. The body streams into the store like any upload.
func (h *Handler) receiveDirect(w http.ResponseWriter, r *http.Request, appID, name string) error {
	rcv, ok := h.files.Driver().(core.FileUploadReceiver)
	if appID != h.opts.AppID || !ok {
		return core.ErrNotFound()
	}
	if err := checkStoredName(name); err != nil {
		return err
	}
	grant, err := rcv.AcceptDirectUpload(name, r.URL.Query())
	if err != nil {
		return err
	}
	if mediaType(r.Header.Get("Content-Type")) != mediaType(grant.ContentType) {
		return core.Errorf(core.CodeOperationForbidden, "the upload must have the content type %s", grant.ContentType)
	}
	if r.ContentLength >= 0 && r.ContentLength != grant.Size {
		return core.Errorf(core.CodeInvalidContentLength, "the upload must be %d bytes long", grant.Size)
	}
	r.Body = http.MaxBytesReader(w, r.Body, grant.Size+1)
	info, err := h.files.Put(r.Context(), name, r.Body, core.PutOptions{Size: grant.Size, ContentType: grant.ContentType})
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return core.Errorf(core.CodeInvalidContentLength, "the upload must be %d bytes long", grant.Size)
		}
		return err
	}
	writeJSON(w, http.StatusCreated, map[string]any{"name": info.Name, "size": info.Size})
	return nil
}
