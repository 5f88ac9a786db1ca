package leancloud

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"path"
	"regexp"
	"strings"
	"time"

	"github.com/switchboardhq/switchboard/core"
	"github.com/switchboardhq/switchboard/core/fileapi"
)

// LeanCloud's files on Switchboard's files.
//
// A LeanCloud file is an object of its _File class (name, url, mime_type,
// metaData, ACL, ...) that File values refer to by id. The dialect keeps
// these objects in FileClass, a class of its own, and never shows clients
// the files API's internal registry (core.FileClass): /1.1/classes/_File
// and /1.1/files serve FileClass, as the caller, with its ACLs.
//
// The bytes of a file live in the files provider under the record's key,
// uploaded through the files API (its rules, policy, triggers and
// registry). The record's file field is a File value naming the key, so
// `files gc` counts the content as used while the record exists, and
// replies get the URL that works for the caller (a signed one for a
// protected file). A file whose bytes are elsewhere (registered by URL,
// or imported without its content) keeps its url and no file field.
//
// Objects hold File values that name the record's key, as any Parse File
// value names a stored file: Parse clients of the same data get a working
// URL, and the dialect turns them back into LeanCloud's form by key.

// FileClass is the class of LeanCloud's file records.
const FileClass = "LeanCloudFile"

// Fields of a file record beyond LeanCloud's own.
const (
	fieldKey         = "key"         // the content's name in the files provider
	fieldFile        = "file"        // File{Name: key} once the content is here
	fieldURL         = "url"         // the content's URL when it is elsewhere
	fieldUploadToken = "uploadToken" // sha256 of a pending upload's token
	fieldPending     = "pending"     // what a pending upload waits for
)

// What a pending upload (fileTokens) waits for.
const (
	// pendingUpload: the bytes, on PUT /1.1/fileUploads/:id?token=.
	pendingUpload = "upload"
	// pendingConfirm: fileCallback, to confirm bytes put in the store.
	pendingConfirm = "confirm"
	// pendingCallback: the store's own report (Qiniu), then fileCallback.
	pendingCallback = "callback"
)

// FileService is what the dialect needs of the files API
// (*fileapi.Handler): uploads in its several forms, deletes, look-ups.
type FileService interface {
	Upload(ctx context.Context, auth *core.Auth, original, contentType string, body io.Reader, size int64, metadata, tags map[string]any) (fileapi.Stored, error)
	PrepareDirect(ctx context.Context, auth *core.Auth, original string, req fileapi.DirectRequest) (*fileapi.Direct, error)
	ConfirmDirect(ctx context.Context, name, ticket string) (fileapi.Stored, error)
	Admit(ctx context.Context, auth *core.Auth, original, contentType string, metadata, tags map[string]any) (*fileapi.Admitted, error)
	UploadAdmitted(ctx context.Context, name, ticket string, body io.Reader, size int64) (fileapi.Stored, error)
	Delete(ctx context.Context, auth *core.Auth, name string) error
	Lookup(ctx context.Context, name string) (fileapi.Record, bool, error)
}

var _ FileService = (*fileapi.Handler)(nil)

// fileClassSchema is FileClass: readable as the ACLs say, written only by
// the dialect (and the master key), the upload's secrets hidden.
func fileClassSchema() map[string]any {
	str := map[string]any{"type": "String"}
	open := map[string]any{"*": true}
	return map[string]any{
		"fields": map[string]any{
			"name": str, fieldURL: str, fieldKey: str, "mime_type": str, "bucket": str, "provider": str,
			"metaData": map[string]any{"type": "Object"}, fieldFile: map[string]any{"type": "File"},
			fieldUploadToken: str, fieldPending: str,
		},
		"classLevelPermissions": map[string]any{
			"find": open, "get": open, "count": open, "delete": open,
			"create": map[string]any{}, "update": map[string]any{}, "addField": map[string]any{},
			"protectedFields": map[string]any{"*": []any{fieldUploadToken, fieldPending}},
		},
		"indexes": map[string]any{"key_1": map[string]any{fieldKey: 1.0}, "uploadToken_1": map[string]any{fieldUploadToken: 1.0}},
	}
}

