package app

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	_ "github.com/switchboardhq/switchboard/adapters/files/qiniu"
	"github.com/switchboardhq/switchboard/adapters/files/qiniu/qiniufake"
	_ "github.com/switchboardhq/switchboard/adapters/files/s3"
	"github.com/switchboardhq/switchboard/adapters/files/s3/s3fake"
)

// lcServer is a whole server with a files provider, spoken to in
// LeanCloud's dialect as its SDK does.
type lcServer struct {
	*fileServer
	root   string       // http://127.0.0.1:PORT
	client *http.Client // reaches the store's upload URLs too
}

// startLeanCloudServer serves with the named files provider: local, or the
// qiniu or s3 fake.
func startLeanCloudServer(t *testing.T, provider string, env ...string) *lcServer {
	t.Helper()
	files := map[string]any{"provider": provider}
	client := http.DefaultClient
	switch provider {
	case "qiniu":
		files["qiniu"] = qiniufake.New(t).Options()
	case "s3":
		f := s3fake.New(t)
		files["s3"] = f.Options()
		client = f.Client()
	}
	b, err := yaml.Marshal(map[string]any{"files": files})
	if err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(cfg, b, 0o600); err != nil {
		t.Fatal(err)
	}
	s := startServerWith(t, t.TempDir(), []string{"--config", cfg}, env...)
	return &lcServer{fileServer: s, root: strings.TrimSuffix(s.base, "/parse"), client: client}
}

// lc sends a JSON request to /1.1 with LeanCloud's headers; session may
// be empty.
func (s *lcServer) lc(method, path string, body any, session string) answer {
	s.t.Helper()
	var r io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		r = bytes.NewReader(b)
	}
	headers := []string{"X-LC-Id: app", "X-LC-Key: any-key", "Content-Type: application/json"}
	if session != "" {
		headers = append(headers, "X-LC-Session: "+session)
	}
	return s.do(method, s.root+"/1.1"+path, r, headers...)
}

// send does a request with the server's client (which trusts the fake
// stores' certificates).
func (s *lcServer) send(req *http.Request) answer {
	s.t.Helper()
	return sendWith(s.t, s.client, req)
}

// sendBytes follows a fileTokens answer as leancloud-storage's uploaders
// do: "s3" PUTs the bytes with Content-Type and Cache-Control, "qiniu"
// posts a form with name, key, token and the file.
func (s *lcServer) sendBytes(tok answer, name, mime string, data []byte) answer {
	s.t.Helper()
	uploadURL, _ := tok.json["upload_url"].(string)
	switch tok.json["provider"] {
	case "s3":
		req, _ := http.NewRequest(http.MethodPut, uploadURL, bytes.NewReader(data))
		req.Header.Set("Content-Type", mime)
		req.Header.Set("Cache-Control", "public, max-age=31536000")
		return s.send(req)
	case "qiniu":
		var body bytes.Buffer
		mw := multipart.NewWriter(&body)
		for _, f := range []string{"name", "key", "token"} {
			v := name
			if f != "name" {
				v, _ = tok.json[f].(string)
			}
			_ = mw.WriteField(f, v)
		}
		h := textproto.MIMEHeader{}
		h.Set("Content-Disposition", `form-data; name="file"; filename="`+name+`"`)
		h.Set("Content-Type", mime)
		w, _ := mw.CreatePart(h)
		_, _ = w.Write(data)
		_ = mw.Close()
		req, _ := http.NewRequest(http.MethodPost, uploadURL, &body)
		req.Header.Set("Content-Type", mw.FormDataContentType())
		return s.send(req)
	}
	s.t.Fatalf("fileTokens answered an unknown provider: %s", tok.body)
	return answer{}
}

