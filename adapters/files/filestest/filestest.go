// Package filestest is the conformance suite for files providers
// (core.FileDriver). Every provider under adapters/files runs it from a
// harness: local against the real disk, qiniu against qiniufake, s3 against
// an S3 server inside the test.
//
//	func TestConformance(t *testing.T) {
//		filestest.RunConformance(t, filestest.Harness{Provider: "s3", Setup: setup})
//	}
//
// The suite checks the FileDriver contract through core.Files, the way the
// server uses a provider: put (known and unknown size, empty, replace),
// get and byte ranges, stat, delete, list with prefixes and pages, names
// (odd but valid ones round-trip; traversal is refused before the driver
// sees it), streaming (a large generated body is never read far ahead of
// what the store received), interrupted uploads (a failing body, a
// canceled context, a wrong length, an oversize body: no file is left and
// an old file is kept), signed URLs (they read the file, stop after expiry
// and when altered), direct uploads (the instructions upload the file; a
// wrong size or type, an altered or expired instruction is refused) and,
// for stores that report uploads, the callback and its forgery.
package filestest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"math/rand/v2"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/adapters/internal/conformance"
	"github.com/switchboardhq/switchboard/core"
)

// Harness describes one provider to the suite.
type Harness struct {
	// Provider is the name the provider registers in core.FileProviders.
	Provider string
	// Setup starts a fresh store for one subtest and describes it.
	Setup func(t *testing.T) *Fixture
}

// Fixture is one provider configuration and the means to observe it.
type Fixture struct {
	// Config opens the provider.
	Config core.FilesConfig
	// Client reaches the store's URLs (signed URLs, direct uploads); nil
	// means http.DefaultClient. A store behind httptest.NewTLSServer
	// passes that server's client.
	Client *http.Client
	// Received returns how many bytes of uploads the store has received so
	// far, finished or not. The streaming test compares it with what the
	// driver has read.
	Received func() int64
	// Attach, if set, is called with the opened provider before a subtest
	// uses it (the local harness serves its signed URLs with it).
	Attach func(f *core.Files)
	// BadOptions are config sections that must fail to open, by name.
	BadOptions map[string]map[string]any
	// Secrets are option values that must never appear in an error.
	Secrets []string
	// StreamSize is the body of the streaming test (default 64 MiB) and
	// StreamAhead how far the driver may read ahead of the store (default
	// 24 MiB): a part or a few in flight, never the whole body.
	StreamSize, StreamAhead int64
}

// RunConformance runs the suite.
func RunConformance(t *testing.T, h Harness) {
	t.Helper()
	if h.Provider == "" || h.Setup == nil {
		t.Fatal("filestest: Harness needs Provider and Setup")
	}
	tests := []struct {
		name string
		fn   func(t *testing.T, r *run)
	}{
		{"PutGet", testPutGet},
		{"UnknownSize", testUnknownSize},
		{"Empty", testEmpty},
		{"Replace", testReplace},
		{"Range", testRange},
		{"Missing", testMissing},
		{"List", testList},
		{"Names", testNames},
		{"Traversal", testTraversal},
		{"Streaming", testStreaming},
		{"Interrupted", testInterrupted},
		{"Concurrent", testConcurrent},
		{"SignedURL", testSignedURL},
		{"DirectUpload", testDirectUpload},
		{"Callback", testCallback},
	}
	t.Run("Open", func(t *testing.T) { testOpen(t, h) })
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.fn(t, setup(t, h))
		})
	}
}

type run struct {
	fx    *Fixture
	files *core.Files
}

func setup(t *testing.T, h Harness) *run {
	t.Helper()
	fx := h.Setup(t)
	if fx.Client == nil {
		fx.Client = http.DefaultClient
	}
	files, err := core.OpenFiles(context.Background(), h.Provider, fx.Config)
	if err != nil {
		t.Fatalf("open %s: %v", h.Provider, err)
	}
	t.Cleanup(func() { files.Close() })
	if fx.Attach != nil {
		fx.Attach(files)
	}
	return &run{fx: fx, files: files}
}

// WantCode fails the test unless err is a *core.Error with code.
func WantCode(t *testing.T, err error, code core.Code) {
	t.Helper()
	conformance.WantCode(t, err, code)
}