// EnsureFileClass creates FileClass, or completes one made by an older
// version, at its first use, so a server that never sees a LeanCloud file
// creates nothing.
func EnsureFileClass(ctx context.Context, app *core.App) (*core.Class, error) {
	want := fileClassSchema()
	c := app.Class(FileClass)
	if c == nil {
		if _, err := app.CreateSchema(ctx, core.MasterAuth(), FileClass, want); err != nil && app.Class(FileClass) == nil {
			return nil, err
		}
		return app.Class(FileClass), nil
	}
	if _, ok := c.Fields[fieldPending]; ok {
		return c, nil
	}
	missing := map[string]any{}
	for name, def := range want["fields"].(map[string]any) {
		if _, ok := c.Fields[name]; !ok {
			missing[name] = def
		}
	}
	indexes := map[string]any{}
	for name, def := range want["indexes"].(map[string]any) {
		if _, ok := c.Indexes[name]; !ok {
			indexes[name] = def
		}
	}
	_, err := app.UpdateSchema(ctx, core.MasterAuth(), FileClass, map[string]any{"fields": missing,
		"classLevelPermissions": want["classLevelPermissions"], "indexes": indexes})
	if err != nil {
		if c := app.Class(FileClass); c != nil && c.Fields[fieldPending].Type != "" {
			return c, nil // another node did it first
		}
		return nil, err
	}
	return app.Class(FileClass), nil
}

