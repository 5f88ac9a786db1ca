package versions

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"runtime/metrics"
	"sync/atomic"
	"time"

	"github.com/switchboardhq/switchboard/core"
)

// PatchReport is what one patch job did.
type PatchReport struct {
	Built   []*Patch
	Skipped []string // why bases got no patch
}

func (r *PatchReport) String() string {
	var b bytes.Buffer
	fmt.Fprintf(&b, "%d patch(es) built", len(r.Built))
	for _, p := range r.Built {
		fmt.Fprintf(&b, "; from %s: %d bytes in %dms, peak heap %d MB", p.FromRelease, p.Size, p.BuildMillis, p.PeakBytes>>20)
	}
	for _, s := range r.Skipped {
		fmt.Fprintf(&b, "; %s", s)
	}
	return b.String()
}

func (s *Service) patchJob(ctx context.Context, job core.Job) error {
	id, _ := job.Args["release"].(string)
	if id == "" {
		return core.NoRetry(fmt.Errorf("releases: patch job without a release id"))
	}
	rep, err := s.BuildPatches(ctx, id, job.Report)
	if err != nil {
		return err
	}
	if job.Report != nil {
		return job.Report(ctx, rep.String())
	}
	return nil
}

// BuildPatches builds the missing patches to release id from the artifacts
// of the PatchFrom releases before it (same platform and channel, enabled
// or not: devices may still run a disabled build), one distinct base
// sha256 each. It is idempotent: patches already built are kept. Builds on
// this node wait for a slot (PatchConcurrency). report, when set, gets a
// line per patch.
func (s *Service) BuildPatches(ctx context.Context, id string, report func(ctx context.Context, message string) error) (*PatchReport, error) {
	rep := &PatchReport{}
	target, err := s.loadRelease(ctx, id)
	if core.IsCode(err, core.CodeObjectNotFound) {
		return rep, nil // deleted meanwhile
	}
	if err != nil {
		return nil, err
	}
	if target.File == nil || s.opts.PatchFrom <= 0 {
		return rep, nil
	}
	if target.File.Size > s.opts.MaxPatchSource {
		rep.Skipped = append(rep.Skipped, fmt.Sprintf("the artifact (%d bytes) is above maxPatchSource", target.File.Size))
		return rep, nil
	}
	// The slot is taken before the bases are read, so that a second run
	// for the same release (a retry, a rebuild) sees the first one's
	// patches and builds nothing twice on this node.
	select {
	case s.sem <- struct{}{}:
		defer func() { <-s.sem }()
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	bases, err := s.bases(ctx, target)
	if err != nil {
		return nil, err
	}
	if len(bases) == 0 {
		return rep, nil
	}
	newBytes, err := s.readVerified(ctx, target.File)
	if err != nil {
		return nil, err
	}
	for _, base := range bases {
		if base.File.Size > s.opts.MaxPatchSource {
			rep.Skipped = append(rep.Skipped, fmt.Sprintf("from %s: the base (%d bytes) is above maxPatchSource", base.ID, base.File.Size))
			continue
		}
		p, why, err := s.buildOne(ctx, base, target, newBytes)
		if err != nil {
			return nil, fmt.Errorf("patch from %s to %s: %w", base, target, err)
		}
		if p == nil {
			rep.Skipped = append(rep.Skipped, fmt.Sprintf("from %s: %s", base.ID, why))
			continue
		}
		rep.Built = append(rep.Built, p)
		s.log.Info("releases: patch built", "release", target.ID, "from", base.ID, "bytes", p.Size, "full_bytes", target.File.Size,
			"millis", p.BuildMillis, "peak_heap_bytes", p.PeakBytes)
		if report != nil {
			_ = report(ctx, fmt.Sprintf("patch from %s: %d bytes in %dms, peak heap %d MB", base.ID, p.Size, p.BuildMillis, p.PeakBytes>>20))
		}
		s.changed(ctx)
	}
	return rep, nil
}

// bases are the releases a patch to target is built from: the PatchFrom
// newest before it with an artifact of another sha256 and no patch yet.
func (s *Service) bases(ctx context.Context, target *Release) ([]*Release, error) {
	releases, _, err := s.loadAll(ctx)
	if err != nil {
		return nil, err
	}
	built, err := s.patchesOf(ctx, target.ID)
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{target.File.SHA256: true}
	for _, p := range built {
		seen[p.FromSHA256] = true
	}
	var out []*Release
	considered := 0
	for _, r := range releases { // newest first within a track
		if r.Platform != target.Platform || r.Channel != target.Channel || r.VersionCode >= target.VersionCode || r.File == nil {
			continue
		}
		if considered++; considered > s.opts.PatchFrom {
			break
		}
		if !seen[r.File.SHA256] {
			seen[r.File.SHA256] = true
			out = append(out, r)
		}
	}
	return out, nil
}

// readVerified reads an artifact whole and checks it is still the file
// that was published.
func (s *Service) readVerified(ctx context.Context, a *Artifact) ([]byte, error) {
	rc, _, err := s.opts.Files.Get(ctx, a.Name, nil)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	b := make([]byte, 0, a.Size+1)
	buf := bytes.NewBuffer(b)
	if _, err := io.Copy(buf, io.LimitReader(rc, s.opts.MaxPatchSource+1)); err != nil {
		return nil, err
	}
	sum := sha256.Sum256(buf.Bytes())
	if hex.EncodeToString(sum[:]) != a.SHA256 {
		return nil, core.NoRetry(fmt.Errorf("the stored file %s no longer has the sha256 it was published with", a.Name))
	}
	return buf.Bytes(), nil
}

// heapBytes is the Go heap in use now (live and not yet swept objects).
func heapBytes() int64 {
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(sample)
	if sample[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return int64(sample[0].Value.Uint64())
}

// watchPeak samples the heap every few milliseconds until stop, and
// returns the highest sample: a build's peak memory (the whole process's
// heap, which the build dominates).
func watchPeak() (stop func() int64) {
	var peak atomic.Int64
	peak.Store(heapBytes())
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(10 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				if h := heapBytes(); h > peak.Load() {
					peak.Store(h)
				}
			}
		}
	}()
	return func() int64 {
		close(done)
		<-finished
		return peak.Load()
	}
}

