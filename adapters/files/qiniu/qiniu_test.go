package qiniu_test

import (
	"bytes"
	"context"
	"image"
	_ "image/png"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/adapters/files/filestest"
	"github.com/switchboardhq/switchboard/adapters/files/qiniu"
	"github.com/switchboardhq/switchboard/adapters/files/qiniu/qiniufake"
	"github.com/switchboardhq/switchboard/adapters/internal/conformance"
	"github.com/switchboardhq/switchboard/core"
)

func TestConformance(t *testing.T) {
	filestest.RunConformance(t, filestest.Harness{Provider: qiniu.Name, Setup: setup})
}

func setup(t *testing.T) *filestest.Fixture {
	fake := qiniufake.New(t)
	o := fake.Options()
	return &filestest.Fixture{
		Config:   core.FilesConfig{DataDir: t.TempDir(), Options: o},
		Received: fake.Received,
		BadOptions: map[string]map[string]any{
			"no accessKey":      conformance.Without(o, "accessKey"),
			"no secretKey":      conformance.Without(o, "secretKey"),
			"no bucket":         conformance.Without(o, "bucket"),
			"no domain":         conformance.Without(o, "domain"),
			"domain with path":  conformance.With(o, "domain", "https://cdn.example.com/x"),
			"bad up host":       conformance.With(o, "upHosts", []any{"up.example.com"}),
			"unknown region":    conformance.With(o, "region", "mars-1"),
			"part size too big": conformance.With(o, "partSize", 2<<30),
			"concurrency 0..16": conformance.With(o, "concurrency", 17),
		},
		Secrets: []string{qiniufake.SecretKey},
	}
}

func open(t *testing.T, o map[string]any) *core.Files {
	t.Helper()
	f, err := core.OpenFiles(context.Background(), qiniu.Name, core.FilesConfig{Options: o})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// Configuration mistakes are internal errors that say what to fix.
func TestMisconfigured(t *testing.T) {
	fake := qiniufake.New(t)
	filestest.RunMisconfigured(t, qiniu.Name, fake.Options(), []string{qiniufake.SecretKey}, []filestest.Mistake{
		{Name: "wrong secret", Key: "secretKey", Value: "not-the-secret", Cause: "check files.qiniu.accessKey and secretKey"},
		{Name: "missing bucket", Key: "bucket", Value: "no-such-bucket", Cause: `check files.qiniu.bucket "no-such-bucket"`},
	})
}

// Kodo's 503s are retried by the SDK; a lasting outage is reported as
// CodeConnectionFailed, never swallowed.
func TestUnavailable(t *testing.T) {
	fake := qiniufake.New(t)
	f := open(t, fake.Options())
	ctx := context.Background()
	if _, err := f.Put(ctx, "a.txt", strings.NewReader("hello"), core.PutOptions{Size: 5}); err != nil {
		t.Fatal(err)
	}
	fake.FailNext(1)
	if _, err := f.Stat(ctx, "a.txt"); err != nil {
		t.Fatalf("one 503 was not retried: %v", err)
	}
	fake.FailNext(1000)
	_, err := f.Stat(ctx, "a.txt")
	filestest.WantCode(t, err, core.CodeConnectionFailed)
	_, err = f.Put(ctx, "b.txt", strings.NewReader("hello"), core.PutOptions{Size: 5})
	filestest.WantCode(t, err, core.CodeConnectionFailed)
	fake.FailNext(0)
	_, err = f.Stat(ctx, "b.txt")
	filestest.WantCode(t, err, core.CodeObjectNotFound)
}

// Thumbnails are imageView2 URLs that Kodo renders: mode 1 crops to the
// box, mode 2 fits inside it; the URL is signed like any private download.
func TestThumbnailURL(t *testing.T) {
	fake := qiniufake.New(t)
	f := open(t, fake.Options())
	ctx := context.Background()
	src := filestest.PNG(t, 400, 200)
	if _, err := f.Put(ctx, "photo.png", bytes.NewReader(src), core.PutOptions{Size: int64(len(src)), ContentType: "image/png"}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		mode         core.ThumbMode
		op           string
		wantW, wantH int
	}{
		{core.ThumbCrop, "imageView2/1/w/100/h/100", 100, 100},
		{core.ThumbFit, "imageView2/2/w/100/h/100", 100, 50},
	} {
		u, err := f.ThumbnailURL(ctx, "photo.png", core.Thumb{Width: 100, Height: 100, Mode: tc.mode}, time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(u, tc.op) || !strings.Contains(u, "token=") {
			t.Errorf("thumbnail URL %s lacks %s or its token", u, tc.op)
		}
		resp, err := http.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		img, _, err := image.Decode(resp.Body)
		resp.Body.Close()
		if err != nil {
			t.Fatalf("%s: %v", tc.op, err)
		}
		if b := img.Bounds(); b.Dx() != tc.wantW || b.Dy() != tc.wantH {
			t.Errorf("%s rendered %dx%d, want %dx%d", tc.op, b.Dx(), b.Dy(), tc.wantW, tc.wantH)
		}
		for _, bad := range filestest.Tamper(t, u) {
			if resp, err := http.Get(bad); err == nil {
				resp.Body.Close()
				if resp.StatusCode < 400 {
					t.Errorf("altered thumbnail URL %s answered %d", bad, resp.StatusCode)
				}
			}
		}
	}
}
