// Package s3 is the "s3" files provider: any store that speaks the S3 API
// (AWS S3, MinIO, Aliyun OSS, Tencent COS, Qiniu Kodo's S3 endpoint, ...).
//
// It uses github.com/minio/minio-go/v7 rather than aws-sdk-go-v2: one
// module instead of a dozen, written for S3-compatible stores first (path
// or virtual-host addressing picked per endpoint, no AWS-only defaults such
// as its credential chain or checksum trailers that other stores refuse),
// streaming uploads of unknown length with a bounded part buffer built in,
// and presigning that can sign extra headers (Content-Type and
// Content-Length of a direct upload).
//
// Uploads stream: a body up to partSize goes in one PUT, a longer or
// unknown-length one as a multipart upload holding one part in memory; a
// failed multipart upload is aborted, so nothing is left. Downloads are
// ranged GETs. Signed URLs are presigned GETs; direct uploads are
// presigned PUTs that sign the content type and the exact length, so the
// store itself refuses any other body.
//
// Errors: NoSuchKey is CodeObjectNotFound; 5xx, throttling (SlowDown) and
// network errors are CodeConnectionFailed (minio-go has already retried
// them); credentials, a missing bucket and other refusals are internal
// errors whose logged cause says what to fix.
//
// Options (files.s3):
//
//	bucket           string, required.
//	endpoint         string, optional. The store's URL, e.g.
//	                 https://s3.amazonaws.com (default),
//	                 https://oss-cn-hangzhou.aliyuncs.com,
//	                 http://127.0.0.1:9000 for a local MinIO.
//	region           string, optional. Default us-east-1.
//	accessKeyId      string, required.
//	secretAccessKey  string, required.
//	sessionToken     string, optional. For temporary credentials.
//	pathStyle        bool, optional. Address the bucket in the path
//	                 (endpoint/bucket/key) instead of the host name; MinIO
//	                 and most private stores need it. Default: chosen by
//	                 endpoint.
//	prefix           string, optional. Prepended to every name, so several
//	                 apps can share a bucket ("app1/").
//	partSize         int, optional. Bytes per part of a multipart upload,
//	                 5 MiB to 5 GiB. Default 8 MiB; uploads hold one part in
//	                 memory.
//	caFile           string, optional. PEM file of extra certificate
//	                 authorities to trust (a private cloud's own CA).
package s3

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/switchboardhq/switchboard/adapters/files/internal/filekit"
	"github.com/switchboardhq/switchboard/core"
)

// Name is the provider's name in core.FileProviders.
const Name = "s3"

// Defaults.
const (
	DefaultEndpoint = "https://s3.amazonaws.com"
	DefaultRegion   = "us-east-1"
	DefaultPartSize = 8 << 20
	minPartSize     = 5 << 20
	maxPartSize     = 5 << 30
)

const section = "files.s3"

func init() { core.FileProviders.Register(Name, Open) }

// Options is the files.s3 config section.
type Options struct {
	Bucket          string `json:"bucket"`
	Endpoint        string `json:"endpoint"`
	Region          string `json:"region"`
	AccessKeyID     string `json:"accessKeyId"`
	SecretAccessKey string `json:"secretAccessKey"`
	SessionToken    string `json:"sessionToken"`
	PathStyle       *bool  `json:"pathStyle"`
	Prefix          string `json:"prefix"`
	PartSize        int64  `json:"partSize"`
	CAFile          string `json:"caFile"`
}

// Driver is the s3 provider.
type Driver struct {
	client *minio.Client
	bucket string
	prefix string
	part   uint64
}

var (
	_ core.FileDriver         = (*Driver)(nil)
	_ core.FileURLSigner      = (*Driver)(nil)
	_ core.FileDirectUploader = (*Driver)(nil)
)

