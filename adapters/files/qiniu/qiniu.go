// Package qiniu is the "qiniu" files provider: Qiniu Kodo object storage,
// through github.com/qiniu/go-sdk/v7 (its storagev2 packages).
//
// Uploads go through the SDK's upload manager: a body up to partSize is one
// form upload, a longer or unknown-length one a resumable upload v2 whose
// parts (partSize each, concurrency at a time) are the only bytes held in
// memory. Each upload carries its own upload token, a put policy scoped to
// bucket:key with a one-hour deadline. Stat, delete and list use the rs and
// rsf services, signed with the account's keys. Downloads are GETs of the
// bucket's domain, with a private-download token when the bucket is
// private; signed URLs are those private URLs, thumbnails are imageView2
// URLs rendered by Kodo.
//
// Direct uploads are form uploads with a token whose put policy fixes the
// key, the deadline, the exact size (fsizeMin = fsizeLimit), the MIME type
// (mimeLimit) and insertOnly; with a callback URL Kodo reports the finished
// upload there, signed with the account's keys, and VerifyUploadCallback
// checks it.
//
// Errors: 612 (no such file) and a 404 download are CodeObjectNotFound;
// 5xx, 573 (rate limit) and network errors are CodeConnectionFailed (the
// SDK has already retried them across hosts); 401 (bad token), 631 (no
// such bucket) and other refusals are internal errors whose logged cause
// says what to fix.
//
// The SDK records upload logs in a temporary folder and sends them to
// Qiniu; the provider turns that off for the whole process when it opens.
//
// Options (files.qiniu):
//
//	accessKey, secretKey  string, required. The account's key pair.
//	bucket                string, required.
//	domain                string, required. The bucket's download domain
//	                      with its scheme ("https://cdn.example.com").
//	private               bool, optional. The bucket is private: downloads
//	                      and signed URLs carry a token. Default true.
//	region                string, optional. A Kodo region id ("z0",
//	                      "cn-east-2", "z1", "z2", "na0", "as0", ...) whose
//	                      public hosts to use. Default z0 unless hosts are
//	                      given.
//	upHosts               list, optional. Upload hosts, overriding the
//	                      region's ("https://up-z0.qiniup.com"); the first
//	                      is also the one direct uploads go to.
//	rsHost, rsfHost       string, optional. Management and listing hosts,
//	                      overriding the region's. A private cloud sets all
//	                      hosts.
//	prefix                string, optional. Prepended to every key.
//	partSize              int, optional. Bytes per part of resumable
//	                      uploads, 1 MiB to 1 GiB. Default 4 MiB.
//	concurrency           int, optional. Parts uploaded at once, 1 to 16.
//	                      Default 2.
package qiniu

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/qiniu/go-sdk/v7/auth"
	clientv1 "github.com/qiniu/go-sdk/v7/client"
	"github.com/qiniu/go-sdk/v7/storage"
	"github.com/qiniu/go-sdk/v7/storagev2/credentials"
	"github.com/qiniu/go-sdk/v7/storagev2/http_client"
	"github.com/qiniu/go-sdk/v7/storagev2/objects"
	"github.com/qiniu/go-sdk/v7/storagev2/region"
	"github.com/qiniu/go-sdk/v7/storagev2/uploader"
	"github.com/qiniu/go-sdk/v7/storagev2/uplog"
	"github.com/qiniu/go-sdk/v7/storagev2/uptoken"

	"github.com/switchboardhq/switchboard/adapters/files/internal/filekit"
	"github.com/switchboardhq/switchboard/core"
)

// Name is the provider's name in core.FileProviders.
const Name = "qiniu"

// Defaults.
const (
	DefaultRegion      = "z0"
	DefaultPartSize    = 4 << 20
	DefaultConcurrency = 2
	uploadTokenTTL     = time.Hour
	maxCallbackBody    = 64 << 10
)

const section = "files.qiniu"

func init() { core.FileProviders.Register(Name, Open) }

