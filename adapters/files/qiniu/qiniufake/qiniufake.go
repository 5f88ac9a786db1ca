// Package qiniufake is a local Qiniu Kodo for tests. It speaks the parts
// of Kodo's protocol the qiniu provider uses, the way Kodo does:
//
//   - up: form upload (POST / multipart with token, key, crc32, file) and
//     resumable upload v2 (POST/PUT/POST/DELETE under
//     /buckets/<bucket>/objects/<base64 key>/uploads), authorized by an
//     upload token ("UpToken" header or the form's token field) whose
//     HMAC-SHA1 signature, deadline, scope, insertOnly, fsizeMin,
//     fsizeLimit and mimeLimit are enforced, and with the put policy's
//     callback (a signed POST to callbackUrl whose answer becomes the
//     upload's answer) and returnBody;
//   - rs: GET /stat/<entry> and POST /delete/<entry>; rsf: GET /list; both
//     check the "Qiniu" Authorization (signature version 2 with
//     X-Qiniu-Date);
//   - io: downloads of the bucket's domain, with byte ranges, private-URL
//     tokens (e and token) and imageView2 thumbnails.
//
// Errors carry Kodo's status codes and JSON bodies: 401 bad token or token
// out of date, 403 for a scope or policy refusal, 612 no such file or
// directory (and no such uploadId), 614 file exists, 631 no such bucket,
// 406 crc32 not match, 579 callback failed. Every answer carries X-Reqid,
// without which the Go SDK rejects a response as hijacked.
//
// Files and parts live in a temporary folder, so a large upload does not
// sit in the test's memory. Each service is its own server, reached by
// giving the SDK explicit region hosts (Options).
package qiniufake

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/md5"
	"crypto/sha1"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"mime"
	"net/http"
	"net/http/httptest"
	"net/textproto"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/adapters/files/internal/filekit"
	"github.com/switchboardhq/switchboard/core"
	"github.com/switchboardhq/switchboard/core/fileapi/thumbnail"
)

// Credentials and names the fake accepts.
const (
	AccessKey = "QiniuFakeAccessKey0000000000000000000001"
	SecretKey = "QiniuFakeSecretKey-do-not-use-elsewhere-01"
	Bucket    = "switchboard-test"
)

// Fake is one Kodo with one bucket.
type Fake struct {
	up, rs, rsf, io *httptest.Server
	dir             string
	private         bool
	received        atomic.Int64
	reqid           atomic.Int64
	failNext        atomic.Int64
	requests        atomic.Int64

	mu      sync.Mutex
	objects map[string]*object
	uploads map[string]*upload
	seq     int
}

type object struct {
	file     string
	size     int64
	hash     string
	mimeType string
	putTime  int64 // 100 ns units, as Kodo reports
}

type upload struct {
	key      string
	policy   policy
	token    string
	expireAt time.Time
	parts    map[int64]*part
}

type part struct {
	file string
	size int64
	etag string
}

// New starts a fake with a private bucket until tb ends.
func New(tb testing.TB) *Fake {
	f := &Fake{dir: tb.TempDir(), private: true, objects: map[string]*object{}, uploads: map[string]*upload{}}
	f.up = httptest.NewServer(f.wrap(http.HandlerFunc(f.serveUp)))
	f.rs = httptest.NewServer(f.wrap(f.signed(http.HandlerFunc(f.serveRs))))
	f.rsf = httptest.NewServer(f.wrap(f.signed(http.HandlerFunc(f.serveRsf))))
	f.io = httptest.NewServer(f.wrap(http.HandlerFunc(f.serveIo)))
	for _, s := range []*httptest.Server{f.up, f.rs, f.rsf, f.io} {
		tb.Cleanup(s.Close)
	}
	return f
}

// Options is a files.qiniu config section for the fake.
func (f *Fake) Options() map[string]any {
	return map[string]any{
		"accessKey": AccessKey, "secretKey": SecretKey, "bucket": Bucket,
		"upHosts": []any{f.up.URL}, "rsHost": f.rs.URL, "rsfHost": f.rsf.URL,
		"domain": f.io.URL, "private": true,
	}
}

// UpURL is the upload host.
func (f *Fake) UpURL() string { return f.up.URL }

