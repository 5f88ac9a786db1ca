package fileapi_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/switchboardhq/switchboard/adapters/files/filestest"
	"github.com/switchboardhq/switchboard/adapters/files/qiniu"
	"github.com/switchboardhq/switchboard/adapters/files/qiniu/qiniufake"
	"github.com/switchboardhq/switchboard/adapters/files/s3"
	"github.com/switchboardhq/switchboard/adapters/files/s3/s3fake"
	"github.com/switchboardhq/switchboard/core"
)

// The whole direct-upload flow with Qiniu: the instructions are a form
// upload to Kodo, Kodo calls our callback route, the handler verifies and
// registers the file, and its answer reaches the client through Kodo.
func TestDirectUploadQiniuCallback(t *testing.T) {
	fake := qiniufake.New(t)
	e := newEnvWith(t, qiniu.Name, func(string) map[string]any { return fake.Options() }, nil, nil)
	body := filestest.PNG(t, 64, 64)
	r := e.do("POST", "/files/photo.png/direct", strings.NewReader(fmt.Sprintf(`{"size":%d,"contentType":"image/png"}`, len(body))), user())
	if r.status != 200 {
		t.Fatalf("direct: %d %s", r.status, r.body)
	}
	got := r.json(t)
	name := got["name"].(string)
	up := instructions(t, got)
	if !up.Callback || up.FileField != "file" || up.Fields["token"] == "" {
		t.Fatalf("instructions %+v", up)
	}
	status, answer := filestest.Upload(t, http.DefaultClient, up, body, "image/png")
	if status != 200 || !strings.Contains(string(answer), name) {
		t.Fatalf("upload through Kodo: %d %s; want our callback's answer", status, answer)
	}
	ev := <-e.events
	if ev.Name != name || ev.Info.Size != int64(len(body)) || ev.Auth.UserID != "user1" {
		t.Errorf("afterSave %+v", ev)
	}
	if _, err := e.registry.Lookup(context.Background(), name); err != nil {
		t.Errorf("not registered: %v", err)
	}
	// Downloads stream from Kodo through the handler; thumbnails redirect
	// to imageView2.
	dl := e.do("GET", got["url"].(string), nil, nil)
	if dl.status != 200 || !bytes.Equal(dl.body, body) {
		t.Fatalf("download: %d, %d bytes", dl.status, len(dl.body))
	}
	th := e.do("GET", got["url"].(string)+"?thumb=16x16&mode=crop", nil, nil)
	if w, h := decodeSize(t, th.body); th.status != 200 || w != 16 || h != 16 {
		t.Errorf("thumbnail: %d %dx%d", th.status, w, h)
	}
	// A forged callback is refused.
	forged := e.do("POST", "/files/app/"+name+"/callback", strings.NewReader("key="+name+"&fsize=1&body=x"),
		map[string]string{"Content-Type": "application/x-www-form-urlencoded", "Authorization": "QBox " + qiniufake.AccessKey + ":forged"})
	forged.wantError(t, 403, core.CodeOperationForbidden)
	// A body of another size never reaches the bucket.
	r = e.do("POST", "/files/other.png/direct", strings.NewReader(fmt.Sprintf(`{"size":%d,"contentType":"image/png"}`, len(body))), user())
	status, _ = filestest.Upload(t, http.DefaultClient, instructions(t, r.json(t)), append(body, 0), "image/png")
	if status < 400 {
		t.Errorf("an oversize direct upload answered %d", status)
	}
	if names := e.stored(); len(names) != 1 {
		t.Errorf("bucket holds %v", names)
	}
}

// With S3 the client PUTs to a presigned URL and confirms; downloads and
// ranges stream from the bucket through the handler.
func TestDirectUploadS3(t *testing.T) {
	fake := s3fake.New(t)
	e := newEnvWith(t, s3.Name, func(string) map[string]any { return fake.Options() }, nil, nil)
	body := filestest.Body(4, 300_000)
	r := e.do("POST", "/files/data.bin/direct", strings.NewReader(fmt.Sprintf(`{"size":%d}`, len(body))), user())
	if r.status != 200 {
		t.Fatalf("direct: %d %s", r.status, r.body)
	}
	got := r.json(t)
	up := instructions(t, got)
	if status, answer := filestest.Upload(t, fake.Client(), up, body, ""); status != 200 {
		t.Fatalf("presigned PUT: %d %s", status, answer)
	}
	c := e.do("POST", "/files/"+got["name"].(string)+"/confirm", strings.NewReader(fmt.Sprintf(`{"ticket":%q}`, got["ticket"])), nil)
	if c.status != 201 {
		t.Fatalf("confirm: %d %s", c.status, c.body)
	}
	dl := e.do("GET", got["url"].(string), nil, map[string]string{"Range": "bytes=1000-1999"})
	if dl.status != 206 || !bytes.Equal(dl.body, body[1000:2000]) {
		t.Fatalf("ranged download: %d, %d bytes", dl.status, len(dl.body))
	}
	// Server-side thumbnails work over S3 too, cached in the bucket.
	_, img := e.upload("pic.png", "image/png", filestest.PNG(t, 30, 60))
	th := e.do("GET", "/files/app/"+img+"?thumb=10x10", nil, nil)
	if w, h := decodeSize(t, th.body); w != 5 || h != 10 {
		t.Errorf("thumbnail %dx%d", w, h)
	}
}

// instructions reads the "upload" member of a direct answer.
func instructions(t *testing.T, got map[string]any) *core.DirectUpload {
	t.Helper()
	m, _ := got["upload"].(map[string]any)
	up := &core.DirectUpload{Headers: map[string]string{}, Fields: map[string]string{}}
	up.Method, _ = m["method"].(string)
	up.URL, _ = m["url"].(string)
	up.FileField, _ = m["fileField"].(string)
	up.Callback, _ = m["callback"].(bool)
	for _, k := range []string{"headers", "fields"} {
		sub, _ := m[k].(map[string]any)
		for kk, v := range sub {
			if k == "headers" {
				up.Headers[kk] = v.(string)
			} else {
				up.Fields[kk] = v.(string)
			}
		}
	}
	if up.URL == "" {
		t.Fatalf("no instructions in %v", got)
	}
	return up
}