// Options is the files.qiniu config section.
type Options struct {
	AccessKey   string   `json:"accessKey"`
	SecretKey   string   `json:"secretKey"`
	Bucket      string   `json:"bucket"`
	Domain      string   `json:"domain"`
	Private     *bool    `json:"private"`
	Region      string   `json:"region"`
	UpHosts     []string `json:"upHosts"`
	RsHost      string   `json:"rsHost"`
	RsfHost     string   `json:"rsfHost"`
	Prefix      string   `json:"prefix"`
	PartSize    int64    `json:"partSize"`
	Concurrency int      `json:"concurrency"`
}

// Driver is the qiniu provider.
type Driver struct {
	bucket   string
	prefix   string
	domain   string
	private  bool
	upHost   string
	creds    *credentials.Credentials
	mac      *auth.Credentials
	uploads  *uploader.UploadManager
	objects  *objects.ObjectsManager
	download *http.Client
}

var (
	_ core.FileDriver         = (*Driver)(nil)
	_ core.FileURLSigner      = (*Driver)(nil)
	_ core.FileDirectUploader = (*Driver)(nil)
	_ core.FileUploadCallback = (*Driver)(nil)
	_ core.FileThumbnailer    = (*Driver)(nil)
)

var disableUplog sync.Once

// Open implements core.OpenFilesFunc.
func Open(_ context.Context, cfg core.FilesConfig) (core.FileDriver, error) {
	var opts Options
	if err := core.DecodeOptions(cfg.Options, &opts); err != nil {
		return nil, err
	}
	return New(opts)
}

// New opens the provider outside the registry.
func New(opts Options) (*Driver, error) {
	if err := filekit.Required(section, "accessKey", opts.AccessKey, "secretKey", opts.SecretKey, "bucket", opts.Bucket, "domain", opts.Domain); err != nil {
		return nil, err
	}
	if err := checkURL("domain", opts.Domain); err != nil {
		return nil, err
	}
	if opts.PartSize == 0 {
		opts.PartSize = DefaultPartSize
	}
	if opts.PartSize < 1<<20 || opts.PartSize > 1<<30 {
		return nil, errors.New("files.qiniu: partSize must be from 1 MiB to 1 GiB")
	}
	if opts.Concurrency == 0 {
		opts.Concurrency = DefaultConcurrency
	}
	if opts.Concurrency < 1 || opts.Concurrency > 16 {
		return nil, errors.New("files.qiniu: concurrency must be from 1 to 16")
	}
	if err := filekit.CheckPrefix(section, opts.Prefix); err != nil {
		return nil, err
	}
	reg, err := regionOf(opts)
	if err != nil {
		return nil, err
	}
	disableUplog.Do(uplog.DisableUplog)
	creds := credentials.NewCredentials(opts.AccessKey, opts.SecretKey)
	httpOpts := http_client.Options{
		Regions:     reg,
		Credentials: creds,
		// Every host comes from the region; the SDK must not ask Qiniu's
		// central query service where the bucket lives.
		BucketQuery: nil,
	}
	d := &Driver{
		bucket:  opts.Bucket,
		prefix:  opts.Prefix,
		domain:  strings.TrimRight(opts.Domain, "/"),
		private: opts.Private == nil || *opts.Private,
		upHost:  reg.Up.Preferred[0],
		creds:   creds,
		mac:     auth.New(opts.AccessKey, opts.SecretKey),
		uploads: uploader.NewUploadManager(&uploader.UploadManagerOptions{
			Options:             httpOpts,
			PartSize:            uint64(opts.PartSize),
			MultiPartsThreshold: uint64(opts.PartSize),
			Concurrency:         opts.Concurrency,
		}),
		objects:  objects.NewObjectsManager(&objects.ObjectsManagerOptions{Options: httpOpts}),
		download: &http.Client{Transport: http.DefaultTransport},
	}
	return d, nil
}

func checkURL(option, raw string) error {
	_, err := filekit.CheckBaseURL(section, option, raw)
	return err
}