// Received is how many upload body bytes the fake has read.
func (f *Fake) Received() int64 { return f.received.Load() }

// Requests is how many requests the fake has answered.
func (f *Fake) Requests() int64 { return f.requests.Load() }

// FailNext makes the next n requests fail with 503, as an overloaded Kodo.
func (f *Fake) FailNext(n int) { f.failNext.Store(int64(n)) }

// PendingUploads is the number of resumable uploads neither completed nor
// aborted.
func (f *Fake) PendingUploads() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.uploads)
}

// wrap adds X-Reqid to every answer, counts bodies and injects failures.
func (f *Fake) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.requests.Add(1)
		w.Header().Set("X-Reqid", fmt.Sprintf("fake%012d", f.reqid.Add(1)))
		if f.failNext.Add(-1) >= 0 {
			writeError(w, http.StatusServiceUnavailable, "service unavailable")
			return
		}
		r.Body = filekit.CountingBody{ReadCloser: r.Body, N: &f.received}
		h.ServeHTTP(w, r)
	})
}

func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]any{"error": msg})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func sign(data string) string {
	m := hmac.New(sha1.New, []byte(SecretKey))
	m.Write([]byte(data))
	return base64.URLEncoding.EncodeToString(m.Sum(nil))
}

// policy is a put policy, as far as the fake enforces it.
type policy struct {
	Scope            string `json:"scope"`
	Deadline         int64  `json:"deadline"`
	InsertOnly       int    `json:"insertOnly"`
	FsizeMin         int64  `json:"fsizeMin"`
	FsizeLimit       int64  `json:"fsizeLimit"`
	MimeLimit        string `json:"mimeLimit"`
	ReturnBody       string `json:"returnBody"`
	CallbackURL      string `json:"callbackUrl"`
	CallbackBody     string `json:"callbackBody"`
	CallbackBodyType string `json:"callbackBodyType"`
}

type kodoError struct {
	status int
	msg    string
}

func (e *kodoError) Error() string { return e.msg }

func fail(status int, msg string) *kodoError { return &kodoError{status, msg} }

// parseToken checks an upload token: AccessKey:sign:encodedPolicy.
func parseToken(token string) (policy, *kodoError) {
	parts := strings.Split(token, ":")
	if len(parts) != 3 || parts[0] != AccessKey || !hmac.Equal([]byte(parts[1]), []byte(sign(parts[2]))) {
		return policy{}, fail(http.StatusUnauthorized, "bad token")
	}
	raw, err := base64.URLEncoding.DecodeString(parts[2])
	var p policy
	if err != nil || json.Unmarshal(raw, &p) != nil || p.Scope == "" {
		return policy{}, fail(http.StatusUnauthorized, "bad token")
	}
	if time.Now().Unix() > p.Deadline {
		return policy{}, fail(http.StatusUnauthorized, "token out of date")
	}
	return p, nil
}

// checkScope checks the key against the policy's scope.
func checkScope(p policy, key string) *kodoError {
	bucket, scopeKey, hasKey := strings.Cut(p.Scope, ":")
	if bucket != Bucket {
		return fail(631, "no such bucket")
	}
	if hasKey && scopeKey != key {
		return fail(http.StatusForbidden, "key doesn't match with scope")
	}
	return nil
}

// checkObject applies the policy's limits to a finished body.
func (f *Fake) checkObject(p policy, key string, size int64, mimeType string) *kodoError {
	if p.FsizeLimit > 0 && size > p.FsizeLimit {
		return fail(http.StatusRequestEntityTooLarge, "file exceeds fsizeLimit")
	}
	if p.FsizeMin > 0 && size < p.FsizeMin {
		return fail(http.StatusForbidden, "file is smaller than fsizeMin")
	}
	if p.MimeLimit != "" && !mimeAllowed(p.MimeLimit, mimeType) {
		return fail(http.StatusForbidden, fmt.Sprintf("limited mimeType: this file type (%s) is forbidden to upload", mimeType))
	}
	_, _, scoped := strings.Cut(p.Scope, ":")
	f.mu.Lock()
	_, exists := f.objects[key]
	f.mu.Unlock()
	if exists && (!scoped || p.InsertOnly != 0) {
		return fail(614, "file exists")
	}
	return nil
}

