package fileapi_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	_ "image/png"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/adapters/files/filestest"
	"github.com/switchboardhq/switchboard/adapters/files/local"
	"github.com/switchboardhq/switchboard/core"
	"github.com/switchboardhq/switchboard/core/fileapi"
)

const (
	appID     = "app"
	masterKey = "master-key"
	roKey     = "read-only-master-key"
)

// sessions maps session tokens to users; "anon" users are anonymous.
var sessions = map[string]string{"tok-user": "user1", "tok-anon": "anon1"}

// authenticate reads keys from headers, or from the JS SDK's envelope.
func authenticate(r *http.Request, env map[string]string) (*core.Auth, error) {
	get := func(header, field string) string {
		if env != nil {
			return env[field]
		}
		return r.Header.Get(header)
	}
	if get("X-Parse-Application-Id", "_ApplicationId") != appID {
		return nil, errors.New("wrong app id")
	}
	auth := &core.Auth{}
	switch get("X-Parse-Master-Key", "_MasterKey") {
	case masterKey:
		auth.Master = true
	case roKey:
		auth.Master, auth.ReadOnly = true, true
	case "":
	default:
		return nil, errors.New("wrong master key")
	}
	if tok := get("X-Parse-Session-Token", "_SessionToken"); tok != "" {
		user, ok := sessions[tok]
		if !ok {
			return nil, core.Errorf(core.CodeInvalidSessionToken, "Invalid session token")
		}
		auth.UserID, auth.SessionToken = user, tok
	}
	return auth, nil
}

// memRegistry is a Registry in memory.
type memRegistry struct {
	mu   sync.Mutex
	recs map[string]fileapi.Record
	fail error
}

func (m *memRegistry) Register(_ context.Context, rec fileapi.Record) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.fail != nil {
		return m.fail
	}
	m.recs[rec.Name] = rec
	return nil
}

func (m *memRegistry) Lookup(_ context.Context, name string) (fileapi.Record, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	rec, ok := m.recs[name]
	if !ok {
		return fileapi.Record{}, core.ErrNotFound()
	}
	return rec, nil
}

func (m *memRegistry) Remove(_ context.Context, name string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.recs, name)
	return nil
}

type env struct {
	t        *testing.T
	srv      *httptest.Server
	files    *core.Files
	registry *memRegistry
	handler  *fileapi.Handler
	dataDir  string
	events   chan *fileapi.FileEvent
}

// newEnv serves the files API over the local provider on a real server;
// edit adjusts the options.
func newEnv(t *testing.T, edit func(*fileapi.Options)) *env {
	t.Helper()
	return newEnvWith(t, local.Name, nil, nil, edit)
}

// newEnvWith serves the files API over any provider; options gets the
// server's URL and returns the provider's config section.
func newEnvWith(t *testing.T, provider string, options func(serverURL string) map[string]any, client *http.Client, edit func(*fileapi.Options)) *env {
	t.Helper()
	e := &env{t: t, registry: &memRegistry{recs: map[string]fileapi.Record{}}, dataDir: t.TempDir(), events: make(chan *fileapi.FileEvent, 16)}
	var handler http.Handler
	e.srv = httptest.NewServer(http.StripPrefix("/parse", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { handler.ServeHTTP(w, r) })))
	t.Cleanup(e.srv.Close)
	serverURL := e.srv.URL + "/parse"
	var err error
	var section map[string]any
	if options != nil {
		section = options(serverURL)
	}
	e.files, err = core.OpenFiles(context.Background(), provider, core.FilesConfig{DataDir: e.dataDir, PublicURL: fileapi.PublicURL(serverURL, appID), Options: section})
	if err != nil {
		t.Fatal(err)
	}
	opts := fileapi.Options{
		AppID: appID, ServerURL: serverURL, Files: e.files, Authenticate: authenticate, Registry: e.registry,
		IsAnonymous: func(_ context.Context, a *core.Auth) bool { return strings.HasPrefix(a.UserID, "anon") },
		AfterSave: func(_ context.Context, ev *fileapi.FileEvent) error {
			e.events <- ev
			return nil
		},
		Secret:        bytes.Repeat([]byte("k"), 32),
		MaxUploadSize: 1 << 20,
		TempDir:       t.TempDir(),
	}
	if edit != nil {
		edit(&opts)
	}
	e.handler, err = fileapi.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	handler = e.handler
	return e
}

type resp struct {
	status int
	header http.Header
	body   []byte
}

func (r resp) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("answer %d is not JSON: %s", r.status, r.body)
	}
	return m
}

// wantError checks a Parse error answer.
func (r resp) wantError(t *testing.T, status int, code core.Code) {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d: %s", r.status, status, r.body)
	}
	if got := r.json(t)["code"]; got != float64(code) {
		t.Fatalf("code %v, want %d: %s", got, code, r.body)
	}
}