// regionOf is the region's public hosts with the configured ones on top.
func regionOf(opts Options) (*region.Region, error) {
	var reg region.Region
	id := opts.Region
	if id == "" && (len(opts.UpHosts) == 0 || opts.RsHost == "" || opts.RsfHost == "") {
		id = DefaultRegion
	}
	if id != "" {
		old, ok := storage.GetRegionByID(storage.RegionID(id))
		if !ok {
			return nil, fmt.Errorf("files.qiniu: unknown region %q (z0, cn-east-2, z1, z2, na0, as0, ...)", id)
		}
		reg = region.Region{
			RegionID: id,
			Up:       region.Endpoints{Preferred: withScheme(old.SrcUpHosts)},
			Rs:       region.Endpoints{Preferred: withScheme([]string{old.RsHost})},
			Rsf:      region.Endpoints{Preferred: withScheme([]string{old.RsfHost})},
			Api:      region.Endpoints{Preferred: withScheme([]string{old.ApiHost})},
		}
	}
	for _, h := range opts.UpHosts {
		if err := checkURL("upHosts", h); err != nil {
			return nil, err
		}
	}
	if len(opts.UpHosts) > 0 {
		reg.Up = region.Endpoints{Preferred: trimAll(opts.UpHosts)}
	}
	for _, h := range []struct {
		option, v string
		dst       *region.Endpoints
	}{{"rsHost", opts.RsHost, &reg.Rs}, {"rsfHost", opts.RsfHost, &reg.Rsf}} {
		if h.v == "" {
			continue
		}
		if err := checkURL(h.option, h.v); err != nil {
			return nil, err
		}
		*h.dst = region.Endpoints{Preferred: []string{strings.TrimRight(h.v, "/")}}
	}
	if len(reg.Up.Preferred) == 0 {
		return nil, errors.New("files.qiniu: no upload host: set region or upHosts")
	}
	return &reg, nil
}

func withScheme(hosts []string) []string {
	out := make([]string, 0, len(hosts))
	for _, h := range hosts {
		if h == "" {
			continue
		}
		if !strings.Contains(h, "://") {
			h = "https://" + h
		}
		out = append(out, h)
	}
	return out
}

func trimAll(hosts []string) []string {
	out := make([]string, len(hosts))
	for i, h := range hosts {
		out[i] = strings.TrimRight(h, "/")
	}
	return out
}

func (d *Driver) key(name string) string { return d.prefix + name }

// uploadToken signs a put policy for one key.
func (d *Driver) uploadToken(ctx context.Context, key string, ttl time.Duration, edit func(uptoken.PutPolicy) uptoken.PutPolicy) (string, error) {
	pol, err := uptoken.NewPutPolicyWithKey(d.bucket, key, time.Now().Add(ttl))
	if err != nil {
		return "", err
	}
	if edit != nil {
		pol = edit(pol)
	}
	return uptoken.NewSigner(pol, d.creds).GetUpToken(ctx)
}

// Put implements core.FileDriver.
func (d *Driver) Put(ctx context.Context, name string, r io.Reader, _ int64, contentType string) (core.FileInfo, error) {
	key := d.key(name)
	token, err := d.uploadToken(ctx, key, uploadTokenTTL, nil)
	if err != nil {
		return core.FileInfo{}, core.Internal(fmt.Errorf("files.qiniu: signing an upload token: %w", err))
	}
	var ret struct {
		Hash string `json:"hash"`
	}
	err = d.uploads.UploadReader(ctx, r, &uploader.ObjectOptions{
		BucketName:  d.bucket,
		ObjectName:  &key,
		FileName:    path.Base(key),
		ContentType: contentType,
		UpToken:     uptoken.NewParser(token),
	}, &ret)
	if err != nil {
		return core.FileInfo{}, d.mapError(ctx, "put", name, err)
	}
	return d.Stat(ctx, name)
}