// mimeAllowed reads a mimeLimit: "image/*;text/plain" allows, "!text/html"
// forbids.
func mimeAllowed(limit, mimeType string) bool {
	match := func(pattern string) bool {
		if prefix, ok := strings.CutSuffix(pattern, "/*"); ok {
			return strings.HasPrefix(mimeType, prefix+"/")
		}
		return pattern == mimeType
	}
	if rest, deny := strings.CutPrefix(limit, "!"); deny {
		return !slices.ContainsFunc(strings.Split(rest, ";"), match)
	}
	return slices.ContainsFunc(strings.Split(limit, ";"), match)
}

func detectMime(declared, key string) string {
	if declared != "" && declared != "application/octet-stream" {
		if mt, _, err := mime.ParseMediaType(declared); err == nil {
			return mt
		}
	}
	if t := mime.TypeByExtension(path.Ext(key)); t != "" {
		mt, _, _ := mime.ParseMediaType(t)
		return mt
	}
	return "application/octet-stream"
}

func (f *Fake) tempFile() (*os.File, error) { return os.CreateTemp(f.dir, "blob-*") }

func (f *Fake) serveUp(w http.ResponseWriter, r *http.Request) {
	var err error
	switch {
	case r.Method == http.MethodPost && r.URL.Path == "/":
		err = f.formUpload(w, r)
	case strings.HasPrefix(r.URL.Path, "/buckets/"):
		err = f.resumable(w, r)
	default:
		err = fail(http.StatusNotFound, "no such api")
	}
	var ke *kodoError
	if errors.As(err, &ke) {
		writeError(w, ke.status, ke.msg)
	} else if err != nil {
		writeError(w, 599, err.Error())
	}
}

func (f *Fake) formUpload(w http.ResponseWriter, r *http.Request) error {
	mr, err := r.MultipartReader()
	if err != nil {
		return fail(http.StatusBadRequest, "invalid multipart form")
	}
	fields := map[string]string{}
	var tmp *os.File
	var size int64
	var fileType string
	var sum uint32
	defer func() {
		if tmp != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			return fail(http.StatusBadRequest, "invalid multipart form")
		}
		if p.FormName() == "file" {
			if tmp, err = f.tempFile(); err != nil {
				return err
			}
			h := crc32.NewIEEE()
			if size, err = io.Copy(io.MultiWriter(tmp, h), p); err != nil {
				return fail(http.StatusBadRequest, "incomplete body")
			}
			sum = h.Sum32()
			fileType = p.Header.Get("Content-Type")
			continue
		}
		v, _ := io.ReadAll(io.LimitReader(p, 1<<16))
		fields[p.FormName()] = string(v)
	}
	if tmp == nil {
		return fail(http.StatusBadRequest, "file is required")
	}
	pol, kerr := parseToken(fields["token"])
	if kerr != nil {
		return kerr
	}
	key, ok := fields["key"]
	if !ok {
		return fail(http.StatusBadRequest, "the fake needs a key")
	}
	if kerr := checkScope(pol, key); kerr != nil {
		return kerr
	}
	if c, ok := fields["crc32"]; ok && c != strconv.FormatUint(uint64(sum), 10) {
		return fail(http.StatusNotAcceptable, "crc32 not match")
	}
	mimeType := detectMime(fileType, key)
	if kerr := f.checkObject(pol, key, size, mimeType); kerr != nil {
		return kerr
	}
	tmp.Close()
	obj, err := f.store(key, tmp.Name(), size, mimeType)
	if err != nil {
		return err
	}
	tmp = nil
	return f.answer(w, pol, key, obj)
}

// store moves a finished body into place.
func (f *Fake) store(key, file string, size int64, mimeType string) (*object, error) {
	h, err := qetag(file)
	if err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.seq++
	dst := filepath.Join(f.dir, fmt.Sprintf("object-%d", f.seq))
	if err := os.Rename(file, dst); err != nil {
		return nil, err
	}
	if old, ok := f.objects[key]; ok {
		os.Remove(old.file)
	}
	obj := &object{file: dst, size: size, hash: h, mimeType: mimeType, putTime: time.Now().UnixNano() / 100}
	f.objects[key] = obj
	return obj, nil
}