// TestLeanCloudFileUploads: the SDK's upload flow (fileTokens, the bytes
// to the store as told, fileCallback) over each files provider, then the
// file read, put on an object, queried, and deleted, on /1.1 and /parse.
func TestLeanCloudFileUploads(t *testing.T) {
	for _, tc := range []struct{ provider, sdkProvider string }{
		{"local", "s3"}, {"qiniu", "qiniu"}, {"s3", "s3"},
	} {
		t.Run(tc.provider, func(t *testing.T) {
			s := startLeanCloudServer(t, tc.provider)
			user := s.signUp("ada", nil)
			other := s.signUp("bob", nil)
			me := s.lc("GET", "/users/me", nil, user).json["objectId"].(string)
			data := []byte("\x89PNG not really an image, but bytes")

			tok := s.lc("POST", "/fileTokens", map[string]any{"name": "照片.png", "mime_type": "image/png",
				"metaData": map[string]any{"size": len(data), "owner": "someone-else"}}, user)
			if tok.status != 200 || tok.json["provider"] != tc.sdkProvider || tok.json["token"] == "" || tok.json["objectId"] == "" {
				t.Fatalf("fileTokens: %d %s", tok.status, tok.body)
			}
			id := tok.json["objectId"].(string)
			key := tok.json["key"].(string)
			if !strings.HasSuffix(key, "_.png") {
				t.Errorf("key %q: the stored name should keep the extension of 照片.png", key)
			}
			if tc.provider == "qiniu" && tok.json["bucket"] != qiniufake.Bucket {
				t.Errorf("bucket %v, want the one of the upload token", tok.json["bucket"])
			}
			if up := s.sendBytes(tok, "照片.png", "image/png", data); up.status/100 != 2 {
				t.Fatalf("upload to %s: %d %s", tok.json["upload_url"], up.status, up.body)
			}
			if cb := s.lc("POST", "/fileCallback", map[string]any{"token": tok.json["token"], "result": true}, user); cb.status != 200 {
				t.Fatalf("fileCallback: %d %s", cb.status, cb.body)
			}
			if cb := s.lc("POST", "/fileCallback", map[string]any{"token": tok.json["token"], "result": false}, user); cb.code() != 119 {
				t.Errorf("a used token reported a failure: %d %s", cb.status, cb.body)
			}

			got := s.lc("GET", "/files/"+id, nil, "")
			meta, _ := got.json["metaData"].(map[string]any)
			if got.json["name"] != "照片.png" || got.json["mime_type"] != "image/png" || got.json["key"] != key ||
				meta["size"] != float64(len(data)) || meta["owner"] != me {
				t.Errorf("the file record: %s", got.body)
			}
			for _, hidden := range []string{"file", "uploadToken", "pending"} {
				if _, ok := got.json[hidden]; ok {
					t.Errorf("the record shows %s: %s", hidden, got.body)
				}
			}
			fileURL, _ := got.json["url"].(string)
			if dl := s.do("GET", fileURL, nil); dl.status != 200 || !bytes.Equal(dl.body, data) {
				t.Fatalf("download %s: %d %q", fileURL, dl.status, dl.body)
			}

			// On an object, written as {__type: File, id}, read back in
			// LeanCloud's form; Parse clients see a File naming the key.
			post := s.lc("POST", "/classes/Post", map[string]any{"pic": map[string]any{"__type": "File", "id": id}}, user)
			if post.status != 201 {
				t.Fatalf("save with a file: %d %s", post.status, post.body)
			}
			back := s.lc("GET", "/classes/Post/"+post.json["objectId"].(string), nil, user)
			pic, _ := back.json["pic"].(map[string]any)
			if pic["__type"] != "File" || pic["id"] != id || pic["objectId"] != id || pic["name"] != "照片.png" || pic["url"] != fileURL {
				t.Errorf("the file on the object, on /1.1: %v", back.json["pic"])
			}
			parse := s.do("GET", "/classes/Post/"+post.json["objectId"].(string), nil, "app", "X-Parse-Session-Token: "+user)
			ppic, _ := parse.json["pic"].(map[string]any)
			if ppic["name"] != key || ppic["url"] != fileURL {
				t.Errorf("the file on the object, on /parse: %v", parse.json["pic"])
			}

			// The _File class, queried as LeanCloud's.
			where := url.QueryEscape(`{"name":"照片.png"}`)
			q := s.lc("GET", "/classes/_File?where="+where, nil, "")
			if list, _ := q.json["results"].([]any); len(list) != 1 || list[0].(map[string]any)["url"] != fileURL {
				t.Errorf("query of _File: %s", q.body)
			}

			// Only the uploader (the record's ACL) deletes it, and the bytes go too.
			if del := s.lc("DELETE", "/files/"+id, nil, other); del.status == 200 {
				t.Fatalf("another user deleted the file: %s", del.body)
			}
			if del := s.lc("DELETE", "/files/"+id, nil, user); del.status != 200 {
				t.Fatalf("delete: %d %s", del.status, del.body)
			}
			if got := s.lc("GET", "/files/"+id, nil, ""); len(got.json) != 0 {
				t.Errorf("a deleted file reads %s", got.body)
			}
			if dl := s.do("GET", fileURL, nil); dl.status != 404 {
				t.Errorf("the bytes of a deleted file: %d", dl.status)
			}
		})
	}
}