// Stat implements core.FileDriver.
func (d *Driver) Stat(ctx context.Context, name string) (core.FileInfo, error) {
	obj, err := d.objects.Bucket(d.bucket).Object(d.key(name)).Stat().Call(ctx)
	if err != nil {
		return core.FileInfo{}, d.mapError(ctx, "stat", name, err)
	}
	return info(name, obj), nil
}

func info(name string, obj *objects.ObjectDetails) core.FileInfo {
	ct := obj.MimeType
	if ct == "" {
		ct = "application/octet-stream"
	}
	return core.FileInfo{Name: name, Size: obj.Size, ContentType: ct, ETag: obj.ETag, ModTime: obj.UploadedAt.UTC()}
}

// Delete implements core.FileDriver.
func (d *Driver) Delete(ctx context.Context, name string) error {
	if err := d.objects.Bucket(d.bucket).Object(d.key(name)).Delete().Call(ctx); err != nil {
		return d.mapError(ctx, "delete", name, err)
	}
	return nil
}

// List implements core.FileDriver; the cursor is Kodo's marker.
func (d *Driver) List(ctx context.Context, opts core.ListOptions) (core.ListPage, error) {
	limit := uint64(opts.Limit)
	lister := d.objects.Bucket(d.bucket).List(ctx, &objects.ListObjectsOptions{Prefix: d.key(opts.Prefix), Marker: opts.Cursor, Limit: &limit})
	defer lister.Close()
	var page core.ListPage
	var obj objects.ObjectDetails
	for lister.Next(&obj) {
		page.Files = append(page.Files, info(strings.TrimPrefix(obj.Name, d.prefix), &obj))
	}
	if err := lister.Error(); err != nil {
		return core.ListPage{}, d.mapError(ctx, "list", opts.Prefix, err)
	}
	if len(page.Files) == opts.Limit {
		page.Next = lister.Marker()
	}
	return page, nil
}

// Close implements core.FileDriver.
func (d *Driver) Close() error { return nil }

// objectURL is the download URL of name, with a query (imageView2) and a
// private-download token when the bucket is private.
func (d *Driver) objectURL(name, query string, expires time.Duration) string {
	if d.private {
		deadline := time.Now().Add(expires).Unix()
		return storage.MakePrivateURLv2WithQueryString(d.mac, d.domain, d.key(name), query, deadline)
	}
	return storage.MakePublicURLv2WithQueryString(d.domain, d.key(name), query)
}

// Get implements core.FileDriver with a GET of the bucket's domain.
func (d *Driver) Get(ctx context.Context, name string, rng *core.ByteRange) (io.ReadCloser, core.FileInfo, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, d.objectURL(name, "", uploadTokenTTL), nil)
	if err != nil {
		return nil, core.FileInfo{}, core.Internal(fmt.Errorf("files.qiniu: get %q: %w", name, err))
	}
	if rng != nil {
		if rng.Length > 0 {
			req.Header.Set("Range", fmt.Sprintf("bytes=%d-%d", rng.Offset, rng.Offset+rng.Length-1))
		} else {
			req.Header.Set("Range", fmt.Sprintf("bytes=%d-", rng.Offset))
		}
	}
	resp, err := d.download.Do(req)
	if err != nil {
		return nil, core.FileInfo{}, d.mapError(ctx, "get", name, err)
	}
	if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusPartialContent {
		defer resp.Body.Close()
		if resp.StatusCode == http.StatusRequestedRangeNotSatisfiable {
			return nil, core.FileInfo{}, core.Errorf(core.CodeInvalidValue, "the range starts past the end of the file")
		}
		return nil, core.FileInfo{}, d.mapError(ctx, "get", name, clientv1.ResponseError(resp))
	}
	fi := core.FileInfo{Name: name, Size: resp.ContentLength, ContentType: resp.Header.Get("Content-Type"), ETag: strings.Trim(resp.Header.Get("ETag"), `"`)}
	if t, err := http.ParseTime(resp.Header.Get("Last-Modified")); err == nil {
		fi.ModTime = t.UTC()
	}
	if rng != nil && resp.StatusCode == http.StatusOK {
		// The domain ignored the range (a CDN may): cut it out here.
		return cutRange(resp.Body, fi, rng)
	}
	if resp.StatusCode == http.StatusPartialContent {
		_, total, _ := strings.Cut(resp.Header.Get("Content-Range"), "/")
		if fi.Size, err = strconv.ParseInt(total, 10, 64); err != nil {
			resp.Body.Close()
			return nil, core.FileInfo{}, core.Internal(fmt.Errorf("files.qiniu: get %q: a ranged answer without a valid Content-Range", name))
		}
	}
	return resp.Body, fi, nil
}