// answer replies to a finished upload: the callback's answer, the
// returnBody, or Kodo's default {hash, key}.
func (f *Fake) answer(w http.ResponseWriter, pol policy, key string, obj *object) error {
	vars := func(tmpl string, escape func(string) string) string {
		return strings.NewReplacer(
			"$(key)", escape(key), "$(fsize)", strconv.FormatInt(obj.size, 10),
			"$(mimeType)", escape(obj.mimeType), "$(etag)", escape(obj.hash),
			"$(bucket)", escape(Bucket), "$(fname)", escape(path.Base(key)),
		).Replace(tmpl)
	}
	if pol.CallbackURL != "" {
		ct := pol.CallbackBodyType
		if ct == "" {
			ct = "application/x-www-form-urlencoded"
		}
		escape := url.QueryEscape
		if ct == "application/json" {
			escape = func(s string) string { b, _ := json.Marshal(s); return string(b[1 : len(b)-1]) }
		}
		body := vars(pol.CallbackBody, escape)
		status, answer, err := callback(pol.CallbackURL, ct, body)
		if err != nil || status != http.StatusOK {
			return fail(579, fmt.Sprintf("callback failed: %d %v", status, err))
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(answer)
		return nil
	}
	if pol.ReturnBody != "" {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		_, _ = io.WriteString(w, vars(pol.ReturnBody, func(s string) string { b, _ := json.Marshal(s); return string(b[1 : len(b)-1]) }))
		return nil
	}
	writeJSON(w, http.StatusOK, map[string]string{"hash": obj.hash, "key": key})
	return nil
}

// callback POSTs the report, signed the classic way Kodo signs callbacks:
// "QBox AccessKey:sign" over the path, query, a newline and the body.
func callback(target, contentType, body string) (int, []byte, error) {
	u, err := url.Parse(target)
	if err != nil {
		return 0, nil, err
	}
	data := u.EscapedPath()
	if u.RawQuery != "" {
		data += "?" + u.RawQuery
	}
	data += "\n"
	if contentType == "application/x-www-form-urlencoded" {
		data += body
	}
	req, err := http.NewRequest(http.MethodPost, target, strings.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("Authorization", "QBox "+AccessKey+":"+sign(data))
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	resp, err := http.DefaultClient.Do(req.WithContext(ctx))
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return resp.StatusCode, b, err
}

// resumable serves resumable upload v2.
func (f *Fake) resumable(w http.ResponseWriter, r *http.Request) error {
	token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "UpToken ")
	if !ok {
		return fail(http.StatusUnauthorized, "bad token")
	}
	pol, kerr := parseToken(token)
	if kerr != nil {
		return kerr
	}
	// /buckets/<bucket>/objects/<key>/uploads[/<id>[/<part>]]
	segs := strings.Split(strings.TrimPrefix(r.URL.Path, "/"), "/")
	if len(segs) < 5 || segs[2] != "objects" || segs[4] != "uploads" {
		return fail(http.StatusNotFound, "no such api")
	}
	if segs[1] != Bucket {
		return fail(631, "no such bucket")
	}
	rawKey, err := base64.URLEncoding.DecodeString(segs[3])
	if err != nil || segs[3] == "~" {
		return fail(http.StatusBadRequest, "the fake needs a key")
	}
	key := string(rawKey)
	if kerr := checkScope(pol, key); kerr != nil {
		return kerr
	}
	if len(segs) == 5 && r.Method == http.MethodPost {
		id := hex.EncodeToString([]byte(fmt.Sprintf("%d-%d", time.Now().UnixNano(), f.reqid.Load())))
		exp := time.Now().Add(7 * 24 * time.Hour)
		f.mu.Lock()
		f.uploads[id] = &upload{key: key, policy: pol, token: token, expireAt: exp, parts: map[int64]*part{}}
		f.mu.Unlock()
		writeJSON(w, http.StatusOK, map[string]any{"uploadId": id, "expireAt": exp.Unix()})
		return nil
	}
	if len(segs) < 6 {
		return fail(http.StatusNotFound, "no such api")
	}
	f.mu.Lock()
	up, ok := f.uploads[segs[5]]
	f.mu.Unlock()
	if !ok || up.key != key {
		return fail(612, "no such uploadId")
	}
	switch {
	case len(segs) == 7 && r.Method == http.MethodPut:
		n, err := strconv.ParseInt(segs[6], 10, 64)
		if err != nil || n < 1 || n > 10000 {
			return fail(http.StatusBadRequest, "invalid partNumber")
		}
		return f.uploadPart(w, r, up, n)
	case len(segs) == 6 && r.Method == http.MethodPost:
		return f.complete(w, r, segs[5], up)
	case len(segs) == 6 && r.Method == http.MethodDelete:
		f.mu.Lock()
		delete(f.uploads, segs[5])
		f.mu.Unlock()
		for _, p := range up.parts {
			os.Remove(p.file)
		}
		writeJSON(w, http.StatusOK, map[string]any{})
		return nil
	}
	return fail(http.StatusMethodNotAllowed, "method not allowed")
}

func (f *Fake) uploadPart(w http.ResponseWriter, r *http.Request, up *upload, n int64) error {
	tmp, err := f.tempFile()
	if err != nil {
		return err
	}
	h := md5.New()
	size, err := io.Copy(io.MultiWriter(tmp, h), r.Body)
	tmp.Close()
	if err != nil {
		os.Remove(tmp.Name())
		return fail(http.StatusBadRequest, "incomplete body")
	}
	sum := hex.EncodeToString(h.Sum(nil))
	if want := r.Header.Get("Content-MD5"); want != "" && want != sum {
		os.Remove(tmp.Name())
		return fail(http.StatusBadRequest, "md5 not match")
	}
	etag := base64.URLEncoding.EncodeToString(h.Sum(nil))
	f.mu.Lock()
	if old, ok := up.parts[n]; ok {
		os.Remove(old.file)
	}
	up.parts[n] = &part{file: tmp.Name(), size: size, etag: etag}
	f.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]string{"etag": etag, "md5": sum})
	return nil
}