// Open implements core.OpenFilesFunc.
func Open(ctx context.Context, cfg core.FilesConfig) (core.FileDriver, error) {
	opts := Options{Endpoint: DefaultEndpoint, Region: DefaultRegion, PartSize: DefaultPartSize}
	if err := core.DecodeOptions(cfg.Options, &opts); err != nil {
		return nil, err
	}
	return New(ctx, opts)
}

// New opens the provider outside the registry.
func New(ctx context.Context, opts Options) (*Driver, error) {
	if err := filekit.Required(section, "bucket", opts.Bucket, "accessKeyId", opts.AccessKeyID, "secretAccessKey", opts.SecretAccessKey); err != nil {
		return nil, err
	}
	u, err := filekit.CheckBaseURL(section, "endpoint", opts.Endpoint)
	if err != nil {
		return nil, err
	}
	if opts.PartSize < minPartSize || opts.PartSize > maxPartSize {
		return nil, fmt.Errorf("files.s3: partSize must be from %d (5 MiB) to %d (5 GiB) bytes", minPartSize, int64(maxPartSize))
	}
	if err := filekit.CheckPrefix(section, opts.Prefix); err != nil {
		return nil, err
	}
	transport, err := newTransport(opts.CAFile)
	if err != nil {
		return nil, err
	}
	lookup := minio.BucketLookupAuto
	if opts.PathStyle != nil {
		lookup = minio.BucketLookupDNS
		if *opts.PathStyle {
			lookup = minio.BucketLookupPath
		}
	}
	client, err := minio.New(u.Host, &minio.Options{
		Creds:        credentials.NewStaticV4(opts.AccessKeyID, opts.SecretAccessKey, opts.SessionToken),
		Secure:       u.Scheme == "https",
		Region:       opts.Region,
		BucketLookup: lookup,
		Transport:    transport,
	})
	if err != nil {
		return nil, fmt.Errorf("files.s3: %w", err)
	}
	d := &Driver{client: client, bucket: opts.Bucket, prefix: opts.Prefix, part: uint64(opts.PartSize)}
	if err := d.checkBucket(ctx); err != nil {
		return nil, err
	}
	return d, nil
}

// checkBucket fails to open when the store says the bucket is missing or
// refuses the keys: S3 answers a HEAD of a key in a missing bucket with a
// bare 404, so later the mistake would look like a missing file. A store
// that cannot be reached now is not a reason to refuse to start.
func (d *Driver) checkBucket(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	ok, err := d.client.BucketExists(ctx, d.bucket)
	if err == nil && !ok {
		return fmt.Errorf("files.s3: bucket %q does not exist (check files.s3.bucket %q exists)", d.bucket, d.bucket)
	}
	if err != nil {
		if e := core.AsError(d.mapError(ctx, "open bucket", d.bucket, err)); e.Code == core.CodeInternalServerError {
			return e.Err
		}
	}
	return nil
}

func newTransport(caFile string) (*http.Transport, error) {
	t, err := minio.DefaultTransport(true)
	if err != nil {
		return nil, fmt.Errorf("files.s3: %w", err)
	}
	if caFile == "" {
		return t, nil
	}
	pem, err := os.ReadFile(caFile)
	if err != nil {
		return nil, fmt.Errorf("files.s3: caFile: %w", err)
	}
	pool, err := x509.SystemCertPool()
	if err != nil {
		pool = x509.NewCertPool()
	}
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("files.s3: caFile %s holds no PEM certificate", caFile)
	}
	if t.TLSClientConfig == nil {
		t.TLSClientConfig = &tls.Config{MinVersion: tls.VersionTLS12}
	}
	t.TLSClientConfig.RootCAs = pool
	return t, nil
}

func (d *Driver) key(name string) string { return d.prefix + name }

// Put implements core.FileDriver.
func (d *Driver) Put(ctx context.Context, name string, r io.Reader, size int64, contentType string) (core.FileInfo, error) {
	_, err := d.client.PutObject(ctx, d.bucket, d.key(name), r, size, minio.PutObjectOptions{
		ContentType: contentType,
		PartSize:    d.part,
		// One part in memory at a time.
		NumThreads: 1,
	})
	if err != nil {
		return core.FileInfo{}, d.mapError(ctx, "put", name, err)
	}
	return d.Stat(ctx, name)
}

