package local_test

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/adapters/files/filestest"
	"github.com/switchboardhq/switchboard/adapters/files/local"
	"github.com/switchboardhq/switchboard/core"
)

func TestConformance(t *testing.T) {
	filestest.RunConformance(t, filestest.Harness{Provider: local.Name, Setup: setup})
}

// setup opens the provider on a fresh folder and serves its signed URLs
// and direct uploads the way the files API does.
func setup(t *testing.T) *filestest.Fixture {
	dir := t.TempDir()
	var files atomic.Pointer[core.Files]
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		serve(w, r, files.Load())
	}))
	t.Cleanup(srv.Close)
	return &filestest.Fixture{
		Config:   core.FilesConfig{DataDir: dir, PublicURL: srv.URL + "/files/app"},
		Client:   srv.Client(),
		Received: func() int64 { return diskUsage(filepath.Join(dir, "files")) },
		Attach:   func(f *core.Files) { files.Store(f) },
		BadOptions: map[string]map[string]any{
			"short secret":      {"secret": "short"},
			"dir is a file":     {"dir": writeFile(t, filepath.Join(t.TempDir(), "file"))},
			"dir of wrong type": {"dir": 42},
		},
	}
}

func writeFile(t *testing.T, p string) string {
	if err := os.WriteFile(p, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// diskUsage is the bytes of the files under dir, uploads in progress
// included.
func diskUsage(dir string) int64 {
	var n int64
	_ = filepath.WalkDir(dir, func(_ string, e fs.DirEntry, err error) error {
		if err == nil && e.Type().IsRegular() {
			if info, err := e.Info(); err == nil {
				n += info.Size()
			}
		}
		return nil
	})
	return n
}

func serve(w http.ResponseWriter, r *http.Request, files *core.Files) {
	name, ok := strings.CutPrefix(r.URL.Path, "/files/app/")
	if !ok || files == nil {
		http.NotFound(w, r)
		return
	}
	d := files.Driver().(*local.Driver)
	switch r.Method {
	case http.MethodGet:
		if err := d.VerifySignedURL(name, r.URL.Query()); err != nil {
			http.Error(w, err.Error(), http.StatusForbidden)
			return
		}
		rc, _, err := files.Get(r.Context(), name, nil)
		if err != nil {
			http.Error(w, err.Error(), core.AsError(err).HTTPStatus())
			return
		}
		defer rc.Close()
		_, _ = io.Copy(w, rc)
	case http.MethodPut:
		grant, err := d.AcceptDirectUpload(name, r.URL.Query())
		if err != nil {
			http.Error(w, err.Error(), http.StatusForbidden)
			return
		}
		if r.Header.Get("Content-Type") != grant.ContentType {
			http.Error(w, "wrong content type", http.StatusForbidden)
			return
		}
		if _, err := files.Put(r.Context(), name, r.Body, core.PutOptions{Size: grant.Size, ContentType: grant.ContentType}); err != nil {
			http.Error(w, err.Error(), core.AsError(err).HTTPStatus())
			return
		}
		w.WriteHeader(http.StatusCreated)
	default:
		w.WriteHeader(http.StatusMethodNotAllowed)
	}
}

func open(t *testing.T, dir string, opts local.Options) *local.Driver {
	t.Helper()
	d, err := local.New(dir, "http://example.test/files/app", opts)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// The bytes stay inside the folder: a refused name writes nothing outside,
// and no valid name reaches outside either.
func TestStaysInsideRoot(t *testing.T) {
	parent := t.TempDir()
	files := core.NewFiles(local.Name, open(t, filepath.Join(parent, "data"), local.Options{}))
	ctx := context.Background()
	for _, name := range filestest.BadNames {
		_, _ = files.Put(ctx, name, strings.NewReader("x"), core.PutOptions{Size: 1})
	}
	entries, _ := os.ReadDir(parent)
	if len(entries) != 1 || entries[0].Name() != "data" {
		t.Fatalf("the parent folder holds %v", entries)
	}
	if _, err := files.Put(ctx, "ok/..x/y..", strings.NewReader("x"), core.PutOptions{Size: 1}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(parent, "data", "files", "objects", "ok", "..x", "y..")); err != nil {
		t.Fatalf("a valid name was not stored where expected: %v", err)
	}
}

// A name that is a file cannot also be a folder, and the other way round.
func TestFileFolderClash(t *testing.T) {
	files := core.NewFiles(local.Name, open(t, t.TempDir(), local.Options{}))
	ctx := context.Background()
	if _, err := files.Put(ctx, "a", strings.NewReader("x"), core.PutOptions{Size: 1}); err != nil {
		t.Fatal(err)
	}
	_, err := files.Put(ctx, "a/b", strings.NewReader("x"), core.PutOptions{Size: 1})
	filestest.WantCode(t, err, core.CodeInvalidFileName)
	if _, err := files.Put(ctx, "c/d", strings.NewReader("x"), core.PutOptions{Size: 1}); err != nil {
		t.Fatal(err)
	}
	_, err = files.Put(ctx, "c", strings.NewReader("x"), core.PutOptions{Size: 1})
	filestest.WantCode(t, err, core.CodeInvalidFileName)
	_, err = files.Stat(ctx, "c")
	filestest.WantCode(t, err, core.CodeObjectNotFound)
	filestest.WantCode(t, files.Delete(ctx, "c"), core.CodeObjectNotFound)
}

// Deleting the last file of a folder removes the folder.
func TestDeletePrunesFolders(t *testing.T) {
	dir := t.TempDir()
	d := open(t, dir, local.Options{})
	files := core.NewFiles(local.Name, d)
	ctx := context.Background()
	if _, err := files.Put(ctx, "x/y/z.txt", strings.NewReader("x"), core.PutOptions{Size: 1}); err != nil {
		t.Fatal(err)
	}
	if err := files.Delete(ctx, "x/y/z.txt"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(d.Root(), "objects", "x")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the emptied folder is still there: %v", err)
	}
	if _, err := os.Stat(filepath.Join(d.Root(), "objects")); err != nil {
		t.Errorf("the root was pruned too: %v", err)
	}
}

// A failed upload leaves no temporary file.
func TestNoTempLeftovers(t *testing.T) {
	d := open(t, t.TempDir(), local.Options{})
	files := core.NewFiles(local.Name, d)
	g := filestest.NewGeneratedReader(1, 1<<20)
	g.OnRead = func(n int64) error {
		if n > 1000 {
			return errors.New("broken")
		}
		return nil
	}
	if _, err := files.Put(context.Background(), "f.bin", g, core.PutOptions{Size: -1}); err == nil {
		t.Fatal("Put succeeded")
	}
	entries, err := os.ReadDir(filepath.Join(d.Root(), "tmp"))
	if err != nil || len(entries) != 0 {
		t.Fatalf("tmp holds %v (%v)", entries, err)
	}
}

// The secret is created once and kept, so signed URLs survive a restart;
// another folder gets another secret.
func TestSecretKept(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	u1, err := open(t, dir, local.Options{}).SignedURL(ctx, "a.txt", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	parsed := mustQuery(t, u1)
	if err := open(t, dir, local.Options{}).VerifySignedURL("a.txt", parsed); err != nil {
		t.Fatalf("a URL from before the restart is refused: %v", err)
	}
	err = open(t, t.TempDir(), local.Options{}).VerifySignedURL("a.txt", parsed)
	filestest.WantCode(t, err, core.CodeOperationForbidden)
	err = open(t, dir, local.Options{}).VerifySignedURL("b.txt", parsed)
	filestest.WantCode(t, err, core.CodeOperationForbidden)
	secret := strings.Repeat("s", 40)
	u2, _ := open(t, t.TempDir(), local.Options{Secret: secret}).SignedURL(ctx, "a.txt", time.Hour)
	if err := open(t, t.TempDir(), local.Options{Secret: secret}).VerifySignedURL("a.txt", mustQuery(t, u2)); err != nil {
		t.Fatalf("a configured secret is not used: %v", err)
	}
}

// A direct-upload URL works once.
func TestDirectUploadOnce(t *testing.T) {
	d := open(t, t.TempDir(), local.Options{})
	up, err := d.DirectUpload(context.Background(), "once.png", core.DirectUploadOptions{ContentType: "image/png", Size: 10, Expires: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	q := mustQuery(t, up.URL)
	grant, err := d.AcceptDirectUpload("once.png", q)
	if err != nil || grant.Size != 10 || grant.ContentType != "image/png" {
		t.Fatalf("first use: %+v %v", grant, err)
	}
	_, err = d.AcceptDirectUpload("once.png", q)
	filestest.WantCode(t, err, core.CodeOperationForbidden)
	_, err = d.AcceptDirectUpload("other.png", q)
	filestest.WantCode(t, err, core.CodeOperationForbidden)
}

func mustQuery(t *testing.T, raw string) url.Values {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return u.Query()
}