func (f *Fake) complete(w http.ResponseWriter, r *http.Request, id string, up *upload) error {
	var req struct {
		Parts []struct {
			PartNumber int64  `json:"partNumber"`
			Etag       string `json:"etag"`
		} `json:"parts"`
		MimeType string `json:"mimeType"`
	}
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&req); err != nil || len(req.Parts) == 0 {
		return fail(http.StatusBadRequest, "invalid parts")
	}
	tmp, err := f.tempFile()
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	var size int64
	last := int64(0)
	f.mu.Lock()
	parts := up.parts
	f.mu.Unlock()
	for _, p := range req.Parts {
		got, ok := parts[p.PartNumber]
		if !ok || got.etag != p.Etag || p.PartNumber <= last {
			tmp.Close()
			return fail(http.StatusBadRequest, "invalid part")
		}
		last = p.PartNumber
		src, err := os.Open(got.file)
		if err != nil {
			tmp.Close()
			return err
		}
		n, err := io.Copy(tmp, src)
		src.Close()
		if err != nil {
			tmp.Close()
			return err
		}
		size += n
	}
	tmp.Close()
	mimeType := detectMime(req.MimeType, up.key)
	if kerr := f.checkObject(up.policy, up.key, size, mimeType); kerr != nil {
		return kerr
	}
	obj, err := f.store(up.key, tmp.Name(), size, mimeType)
	if err != nil {
		return err
	}
	f.mu.Lock()
	delete(f.uploads, id)
	f.mu.Unlock()
	for _, p := range parts {
		os.Remove(p.file)
	}
	return f.answer(w, up.policy, up.key, obj)
}