// Get implements core.FileDriver.
func (d *Driver) Get(ctx context.Context, name string, rng *core.ByteRange) (io.ReadCloser, core.FileInfo, error) {
	var opts minio.GetObjectOptions
	if rng != nil {
		// Set directly: minio-go's SetRange reads (0, 0) as "no range".
		if rng.Length > 0 {
			opts.Set("Range", fmt.Sprintf("bytes=%d-%d", rng.Offset, rng.Offset+rng.Length-1))
		} else {
			opts.Set("Range", fmt.Sprintf("bytes=%d-", rng.Offset))
		}
	}
	// Core.GetObject sends one GET and returns its headers, unlike the
	// lazy Client.GetObject whose Stat may be a separate HEAD.
	body, st, header, err := minio.Core{Client: d.client}.GetObject(ctx, d.bucket, d.key(name), opts)
	if err != nil {
		if resp := minio.ToErrorResponse(err); resp.Code == "InvalidRange" || resp.StatusCode == http.StatusRequestedRangeNotSatisfiable {
			return nil, core.FileInfo{}, core.Errorf(core.CodeInvalidValue, "the range starts past the end of the file")
		}
		return nil, core.FileInfo{}, d.mapError(ctx, "get", name, err)
	}
	info := d.info(name, st)
	if rng != nil {
		// A ranged answer's length is the part's; the file's is in
		// Content-Range: "bytes 100-999/10000".
		_, total, _ := strings.Cut(header.Get("Content-Range"), "/")
		size, err := strconv.ParseInt(total, 10, 64)
		if err != nil {
			body.Close()
			return nil, core.FileInfo{}, core.Internal(fmt.Errorf("files.s3: get %q: the store answered a range without a valid Content-Range", name))
		}
		info.Size = size
	}
	return body, info, nil
}

// Stat implements core.FileDriver.
func (d *Driver) Stat(ctx context.Context, name string) (core.FileInfo, error) {
	st, err := d.client.StatObject(ctx, d.bucket, d.key(name), minio.StatObjectOptions{})
	if err != nil {
		return core.FileInfo{}, d.mapError(ctx, "stat", name, err)
	}
	return d.info(name, st), nil
}

func (d *Driver) info(name string, st minio.ObjectInfo) core.FileInfo {
	ct := st.ContentType
	if ct == "" {
		ct = "application/octet-stream"
	}
	return core.FileInfo{Name: name, Size: st.Size, ContentType: ct, ETag: strings.Trim(st.ETag, `"`), ModTime: st.LastModified.UTC()}
}

// Delete implements core.FileDriver. S3 answers a delete of a missing key
// with success, so the key is looked up first: the contract promises
// CodeObjectNotFound.
func (d *Driver) Delete(ctx context.Context, name string) error {
	if _, err := d.Stat(ctx, name); err != nil {
		return err
	}
	if err := d.client.RemoveObject(ctx, d.bucket, d.key(name), minio.RemoveObjectOptions{}); err != nil {
		return d.mapError(ctx, "delete", name, err)
	}
	return nil
}

// List implements core.FileDriver with ListObjectsV2 after the cursor.
func (d *Driver) List(ctx context.Context, opts core.ListOptions) (core.ListPage, error) {
	lctx, cancel := context.WithCancel(ctx)
	defer cancel() // stops minio-go's listing goroutine once the page is full
	in := minio.ListObjectsOptions{Prefix: d.key(opts.Prefix), Recursive: true, MaxKeys: opts.Limit + 1}
	if opts.Cursor != "" {
		in.StartAfter = d.key(opts.Cursor)
	}
	var page core.ListPage
	for obj := range d.client.ListObjects(lctx, d.bucket, in) {
		if obj.Err != nil {
			return core.ListPage{}, d.mapError(ctx, "list", opts.Prefix, obj.Err)
		}
		if len(page.Files) == opts.Limit {
			page.Next = page.Files[len(page.Files)-1].Name
			break
		}
		page.Files = append(page.Files, d.info(strings.TrimPrefix(obj.Key, d.prefix), obj))
	}
	return page, nil
}

