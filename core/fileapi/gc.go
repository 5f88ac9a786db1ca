package fileapi

import (
	"context"
	"strings"
	"time"

	"github.com/switchboardhq/switchboard/core"
)

// GCOptions configure a collection of unreferenced files.
type GCOptions struct {
	// DryRun only counts what would be deleted.
	DryRun bool
	// MinAge spares files younger than this (default one hour): an upload
	// is referenced by an object only after it finished.
	MinAge time.Duration
	// Progress, if set, is called after each file.
	Progress func(GCReport)
}

// GCReport counts a collection's work.
type GCReport struct {
	Scanned      int   // files looked at
	Unreferenced int   // files no object references (deleted unless DryRun)
	Bytes        int64 // their size
	Deleted      int   // files deleted
	Failed       int   // unreferenced files that could not be deleted (logged)
}

// GC deletes the files that no object references, with their records and
// thumbnails: `switchboard files gc`. referenced tells whether any object
// holds the name in a File field. Cached thumbnails are not files of their
// own and are skipped.
func (h *Handler) GC(ctx context.Context, referenced func(ctx context.Context, name string) (bool, error), opts GCOptions) (GCReport, error) {
	if opts.MinAge <= 0 {
		opts.MinAge = time.Hour
	}
	var rep GCReport
	cutoff := h.now().Add(-opts.MinAge)
	err := h.files.Walk(ctx, "", func(fi core.FileInfo) error {
		if strings.HasPrefix(fi.Name, "_thumbs/") {
			return nil
		}
		rep.Scanned++
		defer func() {
			if opts.Progress != nil {
				opts.Progress(rep)
			}
		}()
		if fi.ModTime.After(cutoff) {
			return nil
		}
		used, err := referenced(ctx, fi.Name)
		if err != nil || used {
			return err
		}
		rep.Unreferenced++
		rep.Bytes += fi.Size
		if opts.DryRun {
			return nil
		}
		if err := h.remove(ctx, fi.Name); err != nil {
			if !core.IsCode(err, core.CodeFileDeleteError) {
				return err
			}
			// One file the store will not delete does not stop the
			// collection; it is counted and logged, and the next run
			// tries again.
			rep.Failed++
			h.logger(ctx).Error("files gc: deleting an unreferenced file", "file", fi.Name, "err", err)
			return nil
		}
		rep.Deleted++
		return nil
	})
	return rep, err
}
