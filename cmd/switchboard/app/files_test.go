package app

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	_ "github.com/switchboardhq/switchboard/adapters/files/local"
	_ "github.com/switchboardhq/switchboard/adapters/store/sqlite"
	"github.com/switchboardhq/switchboard/core"
)

// fileServer is a `switchboard serve` run in process on SQLite and the
// local files provider, configured by env.
type fileServer struct {
	t    *testing.T
	base string // http://127.0.0.1:PORT/parse
	dir  string
	stop func()
}

func startFileServer(t *testing.T, dir string, env ...string) *fileServer {
	t.Helper()
	return startServerWith(t, dir, nil, env...)
}

// startServerWith is startFileServer with more serve arguments (--config).
func startServerWith(t *testing.T, dir string, args []string, env ...string) *fileServer {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	out, errOut := tempFile(t), tempFile(t)
	done := make(chan int, 1)
	env = append([]string{"SWITCHBOARD_APP_ID=app", "SWITCHBOARD_MASTER_KEY=mk", "SWITCHBOARD_JOBS__PROVIDER=none",
		"SWITCHBOARD_ALLOW_CLIENT_CLASS_CREATION=true"}, env...)
	args = append([]string{"serve", "--http", "127.0.0.1:0", "--dir", dir}, args...)
	go func() { done <- Run(ctx, args, env, out, errOut) }()
	s := &fileServer{t: t, dir: dir}
	stopped := false
	s.stop = func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Error("serve did not stop")
		}
	}
	t.Cleanup(s.stop)
	// The address is in the start-up log line.
	deadline := time.Now().Add(15 * time.Second)
	for s.base == "" {
		if m := addrRE.FindStringSubmatch(errOut.text()); m != nil {
			s.base = "http://" + m[1] + "/parse"
			break
		}
		select {
		case code := <-done:
			t.Fatalf("serve exited %d: %s", code, errOut.text())
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("no start-up log: %s", errOut.text())
		}
	}
	return s
}

type answer struct {
	status int
	header http.Header
	body   []byte
	json   map[string]any
}

// do sends one request; headers are "Name: value" strings, "master" and
// "app" are shorthands for the keys.
func (s *fileServer) do(method, path string, body io.Reader, headers ...string) answer {
	s.t.Helper()
	u := path
	if !strings.HasPrefix(path, "http") {
		u = s.base + path
	}
	req, err := http.NewRequest(method, u, body)
	if err != nil {
		s.t.Fatal(err)
	}
	for _, h := range headers {
		switch h {
		case "app":
			req.Header.Set("X-Parse-Application-Id", "app")
		case "master":
			req.Header.Set("X-Parse-Application-Id", "app")
			req.Header.Set("X-Parse-Master-Key", "mk")
		default:
			k, v, _ := strings.Cut(h, ": ")
			req.Header.Set(k, v)
		}
	}
	return sendWith(s.t, http.DefaultClient, req)
}

// sendWith sends req with client and reads the answer.
func sendWith(t *testing.T, client *http.Client, req *http.Request) answer {
	t.Helper()
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	a := answer{status: resp.StatusCode, header: resp.Header, body: b}
	_ = json.Unmarshal(b, &a.json)
	return a
}

func (a answer) code() int {
	n, _ := a.json["code"].(float64)
	return int(n)
}

func (s *fileServer) signUp(name string, authData map[string]any) string {
	s.t.Helper()
	body := map[string]any{"username": name, "password": "pw-" + name}
	if authData != nil {
		body = map[string]any{"authData": authData}
	}
	b, _ := json.Marshal(body)
	a := s.do("POST", "/users", bytes.NewReader(b), "app", "Content-Type: application/json")
	token, _ := a.json["sessionToken"].(string)
	if a.status != 201 || token == "" {
		s.t.Fatalf("sign-up: %d %s", a.status, a.body)
	}
	return token
}

func (s *fileServer) upload(name, contentType, data string, headers ...string) answer {
	return s.do("POST", "/files/"+name, strings.NewReader(data), append([]string{"Content-Type: " + contentType}, headers...)...)
}

