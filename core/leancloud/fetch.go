package leancloud

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/switchboardhq/switchboard/core"
	"github.com/switchboardhq/switchboard/core/fileapi"
)

// FetchOptions configure FetchFiles.
type FetchOptions struct {
	// Files is the files provider the bytes go to; Registry records them
	// as the files API does (required both).
	Files    *core.Files
	Registry fileapi.Registry
	// Client fetches (default: a client with a 10-minute timeout per file).
	Client *http.Client
	// FileDomain, when set ("https://files.example.com"), replaces the
	// scheme and host of every file URL: the app's own file domain, when
	// the export names LeanCloud's.
	FileDomain string
	// Concurrency is how many files are fetched at once (default 4).
	Concurrency int
	// MaxSize caps one file in bytes (default 5 GiB).
	MaxSize int64
	// Attempts is how many times a file is tried when its fetch fails in
	// a way worth retrying (network, 5xx, 429; default 3).
	Attempts int
	// Progress, if set, is told how many files are done of how many.
	Progress func(done, total int64)
}

// FetchReport is what FetchFiles did.
type FetchReport struct {
	Fetched  int64
	Bytes    int64
	Failed   int64
	Problems []string
}

// FetchFiles copies the bytes of imported files into the files provider:
// every file record that still has an external url (and no content here)
// is fetched from it, stored under its key, registered, and the record is
// changed to name its content. The store holds the progress, so a re-run
// goes on with what is left, including the files that failed (reported).
// File values of objects name the key all along, so nothing else changes.
func FetchFiles(ctx context.Context, app *core.App, opts FetchOptions) (*FetchReport, error) {
	if opts.Files == nil || opts.Registry == nil {
		return nil, errors.New("leancloud: FetchFiles needs Files and Registry")
	}
	if opts.Client == nil {
		opts.Client = &http.Client{Timeout: 10 * time.Minute}
	}
	if opts.Concurrency <= 0 {
		opts.Concurrency = 4
	}
	if opts.MaxSize <= 0 {
		opts.MaxSize = 5 << 30
	}
	if opts.Attempts <= 0 {
		opts.Attempts = 3
	}
	rep := &FetchReport{}
	c := app.Class(FileClass)
	if c == nil {
		return rep, nil
	}
	if opts.FileDomain != "" {
		if u, err := url.Parse(opts.FileDomain); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, fmt.Errorf("file domain %q: give a URL like https://files.example.com", opts.FileDomain)
		}
	}
	external := core.And{Exprs: []core.Expr{core.Exists{Field: fieldURL, Exists: true}, core.Exists{Field: fieldFile, Exists: false}}}
	total, err := app.Store().Count(ctx, c, &core.Query{Where: external})
	if err != nil {
		return nil, err
	}
	f := &fetcher{app: app, class: c, opts: opts, rep: rep}
	var done int64
	after := ""
	for {
		where := core.Expr(external)
		if after != "" {
			where = core.And{Exprs: []core.Expr{external, core.Cmp{Field: core.FieldObjectID, Op: core.OpGt, Value: after}}}
		}
		page, err := app.Store().Find(ctx, c, &core.Query{Where: where, Order: []core.OrderKey{{Field: core.FieldObjectID}}, Limit: 100})
		if err != nil {
			return rep, err
		}
		if len(page) == 0 {
			return rep, nil
		}
		after = page[len(page)-1].ID()
		if err := f.fetchPage(ctx, page); err != nil {
			return rep, err
		}
		done += int64(len(page))
		if opts.Progress != nil {
			opts.Progress(done, total)
		}
	}
}

type fetcher struct {
	app   *core.App
	class *core.Class
	opts  FetchOptions
	mu    sync.Mutex
	rep   *FetchReport
}

// fetchPage fetches a page of records, Concurrency at once. A file that
// fails is reported; an error of our own store stops the run.
func (f *fetcher) fetchPage(ctx context.Context, page []core.Object) error {
	work := make(chan core.Object)
	errs := make(chan error, len(page))
	var wg sync.WaitGroup
	for range f.opts.Concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for rec := range work {
				if err := f.fetchOne(ctx, rec); err != nil {
					errs <- err
				}
			}
		}()
	}
	for _, rec := range page {
		select {
		case work <- rec:
		case <-ctx.Done():
		}
	}
	close(work)
	wg.Wait()
	close(errs)
	if err := ctx.Err(); err != nil {
		return err
	}
	return <-errs // the first, or nil
}