// buildOne builds, checks and stores the patch from base to target. It
// returns nil and why when the patch is not worth serving.
func (s *Service) buildOne(ctx context.Context, base, target *Release, newBytes []byte) (*Patch, string, error) {
	start := time.Now()
	stopWatch := watchPeak()
	oldBytes, err := s.readVerified(ctx, base.File)
	if err != nil {
		stopWatch()
		return nil, "", err
	}
	var patch bytes.Buffer
	err = Diff(oldBytes, newBytes, &patch)
	if err == nil {
		// Never serve a patch that does not make the target.
		h := sha256.New()
		if err = Apply(oldBytes, patch.Bytes(), h); err == nil && hex.EncodeToString(h.Sum(nil)) != target.File.SHA256 {
			err = core.NoRetry(fmt.Errorf("the patch does not reproduce the target (a bug in the diff): not published"))
		}
	}
	peak := stopWatch()
	if err != nil {
		return nil, "", err
	}
	if int64(patch.Len()) >= target.File.Size {
		return nil, fmt.Sprintf("the patch (%d bytes) is no smaller than the file", patch.Len()), nil
	}
	sum := sha256.Sum256(patch.Bytes())
	name, err := s.opts.StorePatch(ctx, bytes.NewReader(patch.Bytes()), int64(patch.Len()))
	if err != nil {
		return nil, "", err
	}
	p := &Patch{
		ID: core.NewObjectID(), Release: target.ID, FromRelease: base.ID, FromSHA256: base.File.SHA256, ToSHA256: target.File.SHA256,
		Name: name, Size: int64(patch.Len()), SHA256: hex.EncodeToString(sum[:]),
		BuildMillis: time.Since(start).Milliseconds(), PeakBytes: peak, CreatedAt: core.Now(),
	}
	_, pc, err := s.classes(ctx)
	if err != nil {
		return nil, "", err
	}
	obj := core.Object{
		core.FieldObjectID: p.ID, core.FieldCreatedAt: p.CreatedAt, core.FieldUpdatedAt: p.CreatedAt,
		"release": p.Release, "fromRelease": p.FromRelease, "fromSha256": p.FromSHA256, "toSha256": p.ToSHA256,
		"algo": AlgoBSDiff, "file": core.File{Name: name}, "size": float64(p.Size), "sha256": p.SHA256,
		"buildMillis": float64(p.BuildMillis), "peakBytes": float64(p.PeakBytes),
	}
	if err := s.opts.App.Store().Insert(ctx, pc, obj); err != nil {
		_ = s.opts.Files.Delete(context.WithoutCancel(ctx), name)
		if core.IsCode(err, core.CodeDuplicateValue) {
			return nil, "another node built it first", nil
		}
		return nil, "", err
	}
	return p, "", nil
}