// TestFilesWiring drives the files API of a whole server: config, the
// local provider under the data folder, the routes, the core's keys and
// sessions, the upload rules, the _File registry and File fields.
func TestFilesWiring(t *testing.T) {
	dir := t.TempDir()
	s := startFileServer(t, dir, "SWITCHBOARD_FILES__LOCAL__DIR=blobs", "SWITCHBOARD_MAX_UPLOAD_SIZE=1kb")
	user := s.signUp("ada", nil)
	anon := s.signUp("", map[string]any{"anonymous": map[string]any{"id": "0b1c2d3e-aaaa-bbbb-cccc-000000000001"}})

	rules := []struct {
		name, file, contentType string
		headers                 []string
		status, code            int
	}{
		{"public refused by default", "a.txt", "text/plain", []string{"app"}, 400, 130},
		{"anonymous user refused by default", "a.txt", "text/plain", []string{"app", "X-Parse-Session-Token: " + anon}, 400, 130},
		{"logged-in user", "a.txt", "text/plain", []string{"app", "X-Parse-Session-Token: " + user}, 201, 0},
		{"master key", "a.txt", "text/plain", []string{"master"}, 201, 0},
		{"wrong app id", "a.txt", "text/plain", []string{"X-Parse-Application-Id: other"}, 403, 0},
		{"bad session", "a.txt", "text/plain", []string{"app", "X-Parse-Session-Token: r:nope"}, 400, 209},
		{"html refused", "page.html", "text/html", []string{"app", "X-Parse-Session-Token: " + user}, 400, 130},
		{"svg with a MIME parameter refused", "x.png", "image/svg+xml; charset=x", []string{"app", "X-Parse-Session-Token: " + user}, 400, 130},
		{"name with a slash", "a%2F..%2Fb.txt", "text/plain", []string{"master"}, 400, 107},
		{"name with a dot segment", "..", "text/plain", []string{"master"}, 400, 122},
	}
	for _, tc := range rules {
		t.Run(tc.name, func(t *testing.T) {
			a := s.upload(tc.file, tc.contentType, "hello", tc.headers...)
			if a.status != tc.status || a.code() != tc.code {
				t.Errorf("%d %s, want %d code %d", a.status, a.body, tc.status, tc.code)
			}
		})
	}
	if a := s.upload("big.bin", "application/octet-stream", strings.Repeat("x", 2048), "master"); a.status < 400 || a.status == 500 {
		t.Errorf("over maxUploadSize: %d %s", a.status, a.body)
	}

	// A stored file: in the configured folder, served with its type, ranges.
	up := s.upload("hello.txt", "text/plain", "hello world", "app", "X-Parse-Session-Token: "+user)
	name, _ := up.json["name"].(string)
	fileURL, _ := up.json["url"].(string)
	if up.status != 201 || !strings.HasSuffix(name, "_hello.txt") || fileURL != s.base+"/files/app/"+name || up.header.Get("Location") != fileURL {
		t.Fatalf("upload: %d %s %v", up.status, up.body, up.header)
	}
	if _, err := os.Stat(filepath.Join(dir, "blobs", "objects", name)); err != nil {
		t.Errorf("not in files.local.dir: %v", err)
	}
	if a := s.do("GET", fileURL, nil, "Accept-Encoding: gzip"); a.status != 200 || string(a.body) != "hello world" ||
		a.header.Get("Content-Type") != "text/plain" || a.header.Get("Content-Encoding") != "" || a.header.Get("ETag") == "" {
		t.Errorf("download: %d %q %v", a.status, a.body, a.header)
	}
	if a := s.do("GET", fileURL, nil, "Range: bytes=6-"); a.status != 206 || string(a.body) != "world" {
		t.Errorf("range: %d %q", a.status, a.body)
	}

	// The JS SDK's envelope: keys and session in the JSON body.
	env, _ := json.Marshal(map[string]any{"base64": base64.StdEncoding.EncodeToString([]byte("from the SDK")), "_ContentType": "text/plain",
		"_ApplicationId": "app", "_SessionToken": user, "fileData": map[string]any{"metadata": map[string]any{"k": "v"}}})
	sdk := s.do("POST", "/files/sdk.txt", bytes.NewReader(env), "Content-Type: text/plain")
	if sdk.status != 201 {
		t.Fatalf("envelope upload: %d %s", sdk.status, sdk.body)
	}

	// File fields come back with the server's URL, whatever a client stored.
	obj, _ := json.Marshal(map[string]any{"doc": map[string]any{"__type": "File", "name": name, "url": "http://evil.example/x"},
		"list": []any{map[string]any{"__type": "File", "name": sdk.json["name"]}}})
	if a := s.do("POST", "/classes/Doc", bytes.NewReader(obj), "app", "Content-Type: application/json"); a.status != 201 {
		t.Fatalf("create: %d %s", a.status, a.body)
	}
	found := s.do("GET", "/classes/Doc", nil, "app")
	res := found.json["results"].([]any)[0].(map[string]any)
	if got := res["doc"].(map[string]any)["url"]; got != fileURL {
		t.Errorf("File field url = %v, want %s", got, fileURL)
	}
	if got := res["list"].([]any)[0].(map[string]any)["url"]; got != sdk.json["url"] {
		t.Errorf("File in an array: url = %v, want %v", got, sdk.json["url"])
	}

	// The registry is internal, and records the uploader.
	if a := s.do("GET", "/classes/_File", nil, "app", "X-Parse-Session-Token: "+user); a.code() != 119 {
		t.Errorf("_File without the master key: %d %s", a.status, a.body)
	}
	q := url.Values{"where": {`{"name":"` + name + `"}`}}
	recs := s.do("GET", "/classes/_File?"+q.Encode(), nil, "master")
	if r := recs.json["results"].([]any); len(r) != 1 || r[0].(map[string]any)["size"] != 11.0 || r[0].(map[string]any)["owner"] == "" {
		t.Errorf("_File record: %s", recs.body)
	}

	// Delete: master key only; 153 once it is gone.
	if a := s.do("DELETE", "/files/"+name, nil, "app", "X-Parse-Session-Token: "+user); a.code() != 119 {
		t.Errorf("delete as a user: %d %s", a.status, a.body)
	}
	if a := s.do("DELETE", "/files/"+name, nil, "master"); a.status != 200 {
		t.Errorf("delete: %d %s", a.status, a.body)
	}
	if a := s.do("GET", fileURL, nil); a.status != 404 {
		t.Errorf("deleted file: %d %s", a.status, a.body)
	}
	if a := s.do("DELETE", "/files/"+name, nil, "master"); a.code() != 153 {
		t.Errorf("second delete: %d %s", a.status, a.body)
	}
	if recs := s.do("GET", "/classes/_File?"+q.Encode(), nil, "master"); len(recs.json["results"].([]any)) != 0 {
		t.Errorf("record kept after delete: %s", recs.body)
	}
}

