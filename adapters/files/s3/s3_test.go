package s3_test

import (
	"context"
	"strings"
	"testing"

	"github.com/switchboardhq/switchboard/adapters/files/filestest"
	"github.com/switchboardhq/switchboard/adapters/files/s3"
	"github.com/switchboardhq/switchboard/adapters/files/s3/s3fake"
	"github.com/switchboardhq/switchboard/adapters/internal/conformance"
	"github.com/switchboardhq/switchboard/core"
)

func TestConformance(t *testing.T) {
	filestest.RunConformance(t, filestest.Harness{Provider: s3.Name, Setup: setup})
}

func setup(t *testing.T) *filestest.Fixture {
	fake := s3fake.New(t)
	o := fake.Options()
	return &filestest.Fixture{
		Config:   core.FilesConfig{DataDir: t.TempDir(), Options: o},
		Client:   fake.Client(),
		Received: fake.Received,
		BadOptions: map[string]map[string]any{
			"no bucket":          conformance.Without(o, "bucket"),
			"no accessKeyId":     conformance.Without(o, "accessKeyId"),
			"no secret":          conformance.Without(o, "secretAccessKey"),
			"endpoint with path": conformance.With(o, "endpoint", fake.URL()+"/bucket"),
			"endpoint no scheme": conformance.With(o, "endpoint", "s3.amazonaws.com"),
			"part too small":     conformance.With(o, "partSize", 1024),
			"bad prefix":         conformance.With(o, "prefix", "../"),
			"missing caFile":     conformance.With(o, "caFile", "/nonexistent/ca.pem"),
		},
		Secrets: []string{s3fake.SecretAccessKey},
	}
}

func open(t *testing.T, o map[string]any) *core.Files {
	t.Helper()
	f, err := core.OpenFiles(context.Background(), s3.Name, core.FilesConfig{Options: o})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// Configuration mistakes are internal errors that say what to fix and
// never repeat the secret.
func TestMisconfigured(t *testing.T) {
	fake := s3fake.New(t)
	filestest.RunMisconfigured(t, s3.Name, fake.Options(), []string{s3fake.SecretAccessKey}, []filestest.Mistake{
		{Name: "wrong secret", Key: "secretAccessKey", Value: "not-the-secret-not-the-secret", Cause: "check files.s3.accessKeyId"},
		{Name: "unknown key", Key: "accessKeyId", Value: "AKIASOMEONEELSE00000", Cause: "check files.s3.accessKeyId"},
		{Name: "missing bucket", Key: "bucket", Value: "no-such-bucket", Cause: `check files.s3.bucket "no-such-bucket"`},
	})
}

// A prefix keeps apps apart in one bucket.
func TestPrefix(t *testing.T) {
	fake := s3fake.New(t)
	a := open(t, conformance.With(fake.Options(), "prefix", "app-a/"))
	b := open(t, conformance.With(fake.Options(), "prefix", "app-b/"))
	ctx := context.Background()
	if _, err := a.Put(ctx, "x.txt", strings.NewReader("a"), core.PutOptions{Size: 1}); err != nil {
		t.Fatal(err)
	}
	_, err := b.Stat(ctx, "x.txt")
	filestest.WantCode(t, err, core.CodeObjectNotFound)
	page, err := a.List(ctx, core.ListOptions{})
	if err != nil || len(page.Files) != 1 || page.Files[0].Name != "x.txt" {
		t.Fatalf("List = %+v, %v; want x.txt without the prefix", page, err)
	}
}