// StorageName is a name the files API accepts (Parse's rule: ASCII
// letters, digits and "@. ~_-", at most 128 bytes) for a LeanCloud file
// name, which may be anything: other characters become "_", and the
// extension is kept. The record keeps the name as given.
func StorageName(name string) string {
	name = path.Base(strings.ReplaceAll(name, "\\", "/"))
	var b strings.Builder
	for _, r := range name {
		switch {
		case r < 0x80 && (r == '@' || r == '.' || r == ' ' || r == '~' || r == '_' || r == '-' ||
			('0' <= r && r <= '9') || ('a' <= r && r <= 'z') || ('A' <= r && r <= 'Z')):
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	s := b.String()
	if s == "" || s == "." || s == "/" || !storageStart.MatchString(s) {
		s = "file" + s
	}
	if len(s) > 100 {
		ext := path.Ext(s)
		if len(ext) > 20 {
			ext = ""
		}
		s = s[:100-len(ext)] + ext
	}
	return s
}

var storageStart = regexp.MustCompile(`^[_a-zA-Z0-9]`)

// importKey is where the content of an imported file goes: the record's
// id and its name, so that a re-run or a later fetch finds the same key.
func importKey(id, name string) string {
	return id + "_" + StorageName(name)
}

// tokenHash is what a record keeps of an upload token.
func tokenHash(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// newRecord is a file record to insert.
type newRecord struct {
	id, name, key, url, mimeType, provider, bucket string
	meta                                           map[string]any
	acl                                            core.ACL
	content                                        bool // the key holds the bytes (or will)
	uploadToken, pending                           string
	createdAt                                      time.Time
}

func (r *newRecord) object() core.Object {
	now := core.Now()
	created := r.createdAt
	if created.IsZero() {
		created = now
	}
	o := core.Object{core.FieldObjectID: r.id, core.FieldCreatedAt: created, core.FieldUpdatedAt: now,
		"name": r.name, fieldKey: r.key, "mime_type": r.mimeType, "metaData": r.meta}
	if r.meta == nil {
		o["metaData"] = map[string]any{}
	}
	if r.acl != nil {
		o[core.FieldACL] = r.acl
	}
	if r.content {
		o[fieldFile] = core.File{Name: r.key}
	} else if r.url != "" {
		o[fieldURL] = r.url
	}
	for k, v := range map[string]string{"provider": r.provider, "bucket": r.bucket, fieldUploadToken: r.uploadToken, fieldPending: r.pending} {
		if v != "" {
			o[k] = v
		}
	}
	return o
}

// insertRecord stores a new file record as the server.
func (h *Handler) insertRecord(ctx context.Context, r *newRecord) (core.Object, error) {
	c, err := EnsureFileClass(ctx, h.app)
	if err != nil {
		return nil, err
	}
	o := r.object()
	if err := h.app.Store().Insert(ctx, c, o); err != nil {
		return nil, err
	}
	return o, nil
}

// recordsWhere reads file records as the server.
func (h *Handler) recordsWhere(ctx context.Context, where core.Expr, limit int) ([]core.Object, error) {
	c := h.app.Class(FileClass)
	if c == nil {
		return nil, nil
	}
	return h.app.Store().Find(ctx, c, &core.Query{Where: where, Limit: limit})
}

func strings2any(list []string) []any {
	out := make([]any, len(list))
	for i, s := range list {
		out[i] = s
	}
	return out
}

// recordsByID maps ids to their records.
func (h *Handler) recordsByID(ctx context.Context, ids []string) (map[string]core.Object, error) {
	out := map[string]core.Object{}
	if len(ids) == 0 {
		return out, nil
	}
	list, err := h.recordsWhere(ctx, core.In{Field: core.FieldObjectID, Values: strings2any(ids)}, len(ids))
	if err != nil {
		return nil, err
	}
	for _, o := range list {
		out[o.ID()] = o
	}
	return out, nil
}

// recordsByKey maps keys to their records.
func (h *Handler) recordsByKey(ctx context.Context, keys []string) (map[string]core.Object, error) {
	out := map[string]core.Object{}
	if len(keys) == 0 {
		return out, nil
	}
	list, err := h.recordsWhere(ctx, core.In{Field: fieldKey, Values: strings2any(keys)}, len(keys))
	if err != nil {
		return nil, err
	}
	for _, o := range list {
		k, _ := o[fieldKey].(string)
		out[k] = o
	}
	return out, nil
}

// recordKey is the name File values use for a record: its key, or its id
// for a record without one.
func recordKey(o core.Object) string {
	if k, _ := o[fieldKey].(string); k != "" {
		return k
	}
	return o.ID()
}

// fileView is a file record in LeanCloud's form, from its encoded object
// (an API reply or core.EncodeObject): url is the external URL, else the
// URL of the content as the reply gives it (resolved for the caller); the
// upload's own fields are left out.
func fileView(m map[string]any) map[string]any {
	out := make(map[string]any, len(m)+2)
	for k, v := range m {
		switch k {
		case fieldFile, fieldUploadToken, fieldPending, "__type", "className":
			continue
		}
		out[k] = v
	}
	if u, _ := m[fieldURL].(string); u == "" {
		if f, ok := m[fieldFile].(map[string]any); ok {
			out[fieldURL] = f["url"]
		}
	}
	if _, ok := out["metaData"]; !ok {
		out["metaData"] = map[string]any{}
	}
	return out
}

// fileValue is a record as a File value of LeanCloud's REST API: the
// record's fields with __type File and id; contentURL, when not empty, is
// the URL the reply already had for the content (resolved for the caller).
func fileValue(rec map[string]any, contentURL string) map[string]any {
	out := fileView(rec)
	out["__type"] = "File"
	out["id"] = rec[core.FieldObjectID]
	if _, external := rec[fieldURL].(string); !external && contentURL != "" {
		out[fieldURL] = contentURL
	}
	return out
}

// encodeRecord is a stored record in the API's JSON form, its content URL
// resolved for auth.
func (h *Handler) encodeRecord(ctx context.Context, auth *core.Auth, o core.Object) map[string]any {
	m := core.EncodeObject(h.app.Class(FileClass), o)
	if err := h.app.ResolveFileURLs(ctx, auth, m); err != nil {
		core.LoggerFrom(ctx).Warn("leancloud: resolving a file's URL", "err", err)
	}
	return m
}

func (h *Handler) filesAvailable() error {
	if h.opts.Files == nil {
		return &lcError{http.StatusServiceUnavailable, 1, "File uploads are not available on this server (the files feature is off)."}
	}
	return nil
}

// fileRoute serves /files: GET and DELETE of a record by id, POST of a
// file by URL (AV.File.withURL) and, on /files/:name, of the bytes.
func (h *Handler) fileRoute(c *call) (int, any, error) {
	switch {
	case len(c.path) == 1 && c.method == http.MethodPost:
		return h.registerURL(c)
	case len(c.path) == 2 && c.method == http.MethodPost:
		return h.uploadBytes(c, c.path[1])
	case len(c.path) == 2 && c.method == http.MethodGet:
		return h.getFile(c, c.path[1])
	case len(c.path) == 2 && c.method == http.MethodDelete:
		return h.deleteFile(c, c.path[1])
	}
	return 0, nil, unsupported(c)
}

// getFile reads a record as the caller: {} when it is missing or hidden.
func (h *Handler) getFile(c *call, id string) (int, any, error) {
	if h.app.Class(FileClass) == nil {
		return http.StatusOK, map[string]any{}, nil
	}
	_, res, err := h.apiCall(c, http.MethodGet, "classes/"+FileClass+"/"+url.PathEscape(id), map[string]any{})
	if core.IsCode(err, core.CodeObjectNotFound) {
		return http.StatusOK, map[string]any{}, nil
	}
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, fileView(res.(map[string]any)), nil
}

// deleteFile deletes a record as the caller (its ACL decides), then its
// content as the server.
func (h *Handler) deleteFile(c *call, id string) (int, any, error) {
	if h.app.Class(FileClass) == nil {
		return 0, nil, core.ErrNotFound()
	}
	recs, err := h.recordsByID(c.ctx, []string{id})
	if err != nil {
		return 0, nil, err
	}
	if _, _, err := h.apiCall(c, http.MethodDelete, "classes/"+FileClass+"/"+url.PathEscape(id), nil); err != nil {
		return 0, nil, err
	}
	if rec, ok := recs[id]; ok {
		h.deleteContent(c.ctx, rec)
	}
	return http.StatusOK, map[string]any{}, nil
}

// deleteContent deletes the bytes of a deleted record, if they are here.
// The record is gone already; content left behind (a store failure) is
// logged, and `files gc` removes it later since nothing names it.
func (h *Handler) deleteContent(ctx context.Context, rec core.Object) {
	if _, ok := rec[fieldFile].(core.File); !ok || h.opts.Files == nil {
		return
	}
	key := recordKey(rec)
	err := h.opts.Files.Delete(ctx, core.MasterAuth(), key)
	if err != nil && !isNoSuchFile(err) {
		core.LoggerFrom(ctx).Warn("leancloud: deleting the content of a deleted file", "file", key, "err", err)
	}
}

// isNoSuchFile tells the files API's "nothing to delete" apart.
func isNoSuchFile(err error) bool {
	e := core.AsError(err)
	return e.Code == core.CodeFileDeleteError && e.Err != nil && core.IsCode(e.Err, core.CodeObjectNotFound)
}

// recordACL is the ACL of a new record: the one the client gave, or read
// for all and write for the uploader (only the master key may delete a
// file uploaded without a session).
func recordACL(raw any, auth *core.Auth) (core.ACL, error) {
	if raw != nil {
		acl, err := core.DecodeACL(raw)
		if err != nil {
			return nil, err
		}
		return acl, nil
	}
	acl := core.ACL{core.PublicPrincipal: {Read: true}}
	if auth.UserID != "" {
		acl[auth.UserID] = core.Permission{Read: true, Write: true}
	}
	return acl, nil
}

// recordMeta is a new record's metaData: the client's, with the size and
// the owner the server knows (the client's owner is not trusted).
func recordMeta(raw any, auth *core.Auth, size int64) map[string]any {
	meta := map[string]any{}
	if m, ok := raw.(map[string]any); ok {
		for k, v := range m {
			if k != "__source" {
				meta[k] = v
			}
		}
	}
	meta["owner"] = "unknown"
	if auth.UserID != "" {
		meta["owner"] = auth.UserID
	}
	if size >= 0 {
		meta["size"] = float64(size)
	}
	return meta
}

// registerURL serves POST /files {url, name, mime_type, metaData, ACL}:
// a file whose bytes stay where they are (AV.File.withURL).
func (h *Handler) registerURL(c *call) (int, any, error) {
	u, _ := c.body["url"].(string)
	if u == "" {
		return 0, nil, &lcError{http.StatusBadRequest, 1, "Give the file's url, or upload its bytes with fileTokens or POST /1.1/files/:name."}
	}
	if pu, err := url.Parse(u); err != nil || (pu.Scheme != "http" && pu.Scheme != "https") || pu.Host == "" {
		return 0, nil, &lcError{http.StatusBadRequest, 1, "A file's url must be an http or https URL."}
	}
	if c.auth.ReadOnly {
		return 0, nil, core.Errorf(core.CodeOperationForbidden, "read-only masterKey isn't allowed to perform the write operation")
	}
	name, _ := c.body["name"].(string)
	if name == "" {
		name = urlName(u)
	}
	acl, err := recordACL(c.body["ACL"], c.auth)
	if err != nil {
		return 0, nil, err
	}
	mime, _ := c.body["mime_type"].(string)
	id := core.NewObjectID()
	rec := &newRecord{id: id, name: name, key: importKey(id, name), url: u, mimeType: mime,
		meta: recordMeta(c.body["metaData"], c.auth, -1), acl: acl, provider: "external"}
	o, err := h.insertRecord(c.ctx, rec)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, fileView(h.encodeRecord(c.ctx, c.auth, o)), nil
}

// urlName is the last segment of a URL's path.
func urlName(u string) string {
	if pu, err := url.Parse(u); err == nil && path.Base(pu.Path) != "/" && path.Base(pu.Path) != "." {
		return path.Base(pu.Path)
	}
	return "file"
}

// uploadBytes serves POST /files/:name with the file's bytes as the body
// (LeanCloud's REST upload): the files API stores them as the caller,
// then the record is made. The body streams.
func (h *Handler) uploadBytes(c *call, name string) (int, any, error) {
	if err := h.filesAvailable(); err != nil {
		return 0, nil, err
	}
	acl, err := recordACL(nil, c.auth)
	if err != nil {
		return 0, nil, err
	}
	ctype := c.http.Header.Get("Content-Type")
	st, err := h.opts.Files.Upload(c.ctx, c.auth, StorageName(name), ctype, bodyReader{c.http.Body}, c.http.ContentLength, nil, nil)
	if err != nil {
		return 0, nil, err
	}
	rec := &newRecord{id: core.NewObjectID(), name: name, key: st.Name, mimeType: st.ContentType, content: true,
		meta: recordMeta(nil, c.auth, st.Size), acl: acl, provider: "switchboard"}
	o, err := h.insertRecord(c.ctx, rec)
	if err != nil {
		h.deleteContent(context.WithoutCancel(c.ctx), rec.object())
		return 0, nil, err
	}
	return http.StatusCreated, fileView(h.encodeRecord(c.ctx, c.auth, o)), nil
}

// fileTokens serves POST /fileTokens {name, mime_type, metaData, ACL}, the
// first step of the SDKs' uploads: the files API admits the upload, the
// record is made (the SDK uses its id as soon as the bytes are sent), and
// the answer tells the SDK where to send the bytes, in the terms of its
// uploaders: "qiniu" (a form POST with token and key, which Kodo reports
// to our callback), "s3" (a PUT of the bytes to upload_url: S3's presigned
// URL, the local provider's one-time URL, or our own fileUploads route
// when the size is not known in advance).
func (h *Handler) fileTokens(c *call) (int, any, error) {
	if c.method != http.MethodPost {
		return 0, nil, unsupported(c)
	}
	if err := h.filesAvailable(); err != nil {
		return 0, nil, err
	}
	name, _ := c.body["name"].(string)
	if name == "" {
		return 0, nil, core.Errorf(core.CodeMissingRequiredField, "name is required")
	}
	acl, err := recordACL(c.body["ACL"], c.auth)
	if err != nil {
		return 0, nil, err
	}
	mime, _ := c.body["mime_type"].(string)
	metaIn, _ := c.body["metaData"].(map[string]any)
	size := int64(-1)
	if n, ok := metaIn["size"].(float64); ok && n > 0 && n == float64(int64(n)) {
		size = int64(n)
	}
	meta := recordMeta(metaIn, c.auth, size)
	id := core.NewObjectID()
	up, err := h.planUpload(c, id, StorageName(name), mime, size, meta)
	if err != nil {
		return 0, nil, err
	}
	rec := &newRecord{id: id, name: name, key: up.key, mimeType: up.contentType, content: true, meta: meta, acl: acl,
		provider: up.provider, bucket: up.bucket, uploadToken: tokenHash(up.token), pending: up.pending}
	o, err := h.insertRecord(c.ctx, rec)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, map[string]any{
		"objectId": id, "createdAt": core.FormatTime(o[core.FieldCreatedAt].(time.Time)), "token": up.token,
		"upload_url": up.uploadURL, "provider": up.provider, "bucket": up.bucket, "url": up.url, "key": up.key,
		"mime_type": up.contentType,
	}, nil
}

// uploadPlan is where and how the SDK sends the bytes.
type uploadPlan struct {
	key, url, contentType       string
	provider, bucket, uploadURL string
	token, pending              string
}

// planUpload admits the upload: a direct upload to the store when the
// size is known and the store's instructions are ones the SDK can follow,
// else an upload through this server.
func (h *Handler) planUpload(c *call, id, name, mime string, size int64, meta map[string]any) (*uploadPlan, error) {
	if size > 0 {
		d, err := h.opts.Files.PrepareDirect(c.ctx, c.auth, name, fileapi.DirectRequest{Size: size, ContentType: mime, Metadata: meta})
		if err != nil && !core.IsCode(err, core.CodeCommandUnavailable) {
			return nil, err
		}
		if err == nil {
			if p := sdkPlan(d); p != nil {
				return p, nil
			}
		}
	}
	ad, err := h.opts.Files.Admit(c.ctx, c.auth, name, mime, meta, nil)
	if err != nil {
		return nil, err
	}
	return &uploadPlan{key: ad.Name, url: ad.URL, contentType: ad.ContentType, provider: "s3",
		uploadURL: h.baseURL(c) + Prefix + "/fileUploads/" + url.PathEscape(id) + "?token=" + url.QueryEscape(ad.Ticket),
		token:     ad.Ticket, pending: pendingUpload}, nil
}

// sdkPlan maps a store's direct-upload instructions onto the SDK's
// uploaders, or returns nil when none of them can follow them.
func sdkPlan(d *fileapi.Direct) *uploadPlan {
	up := d.Upload
	p := &uploadPlan{key: d.Name, url: d.URL, contentType: d.ContentType, uploadURL: up.URL}
	switch {
	case up.Method == http.MethodPut && up.FileField == "" && len(up.Fields) == 0:
		// The s3 uploader PUTs the bytes with Content-Type and
		// Cache-Control only.
		for k := range up.Headers {
			if !strings.EqualFold(k, "Content-Type") {
				return nil
			}
		}
		p.provider, p.token, p.pending = "s3", d.Ticket, pendingConfirm
	case up.Method == http.MethodPost && up.FileField == "file" && up.Callback && len(up.Fields) == 2 &&
		up.Fields["token"] != "" && up.Fields["key"] == d.Name:
		// The qiniu uploader posts a form with token and key (and the
		// name, which Kodo ignores); Kodo reports the upload to us.
		p.provider, p.token, p.pending = "qiniu", up.Fields["token"], pendingCallback
		p.bucket = qiniuBucket(p.token)
	default:
		return nil
	}
	return p
}

// qiniuBucket is the bucket of a Kodo upload token
// (accessKey:sign:base64url(putPolicy), the policy's scope "bucket:key"),
// which the SDK's resumable uploader puts in its URLs.
func qiniuBucket(token string) string {
	parts := strings.Split(token, ":")
	if len(parts) != 3 {
		return ""
	}
	raw, err := base64.URLEncoding.DecodeString(parts[2])
	if err != nil {
		if raw, err = base64.RawURLEncoding.DecodeString(parts[2]); err != nil {
			return ""
		}
	}
	var policy struct {
		Scope string `json:"scope"`
	}
	if json.Unmarshal(raw, &policy) != nil {
		return ""
	}
	bucket, _, _ := strings.Cut(policy.Scope, ":")
	return bucket
}

// baseURL is the server's public root, for URLs of the dialect's own
// routes: Options.BaseURL, else the request's host.
func (h *Handler) baseURL(c *call) string {
	if h.opts.BaseURL != "" {
		return strings.TrimRight(h.opts.BaseURL, "/")
	}
	scheme := "http"
	if c.http.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + c.http.Host
}

var errBadUploadToken = &lcError{http.StatusForbidden, 119, "The upload token is invalid, expired or used; ask for a new one (fileTokens)."}

// pendingRecord finds the record of a pending upload by its token.
func (h *Handler) pendingRecord(ctx context.Context, token string) (core.Object, error) {
	if token == "" {
		return nil, nil
	}
	list, err := h.recordsWhere(ctx, core.Cmp{Field: fieldUploadToken, Op: core.OpEq, Value: tokenHash(token)}, 1)
	if err != nil || len(list) == 0 {
		return nil, err
	}
	return list[0], nil
}

// settle updates a record as the server; from, when not empty, is the
// pending state the record must still be in (a claim).
func (h *Handler) settle(ctx context.Context, id, from string, upd core.Update) error {
	c := h.app.Class(FileClass)
	var where core.Expr
	if from != "" {
		where = core.Cmp{Field: fieldPending, Op: core.OpEq, Value: from}
	}
	upd[core.FieldUpdatedAt] = core.Set{Value: core.Now()}
	_, err := h.app.Store().Update(ctx, c, id, where, nil, upd)
	return err
}

// receiveUpload serves PUT /1.1/fileUploads/:id?token=, where the SDK
// sends the bytes of an upload whose size was not known (fileTokens). The
// token authorizes it, once.
func (h *Handler) receiveUpload(w http.ResponseWriter, r *http.Request, id string) {
	ctx := r.Context()
	token := r.URL.Query().Get("token")
	rec, err := h.pendingRecord(ctx, token)
	if err == nil && (rec == nil || rec.ID() != id || rec[fieldPending] != pendingUpload) {
		err = errBadUploadToken
	}
	if err == nil {
		// Claim the upload, so a second PUT with the same token fails.
		if err = h.settle(ctx, id, pendingUpload, core.Update{fieldPending: core.Set{Value: "receiving"}}); core.IsCode(err, core.CodeObjectNotFound) {
			err = errBadUploadToken
		}
	}
	if err != nil {
		writeError(w, r, err)
		return
	}
	st, err := h.opts.Files.UploadAdmitted(ctx, recordKey(rec), token, bodyReader{r.Body}, r.ContentLength)
	if err != nil {
		// Give the token back: the SDK reports the failure (fileCallback
		// with result false), which removes the record.
		if serr := h.settle(context.WithoutCancel(ctx), id, "", core.Update{fieldPending: core.Set{Value: pendingUpload}}); serr != nil {
			core.LoggerFrom(ctx).Warn("leancloud: releasing a failed upload", "file", id, "err", serr)
		}
		writeError(w, r, err)
		return
	}
	meta, _ := rec["metaData"].(map[string]any)
	if meta == nil {
		meta = map[string]any{}
	}
	meta["size"] = float64(st.Size)
	if err := h.settle(ctx, id, "", core.Update{fieldPending: core.Unset{}, "metaData": core.Set{Value: meta}}); err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"key": st.Name, "size": st.Size})
}

// fileCallback serves POST /fileCallback {token, result}: the SDK's report
// that it sent the bytes (result true) or failed (false). A direct upload
// to the store is confirmed against what was admitted; a failed upload's
// record and bytes are removed. The token authorizes it.
func (h *Handler) fileCallback(c *call) (int, any, error) {
	if c.method != http.MethodPost {
		return 0, nil, unsupported(c)
	}
	if err := h.filesAvailable(); err != nil {
		return 0, nil, err
	}
	token, _ := c.body["token"].(string)
	ok, _ := c.body["result"].(bool)
	rec, err := h.pendingRecord(c.ctx, token)
	if err != nil {
		return 0, nil, err
	}
	if rec == nil {
		return 0, nil, errBadUploadToken
	}
	key := recordKey(rec)
	if !ok {
		if _, err := h.app.Store().DeleteObject(c.ctx, h.app.Class(FileClass), rec.ID(), nil, nil); err != nil && !core.IsCode(err, core.CodeObjectNotFound) {
			return 0, nil, err
		}
		h.deleteContent(c.ctx, rec)
		return http.StatusOK, map[string]any{}, nil
	}
	pending, _ := rec[fieldPending].(string)
	switch pending {
	case pendingConfirm:
		if _, err := h.opts.Files.ConfirmDirect(c.ctx, key, token); err != nil {
			return 0, nil, err
		}
	case pendingCallback:
		if _, found, err := h.opts.Files.Lookup(c.ctx, key); err != nil {
			return 0, nil, err
		} else if !found {
			return 0, nil, &lcError{http.StatusBadRequest, 1, "The store has not reported this upload; it did not finish."}
		}
	case pendingUpload, "receiving":
		return 0, nil, &lcError{http.StatusBadRequest, 1, "The file's bytes have not been received; send them to upload_url first."}
	}
	if err := h.settle(c.ctx, rec.ID(), "", core.Update{fieldPending: core.Unset{}, fieldUploadToken: core.Unset{}}); err != nil {
		return 0, nil, err
	}
	return http.StatusOK, map[string]any{}, nil
}

// fileObjects serves /classes/_File: queries and gets as the caller in
// LeanCloud's shape; a DELETE deletes the bytes too. Creates and updates
// are the master key's (FileClass's permissions), as files are made by
// uploads.
func (h *Handler) fileObjects(c *call) (int, any, error) {
	if len(c.path) == 3 && c.method == http.MethodDelete {
		return h.deleteFile(c, c.path[2])
	}
	if c.method == http.MethodGet && h.app.Class(FileClass) == nil {
		if len(c.path) == 3 {
			return http.StatusOK, map[string]any{}, nil
		}
		return http.StatusOK, map[string]any{"results": []any{}}, nil
	}
	status, res, err := h.object(c, "classes/"+FileClass, c.path[2:])
	if err != nil {
		return 0, nil, err
	}
	return status, fileRecordViews(res), nil
}

// bodyReader reads an upload's body; reading past the server's body limit
// (maxUploadSize) is the files API's "too large", not an interruption.
type bodyReader struct{ r io.Reader }

func (b bodyReader) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		return n, core.Errorf(core.CodeFileTooLarge, "the file is larger than the limit of %d bytes", tooLarge.Limit)
	}
	return n, err
}
