package fileapi_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/switchboardhq/switchboard/core"
	"github.com/switchboardhq/switchboard/core/fileapi"
)

// The Go calls apply the same rules, triggers and registry as the routes.
func TestGoUpload(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	userAuth := &core.Auth{UserID: "user1"}

	st, err := e.handler.Upload(ctx, userAuth, "photo.png", "image/png", bytes.NewReader([]byte("png bytes")), 9, map[string]any{"k": "v"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !uniqueName.MatchString(st.Name) || st.Size != 9 || st.ContentType != "image/png" || !strings.HasSuffix(st.URL, "/files/app/"+st.Name) {
		t.Errorf("stored %+v", st)
	}
	if rec, ok, err := e.handler.Lookup(ctx, st.Name); err != nil || !ok || rec.Owner != "user1" || rec.Metadata["k"] != "v" {
		t.Errorf("record %+v %v %v", rec, ok, err)
	}
	if ev := <-e.events; ev.Name != st.Name {
		t.Errorf("afterSave saw %q", ev.Name)
	}
	if r := e.do("GET", "/files/app/"+st.Name, nil, nil); r.status != 200 || string(r.body) != "png bytes" {
		t.Errorf("download %d %q", r.status, r.body)
	}

	cases := []struct {
		name        string
		auth        *core.Auth
		file, ctype string
		body        string
		size        int64
		code        core.Code
	}{
		{"public caller", &core.Auth{}, "a.txt", "text/plain", "x", 1, core.CodeFileSaveError},
		{"nil auth is public", nil, "a.txt", "text/plain", "x", 1, core.CodeFileSaveError},
		{"bad name", userAuth, "../a.txt", "text/plain", "x", 1, core.CodeInvalidFileName},
		{"script type", userAuth, "a.html", "text/html", "<p>", 3, core.CodeFileSaveError},
		{"declared too large", userAuth, "a.bin", "", "x", 2 << 20, core.CodeFileTooLarge},
		{"longer than told", userAuth, "a.bin", "", "xyz", 2, core.CodeInvalidContentLength},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := len(e.stored())
			_, err := e.handler.Upload(ctx, c.auth, c.file, c.ctype, strings.NewReader(c.body), c.size, nil, nil)
			if !core.IsCode(err, c.code) {
				t.Fatalf("err %v, want code %d", err, c.code)
			}
			if n := len(e.stored()); n != before {
				t.Errorf("%d files stored after a refused upload, want %d", n, before)
			}
		})
	}

	if err := e.handler.Delete(ctx, userAuth, st.Name); !core.IsCode(err, core.CodeOperationForbidden) {
		t.Errorf("delete by a user: %v", err)
	}
	if err := e.handler.Delete(ctx, &core.Auth{Master: true, ReadOnly: true}, st.Name); !core.IsCode(err, core.CodeOperationForbidden) {
		t.Errorf("delete with the read-only master key: %v", err)
	}
	if err := e.handler.Delete(ctx, &core.Auth{Master: true}, st.Name); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := e.handler.Lookup(ctx, st.Name); ok {
		t.Error("the record outlived the file")
	}
	if err := e.handler.Delete(ctx, &core.Auth{Master: true}, st.Name); !core.IsCode(err, core.CodeFileDeleteError) {
		t.Errorf("delete of a deleted file: %v", err)
	}
}