// cutRange serves a range from a whole-file answer.
func cutRange(body io.ReadCloser, fi core.FileInfo, rng *core.ByteRange) (io.ReadCloser, core.FileInfo, error) {
	if rng.Offset >= fi.Size {
		body.Close()
		return nil, core.FileInfo{}, core.Errorf(core.CodeInvalidValue, "the range starts past the end of the file")
	}
	if _, err := io.CopyN(io.Discard, body, rng.Offset); err != nil {
		body.Close()
		return nil, core.FileInfo{}, &core.Error{Code: core.CodeConnectionFailed, Message: "the download from the file store was interrupted", Err: err}
	}
	n := fi.Size - rng.Offset
	if rng.Length > 0 {
		n = min(n, rng.Length)
	}
	return struct {
		io.Reader
		io.Closer
	}{io.LimitReader(body, n), body}, fi, nil
}

// SignedURL implements core.FileURLSigner: a private download URL.
func (d *Driver) SignedURL(_ context.Context, name string, expires time.Duration) (string, error) {
	if !d.private {
		return "", core.Internal(errors.New("files.qiniu: signed URLs need a private bucket (files.qiniu.private: true); a public bucket's URLs never expire"))
	}
	return d.objectURL(name, "", expires), nil
}

// ThumbnailURL implements core.FileThumbnailer with imageView2: mode 1
// crops to the box, mode 2 fits inside it.
func (d *Driver) ThumbnailURL(_ context.Context, name string, t core.Thumb, expires time.Duration) (string, error) {
	mode := 2
	if t.Mode == core.ThumbCrop {
		mode = 1
	}
	return d.objectURL(name, fmt.Sprintf("imageView2/%d/w/%d/h/%d", mode, t.Width, t.Height), expires), nil
}

// DirectUpload implements core.FileDirectUploader: a form upload whose
// token fixes the key, size, type and deadline.
func (d *Driver) DirectUpload(ctx context.Context, name string, opts core.DirectUploadOptions) (*core.DirectUpload, error) {
	key := d.key(name)
	token, err := d.uploadToken(ctx, key, opts.Expires, func(p uptoken.PutPolicy) uptoken.PutPolicy {
		p = p.SetFsizeMin(opts.Size).SetFsizeLimit(opts.Size).SetMimeLimit(opts.ContentType).SetInsertOnly(1)
		if opts.CallbackURL != "" {
			body := "key=$(key)&fsize=$(fsize)&mimeType=$(mimeType)&hash=$(etag)&body=" + url.QueryEscape(opts.CallbackBody)
			p = p.SetCallbackUrl(opts.CallbackURL).SetCallbackBody(body).SetCallbackBodyType("application/x-www-form-urlencoded")
		}
		return p
	})
	if err != nil {
		return nil, core.Internal(fmt.Errorf("files.qiniu: signing an upload token: %w", err))
	}
	return &core.DirectUpload{
		Method:    http.MethodPost,
		URL:       d.upHost,
		Fields:    map[string]string{"token": token, "key": key},
		FileField: "file",
		ExpiresAt: time.Now().Add(opts.Expires).UTC().Truncate(time.Second),
		Callback:  opts.CallbackURL != "",
	}, nil
}