func (e *env) do(method, path string, body io.Reader, headers map[string]string) resp {
	e.t.Helper()
	u := path
	if !strings.HasPrefix(path, "http") {
		u = e.srv.URL + "/parse" + path
	}
	req, err := http.NewRequest(method, u, body)
	if err != nil {
		e.t.Fatal(err)
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	res, err := e.srv.Client().Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return resp{res.StatusCode, res.Header, b}
}

func user(extra ...string) map[string]string {
	h := map[string]string{"X-Parse-Application-Id": appID, "X-Parse-Session-Token": "tok-user"}
	for i := 0; i+1 < len(extra); i += 2 {
		h[extra[i]] = extra[i+1]
	}
	return h
}

func master() map[string]string {
	return map[string]string{"X-Parse-Application-Id": appID, "X-Parse-Master-Key": masterKey}
}

// upload posts a raw body as the logged-in user and returns {url, name}.
func (e *env) upload(name, contentType string, body []byte) (string, string) {
	e.t.Helper()
	r := e.do("POST", "/files/"+name, bytes.NewReader(body), user("Content-Type", contentType))
	if r.status != http.StatusCreated {
		e.t.Fatalf("upload %s: %d %s", name, r.status, r.body)
	}
	m := r.json(e.t)
	if r.header.Get("Location") != m["url"] {
		e.t.Errorf("Location %q differs from url %q", r.header.Get("Location"), m["url"])
	}
	return m["url"].(string), m["name"].(string)
}

// stored lists the files in the store, thumbnails included.
func (e *env) stored() []string {
	e.t.Helper()
	var names []string
	if err := e.files.Walk(context.Background(), "", func(fi core.FileInfo) error {
		names = append(names, fi.Name)
		return nil
	}); err != nil {
		e.t.Fatal(err)
	}
	return names
}

var uniqueName = regexp.MustCompile(`^[0-9a-f]{32}_photo\.png$`)

func TestUploadRawAndDownload(t *testing.T) {
	e := newEnv(t, nil)
	body := filestest.Body(1, 5000)
	u, name := e.upload("photo.png", "image/png", body)
	if !uniqueName.MatchString(name) {
		t.Errorf("stored name %q is not <32 hex>_photo.png", name)
	}
	if want := e.srv.URL + "/parse/files/app/" + name; u != want {
		t.Errorf("url %q, want %q", u, want)
	}
	ev := <-e.events
	if ev.Name != name || ev.OriginalName != "photo.png" || ev.Info.Size != 5000 || ev.Auth.UserID != "user1" {
		t.Errorf("afterSave saw %+v", ev)
	}
	r := e.do("GET", u, nil, nil)
	if r.status != 200 || !bytes.Equal(r.body, body) {
		t.Fatalf("GET: %d, %d bytes", r.status, len(r.body))
	}
	for k, want := range map[string]string{
		"Content-Type": "image/png", "X-Content-Type-Options": "nosniff", "Cache-Control": "public, max-age=86400",
		"Content-Length": "5000", "Accept-Ranges": "bytes",
	} {
		if got := r.header.Get(k); got != want {
			t.Errorf("%s: %q, want %q", k, got, want)
		}
	}
	etag, lastMod := r.header.Get("ETag"), r.header.Get("Last-Modified")
	if etag == "" || lastMod == "" || !strings.Contains(r.header.Get("Content-Security-Policy"), "sandbox") {
		t.Errorf("missing ETag %q, Last-Modified %q or CSP %q", etag, lastMod, r.header.Get("Content-Security-Policy"))
	}
	if r := e.do("GET", u, nil, map[string]string{"If-None-Match": etag}); r.status != http.StatusNotModified {
		t.Errorf("If-None-Match: %d", r.status)
	}
	r = e.do("GET", u, nil, map[string]string{"Range": "bytes=100-199"})
	if r.status != http.StatusPartialContent || !bytes.Equal(r.body, body[100:200]) || r.header.Get("Content-Range") != "bytes 100-199/5000" {
		t.Errorf("range: %d %q %d bytes", r.status, r.header.Get("Content-Range"), len(r.body))
	}
	r = e.do("GET", u, nil, map[string]string{"Range": "bytes=4990-"})
	if r.status != http.StatusPartialContent || !bytes.Equal(r.body, body[4990:]) {
		t.Errorf("open range: %d %d bytes", r.status, len(r.body))
	}
	if r := e.do("GET", u, nil, map[string]string{"Range": "bytes=6000-7000"}); r.status != http.StatusRequestedRangeNotSatisfiable {
		t.Errorf("range past the end: %d", r.status)
	}
	if r := e.do("HEAD", u, nil, nil); r.status != 200 || len(r.body) != 0 || r.header.Get("Content-Length") != "5000" {
		t.Errorf("HEAD: %d %q", r.status, r.header.Get("Content-Length"))
	}
	e.do("GET", "/files/other-app/"+name, nil, nil).wantError(t, 404, core.CodeObjectNotFound)
	e.do("GET", "/files/app/nothing.png", nil, nil).wantError(t, 404, core.CodeObjectNotFound)
}

// The JS SDK sends a JSON envelope as text/plain with its keys in the
// body; the base64 may be a data URI and may escape "/".
func TestUploadEnvelope(t *testing.T) {
	e := newEnv(t, nil)
	body := filestest.Body(2, 3000)
	b64 := base64.StdEncoding.EncodeToString(body)
	for _, tc := range []struct {
		name, base64, contentType, wantType string
	}{
		{"plain", b64, "image/jpeg", "image/jpeg"},
		{"escaped slashes", strings.ReplaceAll(b64, "/", `\/`), "image/jpeg", "image/jpeg"},
		{"data URI", "data:image/gif;base64," + b64, "", "image/gif"},
		{"no type", b64, "", "image/jpeg"}, // from the .jpg extension
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := fmt.Sprintf(`{"base64":"%s","_ContentType":%q,"fileData":{"metadata":{"k":"v"},"tags":{"t":"1"}},"_ApplicationId":"app","_JavaScriptKey":"js","_ClientVersion":"js5.3.0","_InstallationId":"iid","_SessionToken":"tok-user"}`, tc.base64, tc.contentType)
			r := e.do("POST", "/files/pic.jpg", strings.NewReader(env), map[string]string{"Content-Type": "text/plain"})
			if r.status != http.StatusCreated {
				t.Fatalf("%d %s", r.status, r.body)
			}
			ev := <-e.events
			if ev.ContentType != tc.wantType || ev.Metadata["k"] != "v" || ev.Tags["t"] != "1" || ev.Auth.UserID != "user1" {
				t.Errorf("event %+v", ev)
			}
			got := e.do("GET", r.json(t)["url"].(string), nil, nil)
			if !bytes.Equal(got.body, body) || got.header.Get("Content-Type") != tc.wantType {
				t.Errorf("content differs or type %q", got.header.Get("Content-Type"))
			}
		})
	}
	bad := map[string]string{
		"not JSON":         `{"base64": "AAAA", `,
		"base64 not text":  `{"base64": 12, "_ApplicationId":"app","_SessionToken":"tok-user"}`,
		"invalid base64":   `{"base64": "!!!!", "_ApplicationId":"app","_SessionToken":"tok-user"}`,
		"no base64":        `{"_ApplicationId":"app","_SessionToken":"tok-user"}`,
		"trailing garbage": `{"base64": "AAAA", "_ApplicationId":"app","_SessionToken":"tok-user"} x`,
		"empty file":       `{"base64": "", "_ApplicationId":"app","_SessionToken":"tok-user"}`,
	}
	for name, body := range bad {
		t.Run(name, func(t *testing.T) {
			r := e.do("POST", "/files/pic.jpg", strings.NewReader(body), map[string]string{"Content-Type": "text/plain"})
			if r.status != 400 || r.json(t)["code"] == nil {
				t.Fatalf("%d %s; want a 400 Parse error", r.status, r.body)
			}
		})
	}
	e.do("POST", "/files/pic.jpg", strings.NewReader(`{"base64":"AAAA","_ApplicationId":"wrong"}`), nil)
	r := e.do("POST", "/files/pic.jpg", strings.NewReader(`{"base64":"AAAA","_ApplicationId":"wrong"}`), nil)
	if r.status != http.StatusForbidden || string(bytes.TrimSpace(r.body)) != `{"error":"unauthorized"}` {
		t.Errorf("wrong app id: %d %s", r.status, r.body)
	}
	if got := e.stored(); len(got) != 4 {
		t.Errorf("store holds %v; want only the 4 good uploads", got)
	}
}