// TestLeanCloudFileUploadsThroughServer: an upload whose size the SDK does
// not tell (a base64 string, a stream) goes through our own upload route,
// once; a failure reported by the SDK removes the record; the bytes route
// (POST /1.1/files/:name) and the denials.
func TestLeanCloudFileUploadsThroughServer(t *testing.T) {
	s := startLeanCloudServer(t, "local", "SWITCHBOARD_MAX_UPLOAD_SIZE=1kb")
	user := s.signUp("ada", nil)

	tok := s.lc("POST", "/fileTokens", map[string]any{"name": "notes.txt", "mime_type": "text/plain"}, user)
	if tok.status != 200 || tok.json["provider"] != "s3" || !strings.HasPrefix(tok.json["upload_url"].(string), s.root+"/1.1/fileUploads/") {
		t.Fatalf("fileTokens without a size: %d %s", tok.status, tok.body)
	}
	if cb := s.lc("POST", "/fileCallback", map[string]any{"token": tok.json["token"], "result": true}, user); cb.code() != 1 {
		t.Errorf("fileCallback before the bytes: %d %s", cb.status, cb.body)
	}
	u := tok.json["upload_url"].(string)
	tampered := strings.Replace(u, "token=", "token=x", 1)
	for _, bad := range []string{tampered, strings.Replace(u, tok.json["objectId"].(string), "0000000000", 1)} {
		req, _ := http.NewRequest(http.MethodPut, bad, strings.NewReader("hello"))
		if a := s.send(req); a.code() != 119 {
			t.Errorf("PUT to %s: %d %s", bad, a.status, a.body)
		}
	}
	// Over maxUploadSize, told in advance or found while streaming: the
	// upload fails, and the token stays good for a retry.
	req, _ := http.NewRequest(http.MethodPut, u, strings.NewReader(strings.Repeat("x", 2048)))
	if a := s.send(req); a.code() != 116 {
		t.Errorf("a body over maxUploadSize: %d %s", a.status, a.body)
	}
	req, _ = http.NewRequest(http.MethodPut, u, io.MultiReader(strings.NewReader(strings.Repeat("x", 2048))))
	if a := s.send(req); a.code() != 129 {
		t.Errorf("a streamed body over maxUploadSize: %d %s", a.status, a.body)
	}
	req, _ = http.NewRequest(http.MethodPut, u, strings.NewReader("hello notes"))
	if a := s.send(req); a.status != 200 {
		t.Fatalf("PUT of the bytes: %d %s", a.status, a.body)
	}
	req, _ = http.NewRequest(http.MethodPut, u, strings.NewReader("replaced!!!"))
	if a := s.send(req); a.code() != 119 {
		t.Errorf("a second PUT with the same token: %d %s", a.status, a.body)
	}
	if cb := s.lc("POST", "/fileCallback", map[string]any{"token": tok.json["token"], "result": true}, user); cb.status != 200 {
		t.Fatalf("fileCallback: %d %s", cb.status, cb.body)
	}
	got := s.lc("GET", "/files/"+tok.json["objectId"].(string), nil, user)
	if dl := s.do("GET", got.json["url"].(string), nil); string(dl.body) != "hello notes" {
		t.Errorf("the file: %s; download %d %q", got.body, dl.status, dl.body)
	}

	// The SDK reports a failed upload: the record goes.
	failed := s.lc("POST", "/fileTokens", map[string]any{"name": "lost.txt"}, user)
	if cb := s.lc("POST", "/fileCallback", map[string]any{"token": failed.json["token"], "result": false}, user); cb.status != 200 {
		t.Fatalf("fileCallback false: %d %s", cb.status, cb.body)
	}
	if got := s.lc("GET", "/files/"+failed.json["objectId"].(string), nil, user); len(got.json) != 0 {
		t.Errorf("the record of a failed upload stayed: %s", got.body)
	}

	// LeanCloud's REST upload: the bytes as the body.
	raw := s.do("POST", s.root+"/1.1/files/hello.txt", strings.NewReader("raw bytes"), "X-LC-Id: app", "X-LC-Key: k",
		"X-LC-Session: "+user, "Content-Type: text/plain")
	if raw.status != 201 || raw.json["name"] != "hello.txt" || raw.json["objectId"] == nil {
		t.Fatalf("POST /1.1/files/hello.txt: %d %s", raw.status, raw.body)
	}
	if dl := s.do("GET", raw.json["url"].(string), nil); string(dl.body) != "raw bytes" {
		t.Errorf("download of the REST upload: %d %q", dl.status, dl.body)
	}

	// Denials: who may upload is fileUpload's rule (public is off by
	// default), page types are refused, the record class is the dialect's.
	if a := s.lc("POST", "/fileTokens", map[string]any{"name": "a.txt", "metaData": map[string]any{"size": 3}}, ""); a.code() != 130 {
		t.Errorf("fileTokens without a session: %d %s", a.status, a.body)
	}
	if a := s.do("POST", s.root+"/1.1/files/a.txt", strings.NewReader("abc"), "X-LC-Id: app", "X-LC-Key: k", "Content-Type: text/plain"); a.code() != 130 {
		t.Errorf("REST upload without a session: %d %s", a.status, a.body)
	}
	if a := s.lc("POST", "/fileTokens", map[string]any{"name": "x.html", "mime_type": "text/html", "metaData": map[string]any{"size": 3}}, user); a.code() != 130 {
		t.Errorf("an HTML upload: %d %s", a.status, a.body)
	}
	if a := s.lc("POST", "/fileCallback", map[string]any{"token": "forged", "result": false}, user); a.code() != 119 {
		t.Errorf("fileCallback with a forged token: %d %s", a.status, a.body)
	}
	if a := s.lc("POST", "/files", map[string]any{"url": "javascript:alert(1)"}, user); a.status != 400 {
		t.Errorf("a javascript: URL registered: %d %s", a.status, a.body)
	}
	b, _ := json.Marshal(map[string]any{"name": "x", "key": "someone-elses-file"})
	if a := s.do("POST", "/classes/LeanCloudFile", bytes.NewReader(b), "app", "X-Parse-Session-Token: "+user, "Content-Type: application/json"); a.code() != 119 {
		t.Errorf("a client created a file record on /parse: %d %s", a.status, a.body)
	}
	if a := s.lc("POST", "/classes/_File", map[string]any{"name": "x"}, user); a.code() != 119 {
		t.Errorf("a client created a _File object on /1.1: %d %s", a.status, a.body)
	}
	list := s.do("GET", "/classes/LeanCloudFile", nil, "app", "X-Parse-Session-Token: "+user)
	if list.status != 200 || strings.Contains(string(list.body), "uploadToken") || strings.Contains(string(list.body), "pending") {
		t.Errorf("the records on /parse show the upload's secrets: %s", list.body)
	}
	if a := s.lc("GET", "/classes/_File", nil, user); strings.Contains(string(a.body), `"etag"`) || a.status != 200 {
		t.Errorf("/1.1/classes/_File is not the file records: %s", a.body)
	}
}