// TestFilesProtected: with protectByDefault, File fields resolve to
// short-lived signed URLs, and the plain URL is refused.
func TestFilesProtected(t *testing.T) {
	s := startFileServer(t, t.TempDir(), "SWITCHBOARD_FILES__PROTECT_BY_DEFAULT=true", "SWITCHBOARD_FILES__SIGNED_URL_EXPIRY=2s")
	up := s.upload("secret.txt", "text/plain", "top secret", "master")
	name, _ := up.json["name"].(string)
	if up.status != 201 || !strings.Contains(up.json["url"].(string), "sig=") {
		t.Fatalf("upload: %d %s", up.status, up.body)
	}
	plain := s.base + "/files/app/" + name
	if a := s.do("GET", plain, nil); a.status != 403 || a.code() != 119 {
		t.Errorf("plain URL of a protected file: %d %s", a.status, a.body)
	}
	obj, _ := json.Marshal(map[string]any{"doc": map[string]any{"__type": "File", "name": name}})
	s.do("POST", "/classes/Doc", bytes.NewReader(obj), "app", "Content-Type: application/json")
	found := s.do("GET", "/classes/Doc", nil, "app")
	signed, _ := found.json["results"].([]any)[0].(map[string]any)["doc"].(map[string]any)["url"].(string)
	if !strings.HasPrefix(signed, plain+"?") {
		t.Fatalf("File field url = %q", signed)
	}
	if a := s.do("GET", signed, nil); a.status != 200 || string(a.body) != "top secret" || !strings.HasPrefix(a.header.Get("Cache-Control"), "private") {
		t.Errorf("signed URL: %d %q %v", a.status, a.body, a.header)
	}
	u, _ := url.Parse(signed)
	qv := u.Query()
	qv.Set("sig", strings.Repeat("A", len(qv.Get("sig"))))
	u.RawQuery = qv.Encode()
	if a := s.do("GET", u.String(), nil); a.code() != 119 {
		t.Errorf("tampered signature: %d %s", a.status, a.body)
	}
	time.Sleep(3 * time.Second) // signedURLExpiry is 2s; expiry is in whole seconds
	if a := s.do("GET", signed, nil); a.code() != 119 {
		t.Errorf("expired signed URL: %d %s", a.status, a.body)
	}
}