func boolp(b bool) *bool { return &b }

func TestUploadRules(t *testing.T) {
	public := map[string]string{"X-Parse-Application-Id": appID}
	anon := map[string]string{"X-Parse-Application-Id": appID, "X-Parse-Session-Token": "tok-anon"}
	ro := map[string]string{"X-Parse-Application-Id": appID, "X-Parse-Master-Key": roKey}
	type caller struct {
		name    string
		headers map[string]string
	}
	callers := []caller{{"public", public}, {"anonymous", anon}, {"user", user()}, {"master", master()}, {"read-only master", ro}}
	for _, tc := range []struct {
		name  string
		rules fileapi.UploadRules
		want  map[string]string // caller → "" (allowed) or the error
	}{
		{"defaults", fileapi.UploadRules{}, map[string]string{
			"public": "File upload by public is disabled.", "anonymous": "File upload by anonymous user is disabled.",
			"read-only master": "read-only masterKey isn't allowed to perform the write operation",
		}},
		{"all enabled", fileapi.UploadRules{EnableForPublic: boolp(true), EnableForAnonymousUser: boolp(true)}, map[string]string{
			"read-only master": "read-only masterKey isn't allowed to perform the write operation",
		}},
		{"users disabled", fileapi.UploadRules{EnableForAuthenticatedUser: boolp(false), EnableForAnonymousUser: boolp(true)}, map[string]string{
			"public": "File upload by public is disabled.", "user": "File upload by authenticated user is disabled.",
			"read-only master": "read-only masterKey isn't allowed to perform the write operation",
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, func(o *fileapi.Options) { o.Upload = tc.rules })
			allowed := 0
			for _, c := range callers {
				h := map[string]string{"Content-Type": "text/plain"}
				for k, v := range c.headers {
					h[k] = v
				}
				r := e.do("POST", "/files/a.txt", strings.NewReader("hello"), h)
				want := tc.want[c.name]
				if want == "" {
					if r.status != http.StatusCreated {
						t.Errorf("%s: %d %s; want allowed", c.name, r.status, r.body)
					}
					allowed++
					continue
				}
				if r.status/100 != 4 || r.json(t)["error"] != want {
					t.Errorf("%s: %d %s; want %q", c.name, r.status, r.body, want)
				}
			}
			if got := len(e.stored()); got != allowed {
				t.Errorf("%d files stored, %d allowed", got, allowed)
			}
		})
	}
}