// Body returns n deterministic pseudo-random bytes for seed.
func Body(seed uint64, n int) []byte {
	b := make([]byte, n)
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

func (r *run) put(t *testing.T, name string, body []byte, contentType string) core.FileInfo {
	t.Helper()
	info, err := r.files.Put(context.Background(), name, bytes.NewReader(body), core.PutOptions{Size: int64(len(body)), ContentType: contentType})
	if err != nil {
		t.Fatalf("Put %q: %v", name, err)
	}
	if info.Name != name || info.Size != int64(len(body)) {
		t.Fatalf("Put %q returned %+v; want that name and size %d", name, info, len(body))
	}
	return info
}

// read returns the whole file and its info.
func (r *run) read(t *testing.T, name string, rng *core.ByteRange) ([]byte, core.FileInfo) {
	t.Helper()
	rc, info, err := r.files.Get(context.Background(), name, rng)
	if err != nil {
		t.Fatalf("Get %q %+v: %v", name, rng, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatalf("reading %q: %v", name, err)
	}
	return b, info
}

// absent checks that name is not stored, by Stat, Get and List.
func (r *run) absent(t *testing.T, name string) {
	t.Helper()
	_, err := r.files.Stat(context.Background(), name)
	WantCode(t, err, core.CodeObjectNotFound)
	_, _, err = r.files.Get(context.Background(), name, nil)
	WantCode(t, err, core.CodeObjectNotFound)
	page, err := r.files.List(context.Background(), core.ListOptions{Prefix: name})
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	for _, f := range page.Files {
		if f.Name == name {
			t.Fatalf("%q is listed after a failed upload", name)
		}
	}
}

func testOpen(t *testing.T, h Harness) {
	fx := h.Setup(t)
	for name, opts := range fx.BadOptions {
		t.Run(name, func(t *testing.T) {
			cfg := fx.Config
			cfg.Options = opts
			f, err := core.OpenFiles(context.Background(), h.Provider, cfg)
			if err == nil {
				f.Close()
				t.Fatalf("opened with bad options %v", opts)
			}
			for _, s := range fx.Secrets {
				if s != "" && strings.Contains(err.Error(), s) {
					t.Errorf("error %q repeats a secret", err)
				}
			}
		})
	}
	t.Run("unknown option", func(t *testing.T) {
		cfg := fx.Config
		cfg.Options = conformance.With(cfg.Options, "noSuchOption", true)
		if _, err := core.OpenFiles(context.Background(), h.Provider, cfg); err == nil || !strings.Contains(err.Error(), "noSuchOption") {
			t.Fatalf("open with an unknown option: %v; want an error naming it", err)
		}
	})
}

func testPutGet(t *testing.T, r *run) {
	body := Body(1, 100_000)
	put := r.put(t, "photos/cat.jpg", body, "image/jpeg")
	if put.ETag == "" {
		t.Error("Put returned no ETag")
	}
	st, err := r.files.Stat(context.Background(), "photos/cat.jpg")
	if err != nil {
		t.Fatal(err)
	}
	if st.Size != int64(len(body)) || st.ContentType != "image/jpeg" || st.ETag != put.ETag || st.ModTime.IsZero() {
		t.Errorf("Stat = %+v; want size %d, image/jpeg, ETag %q and a time", st, len(body), put.ETag)
	}
	if d := time.Since(st.ModTime); d < -time.Hour || d > time.Hour {
		t.Errorf("ModTime %v is not about now", st.ModTime)
	}
	got, info := r.read(t, "photos/cat.jpg", nil)
	if !bytes.Equal(got, body) {
		t.Fatalf("Get returned %d bytes that differ from the %d put", len(got), len(body))
	}
	if info.Size != st.Size || info.ETag != st.ETag || info.ContentType != "image/jpeg" {
		t.Errorf("Get info %+v differs from Stat %+v", info, st)
	}
}

func testUnknownSize(t *testing.T, r *run) {
	body := Body(2, 300_000)
	// A reader that hides its length, as a request body without
	// Content-Length does.
	info, err := r.files.Put(context.Background(), "stream.bin", io.MultiReader(bytes.NewReader(body)), core.PutOptions{Size: -1, ContentType: "application/octet-stream"})
	if err != nil {
		t.Fatal(err)
	}
	if info.Size != int64(len(body)) {
		t.Errorf("size %d, want %d", info.Size, len(body))
	}
	if got, _ := r.read(t, "stream.bin", nil); !bytes.Equal(got, body) {
		t.Fatal("content differs")
	}
}

func testEmpty(t *testing.T, r *run) {
	r.put(t, "empty.txt", nil, "text/plain")
	got, info := r.read(t, "empty.txt", nil)
	if len(got) != 0 || info.Size != 0 {
		t.Fatalf("empty file read back %d bytes, size %d", len(got), info.Size)
	}
	_, _, err := r.files.Get(context.Background(), "empty.txt", &core.ByteRange{Offset: 0, Length: 1})
	WantCode(t, err, core.CodeInvalidValue)
}

func testReplace(t *testing.T, r *run) {
	first := r.put(t, "doc.txt", []byte("first version"), "text/plain")
	second := r.put(t, "doc.txt", []byte("second, longer version"), "text/markdown")
	if first.ETag == second.ETag {
		t.Errorf("the ETag %q did not change with the content", first.ETag)
	}
	got, info := r.read(t, "doc.txt", nil)
	if string(got) != "second, longer version" || info.ContentType != "text/markdown" {
		t.Fatalf("after replace: %q %s", got, info.ContentType)
	}
}

func testRange(t *testing.T, r *run) {
	body := Body(3, 10_000)
	r.put(t, "range.bin", body, "application/octet-stream")
	for _, tc := range []struct {
		rng  core.ByteRange
		want []byte
	}{
		{core.ByteRange{Offset: 0, Length: 1}, body[:1]},
		{core.ByteRange{Offset: 100, Length: 900}, body[100:1000]},
		{core.ByteRange{Offset: 9_000, Length: -1}, body[9_000:]},
		{core.ByteRange{Offset: 9_999, Length: 5}, body[9_999:]}, // past the end: clamped
		{core.ByteRange{Offset: 0, Length: -1}, body},
	} {
		got, info := r.read(t, "range.bin", &tc.rng)
		if !bytes.Equal(got, tc.want) {
			t.Errorf("range %+v: got %d bytes, want %d (content differs: %v)", tc.rng, len(got), len(tc.want), len(got) == len(tc.want))
		}
		if info.Size != int64(len(body)) {
			t.Errorf("range %+v: info size %d is not the file's %d", tc.rng, info.Size, len(body))
		}
	}
	_, _, err := r.files.Get(context.Background(), "range.bin", &core.ByteRange{Offset: 10_000, Length: 1})
	WantCode(t, err, core.CodeInvalidValue)
	_, _, err = r.files.Get(context.Background(), "range.bin", &core.ByteRange{Offset: -1, Length: 1})
	WantCode(t, err, core.CodeInvalidValue)
}

func testMissing(t *testing.T, r *run) {
	ctx := context.Background()
	r.absent(t, "nothing/here.txt")
	WantCode(t, r.files.Delete(ctx, "nothing/here.txt"), core.CodeObjectNotFound)
	r.put(t, "once.txt", []byte("x"), "text/plain")
	if err := r.files.Delete(ctx, "once.txt"); err != nil {
		t.Fatal(err)
	}
	r.absent(t, "once.txt")
	WantCode(t, r.files.Delete(ctx, "once.txt"), core.CodeObjectNotFound)
}

func testList(t *testing.T, r *run) {
	names := []string{"a/1.txt", "a/2.txt", "a/sub/3.txt", "a-b.txt", "ab.txt", "b.txt"}
	for i, n := range names {
		r.put(t, n, Body(uint64(i), i+1), "text/plain")
	}
	all := r.list(t, "", 1000)
	if !slices.Equal(all, slices.Sorted(slices.Values(names))) {
		t.Errorf("List = %v; want %v in byte order", all, slices.Sorted(slices.Values(names)))
	}
	if got := r.list(t, "a/", 1000); !slices.Equal(got, []string{"a/1.txt", "a/2.txt", "a/sub/3.txt"}) {
		t.Errorf("List a/ = %v", got)
	}
	if got := r.list(t, "a", 2); !slices.Equal(got, []string{"a-b.txt", "a/1.txt", "a/2.txt", "a/sub/3.txt", "ab.txt"}) {
		t.Errorf("List a in pages of 2 = %v", got)
	}
	if got := r.list(t, "zzz", 10); len(got) != 0 {
		t.Errorf("List zzz = %v", got)
	}
	page, err := r.files.List(context.Background(), core.ListOptions{Prefix: "a/", Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	for i, f := range page.Files {
		want := slices.Index(names, f.Name) + 1
		if f.Size != int64(want) || f.ETag == "" {
			t.Errorf("listed %d: %+v; want size %d and an ETag", i, f, want)
		}
	}
}

// list walks every page of a listing and checks that each page respects
// the limit.
func (r *run) list(t *testing.T, prefix string, limit int) []string {
	t.Helper()
	var names []string
	opts := core.ListOptions{Prefix: prefix, Limit: limit}
	for pages := 0; ; pages++ {
		if pages > 100 {
			t.Fatalf("listing %q never ends", prefix)
		}
		page, err := r.files.List(context.Background(), opts)
		if err != nil {
			t.Fatalf("List %q: %v", prefix, err)
		}
		if len(page.Files) > limit {
			t.Fatalf("page of %d files over the limit %d", len(page.Files), limit)
		}
		for _, f := range page.Files {
			names = append(names, f.Name)
		}
		if page.Next == "" {
			return names
		}
		opts.Cursor = page.Next
	}
}

// OddNames are valid names that must round-trip exactly.
var OddNames = []string{
	"dir/sub/file name (1).txt",
	"文件/照片 2024.png",
	"a+b=c&d?e#f%20g.txt",
	"~tilde/.hidden/..dots..",
	"semi;colon,comma'quote\"dq.bin",
}

func testNames(t *testing.T, r *run) {
	for i, name := range OddNames {
		body := Body(uint64(100+i), 64)
		r.put(t, name, body, "application/octet-stream")
		if got, _ := r.read(t, name, nil); !bytes.Equal(got, body) {
			t.Errorf("%q: content differs", name)
		}
		if got := r.list(t, name, 10); !slices.Contains(got, name) {
			t.Errorf("%q not listed under its own name: %v", name, got)
		}
		if err := r.files.Delete(context.Background(), name); err != nil {
			t.Errorf("delete %q: %v", name, err)
		}
		r.absent(t, name)
	}
}

// BadNames are refused with CodeInvalidFileName before any driver runs.
var BadNames = []string{
	"", "../escape.txt", "a/../../escape.txt", "/etc/passwd", "a//b", "a/", "./a", "a/./b", "..",
	"back\\slash", "nul\x00byte", "new\nline", "del\x7f", "bad\xffutf8", strings.Repeat("x", core.MaxFileNameLen+1),
}

func testTraversal(t *testing.T, r *run) {
	ctx := context.Background()
	for _, name := range BadNames {
		_, err := r.files.Put(ctx, name, strings.NewReader("x"), core.PutOptions{Size: 1})
		WantCode(t, err, core.CodeInvalidFileName)
		_, _, err = r.files.Get(ctx, name, nil)
		WantCode(t, err, core.CodeInvalidFileName)
		_, err = r.files.Stat(ctx, name)
		WantCode(t, err, core.CodeInvalidFileName)
		WantCode(t, r.files.Delete(ctx, name), core.CodeInvalidFileName)
		if _, ok := r.files.Driver().(core.FileURLSigner); ok {
			_, err = r.files.SignedURL(ctx, name, time.Minute)
			WantCode(t, err, core.CodeInvalidFileName)
		}
	}
	if got := r.list(t, "", 1000); len(got) != 0 {
		t.Errorf("refused names stored %v", got)
	}
}

// GeneratedReader yields n deterministic bytes without holding them, and
// reports how many it has given out.
type GeneratedReader struct {
	rng  *rand.PCG
	word [8]byte
	used int // bytes of word already given out (8: none left)
	left int64
	mu   sync.Mutex
	read int64
	// OnRead, if set, runs before each read with the bytes given so far;
	// an error it returns fails the read.
	OnRead func(read int64) error
}

// NewGeneratedReader returns a reader of n bytes from seed.
func NewGeneratedReader(seed uint64, n int64) *GeneratedReader {
	return &GeneratedReader{rng: rand.NewPCG(seed, seed+1), used: 8, left: n}
}

func (g *GeneratedReader) Read(p []byte) (int, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.OnRead != nil {
		if err := g.OnRead(g.read); err != nil {
			return 0, err
		}
	}
	if g.left == 0 {
		return 0, io.EOF
	}
	// The stream is the same however it is cut into reads: bytes of a
	// word not given out yet wait for the next read.
	n := min(int64(len(p)), g.left)
	for i := range n {
		if g.used == 8 {
			binary.LittleEndian.PutUint64(g.word[:], g.rng.Uint64())
			g.used = 0
		}
		p[i] = g.word[g.used]
		g.used++
	}
	g.left -= n
	g.read += n
	return int(n), nil
}

// Read returns how many bytes were given out.
func (g *GeneratedReader) Given() int64 {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.read
}

func digest(t *testing.T, r io.Reader) [32]byte {
	t.Helper()
	h := sha256.New()
	if _, err := io.Copy(h, r); err != nil {
		t.Fatal(err)
	}
	return [32]byte(h.Sum(nil))
}

func testStreaming(t *testing.T, r *run) {
	if r.fx.Received == nil {
		t.Fatal("filestest: Fixture needs Received")
	}
	size, ahead := r.fx.StreamSize, r.fx.StreamAhead
	if size == 0 {
		size = 64 << 20
	}
	if ahead == 0 {
		ahead = 24 << 20
	}
	for _, known := range []bool{true, false} {
		t.Run(fmt.Sprintf("size known %v", known), func(t *testing.T) {
			name := fmt.Sprintf("big-%v.bin", known)
			base := r.fx.Received()
			var worst int64
			src := NewGeneratedReader(7, size)
			src.OnRead = func(read int64) error {
				if gap := read - (r.fx.Received() - base); gap > worst {
					worst = gap
				}
				return nil
			}
			declared := int64(-1)
			if known {
				declared = size
			}
			if _, err := r.files.Put(context.Background(), name, src, core.PutOptions{Size: declared, ContentType: "application/octet-stream"}); err != nil {
				t.Fatal(err)
			}
			if worst > ahead {
				t.Errorf("the driver read %d MiB ahead of what the store had received; it must stream (at most %d MiB ahead)", worst>>20, ahead>>20)
			}
			rc, info, err := r.files.Get(context.Background(), name, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer rc.Close()
			if info.Size != size {
				t.Errorf("size %d, want %d", info.Size, size)
			}
			if digest(t, rc) != digest(t, NewGeneratedReader(7, size)) {
				t.Error("the stored content differs from what was uploaded")
			}
		})
	}
}

var errBroken = errors.New("client went away")

func testInterrupted(t *testing.T, r *run) {
	ctx := context.Background()
	const big = 12 << 20 // past one part of a multipart upload
	r.put(t, "kept.txt", []byte("the old version"), "text/plain")
	cases := []struct {
		name string
		file string
		put  func(name string) error
		code core.Code
	}{
		{"reader fails early", "fail-early.bin", func(name string) error {
			g := NewGeneratedReader(1, 1<<20)
			g.OnRead = failAfter(1000)
			_, err := r.files.Put(ctx, name, g, core.PutOptions{Size: 1 << 20})
			return err
		}, core.CodeConnectionFailed},
		{"reader fails after parts", "fail-late.bin", func(name string) error {
			g := NewGeneratedReader(1, 3*big)
			g.OnRead = failAfter(2 * big)
			_, err := r.files.Put(ctx, name, g, core.PutOptions{Size: -1})
			return err
		}, core.CodeConnectionFailed},
		{"context canceled mid-stream", "canceled.bin", func(name string) error {
			cctx, cancel := context.WithCancel(ctx)
			defer cancel()
			g := NewGeneratedReader(1, 3*big)
			g.OnRead = func(read int64) error {
				if read >= big {
					cancel()
				}
				return nil
			}
			_, err := r.files.Put(cctx, name, g, core.PutOptions{Size: -1})
			return err
		}, -1},
		{"body shorter than declared", "short.bin", func(name string) error {
			_, err := r.files.Put(ctx, name, bytes.NewReader(Body(1, 100)), core.PutOptions{Size: 200})
			return err
		}, core.CodeInvalidContentLength},
		{"body longer than declared", "long.bin", func(name string) error {
			_, err := r.files.Put(ctx, name, bytes.NewReader(Body(1, 300)), core.PutOptions{Size: 200})
			return err
		}, core.CodeInvalidContentLength},
		{"over the limit, size unknown", "huge.bin", func(name string) error {
			_, err := r.files.Put(ctx, name, NewGeneratedReader(1, big), core.PutOptions{Size: -1, MaxSize: big / 2})
			return err
		}, core.CodeFileTooLarge},
		{"over the limit, size declared", "huge2.bin", func(name string) error {
			_, err := r.files.Put(ctx, name, NewGeneratedReader(1, big), core.PutOptions{Size: big, MaxSize: big / 2})
			return err
		}, core.CodeFileTooLarge},
		{"replacing fails midway", "kept.txt", func(name string) error {
			g := NewGeneratedReader(1, 3*big)
			g.OnRead = failAfter(2 * big)
			_, err := r.files.Put(ctx, name, g, core.PutOptions{Size: -1})
			return err
		}, core.CodeConnectionFailed},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.put(tc.file)
			if err == nil {
				t.Fatal("Put succeeded")
			}
			if tc.code >= 0 {
				WantCode(t, err, tc.code)
			}
			if tc.file == "kept.txt" {
				if got, _ := r.read(t, "kept.txt", nil); string(got) != "the old version" {
					t.Fatalf("a failed replace changed the file to %d bytes", len(got))
				}
				return
			}
			r.absent(t, tc.file)
		})
	}
	if got := r.list(t, "", 1000); !slices.Equal(got, []string{"kept.txt"}) {
		t.Errorf("after the failed uploads the store holds %v", got)
	}
}

func failAfter(n int64) func(int64) error {
	return func(read int64) error {
		if read >= n {
			return errBroken
		}
		return nil
	}
}

func testConcurrent(t *testing.T, r *run) {
	var wg sync.WaitGroup
	const n = 8
	for i := range n {
		wg.Go(func() {
			body := Body(uint64(i), 50_000+i)
			name := fmt.Sprintf("c/%d.bin", i)
			if _, err := r.files.Put(context.Background(), name, bytes.NewReader(body), core.PutOptions{Size: int64(len(body))}); err != nil {
				t.Error(err)
				return
			}
			rc, _, err := r.files.Get(context.Background(), name, nil)
			if err != nil {
				t.Error(err)
				return
			}
			got, err := io.ReadAll(rc)
			rc.Close()
			if err != nil || !bytes.Equal(got, body) {
				t.Errorf("%s: content differs (%v)", name, err)
			}
		})
	}
	wg.Wait()
	if got := r.list(t, "c/", 3); len(got) != n {
		t.Errorf("listed %d of %d files", len(got), n)
	}
}

// fetch performs a request and returns the status and body.
func (r *run) fetch(t *testing.T, req *http.Request) (int, []byte) {
	t.Helper()
	resp, err := r.fx.Client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL.Redacted(), err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

func (r *run) get(t *testing.T, u string) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	return r.fetch(t, req)
}

// Tamper returns versions of a signed URL with one part altered: a
// character of each query value, and the path.
func Tamper(t *testing.T, signed string) []string {
	t.Helper()
	u, err := url.Parse(signed)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	q := u.Query()
	for k, vs := range q {
		if len(vs) == 0 || vs[0] == "" {
			continue
		}
		c := *u
		q2 := url.Values{}
		for k2, v2 := range q {
			q2[k2] = slices.Clone(v2)
		}
		v := []byte(vs[0])
		last := len(v) - 1
		if v[last] == 'A' {
			v[last] = 'B'
		} else {
			v[last] = 'A'
		}
		q2.Set(k, string(v))
		c.RawQuery = q2.Encode()
		out = append(out, c.String())
	}
	c := *u
	c.Path += "x"
	c.RawPath = ""
	out = append(out, c.String())
	return out
}

func testSignedURL(t *testing.T, r *run) {
	if _, ok := r.files.Driver().(core.FileURLSigner); !ok {
		t.Skip("the provider has no signed URLs")
	}
	ctx := context.Background()
	body := Body(9, 5000)
	name := "private/photo 1.jpg"
	r.put(t, name, body, "image/jpeg")
	u, err := r.files.SignedURL(ctx, name, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if status, got := r.get(t, u); status != http.StatusOK || !bytes.Equal(got, body) {
		t.Fatalf("GET signed URL: %d, %d bytes; want 200 and the file", status, len(got))
	}
	for _, bad := range Tamper(t, u) {
		if status, _ := r.get(t, bad); status < 400 {
			t.Errorf("altered URL %s answered %d", bad, status)
		}
	}
	short, err := r.files.SignedURL(ctx, name, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(2100 * time.Millisecond) // past the one-second expiry
	if status, _ := r.get(t, short); status < 400 {
		t.Errorf("expired URL answered %d", status)
	}
	if _, err := r.files.SignedURL(ctx, name, 0); err == nil {
		t.Error("a signed URL with no expiry was issued")
	}
}

// Upload performs direct-upload instructions with body, as a client would,
// and returns the status and answer. contentType overrides the type the
// instructions name when not empty.
func Upload(t *testing.T, client *http.Client, up *core.DirectUpload, body []byte, contentType string) (int, []byte) {
	t.Helper()
	var req *http.Request
	var err error
	if up.FileField != "" {
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		keys := slices.Sorted(func(yield func(string) bool) {
			for k := range up.Fields {
				if !yield(k) {
					return
				}
			}
		})
		for _, k := range keys {
			_ = mw.WriteField(k, up.Fields[k])
		}
		ct := contentType
		if ct == "" {
			ct = "application/octet-stream"
		}
		h := make(map[string][]string)
		h["Content-Disposition"] = []string{fmt.Sprintf(`form-data; name=%q; filename="upload"`, up.FileField)}
		h["Content-Type"] = []string{ct}
		fw, _ := mw.CreatePart(h)
		fw.Write(body)
		mw.Close()
		req, err = http.NewRequest(up.Method, up.URL, &buf)
		if err == nil {
			req.Header.Set("Content-Type", mw.FormDataContentType())
		}
	} else {
		req, err = http.NewRequest(up.Method, up.URL, bytes.NewReader(body))
	}
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range up.Headers {
		req.Header.Set(k, v)
	}
	if contentType != "" && up.FileField == "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("direct upload: %v", err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

func testDirectUpload(t *testing.T, r *run) {
	if _, ok := r.files.Driver().(core.FileDirectUploader); !ok {
		t.Skip("the provider has no direct uploads")
	}
	ctx := context.Background()
	body := Body(11, 4096)
	prepare := func(name string, expires time.Duration) *core.DirectUpload {
		t.Helper()
		up, err := r.files.DirectUpload(ctx, name, core.DirectUploadOptions{ContentType: "image/png", Size: int64(len(body)), Expires: expires})
		if err != nil {
			t.Fatal(err)
		}
		if up.URL == "" || up.Method == "" || !up.ExpiresAt.After(time.Now()) {
			t.Fatalf("incomplete instructions %+v", up)
		}
		return up
	}
	up := prepare("direct/one.png", time.Minute)
	if status, answer := Upload(t, r.fx.Client, up, body, ""); status/100 != 2 {
		t.Fatalf("direct upload answered %d: %s", status, answer)
	}
	got, info := r.read(t, "direct/one.png", nil)
	if !bytes.Equal(got, body) || info.ContentType != "image/png" {
		t.Fatalf("after a direct upload: %d bytes of %s", len(got), info.ContentType)
	}

	refused := func(what, name string, status int, answer []byte) {
		t.Helper()
		if status < 400 {
			t.Errorf("%s answered %d: %s", what, status, answer)
		}
		r.absent(t, name)
	}
	up = prepare("direct/big.png", time.Minute)
	status, answer := Upload(t, r.fx.Client, up, append(slices.Clone(body), 'x'), "")
	refused("an upload longer than announced", "direct/big.png", status, answer)

	up = prepare("direct/type.png", time.Minute)
	status, answer = Upload(t, r.fx.Client, up, body, "text/html")
	refused("an upload of another type", "direct/type.png", status, answer)

	up = prepare("direct/tampered.png", time.Minute)
	for _, bad := range Tamper(t, up.URL) {
		changed := *up
		changed.URL = bad
		status, answer = Upload(t, r.fx.Client, &changed, body, "")
		refused("an altered upload URL", "direct/tampered.png", status, answer)
	}
	for k, v := range up.Fields {
		changed := *up
		changed.Fields = map[string]string{}
		for k2, v2 := range up.Fields {
			changed.Fields[k2] = v2
		}
		changed.Fields[k] = v + "x"
		status, answer = Upload(t, r.fx.Client, &changed, body, "")
		if k == "key" || k == "token" || k == "policy" || strings.Contains(strings.ToLower(k), "signature") {
			refused("an upload with field "+k+" altered", "direct/tampered.png", status, answer)
		}
	}

	up = prepare("direct/late.png", time.Second)
	time.Sleep(2100 * time.Millisecond)
	status, answer = Upload(t, r.fx.Client, up, body, "")
	refused("an expired upload", "direct/late.png", status, answer)
}

func testCallback(t *testing.T, r *run) {
	verifier, ok := r.files.Driver().(core.FileUploadCallback)
	if !ok {
		t.Skip("the provider's store reports no uploads")
	}
	type report struct {
		info core.FileInfo
		body string
		err  error
	}
	reports := make(chan report, 4)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		info, body, err := verifier.VerifyUploadCallback(req)
		reports <- report{info, body, err}
		if err != nil {
			w.WriteHeader(http.StatusForbidden)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"name":%q}`, info.Name)
	}))
	defer srv.Close()
	body := Body(12, 2048)
	up, err := r.files.DirectUpload(context.Background(), "cb/file.png", core.DirectUploadOptions{
		ContentType: "image/png", Size: int64(len(body)), Expires: time.Minute,
		CallbackURL: srv.URL + "/callback", CallbackBody: "ticket-123",
	})
	if err != nil {
		t.Fatal(err)
	}
	if !up.Callback {
		t.Fatal("the instructions do not say that the store reports the upload")
	}
	status, answer := Upload(t, r.fx.Client, up, body, "")
	if status != http.StatusOK || !strings.Contains(string(answer), `"cb/file.png"`) {
		t.Fatalf("upload with callback: %d %s; want 200 and the callback's answer", status, answer)
	}
	select {
	case rep := <-reports:
		if rep.err != nil {
			t.Fatalf("the store's callback was refused: %v", rep.err)
		}
		if rep.info.Name != "cb/file.png" || rep.info.Size != int64(len(body)) || rep.info.ContentType != "image/png" || rep.body != "ticket-123" {
			t.Errorf("callback reported %+v with body %q", rep.info, rep.body)
		}
	default:
		t.Fatal("the store did not call back")
	}
	// A forged report: the same form, no valid signature.
	forged, _ := http.NewRequest(http.MethodPost, srv.URL+"/callback", strings.NewReader("key=cb%2Fother.png&fsize=1&mimeType=image%2Fpng&body=ticket-123"))
	forged.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	forged.Header.Set("Authorization", "QBox nobody:c2lnbmF0dXJl")
	resp, err := http.DefaultClient.Do(forged)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	rep := <-reports
	WantCode(t, rep.err, core.CodeOperationForbidden)
}

// PNG returns a w x h PNG image: a gradient, so that scaling shows.
func PNG(t testing.TB, w, h int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, color.RGBA{uint8(x), uint8(y), uint8(x + y), 255})
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// Mistake is a configuration mistake: the option Key set to Value must make
// opening fail, or Put and Stat fail with an internal error, either way
// with an error that holds Cause.
type Mistake struct {
	Name, Key string
	Value     any
	Cause     string
}

// RunMisconfigured checks that each mistake fails with an internal error
// (a client can do nothing about it) that says what to fix and repeats no
// secret.
func RunMisconfigured(t *testing.T, provider string, options map[string]any, secrets []string, mistakes []Mistake) {
	t.Helper()
	for _, m := range mistakes {
		t.Run(m.Name, func(t *testing.T) {
			f, err := core.OpenFiles(context.Background(), provider, core.FilesConfig{DataDir: t.TempDir(), Options: conformance.With(options, m.Key, m.Value)})
			errs := []error{err}
			if err == nil {
				defer f.Close()
				_, putErr := f.Put(context.Background(), "a.txt", strings.NewReader("x"), core.PutOptions{Size: 1})
				_, statErr := f.Stat(context.Background(), "a.txt")
				errs = []error{putErr, statErr}
				WantCode(t, putErr, core.CodeInternalServerError)
				WantCode(t, statErr, core.CodeInternalServerError)
			}
			for _, err := range errs {
				if !strings.Contains(err.Error(), m.Cause) {
					t.Errorf("error %q does not say %q", err, m.Cause)
				}
				for _, s := range secrets {
					if strings.Contains(err.Error(), s) {
						t.Errorf("error %q repeats a secret", err)
					}
				}
			}
		})
	}
}