// TestFilesConfigErrors: a bad files configuration stops serve with a
// message that names what to fix.
func TestFilesConfigErrors(t *testing.T) {
	tests := []struct {
		name string
		env  []string
		want string
	}{
		{"unknown provider", []string{"SWITCHBOARD_FILES__PROVIDER=dropbox"}, `dropbox\" (available: local`},
		{"unknown option of a provider", []string{"SWITCHBOARD_FILES__LOCAL__FOLDER=x"}, "folder"},
		{"bad extension pattern", []string{"SWITCHBOARD_FILE_UPLOAD__FILE_EXTENSIONS=^(png"}, "fileUpload.fileExtensions"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			env := append([]string{"SWITCHBOARD_MASTER_KEY=mk", "SWITCHBOARD_JOBS__PROVIDER=none"}, tc.env...)
			code := Run(context.Background(), []string{"serve", "--http", "127.0.0.1:0", "--dir", t.TempDir()}, env, &out, &errOut)
			if code != exitFailure || !strings.Contains(errOut.String(), tc.want) {
				t.Errorf("exit %d, stderr %s; want %q", code, errOut.String(), tc.want)
			}
		})
	}
}

// TestFilesGC: `switchboard files gc` deletes what no object references,
// keeps the rest, and --dry-run deletes nothing.
func TestFilesGC(t *testing.T) {
	dir := t.TempDir()
	s := startFileServer(t, dir)
	kept := s.upload("kept.txt", "text/plain", "kept", "master").json["name"].(string)
	nested := s.upload("nested.txt", "text/plain", "nested", "master").json["name"].(string)
	orphan := s.upload("orphan.txt", "text/plain", "orphan", "master").json["name"].(string)
	obj, _ := json.Marshal(map[string]any{"doc": map[string]any{"__type": "File", "name": kept},
		"meta": map[string]any{"files": []any{map[string]any{"__type": "File", "name": nested}}}})
	if a := s.do("POST", "/classes/Doc", bytes.NewReader(obj), "app", "Content-Type: application/json"); a.status != 201 {
		t.Fatalf("create: %d %s", a.status, a.body)
	}
	s.stop()

	objects := filepath.Join(dir, "files", "objects")
	exists := func(name string) bool { _, err := os.Stat(filepath.Join(objects, name)); return err == nil }
	gc := func(args ...string) string {
		var out, errOut bytes.Buffer
		env := []string{"SWITCHBOARD_APP_ID=app", "SWITCHBOARD_JOBS__PROVIDER=none"}
		code := Run(context.Background(), append([]string{"files", "gc", "--dir", dir, "--min-age", "1ns"}, args...), env, &out, &errOut)
		if code != exitOK {
			t.Fatalf("files gc %v: exit %d: %s %s", args, code, out.String(), errOut.String())
		}
		return out.String()
	}
	if out := gc("--dry-run"); !strings.Contains(out, "scanned 3 files, 1 unreferenced") || !exists(orphan) {
		t.Errorf("dry run: %q, orphan kept: %v", out, exists(orphan))
	}
	if out := gc(); !strings.Contains(out, "deleted 1, failed 0") {
		t.Errorf("gc: %q", out)
	}
	if exists(orphan) || !exists(kept) || !exists(nested) {
		t.Errorf("after gc: orphan %v, kept %v, nested %v", exists(orphan), exists(kept), exists(nested))
	}
	// Young files are spared by default.
	var out, errOut bytes.Buffer
	if code := Run(context.Background(), []string{"files", "gc", "--dir", dir, "--min-age", "0s"}, nil, &out, &errOut); code != exitUsage {
		t.Errorf("--min-age 0s: exit %d %s", code, errOut.String())
	}
}

// filesTestExtension binds, on every server of these tests, a file trigger
// and a policy that act only on names made for them, so that the tests can
// see the core's hook chains and decision point through the files API.
func init() {
	Extensions.Register("filestest", func(_ context.Context, a *core.App) error {
		a.Hooks().BeforeSaveFile.Bind(func(e *core.FileEvent) error {
			switch {
			case strings.HasSuffix(e.Name, "_refuse.txt"):
				return core.Errorf(core.CodeScriptFailed, "the trigger refuses %s", e.Name)
			case strings.HasSuffix(e.Name, "_protectme.txt"):
				e.Protected = true
			case strings.HasSuffix(e.Name, "_rename.txt"):
				e.Name = strings.TrimSuffix(e.Name, "_rename.txt") + "_renamed.txt"
			case strings.HasSuffix(e.Name, "_rename-bad.txt"):
				e.Name = "../escape.txt"
			}
			return e.Next()
		})
		a.SetAuthorizer(filesPolicy{})
		return nil
	})
}