func TestForbiddenTypes(t *testing.T) {
	e := newEnv(t, nil)
	for _, tc := range []struct{ name, contentType string }{
		{"page.html", "text/plain"},
		{"page.HTM", ""},
		{"image.svg", "image/png"},
		{"a.png", "image/svg+xml"},
		{"a.png", "image/svg+xml; charset=x"},
		{"a.png", "IMAGE/SVG+XML ; charset=utf-8"},
		{"a.png", "text/html;charset=utf-8"},
		{"a.png", "application/xhtml+xml"},
		{"a.png", "text/xml"},
		{"a.png", "application/javascript"},
		{"a.png", "text/javascript; charset=utf-8"},
		{"script.js", "text/plain"},
		{"feed.xml", "text/plain"},
		{"page.xhtml", ""},
		{"a.png", "not a type"},
	} {
		r := e.do("POST", "/files/"+tc.name, strings.NewReader("<svg onload=alert(1)>"), user("Content-Type", tc.contentType))
		r.wantError(t, 400, core.CodeFileSaveError)
	}
	if got := e.stored(); len(got) != 0 {
		t.Fatalf("forbidden uploads stored %v", got)
	}
	// The master key may upload anything; even then the file is served as
	// a download in a sandbox, never as a page of our origin.
	r := e.do("POST", "/files/page.svg", strings.NewReader("<svg/>"), map[string]string{"X-Parse-Application-Id": appID, "X-Parse-Master-Key": masterKey, "Content-Type": "image/svg+xml; charset=x"})
	if r.status != http.StatusCreated {
		t.Fatalf("master upload: %d %s", r.status, r.body)
	}
	got := e.do("GET", r.json(t)["url"].(string), nil, nil)
	if got.header.Get("Content-Disposition") != "attachment" || got.header.Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("an SVG is served inline: %v", got.header)
	}
}

func TestFileExtensions(t *testing.T) {
	e := newEnv(t, func(o *fileapi.Options) { o.Upload.FileExtensions = []string{"^png$", "^jpe?g$"} })
	for _, tc := range []struct {
		name, contentType string
		ok                bool
	}{
		{"a.png", "image/png", true},
		{"a.jpeg", "image/jpeg", true},
		{"a.gif", "image/gif", false},
		{"a.png", "image/svg+xml; charset=x", false}, // the subtype must pass too
		{"noext", "image/png", true},
		{"noext", "text/plain", false},
	} {
		r := e.do("POST", "/files/"+tc.name, strings.NewReader("x"), user("Content-Type", tc.contentType))
		if tc.ok != (r.status == http.StatusCreated) {
			t.Errorf("%s %s: %d %s", tc.name, tc.contentType, r.status, r.body)
		}
	}
	if _, err := fileapi.New(fileapi.Options{AppID: appID, Files: e.files, Authenticate: authenticate, Upload: fileapi.UploadRules{FileExtensions: []string{"("}}}); err == nil {
		t.Error("a bad fileExtensions pattern was accepted")
	}
}

func TestBadNamesAndBodies(t *testing.T) {
	e := newEnv(t, nil)
	for _, tc := range []struct {
		path string
		code core.Code
	}{
		{"/files/a$b.txt", core.CodeInvalidFileName},
		{"/files/" + strings.Repeat("a", 129), core.CodeInvalidFileName},
		{"/files/.hidden", core.CodeInvalidFileName},
		{"/files/%2e%2e%2fetc%2fpasswd", core.CodeInvalidJSON}, // becomes ../etc/passwd: no such route
		{"/files/a%00b", core.CodeInvalidFileName},
		{"/files/", core.CodeMissingRequiredField},
	} {
		e.do("POST", tc.path, strings.NewReader("x"), user("Content-Type", "text/plain")).wantError(t, 400, tc.code)
	}
	for _, p := range []string{"/files/app/..%2fsecret", "/files/app/%2e%2e", "/files/app/a%5cb"} {
		if r := e.do("GET", p, nil, nil); r.status < 400 {
			t.Errorf("GET %s: %d", p, r.status)
		}
	}
	e.do("POST", "/files/empty.txt", strings.NewReader(""), user("Content-Type", "text/plain")).wantError(t, 400, core.CodeFileSaveError)
	big := bytes.Repeat([]byte("x"), 1<<20+1)
	e.do("POST", "/files/big.txt", bytes.NewReader(big), user("Content-Type", "text/plain")).wantError(t, 413, core.CodeFileTooLarge)
	// Without Content-Length the limit applies while the body streams.
	e.do("POST", "/files/big.txt", io.MultiReader(bytes.NewReader(big)), user("Content-Type", "text/plain")).wantError(t, 413, core.CodeFileTooLarge)
	envelope := `{"base64":"` + base64.StdEncoding.EncodeToString(big) + `","_ApplicationId":"app","_SessionToken":"tok-user"}`
	e.do("POST", "/files/big.txt", strings.NewReader(envelope), map[string]string{"Content-Type": "text/plain"}).wantError(t, 413, core.CodeFileTooLarge)
	if got := e.stored(); len(got) != 0 {
		t.Fatalf("refused uploads stored %v", got)
	}
	if entries, _ := os.ReadDir(filepath.Join(e.dataDir, "files", "tmp")); len(entries) != 0 {
		t.Errorf("temporary files left: %v", entries)
	}
}