// signed checks the "Qiniu" Authorization of rs and rsf requests:
// HMAC-SHA1 over "METHOD PATH?QUERY\nHost: h\nContent-Type: t\n", the
// X-Qiniu-* headers sorted, an empty line and the body of form and JSON
// requests.
func (f *Fake) signed(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		auth, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Qiniu ")
		if !ok {
			writeError(w, http.StatusUnauthorized, "bad token")
			return
		}
		body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		if err != nil {
			writeError(w, http.StatusBadRequest, "incomplete body")
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		var b strings.Builder
		b.WriteString(r.Method + " " + r.URL.EscapedPath())
		if r.URL.RawQuery != "" {
			b.WriteString("?" + r.URL.RawQuery)
		}
		ct := r.Header.Get("Content-Type")
		b.WriteString("\nHost: " + r.Host + "\nContent-Type: " + ct + "\n")
		var names []string
		for k := range r.Header {
			if c := textproto.CanonicalMIMEHeaderKey(k); strings.HasPrefix(c, "X-Qiniu-") && len(c) > len("X-Qiniu-") {
				names = append(names, c)
			}
		}
		sort.Strings(names)
		for _, k := range names {
			b.WriteString(k + ": " + r.Header.Get(k) + "\n")
		}
		b.WriteString("\n")
		if len(body) > 0 && (ct == "application/x-www-form-urlencoded" || ct == "application/json") {
			b.Write(body)
		}
		if auth != AccessKey+":"+sign(b.String()) {
			writeError(w, http.StatusUnauthorized, "bad token")
			return
		}
		if d := r.Header.Get("X-Qiniu-Date"); d != "" {
			at, err := time.Parse("20060102T150405Z", d)
			if err != nil || time.Since(at).Abs() > 15*time.Minute {
				writeError(w, http.StatusForbidden, "request time too skewed")
				return
			}
		}
		h.ServeHTTP(w, r)
	})
}

// entry decodes an EncodedEntryURI ("bucket:key" in URL-safe base64).
func entry(encoded string) (key string, kerr *kodoError) {
	raw, err := base64.URLEncoding.DecodeString(encoded)
	if err != nil {
		return "", fail(http.StatusBadRequest, "invalid entry")
	}
	bucket, key, ok := strings.Cut(string(raw), ":")
	if !ok {
		return "", fail(http.StatusBadRequest, "invalid entry")
	}
	if bucket != Bucket {
		return "", fail(631, "no such bucket")
	}
	return key, nil
}

func (f *Fake) serveRs(w http.ResponseWriter, r *http.Request) {
	op, encoded, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
	key, kerr := entry(encoded)
	if kerr != nil {
		writeError(w, kerr.status, kerr.msg)
		return
	}
	f.mu.Lock()
	obj, ok := f.objects[key]
	if ok && op == "delete" && r.Method == http.MethodPost {
		delete(f.objects, key)
		os.Remove(obj.file)
	}
	f.mu.Unlock()
	switch {
	case !ok:
		writeError(w, 612, "no such file or directory")
	case op == "stat" && r.Method == http.MethodGet:
		writeJSON(w, http.StatusOK, map[string]any{"fsize": obj.size, "hash": obj.hash, "mimeType": obj.mimeType, "putTime": obj.putTime, "type": 0})
	case op == "delete" && r.Method == http.MethodPost:
		writeJSON(w, http.StatusOK, map[string]any{})
	default:
		writeError(w, http.StatusNotFound, "no such api")
	}
}

func (f *Fake) serveRsf(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if r.URL.Path != "/list" {
		writeError(w, http.StatusNotFound, "no such api")
		return
	}
	if q.Get("bucket") != Bucket {
		writeError(w, 631, "no such bucket")
		return
	}
	limit := 1000
	if l := q.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 {
			writeError(w, http.StatusBadRequest, "invalid limit")
			return
		}
		limit = min(n, 1000)
	}
	after := ""
	if m := q.Get("marker"); m != "" {
		raw, err := base64.URLEncoding.DecodeString(m)
		var marker struct {
			K string `json:"k"`
		}
		if err != nil || json.Unmarshal(raw, &marker) != nil {
			writeError(w, http.StatusBadRequest, "invalid marker")
			return
		}
		after = marker.K
	}
	prefix := q.Get("prefix")
	f.mu.Lock()
	var keys []string
	for k := range f.objects {
		if strings.HasPrefix(k, prefix) && k > after {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	next := ""
	if len(keys) > limit {
		keys = keys[:limit]
		raw, _ := json.Marshal(map[string]any{"c": 0, "k": keys[limit-1]})
		next = base64.URLEncoding.EncodeToString(raw)
	}
	items := make([]map[string]any, 0, len(keys))
	for _, k := range keys {
		o := f.objects[k]
		items = append(items, map[string]any{"key": k, "fsize": o.size, "hash": o.hash, "mimeType": o.mimeType, "putTime": o.putTime, "type": 0})
	}
	f.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"marker": next, "items": items})
}