// Close implements core.FileDriver.
func (d *Driver) Close() error { return nil }

// SignedURL implements core.FileURLSigner with a presigned GET.
func (d *Driver) SignedURL(ctx context.Context, name string, expires time.Duration) (string, error) {
	u, err := d.client.PresignedGetObject(ctx, d.bucket, d.key(name), expires, nil)
	if err != nil {
		return "", d.mapError(ctx, "sign", name, err)
	}
	return u.String(), nil
}

// DirectUpload implements core.FileDirectUploader with a presigned PUT
// that signs Content-Type and Content-Length: the store refuses a body of
// another type or length.
func (d *Driver) DirectUpload(ctx context.Context, name string, opts core.DirectUploadOptions) (*core.DirectUpload, error) {
	headers := http.Header{
		"Content-Type":   {opts.ContentType},
		"Content-Length": {strconv.FormatInt(opts.Size, 10)},
	}
	u, err := d.client.PresignHeader(ctx, http.MethodPut, d.bucket, d.key(name), opts.Expires, nil, headers)
	if err != nil {
		return nil, d.mapError(ctx, "presign upload of", name, err)
	}
	return &core.DirectUpload{
		Method:    http.MethodPut,
		URL:       u.String(),
		Headers:   map[string]string{"Content-Type": opts.ContentType},
		ExpiresAt: time.Now().Add(opts.Expires).UTC().Truncate(time.Second),
	}, nil
}

// mapError turns a minio-go error into the contract's codes.
func (d *Driver) mapError(ctx context.Context, op, name string, err error) error {
	var e *core.Error
	if errors.As(err, &e) {
		return e // the body's own failure, passed through minio-go
	}
	cause := fmt.Errorf("files.s3: %s %q: %w", op, name, err)
	if ctx.Err() != nil {
		return &core.Error{Code: core.CodeConnectionFailed, Message: "the request to the file store was canceled", Err: errors.Join(ctx.Err(), cause)}
	}
	resp := minio.ToErrorResponse(err)
	switch {
	case resp.Code == "NoSuchKey" || (resp.StatusCode == http.StatusNotFound && resp.Code != "NoSuchBucket"):
		return core.ErrNotFound()
	case resp.Code == "KeyTooLongError":
		return core.Errorf(core.CodeInvalidFileName, "invalid file name: too long for the store")
	case resp.Code == "EntityTooLarge":
		return core.Errorf(core.CodeFileTooLarge, "the file is larger than the store accepts")
	case resp.StatusCode >= 500 || resp.Code == "SlowDown" || resp.Code == "RequestTimeout":
		return &core.Error{Code: core.CodeConnectionFailed, Message: "the file store is unavailable; try again", Err: cause}
	case resp.Code == "NoSuchBucket":
		return core.Internal(fmt.Errorf("%w (check files.s3.bucket %q exists)", cause, d.bucket))
	case resp.Code == "InvalidAccessKeyId" || resp.Code == "SignatureDoesNotMatch" || resp.Code == "AccessDenied":
		return core.Internal(fmt.Errorf("%w (check files.s3.accessKeyId and secretAccessKey, and the key's permissions on the bucket)", cause))
	}
	var netErr net.Error
	if resp.Code == "" && (errors.As(err, &netErr) || errors.Is(err, io.ErrUnexpectedEOF)) {
		return &core.Error{Code: core.CodeConnectionFailed, Message: "the file store is unreachable; try again", Err: cause}
	}
	return core.Internal(cause)
}