// rawRequest sends a request by hand and returns the connection.
func rawRequest(t *testing.T, srv *httptest.Server, head string, body []byte) net.Conn {
	t.Helper()
	conn, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.WriteString(conn, head); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Write(body); err != nil {
		t.Fatal(err)
	}
	return conn
}

// waitEmpty waits until no upload is in progress and returns what the
// store holds.
func (e *env) waitEmpty() []string {
	e.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		entries, _ := os.ReadDir(filepath.Join(e.dataDir, "files", "tmp"))
		if len(entries) == 0 {
			return e.stored()
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("an interrupted upload still holds %v", entries)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestInterruptedUploads(t *testing.T) {
	e := newEnv(t, func(o *fileapi.Options) { o.MaxUploadSize = 64 << 20 })
	head := func(length int) string {
		return fmt.Sprintf("POST /parse/files/cut.bin HTTP/1.1\r\nHost: x\r\nX-Parse-Application-Id: app\r\nX-Parse-Session-Token: tok-user\r\nContent-Type: application/octet-stream\r\nContent-Length: %d\r\n\r\n", length)
	}
	t.Run("client disconnects mid-upload", func(t *testing.T) {
		conn := rawRequest(t, e.srv, head(32<<20), filestest.Body(1, 4<<20))
		conn.Close()
		if got := e.waitEmpty(); len(got) != 0 {
			t.Fatalf("store holds %v", got)
		}
	})
	t.Run("Content-Length longer than the body", func(t *testing.T) {
		conn := rawRequest(t, e.srv, head(1000), filestest.Body(1, 500))
		conn.(*net.TCPConn).CloseWrite()
		b, _ := io.ReadAll(conn)
		conn.Close()
		if got := e.waitEmpty(); len(got) != 0 {
			t.Fatalf("store holds %v (answer %q)", got, b)
		}
	})
	t.Run("Content-Length shorter than the body", func(t *testing.T) {
		// The server reads exactly Content-Length bytes; the rest is the
		// next request, which is garbage and refused.
		conn := rawRequest(t, e.srv, head(10), []byte("0123456789EXTRA GARBAGE\r\n\r\n"))
		conn.SetReadDeadline(time.Now().Add(10 * time.Second))
		b, _ := io.ReadAll(conn)
		conn.Close()
		if !strings.Contains(string(b), "201 Created") || !strings.Contains(string(b), "400 Bad Request") {
			t.Fatalf("answers %q; want the 10-byte upload stored and the rest refused", b)
		}
		names := e.waitEmpty()
		if len(names) != 1 {
			t.Fatalf("store holds %v", names)
		}
		rc, info, err := e.files.Get(context.Background(), names[0], nil)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(rc)
		rc.Close()
		if string(got) != "0123456789" || info.Size != 10 {
			t.Errorf("stored %q", got)
		}
	})
}

func TestDelete(t *testing.T) {
	e := newEnv(t, nil)
	_, name := e.upload("doc.txt", "text/plain", []byte("hello"))
	e.do("DELETE", "/files/"+name, nil, user()).wantError(t, 403, core.CodeOperationForbidden)
	e.do("DELETE", "/files/"+name, nil, map[string]string{"X-Parse-Application-Id": appID, "X-Parse-Master-Key": roKey}).wantError(t, 403, core.CodeOperationForbidden)
	e.do("DELETE", "/files/"+name, nil, map[string]string{"X-Parse-Application-Id": "other", "X-Parse-Master-Key": masterKey})
	if r := e.do("DELETE", "/files/"+name, nil, master()); r.status != 200 {
		t.Fatalf("delete: %d %s", r.status, r.body)
	}
	e.do("GET", "/files/app/"+name, nil, nil).wantError(t, 404, core.CodeObjectNotFound)
	e.do("DELETE", "/files/"+name, nil, master()).wantError(t, 400, core.CodeFileDeleteError)
	if _, err := e.registry.Lookup(context.Background(), name); !core.IsCode(err, core.CodeObjectNotFound) {
		t.Error("the record outlived its file")
	}
}

func TestProtectedFiles(t *testing.T) {
	e := newEnv(t, func(o *fileapi.Options) {
		o.SignedURLTTL = time.Second
		// A policy that allows every download does not open the plain URL
		// of a protected file.
		o.Authorize = func(context.Context, fileapi.Action, *core.Auth, fileapi.Record) error { return nil }
		o.BeforeSave = func(_ context.Context, ev *fileapi.FileEvent) error {
			ev.Protected = strings.HasPrefix(ev.OriginalName, "secret")
			return nil
		}
	})
	u, name := e.upload("secret.png", "image/png", filestest.PNG(t, 40, 20))
	if !strings.Contains(u, "sig=") {
		t.Fatalf("a protected file's URL %q is not signed", u)
	}
	plain := e.srv.URL + "/parse/files/app/" + name
	e.do("GET", plain, nil, nil).wantError(t, 403, core.CodeOperationForbidden)
	e.do("GET", plain, nil, user()).wantError(t, 403, core.CodeOperationForbidden)
	if r := e.do("GET", plain, nil, master()); r.status != 200 {
		t.Errorf("the master key reads a protected file: %d", r.status)
	}
	if r := e.do("GET", u, nil, nil); r.status != 200 || !strings.HasPrefix(r.header.Get("Cache-Control"), "private") {
		t.Fatalf("signed URL: %d %q", r.status, r.header.Get("Cache-Control"))
	}
	if r := e.do("GET", u+"&thumb=10x10", nil, nil); r.status != 200 {
		t.Errorf("thumbnail through a signed URL: %d %s", r.status, r.body)
	}
	for _, bad := range filestest.Tamper(t, u) {
		if r := e.do("GET", bad, nil, nil); r.status < 400 {
			t.Errorf("altered URL %s: %d", bad, r.status)
		}
	}
	fresh, err := e.handler.FileURL(context.Background(), &core.Auth{UserID: "user1"}, name)
	if err != nil || !strings.Contains(fresh, "sig=") {
		t.Fatalf("FileURL: %q %v", fresh, err)
	}
	time.Sleep(2100 * time.Millisecond) // past the one-second lifetime
	e.do("GET", u, nil, nil).wantError(t, 403, core.CodeOperationForbidden)
	// A public file's URL is plain.
	pu, pname := e.upload("open.png", "image/png", []byte("x"))
	if got, _ := e.handler.FileURL(context.Background(), nil, pname); got != pu || strings.Contains(pu, "sig=") {
		t.Errorf("public URL %q, FileURL %q", pu, got)
	}
}

func TestAuthorizeHook(t *testing.T) {
	e := newEnv(t, func(o *fileapi.Options) {
		o.Authorize = func(_ context.Context, a fileapi.Action, auth *core.Auth, rec fileapi.Record) error {
			if a == fileapi.ActionDownload && auth.UserID == "" && !auth.Master {
				return core.Errorf(core.CodeOperationForbidden, "log in to download")
			}
			if a == fileapi.ActionUpload && strings.HasSuffix(rec.Name, "_denied.txt") {
				return core.Errorf(core.CodeOperationForbidden, "policy says no")
			}
			return nil
		}
	})
	e.do("POST", "/files/denied.txt", strings.NewReader("x"), user("Content-Type", "text/plain")).wantError(t, 403, core.CodeOperationForbidden)
	u, _ := e.upload("ok.txt", "text/plain", []byte("x"))
	e.do("GET", u, nil, nil).wantError(t, 403, core.CodeOperationForbidden)
	if r := e.do("GET", u, nil, user()); r.status != 200 {
		t.Errorf("logged-in download: %d", r.status)
	}
}

func TestTriggers(t *testing.T) {
	e := newEnv(t, func(o *fileapi.Options) {
		o.BeforeSave = func(_ context.Context, ev *fileapi.FileEvent) error {
			if ev.OriginalName == "refused.txt" {
				return core.Errorf(core.CodeScriptFailed, "not this one")
			}
			if ev.OriginalName == "broken.txt" {
				return errors.New("boom")
			}
			ev.Metadata = map[string]any{"checked": true}
			return nil
		}
	})
	e.do("POST", "/files/refused.txt", strings.NewReader("x"), user("Content-Type", "text/plain")).wantError(t, 400, core.CodeScriptFailed)
	e.do("POST", "/files/broken.txt", strings.NewReader("x"), user("Content-Type", "text/plain")).wantError(t, 400, core.CodeScriptFailed)
	_, name := e.upload("fine.txt", "text/plain", []byte("x"))
	if ev := <-e.events; ev.Metadata["checked"] != true {
		t.Errorf("beforeSave's metadata did not reach afterSave: %+v", ev)
	}
	if rec, err := e.registry.Lookup(context.Background(), name); err != nil || rec.Metadata["checked"] != true || rec.Owner != "user1" {
		t.Errorf("record %+v %v", rec, err)
	}
	if got := e.stored(); len(got) != 1 {
		t.Errorf("store holds %v", got)
	}
}

// A file the registry cannot record is not kept.
func TestRegistryFailure(t *testing.T) {
	e := newEnv(t, nil)
	e.registry.fail = core.Errorf(core.CodeConnectionFailed, "database down")
	r := e.do("POST", "/files/a.txt", strings.NewReader("hello"), user("Content-Type", "text/plain"))
	r.wantError(t, 503, core.CodeConnectionFailed)
	if got := e.stored(); len(got) != 0 {
		t.Fatalf("an unregistered file was kept: %v", got)
	}
}

func decodeSize(t *testing.T, b []byte) (int, int) {
	t.Helper()
	img, _, err := image.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("not an image: %v (%q)", err, b[:min(len(b), 80)])
	}
	return img.Bounds().Dx(), img.Bounds().Dy()
}

func TestThumbnails(t *testing.T) {
	e := newEnv(t, nil)
	u, name := e.upload("photo.png", "image/png", filestest.PNG(t, 400, 200))
	for _, tc := range []struct {
		query string
		w, h  int
	}{
		{"thumb=100x100&mode=crop", 100, 100},
		{"thumb=100x100", 100, 50},
		{"thumb=100x100&mode=fit", 100, 50},
		{"thumb=800x800", 400, 200}, // fit never enlarges
	} {
		for range 2 { // the second answer comes from the cache
			r := e.do("GET", u+"?"+tc.query, nil, nil)
			if r.status != 200 || r.header.Get("Content-Type") != "image/png" {
				t.Fatalf("%s: %d %s", tc.query, r.status, r.body)
			}
			if w, h := decodeSize(t, r.body); w != tc.w || h != tc.h {
				t.Errorf("%s: %dx%d, want %dx%d", tc.query, w, h, tc.w, tc.h)
			}
		}
	}
	if got := len(e.stored()); got != 4 {
		t.Errorf("store holds %d files; want the image and 3 cached thumbnails (fit is the default mode)", got)
	}
	for _, q := range []string{"thumb=0x10", "thumb=10", "thumb=99999x10", "thumb=10x10&mode=stretch", "thumb=axb"} {
		e.do("GET", u+"?"+q, nil, nil).wantError(t, 400, core.CodeInvalidValue)
	}
	tu, _ := e.upload("notes.txt", "text/plain", []byte("not an image"))
	e.do("GET", tu+"?thumb=10x10", nil, nil).wantError(t, 400, core.CodeInvalidImageData)
	fake, _ := e.upload("fake.png", "image/png", []byte("not a png"))
	e.do("GET", fake+"?thumb=10x10", nil, nil).wantError(t, 400, core.CodeInvalidImageData)
	if r := e.do("DELETE", "/files/"+name, nil, master()); r.status != 200 {
		t.Fatal(r.status)
	}
	for _, n := range e.stored() {
		if strings.Contains(n, name) {
			t.Errorf("%s outlived its image", n)
		}
	}
}

// A decompression bomb: a small PNG that declares a huge canvas is refused
// before it is decoded.
func TestThumbnailBomb(t *testing.T) {
	e := newEnv(t, func(o *fileapi.Options) { o.Thumbnails.MaxPixels = 1000 })
	u, _ := e.upload("big.png", "image/png", filestest.PNG(t, 100, 100))
	e.do("GET", u+"?thumb=10x10", nil, nil).wantError(t, 400, core.CodeInvalidImageData)
}

func TestDirectUpload(t *testing.T) {
	e := newEnv(t, nil)
	body := filestest.Body(3, 200_000)
	prepare := func(name string, size int, contentType string) map[string]any {
		t.Helper()
		r := e.do("POST", "/files/"+name+"/direct", strings.NewReader(fmt.Sprintf(`{"size":%d,"contentType":%q}`, size, contentType)), user())
		if r.status != 200 {
			t.Fatalf("direct %s: %d %s", name, r.status, r.body)
		}
		return r.json(t)
	}
	put := func(up map[string]any, b []byte, contentType string) resp {
		t.Helper()
		return e.do("PUT", up["url"].(string), bytes.NewReader(b), map[string]string{"Content-Type": contentType})
	}
	got := prepare("video.mp4", len(body), "video/mp4")
	up := got["upload"].(map[string]any)
	name := got["name"].(string)
	if up["method"] != "PUT" {
		t.Fatalf("instructions %v", up)
	}
	if r := put(up, body, "video/mp4"); r.status != http.StatusCreated {
		t.Fatalf("PUT: %d %s", r.status, r.body)
	}
	put(up, body, "video/mp4").wantError(t, 403, core.CodeOperationForbidden) // once only
	confirm := func(name, ticket string) resp {
		return e.do("POST", "/files/"+name+"/confirm", strings.NewReader(fmt.Sprintf(`{"ticket":%q}`, ticket)), nil)
	}
	confirm(name, got["ticket"].(string)+"x").wantError(t, 403, core.CodeOperationForbidden)
	confirm("other.mp4", got["ticket"].(string)).wantError(t, 403, core.CodeOperationForbidden)
	r := confirm(name, got["ticket"].(string))
	if r.status != http.StatusCreated || r.json(t)["url"] != got["url"] {
		t.Fatalf("confirm: %d %s", r.status, r.body)
	}
	if ev := <-e.events; ev.Name != name || ev.Info.Size != int64(len(body)) || ev.Auth.UserID != "user1" {
		t.Errorf("afterSave %+v", ev)
	}
	if dl := e.do("GET", got["url"].(string), nil, nil); !bytes.Equal(dl.body, body) {
		t.Fatal("downloaded content differs")
	}

	// Refusals: the rules apply before any instruction is given.
	e.do("POST", "/files/page.html/direct", strings.NewReader(`{"size":10,"contentType":"text/html"}`), user()).wantError(t, 400, core.CodeFileSaveError)
	e.do("POST", "/files/a.png/direct", strings.NewReader(`{"size":10,"contentType":"image/svg+xml; charset=x"}`), user()).wantError(t, 400, core.CodeFileSaveError)
	e.do("POST", "/files/a.bin/direct", strings.NewReader(`{"size":10}`), map[string]string{"X-Parse-Application-Id": appID}).wantError(t, 400, core.CodeFileSaveError)
	e.do("POST", "/files/a.bin/direct", strings.NewReader(`{"size":0}`), user()).wantError(t, 400, core.CodeInvalidContentLength)
	e.do("POST", "/files/a.bin/direct", strings.NewReader(`{"size":99999999999999}`), user()).wantError(t, 413, core.CodeFileTooLarge)
	e.do("POST", "/files/a.bin/direct", strings.NewReader(`not json`), user()).wantError(t, 400, core.CodeInvalidJSON)

	// The store refuses a body of another length or type.
	got = prepare("b.bin", 100, "application/octet-stream")
	up = got["upload"].(map[string]any)
	put(up, filestest.Body(1, 101), "application/octet-stream").wantError(t, 400, core.CodeInvalidContentLength)
	got = prepare("c.bin", 100, "application/octet-stream")
	put(got["upload"].(map[string]any), filestest.Body(1, 100), "text/html").wantError(t, 403, core.CodeOperationForbidden)
	confirm(got["name"].(string), got["ticket"].(string)).wantError(t, 400, core.CodeFileSaveError)
	if names := e.stored(); len(names) != 1 {
		t.Errorf("store holds %v; want only the confirmed upload", names)
	}

	// The JS SDK's envelope works for instructions too.
	r = e.do("POST", "/files/d.bin/direct", strings.NewReader(`{"size":5,"_ApplicationId":"app","_SessionToken":"tok-user"}`), map[string]string{"Content-Type": "text/plain"})
	if r.status != 200 {
		t.Errorf("envelope: %d %s", r.status, r.body)
	}
}

func TestDirectUploadNotConfigured(t *testing.T) {
	e := newEnv(t, func(o *fileapi.Options) { o.Secret = nil })
	e.do("POST", "/files/a.bin/direct", strings.NewReader(`{"size":5}`), user()).wantError(t, 400, core.CodeCommandUnavailable)
}

func TestGC(t *testing.T) {
	now := time.Now()
	clock := func() time.Time { return now }
	e := newEnv(t, func(o *fileapi.Options) { o.Now = func() time.Time { return clock() } })
	_, keep := e.upload("keep.png", "image/png", filestest.PNG(t, 20, 20))
	u, drop := e.upload("drop.png", "image/png", filestest.PNG(t, 20, 20))
	e.do("GET", u+"?thumb=10x10", nil, nil) // a cached thumbnail to go with it
	referenced := func(_ context.Context, name string) (bool, error) { return name == keep, nil }
	rep, err := e.handler.GC(context.Background(), referenced, fileapi.GCOptions{})
	if err != nil || rep.Scanned != 2 || rep.Unreferenced != 0 {
		t.Fatalf("young files: %+v %v", rep, err)
	}
	now = now.Add(2 * time.Hour)
	var progress []fileapi.GCReport
	rep, err = e.handler.GC(context.Background(), referenced, fileapi.GCOptions{DryRun: true, Progress: func(r fileapi.GCReport) { progress = append(progress, r) }})
	if err != nil || rep.Unreferenced != 1 || rep.Deleted != 0 || len(progress) != 2 {
		t.Fatalf("dry run: %+v %v, %d progress calls", rep, err, len(progress))
	}
	if got := len(e.stored()); got != 3 {
		t.Fatalf("a dry run deleted files: %d left", got)
	}
	rep, err = e.handler.GC(context.Background(), referenced, fileapi.GCOptions{})
	if err != nil || rep.Deleted != 1 {
		t.Fatalf("gc: %+v %v", rep, err)
	}
	if got := e.stored(); len(got) != 1 || got[0] != keep {
		t.Fatalf("after gc the store holds %v", got)
	}
	if _, err := e.registry.Lookup(context.Background(), drop); !core.IsCode(err, core.CodeObjectNotFound) {
		t.Error("gc left the record")
	}
}

func TestRoutes(t *testing.T) {
	e := newEnv(t, nil)
	for _, tc := range []struct {
		method, path string
		status       int
	}{
		{"PATCH", "/files/a.txt", 400},
		{"GET", "/files/a/b/c/d", 404},
		{"POST", "/files/app/x/other", 400},
		{"PUT", "/files/app/x.txt", 404}, // no signature: not a valid upload URL
		{"POST", "/files/app/x.txt/callback", 404},
	} {
		r := e.do(tc.method, tc.path, strings.NewReader("x"), user())
		if r.status != tc.status && !(tc.method == "PUT" && r.status == 403) {
			t.Errorf("%s %s: %d %s", tc.method, tc.path, r.status, r.body)
		}
		if r.json(t)["error"] == nil {
			t.Errorf("%s %s: not a Parse error: %s", tc.method, tc.path, r.body)
		}
	}
	_ = url.Values{}
}