// filesPolicy refuses every file action on names holding "denied".
type filesPolicy struct{}

func (filesPolicy) Covers(point, _ string) bool { return point == core.PointFiles }

func (filesPolicy) Authorize(_ context.Context, in *core.AuthzInput) (core.Expr, error) {
	if name, _ := in.Extra["name"].(string); strings.Contains(name, "denied") {
		return nil, core.Errorf(core.CodeOperationForbidden, "policy: no %s of %s", in.Action, name)
	}
	return nil, nil
}

func TestFilesTriggersAndPolicy(t *testing.T) {
	s := startFileServer(t, t.TempDir())
	if a := s.upload("refuse.txt", "text/plain", "x", "master"); a.code() != 141 {
		t.Errorf("refused by the trigger: %d %s", a.status, a.body)
	}
	if a := s.upload("denied.txt", "text/plain", "x", "master"); a.code() != 119 {
		t.Errorf("refused by the policy: %d %s", a.status, a.body)
	}
	renamed := s.upload("rename.txt", "text/plain", "x", "master")
	if name, _ := renamed.json["name"].(string); !strings.HasSuffix(name, "_renamed.txt") {
		t.Errorf("renamed by the trigger: %d %s", renamed.status, renamed.body)
	}
	if a := s.upload("rename-bad.txt", "text/plain", "x", "master"); a.code() != 122 {
		t.Errorf("renamed to a bad name: %d %s", a.status, a.body)
	}
	prot := s.upload("protectme.txt", "text/plain", "secret", "master")
	name, _ := prot.json["name"].(string)
	if !strings.Contains(prot.json["url"].(string), "sig=") {
		t.Errorf("protected by the trigger: %s", prot.body)
	}
	if a := s.do("GET", s.base+"/files/app/"+name, nil); a.code() != 119 {
		t.Errorf("plain URL of a file the trigger protected: %d %s", a.status, a.body)
	}
}

// TestFilesDirectUpload: the local provider's direct-upload round trip
// through the whole server, and its size capped by maxUploadSize.
func TestFilesDirectUpload(t *testing.T) {
	s := startFileServer(t, t.TempDir(), "SWITCHBOARD_MAX_UPLOAD_SIZE=1kb")
	user := s.signUp("dora", nil)
	ask := func(size int) answer {
		b, _ := json.Marshal(map[string]any{"size": size, "contentType": "text/plain"})
		return s.do("POST", "/files/big.txt/direct", bytes.NewReader(b), "app", "X-Parse-Session-Token: "+user, "Content-Type: application/json")
	}
	if a := ask(4096); a.code() != 129 {
		t.Errorf("direct upload over maxUploadSize with the local provider: %d %s", a.status, a.body)
	}
	a := ask(11)
	if a.status != 200 {
		t.Fatalf("direct: %d %s", a.status, a.body)
	}
	up := a.json["upload"].(map[string]any)
	hdrs := []string{}
	for k, v := range up["headers"].(map[string]any) {
		hdrs = append(hdrs, k+": "+v.(string))
	}
	if put := s.do(up["method"].(string), up["url"].(string), strings.NewReader("hello world"), hdrs...); put.status != 201 {
		t.Fatalf("PUT: %d %s", put.status, put.body)
	}
	if again := s.do(up["method"].(string), up["url"].(string), strings.NewReader("hello world"), hdrs...); again.code() != 119 {
		t.Errorf("second PUT to a one-time URL: %d %s", again.status, again.body)
	}
	b, _ := json.Marshal(map[string]any{"ticket": a.json["ticket"]})
	conf := s.do("POST", "/files/"+a.json["name"].(string)+"/confirm", bytes.NewReader(b), "app", "Content-Type: application/json")
	if conf.status != 201 || conf.json["url"] != a.json["url"] {
		t.Fatalf("confirm: %d %s", conf.status, conf.body)
	}
	if got := s.do("GET", a.json["url"].(string), nil); string(got.body) != "hello world" {
		t.Errorf("directly uploaded file: %d %q", got.status, got.body)
	}
}