// serveIo serves the bucket's domain: /<key>[?imageView2/...][&e=...&token=...].
func (f *Fake) serveIo(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		writeError(w, http.StatusMethodNotAllowed, "method not allowed")
		return
	}
	query := r.URL.RawQuery
	if f.private {
		unsigned, token, ok := strings.Cut(r.RequestURI, "&token=")
		if !ok {
			unsigned, token, ok = strings.Cut(r.RequestURI, "?token=")
		}
		u, _ := url.Parse(unsigned)
		var deadline int64
		if u != nil {
			deadline, _ = strconv.ParseInt(u.Query().Get("e"), 10, 64)
		}
		if !ok || token != AccessKey+":"+sign("http://"+r.Host+unsigned) {
			writeError(w, http.StatusUnauthorized, "bad token")
			return
		}
		if time.Now().Unix() > deadline {
			writeError(w, http.StatusUnauthorized, "token out of date")
			return
		}
		query, _, _ = strings.Cut(query, "e=")
		query = strings.TrimSuffix(query, "&")
	}
	key := strings.TrimPrefix(r.URL.Path, "/")
	f.mu.Lock()
	obj, ok := f.objects[key]
	f.mu.Unlock()
	if !ok {
		writeError(w, http.StatusNotFound, "Document not found")
		return
	}
	file, err := os.Open(obj.file)
	if err != nil {
		writeError(w, http.StatusNotFound, "Document not found")
		return
	}
	defer file.Close()
	if op, ok := strings.CutPrefix(query, "imageView2/"); ok {
		f.imageView2(w, file, op)
		return
	}
	w.Header().Set("Content-Type", obj.mimeType)
	w.Header().Set("ETag", `"`+obj.hash+`"`)
	http.ServeContent(w, r, "", time.Unix(0, obj.putTime*100), file)
}

// imageView2 renders "<mode>/w/<W>/h/<H>": mode 1 crops to the box, mode 2
// fits inside it.
func (f *Fake) imageView2(w http.ResponseWriter, src io.Reader, op string) {
	segs := strings.Split(op, "/")
	if len(segs) != 5 || segs[1] != "w" || segs[3] != "h" {
		writeError(w, http.StatusBadRequest, "invalid imageView2 parameters")
		return
	}
	mode := core.ThumbFit
	switch segs[0] {
	case "1":
		mode = core.ThumbCrop
	case "2":
	default:
		writeError(w, http.StatusBadRequest, "unsupported imageView2 mode")
		return
	}
	t, err := core.ParseThumb(segs[2]+"x"+segs[4], string(mode))
	if err != nil {
		writeError(w, http.StatusBadRequest, "invalid imageView2 size")
		return
	}
	out, ct, err := thumbnail.Render(src, t, thumbnail.Limits{})
	if err != nil {
		writeError(w, http.StatusBadRequest, "image is not supported")
		return
	}
	w.Header().Set("Content-Type", ct)
	_, _ = w.Write(out)
}

// qetag is Kodo's hash: for up to 4 MiB, 0x16 and the SHA-1 of the
// content; beyond, 0x96 and the SHA-1 of the blocks' SHA-1s; URL-safe
// base64.
func qetag(file string) (string, error) {
	fh, err := os.Open(file)
	if err != nil {
		return "", err
	}
	defer fh.Close()
	const block = 4 << 20
	var sums [][]byte
	buf := make([]byte, 32<<10)
	for {
		h := sha1.New()
		n, err := io.CopyBuffer(h, io.LimitReader(fh, block), buf)
		if err != nil {
			return "", err
		}
		if n == 0 && len(sums) > 0 {
			break
		}
		sums = append(sums, h.Sum(nil))
		if n < block {
			break
		}
	}
	if len(sums) == 1 {
		return base64.URLEncoding.EncodeToString(append([]byte{0x16}, sums[0]...)), nil
	}
	h := sha1.New()
	for _, s := range sums {
		h.Write(s)
	}
	return base64.URLEncoding.EncodeToString(append([]byte{0x96}, h.Sum(nil)...)), nil
}