func (f *fetcher) problem(format string, args ...any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.rep.Failed++
	if len(f.rep.Problems) < 10000 {
		f.rep.Problems = append(f.rep.Problems, fmt.Sprintf(format, args...))
	}
}

// fetchOne copies one file: fetch, store under the key, register, and
// point the record at its content. Each step can run again: a crash in
// between stores the same bytes under the same key on the next run.
func (f *fetcher) fetchOne(ctx context.Context, rec core.Object) error {
	key := recordKey(rec)
	src, _ := rec[fieldURL].(string)
	src, err := f.source(src)
	if err != nil {
		f.problem("file %s: %v", rec.ID(), err)
		return nil
	}
	mime, _ := rec["mime_type"].(string)
	info, err := f.download(ctx, src, key, mime)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		f.problem("file %s (%s): %v", rec.ID(), src, err)
		return nil
	}
	meta, _ := rec["metaData"].(map[string]any)
	owner, _ := meta["owner"].(string)
	if owner == "unknown" {
		owner = ""
	}
	created, _ := rec[core.FieldCreatedAt].(time.Time)
	if err := f.opts.Registry.Register(ctx, fileapi.Record{Name: key, ContentType: info.ContentType, Size: info.Size,
		ETag: info.ETag, Owner: owner, Metadata: meta, CreatedAt: created}); err != nil {
		return fmt.Errorf("registering file %s: %w", key, err)
	}
	if meta == nil {
		meta = map[string]any{}
	}
	meta["size"] = float64(info.Size)
	upd := core.Update{fieldFile: core.Set{Value: core.File{Name: key}}, fieldURL: core.Unset{}, "metaData": core.Set{Value: meta},
		core.FieldUpdatedAt: core.Set{Value: core.Now()}}
	if mime == "" {
		upd["mime_type"] = core.Set{Value: info.ContentType}
	}
	if _, err := f.app.Store().Update(ctx, f.class, rec.ID(), nil, nil, upd); err != nil {
		return fmt.Errorf("updating file record %s: %w", rec.ID(), err)
	}
	f.mu.Lock()
	f.rep.Fetched++
	f.rep.Bytes += info.Size
	f.mu.Unlock()
	return nil
}

// source is the URL to fetch: the record's, on FileDomain when set.
func (f *fetcher) source(raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("url %q is not an http or https URL", raw)
	}
	if f.opts.FileDomain != "" {
		d, _ := url.Parse(f.opts.FileDomain)
		u.Scheme, u.Host = d.Scheme, d.Host
		u.Path = strings.TrimRight(d.Path, "/") + u.Path
	}
	return u.String(), nil
}

// retryable is a failure worth another attempt.
type retryable struct{ error }

// download fetches src into the files provider under key, with retries.
func (f *fetcher) download(ctx context.Context, src, key, mime string) (core.FileInfo, error) {
	var err error
	for attempt := range f.opts.Attempts {
		if attempt > 0 {
			select {
			case <-time.After(time.Duration(attempt) * time.Second):
			case <-ctx.Done():
				return core.FileInfo{}, ctx.Err()
			}
		}
		var info core.FileInfo
		info, err = f.downloadOnce(ctx, src, key, mime)
		var again retryable
		if err == nil || !errors.As(err, &again) {
			return info, err
		}
	}
	return core.FileInfo{}, err
}

func (f *fetcher) downloadOnce(ctx context.Context, src, key, mime string) (core.FileInfo, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, src, nil)
	if err != nil {
		return core.FileInfo{}, err
	}
	res, err := f.opts.Client.Do(req)
	if err != nil {
		return core.FileInfo{}, retryable{err}
	}
	defer res.Body.Close()
	switch {
	case res.StatusCode == http.StatusTooManyRequests || res.StatusCode >= 500:
		return core.FileInfo{}, retryable{fmt.Errorf("the file domain answered %s", res.Status)}
	case res.StatusCode != http.StatusOK:
		return core.FileInfo{}, fmt.Errorf("the file domain answered %s", res.Status)
	}
	if mime == "" {
		mime = res.Header.Get("Content-Type")
	}
	size := res.ContentLength
	if size < -1 {
		size = -1
	}
	info, err := f.opts.Files.Put(ctx, key, res.Body, core.PutOptions{Size: size, ContentType: mime, MaxSize: f.opts.MaxSize})
	if err != nil {
		if core.IsCode(err, core.CodeConnectionFailed) || core.IsCode(err, core.CodeInvalidContentLength) {
			// The store failed, or the body was cut off on the way.
			return core.FileInfo{}, retryable{err}
		}
		return core.FileInfo{}, err
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, 4096))
	return info, nil
}