// Admit checks the caller before any byte is sent; UploadAdmitted stores
// the bytes later under the admitted name, for a ticket of Admit only.
func TestAdmitThenUpload(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	if _, err := e.handler.Admit(ctx, &core.Auth{}, "a.txt", "text/plain", nil, nil); !core.IsCode(err, core.CodeFileSaveError) {
		t.Fatalf("public caller admitted: %v", err)
	}
	ad, err := e.handler.Admit(ctx, &core.Auth{UserID: "user1"}, "notes.txt", "", map[string]any{"a": 1.0}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if ad.ContentType != "text/plain; charset=utf-8" || !strings.HasSuffix(ad.Name, "_notes.txt") {
		t.Errorf("admitted %+v", ad)
	}
	if len(e.stored()) != 0 {
		t.Fatal("Admit stored something")
	}
	// Another name, a tampered ticket, or a direct upload's confirm route
	// with this ticket are refused.
	if _, err := e.handler.UploadAdmitted(ctx, "other.txt", ad.Ticket, strings.NewReader("x"), 1); !core.IsCode(err, core.CodeOperationForbidden) {
		t.Errorf("other name: %v", err)
	}
	if _, err := e.handler.UploadAdmitted(ctx, ad.Name, ad.Ticket+"x", strings.NewReader("x"), 1); !core.IsCode(err, core.CodeOperationForbidden) {
		t.Errorf("tampered ticket: %v", err)
	}
	if _, err := e.handler.ConfirmDirect(ctx, ad.Name, ad.Ticket); !core.IsCode(err, core.CodeOperationForbidden) {
		t.Errorf("an Admit ticket confirmed a direct upload: %v", err)
	}
	// Over the limit while streaming: nothing stays.
	big := io.LimitReader(zeros{}, 2<<20)
	if _, err := e.handler.UploadAdmitted(ctx, ad.Name, ad.Ticket, big, -1); !core.IsCode(err, core.CodeFileTooLarge) {
		t.Errorf("oversize body: %v", err)
	}
	if len(e.stored()) != 0 {
		t.Fatal("an oversize body left a file")
	}
	st, err := e.handler.UploadAdmitted(ctx, ad.Name, ad.Ticket, strings.NewReader("hello"), -1)
	if err != nil {
		t.Fatal(err)
	}
	if st.Name != ad.Name || st.Size != 5 {
		t.Errorf("stored %+v", st)
	}
	rec, ok, _ := e.handler.Lookup(ctx, ad.Name)
	if !ok || rec.Owner != "user1" || rec.Metadata["a"] != 1.0 || rec.Size != 5 {
		t.Errorf("record %+v", rec)
	}
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

// A direct upload prepared by a Go call is confirmed by one, and one that
// differs from its ticket is deleted.
func TestGoDirectUpload(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	auth := &core.Auth{UserID: "user1"}
	if _, err := e.handler.PrepareDirect(ctx, auth, "v.bin", fileapi.DirectRequest{Size: 0}); !core.IsCode(err, core.CodeInvalidContentLength) {
		t.Errorf("no size: %v", err)
	}
	for _, body := range []string{"12345", "1234"} {
		d, err := e.handler.PrepareDirect(ctx, auth, "v.bin", fileapi.DirectRequest{Size: 5, ContentType: "application/octet-stream"})
		if err != nil {
			t.Fatal(err)
		}
		if d.Upload.Method != http.MethodPut || d.Upload.Callback {
			t.Fatalf("local instructions %+v", d.Upload)
		}
		if _, err := e.handler.ConfirmDirect(ctx, d.Name, d.Ticket); !core.IsCode(err, core.CodeFileSaveError) {
			t.Errorf("confirm before the upload: %v", err)
		}
		// The local provider's URL checks the length it signed; a short
		// body is stored through the core directly, as a rogue store would.
		if len(body) == 5 {
			r := e.do(d.Upload.Method, d.Upload.URL, strings.NewReader(body), d.Upload.Headers)
			if r.status != http.StatusCreated {
				t.Fatalf("upload %d %s", r.status, r.body)
			}
		} else if _, err := e.files.Put(ctx, d.Name, strings.NewReader(body), core.PutOptions{Size: 4, ContentType: "application/octet-stream"}); err != nil {
			t.Fatal(err)
		}
		st, err := e.handler.ConfirmDirect(ctx, d.Name, d.Ticket)
		if len(body) == 5 {
			if err != nil || st.Size != 5 {
				t.Errorf("confirm: %+v %v", st, err)
			}
			continue
		}
		if !core.IsCode(err, core.CodeFileSaveError) {
			t.Errorf("confirm of a wrong body: %v", err)
		}
		if _, err := e.files.Stat(ctx, d.Name); !core.IsCode(err, core.CodeObjectNotFound) {
			t.Errorf("the wrong body stayed: %v", err)
		}
	}
}