// TestLeanCloudExternalFiles: a file registered by URL keeps its URL on
// /1.1 and on /parse, whose File values name the record's key.
func TestLeanCloudExternalFiles(t *testing.T) {
	s := startLeanCloudServer(t, "local")
	user := s.signUp("ada", nil)
	ext := s.lc("POST", "/files", map[string]any{"name": "cat.png", "url": "https://cdn.example.com/cat.png", "mime_type": "image/png"}, user)
	if ext.status != 201 || ext.json["url"] != "https://cdn.example.com/cat.png" {
		t.Fatalf("register by URL: %d %s", ext.status, ext.body)
	}
	post := s.lc("POST", "/classes/Post", map[string]any{"pic": map[string]any{"__type": "File", "id": ext.json["objectId"]},
		"byURL": map[string]any{"__type": "File", "name": "dog.png", "url": "https://cdn.example.com/dog.png"}}, user)
	if post.status != 201 {
		t.Fatalf("save: %d %s", post.status, post.body)
	}
	id := post.json["objectId"].(string)
	back := s.lc("GET", "/classes/Post/"+id, nil, user)
	for field, want := range map[string]string{"pic": "https://cdn.example.com/cat.png", "byURL": "https://cdn.example.com/dog.png"} {
		f, _ := back.json[field].(map[string]any)
		if f["url"] != want || f["id"] == nil {
			t.Errorf("%s on /1.1: %v", field, back.json[field])
		}
	}
	parse := s.do("GET", "/classes/Post/"+id, nil, "app", "X-Parse-Session-Token: "+user)
	if pic, _ := parse.json["pic"].(map[string]any); pic["url"] != "https://cdn.example.com/cat.png" || pic["name"] != ext.json["key"] {
		t.Errorf("pic on /parse: %v", parse.json["pic"])
	}
}