// VerifyUploadCallback implements core.FileUploadCallback: the report must
// be signed with the account's keys ("QBox" over the path, query and form
// body, or "Qiniu" signature version 2) and name a key of this provider.
func (d *Driver) VerifyUploadCallback(r *http.Request) (core.FileInfo, string, error) {
	forged := func(why string) (core.FileInfo, string, error) {
		return core.FileInfo{}, "", core.Errorf(core.CodeOperationForbidden, "the upload callback is not from the file store: %s", why)
	}
	r.Body = http.MaxBytesReader(nil, r.Body, maxCallbackBody)
	// Kodo signed the path it was given; a server that mounts the route
	// under a prefix (http.StripPrefix) has rewritten r.URL but not
	// r.RequestURI.
	if u, err := url.ParseRequestURI(r.RequestURI); err == nil && r.RequestURI != "" {
		r2 := *r
		r2.URL = u
		r = &r2
	}
	authz := r.Header.Get("Authorization")
	var want string
	var err error
	switch {
	case strings.HasPrefix(authz, auth.AuthorizationPrefixQBox):
		want, err = d.mac.SignRequest(r)
		want = auth.AuthorizationPrefixQBox + want
	case strings.HasPrefix(authz, auth.AuthorizationPrefixQiniu):
		want, err = d.mac.SignRequestV2(r)
		want = auth.AuthorizationPrefixQiniu + want
	default:
		return forged("no signature")
	}
	if err != nil {
		return forged("unreadable body")
	}
	if subtle.ConstantTimeCompare([]byte(authz), []byte(want)) != 1 {
		return forged("the signature does not match")
	}
	if err := r.ParseForm(); err != nil {
		return forged("the body is not a form")
	}
	key := r.PostForm.Get("key")
	name, ok := strings.CutPrefix(key, d.prefix)
	if !ok || core.ValidateFileName(name) != nil {
		return forged("the key is not one of this app's files")
	}
	size, err := strconv.ParseInt(r.PostForm.Get("fsize"), 10, 64)
	if err != nil {
		return forged("no size")
	}
	return core.FileInfo{Name: name, Size: size, ContentType: r.PostForm.Get("mimeType"), ETag: r.PostForm.Get("hash"), ModTime: time.Now().UTC()}, r.PostForm.Get("body"), nil
}

// mapError turns an SDK error into the contract's codes.
func (d *Driver) mapError(ctx context.Context, op, name string, err error) error {
	var e *core.Error
	if errors.As(err, &e) {
		return e // the body's own failure, passed through the SDK
	}
	cause := fmt.Errorf("files.qiniu: %s %q: %w", op, name, err)
	if ctx.Err() != nil {
		return &core.Error{Code: core.CodeConnectionFailed, Message: "the request to the file store was canceled", Err: errors.Join(ctx.Err(), cause)}
	}
	status := 0
	var info *clientv1.ErrorInfo
	if errors.As(err, &info) {
		status = info.Code
		if info.Err != "" {
			cause = fmt.Errorf("%w: %s", cause, info.Err)
		}
	}
	switch {
	case status == 612 || status == http.StatusNotFound:
		return core.ErrNotFound()
	case status == http.StatusRequestEntityTooLarge:
		return core.Errorf(core.CodeFileTooLarge, "the file is larger than the store accepts")
	case status >= 500 && status != 579 && status != 614 && status != 631 && status != 612:
		return &core.Error{Code: core.CodeConnectionFailed, Message: "the file store is unavailable; try again", Err: cause}
	case status == 631:
		return core.Internal(fmt.Errorf("%w (check files.qiniu.bucket %q exists)", cause, d.bucket))
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		return core.Internal(fmt.Errorf("%w (check files.qiniu.accessKey and secretKey)", cause))
	}
	var netErr net.Error
	var syntaxErr *json.SyntaxError
	if status == 0 && (errors.As(err, &netErr) || errors.Is(err, io.ErrUnexpectedEOF)) && !errors.As(err, &syntaxErr) {
		return &core.Error{Code: core.CodeConnectionFailed, Message: "the file store is unreachable; try again", Err: cause}
	}
	return core.Internal(cause)
}
