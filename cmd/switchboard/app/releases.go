package app

import (
	"context"
	"io"

	"github.com/switchboardhq/switchboard/core"
	"github.com/switchboardhq/switchboard/core/versions"
)

// wireReleases wires app versions: releases kept in _Release with their
// artifacts on the files provider, the public update check, and patch
// builds on the job queue (in the background without one). Patches are
// stored through the files API, so that they are registered, listed and
// served like uploads.
func wireReleases(ctx context.Context, f *features) error {
	if f.files == nil || f.fileAPI == nil {
		return nil // artifacts need the files feature
	}
	rc := &f.cfg.Releases
	fileAPI := f.fileAPI
	svc := versions.New(versions.Options{
		App:   f.app,
		Files: f.files,
		StorePatch: func(ctx context.Context, r io.Reader, size int64) (string, error) {
			st, err := fileAPI.Upload(ctx, core.MasterAuth(), "release.patch", "application/octet-stream", r, size, nil, nil)
			return st.Name, err
		},
		FileURL: func(ctx context.Context, name string) (string, error) {
			return fileAPI.FileURL(ctx, core.MasterAuth(), name)
		},
		PatchFrom:        rc.PatchFromCount(),
		PatchConcurrency: rc.Concurrency(),
		MaxPatchSource:   rc.MaxPatchSourceBytes(),
		CheckLimit:       rc.CheckLimit(),
		Logger:           f.log,
	})
	if err := svc.Register(); err != nil {
		return err
	}
	svc.Start()
	f.onClose(func(context.Context) error { return svc.Close() })
	f.api.SetReleases(svc)
	return nil
}