// TestLeanCloudSDKOverQiniu drives the real leancloud-storage SDK (Node,
// test/sdk/helpers/lc-files.js) against a server whose files provider is
// Qiniu Kodo (the fake): fileTokens answers "qiniu", the SDK posts its
// form to Kodo, Kodo calls our callback, the SDK reports to fileCallback.
// It needs `npm ci` in test/sdk; the SDK suite runs it
// (tests/leancloud-qiniu.test.js) with SB_REQUIRE_NODE_SDK=1, where a
// missing SDK fails instead of skipping.
func TestLeanCloudSDKOverQiniu(t *testing.T) {
	sdkDir, _ := filepath.Abs("../../../test/sdk")
	if _, err := os.Stat(filepath.Join(sdkDir, "node_modules", "leancloud-storage")); err != nil {
		if os.Getenv("SB_REQUIRE_NODE_SDK") != "" {
			t.Fatalf("leancloud-storage is not installed in %s (npm ci there): %v", sdkDir, err)
		}
		t.Skip("leancloud-storage is not installed (npm ci in test/sdk); the SDK suite runs this test")
	}
	s := startLeanCloudServer(t, "qiniu")
	user := s.signUp("ada", nil)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "node", filepath.Join(sdkDir, "helpers", "lc-files.js"), s.root, "app", "any-key", user)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("the SDK failed: %v\n%s", err, stderr.String())
	}
	var got struct {
		Buffer, Base64 struct{ ID, URL string }
		Fetched        struct {
			Name, URL string
			Size      float64
		}
		OnObject struct {
			ID, URL string
			Pics    []string
		}
	}
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("the SDK printed %q: %v", out, err)
	}
	for _, f := range []struct {
		id, url, want string
	}{{got.Buffer.ID, got.Buffer.URL, "hello from a buffer"}, {got.Base64.ID, got.Base64.URL, "png-ish bytes"}} {
		if dl := s.do("GET", f.url, nil); dl.status != 200 || string(dl.body) != f.want {
			t.Errorf("download of %s: %d %q", f.url, dl.status, dl.body)
		}
	}
	// The Buffer went to Kodo directly (its record says qiniu), and the
	// SDK's fileCallback settled it.
	var rec answer
	for range 100 {
		rec = s.do("GET", "/classes/LeanCloudFile/"+got.Buffer.ID, nil, "master")
		if rec.json["uploadToken"] == nil {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if rec.json["provider"] != "qiniu" || rec.json["uploadToken"] != nil || rec.json["bucket"] != qiniufake.Bucket {
		t.Errorf("the record of the Buffer upload: %s", rec.body)
	}
	if got.Fetched.Name != "hello.txt" || got.Fetched.URL != got.Buffer.URL || got.Fetched.Size != 19 {
		t.Errorf("fetch: %+v", got.Fetched)
	}
	if got.OnObject.ID != got.Buffer.ID || got.OnObject.URL != got.Buffer.URL || len(got.OnObject.Pics) != 2 || got.OnObject.Pics[1] != got.Base64.ID {
		t.Errorf("files on an object: %+v", got.OnObject)
	}
}

// TestLeanCloudQiniuResumable: the SDK sends files of 64 MB and more to
// Kodo with its resumable API (v2: init, parts, complete, the bucket from
// fileTokens and the key in URL-safe base64, the token as "UpToken"); the
// same requests with a small file, against the Kodo fake, end in our
// callback like a form upload.
func TestLeanCloudQiniuResumable(t *testing.T) {
	s := startLeanCloudServer(t, "qiniu")
	user := s.signUp("ada", nil)
	data := bytes.Repeat([]byte("0123456789"), 1000)
	tok := s.lc("POST", "/fileTokens", map[string]any{"name": "big.bin", "mime_type": "application/octet-stream",
		"metaData": map[string]any{"size": len(data)}}, user)
	if tok.json["provider"] != "qiniu" {
		t.Fatalf("fileTokens: %s", tok.body)
	}
	base := tok.json["upload_url"].(string) + "/buckets/" + tok.json["bucket"].(string) + "/objects/" +
		base64.URLEncoding.EncodeToString([]byte(tok.json["key"].(string))) + "/uploads"
	call := func(method, u string, body []byte) answer {
		req, _ := http.NewRequest(method, u, bytes.NewReader(body))
		req.Header.Set("Authorization", "UpToken "+tok.json["token"].(string))
		return s.send(req)
	}
	init := call(http.MethodPost, base, nil)
	id, _ := init.json["uploadId"].(string)
	if id == "" {
		t.Fatalf("init: %d %s", init.status, init.body)
	}
	var parts []any
	for i, chunk := range [][]byte{data[:6000], data[6000:]} {
		p := call(http.MethodPut, base+"/"+id+"/"+strconv.Itoa(i+1), chunk)
		if p.status != 200 {
			t.Fatalf("part %d: %d %s", i+1, p.status, p.body)
		}
		parts = append(parts, map[string]any{"partNumber": i + 1, "etag": p.json["etag"]})
	}
	done, _ := json.Marshal(map[string]any{"parts": parts, "fname": "big.bin", "mimeType": "application/octet-stream"})
	if c := call(http.MethodPost, base+"/"+id, done); c.status != 200 {
		t.Fatalf("complete (and Kodo's callback to us): %d %s", c.status, c.body)
	}
	if cb := s.lc("POST", "/fileCallback", map[string]any{"token": tok.json["token"], "result": true}, user); cb.status != 200 {
		t.Fatalf("fileCallback: %d %s", cb.status, cb.body)
	}
	got := s.lc("GET", "/files/"+tok.json["objectId"].(string), nil, user)
	if dl := s.do("GET", got.json["url"].(string), nil); !bytes.Equal(dl.body, data) {
		t.Errorf("download: %d, %d bytes", dl.status, len(dl.body))
	}
}
