package versions

import (
	"cmp"
	"context"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/switchboardhq/switchboard/core"
)

// Options configure the Service.
type Options struct {
	App *core.App
	// Files reads the artifacts (to measure them and build patches).
	Files *core.Files
	// StorePatch stores a built patch as a new file and returns its
	// stored name (the files API, so that it is registered like uploads).
	StorePatch func(ctx context.Context, r io.Reader, size int64) (string, error)
	// FileURL is the URL clients download a stored file from.
	FileURL func(ctx context.Context, name string) (string, error)
	// PatchFrom is how many earlier releases get a patch to a new one
	// (0: no patches).
	PatchFrom int
	// PatchConcurrency bounds this node's patch builds at once (min 1).
	PatchConcurrency int
	// MaxPatchSource is the largest artifact patches are built from or to.
	MaxPatchSource int64
	// CheckLimit bounds the update checks of one IP per minute on this
	// node (-1: unlimited).
	CheckLimit int
	Logger     *slog.Logger
}

// Service serves releases, update checks and patch builds.
type Service struct {
	opts Options
	log  *slog.Logger

	// snap is the releases and patches the checks answer from, loaded on
	// the first check after a change (nil: load again). gen counts
	// changes, so that a load that raced with a change is not kept.
	snap   atomic.Pointer[snapshot]
	gen    atomic.Uint64
	loadMu sync.Mutex

	sem      chan struct{}
	notifier core.Notifier
	// background builds patches when there is no job queue.
	background sync.WaitGroup
	stopCtx    context.Context
	stop       context.CancelFunc
}

// PatchJobKind is the job that builds a release's patches, routed by
// patchJobPrefix; PatchJobTimeout bounds one run (then it is retried).
const (
	patchJobPrefix  = "switchboard.release."
	PatchJobKind    = patchJobPrefix + "patches"
	PatchJobTimeout = 30 * time.Minute
)

// notifyChannel carries "a release changed" between nodes.
const notifyChannel = "switchboard_releases"

// snapshotTTL bounds how long a node answers from one snapshot even
// without a change message: signed URLs of protected artifacts age, and a
// message lost while a node reconnects is made up for.
const snapshotTTL = 5 * time.Minute

// New returns the service. Call Start before it serves, and Close at
// shutdown.
func New(opts Options) *Service {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.PatchConcurrency < 1 {
		opts.PatchConcurrency = 1
	}
	s := &Service{opts: opts, log: opts.Logger, sem: make(chan struct{}, opts.PatchConcurrency)}
	s.notifier, _ = opts.App.Store().(core.Notifier)
	s.stopCtx, s.stop = context.WithCancel(context.Background())
	// Writes through /classes with the master key (or cloud code) change
	// the answers too; the hooks are bound to these classes only, so
	// other writes pay nothing.
	hooks := opts.App.Hooks()
	for _, c := range []string{ReleaseClass, PatchClass} {
		hooks.AfterSave.BindClass(c, func(e *core.SaveEvent) error { s.changed(e.Ctx); return e.Next() })
		hooks.AfterDelete.BindClass(c, func(e *core.DeleteEvent) error { s.changed(e.Ctx); return e.Next() })
	}
	return s
}

// Register puts the patch job on the App's job queue (none: patches are
// built in the process). Call it before the queue starts.
func (s *Service) Register() error {
	jobs := s.opts.App.Jobs()
	if jobs == nil {
		return nil
	}
	// A route of its own for the timeout: the queue's default (a minute)
	// is too short for a build of a large app on a busy node.
	return jobs.HandlePrefix(core.PrefixRoute{Prefix: patchJobPrefix, Handler: s.patchJob, Timeout: PatchJobTimeout})
}

// Start listens for other nodes' changes until Close.
func (s *Service) Start() {
	if s.notifier == nil {
		return
	}
	s.background.Add(1)
	go func() {
		defer s.background.Done()
		for s.stopCtx.Err() == nil {
			err := s.notifier.Listen(s.stopCtx, notifyChannel, func(string) { s.invalidate() })
			if err != nil && s.stopCtx.Err() == nil {
				s.log.Warn("releases: listening for other nodes' changes failed; retrying", "err", err)
				select {
				case <-s.stopCtx.Done():
				case <-time.After(time.Second):
				}
			}
		}
	}()
}

// Close stops listening and waits for patch builds started without a job
// queue (they are cancelled).
func (s *Service) Close() error {
	s.stop()
	s.background.Wait()
	return nil
}

// invalidate drops this node's snapshot.
func (s *Service) invalidate() {
	s.gen.Add(1)
	s.snap.Store(nil)
}

// changed drops the snapshot here and on every other node.
func (s *Service) changed(ctx context.Context) {
	s.invalidate()
	if s.notifier == nil {
		return
	}
	nctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := s.notifier.Notify(nctx, notifyChannel, "changed"); err != nil {
		// Other nodes catch up within snapshotTTL.
		s.log.Warn("releases: announcing a change to the other nodes failed", "err", err)
	}
}

// authorize lets the master key in (the read-only one for reads only),
// and other callers only when a policy for the releases point is loaded
// and allows action: releases are the app team's, not the app users'.
func (s *Service) authorize(ctx context.Context, auth *core.Auth, action, platform string, write bool) error {
	if auth != nil && auth.Master {
		if write && auth.ReadOnly {
			return core.Errorf(core.CodeOperationForbidden, "read-only masterKey isn't allowed to perform the write operation")
		}
		return nil
	}
	app := s.opts.App
	if auth == nil || !app.AuthorizerCovers(core.PointAppVersions, platform) {
		return core.Errorf(core.CodeOperationForbidden, "unauthorized: master key is required to %s releases (or a policy for the appVersions point)", action)
	}
	_, err := app.Authorize(ctx, &core.AuthzInput{Point: core.PointAppVersions, Action: action, Class: platform, Auth: auth})
	return err
}

func (s *Service) classes(ctx context.Context) (rel, patch *core.Class, err error) {
	if rel, err = s.opts.App.SystemClass(ctx, ReleaseClass); err != nil {
		return nil, nil, err
	}
	if patch, err = s.opts.App.SystemClass(ctx, PatchClass); err != nil {
		return nil, nil, err
	}
	return rel, patch, nil
}

// measure reads a stored file whole and returns its size and hashes.
func (s *Service) measure(ctx context.Context, name string) (*Artifact, error) {
	rc, _, err := s.opts.Files.Get(ctx, name, nil)
	if err != nil {
		if core.IsCode(err, core.CodeObjectNotFound) {
			return nil, invalid("file %q is not stored; upload it first (POST /files/NAME)", name)
		}
		return nil, err
	}
	defer rc.Close()
	sh, m5 := sha256.New(), md5.New()
	n, err := io.Copy(io.MultiWriter(sh, m5), rc)
	if err != nil {
		return nil, core.Internal(err)
	}
	return &Artifact{Name: name, Size: n, SHA256: hex.EncodeToString(sh.Sum(nil)), MD5: hex.EncodeToString(m5.Sum(nil))}, nil
}

// Publish stores a new release from body (POST /releases) and starts
// building its patches. It answers the release as stored.
func (s *Service) Publish(ctx context.Context, auth *core.Auth, body map[string]any) (map[string]any, error) {
	r, file, wantSHA, err := parseNew(body)
	if err != nil {
		return nil, err
	}
	if err := s.authorize(ctx, auth, "publish", r.Platform, true); err != nil {
		return nil, err
	}
	if file != "" {
		if r.File, err = s.measure(ctx, file); err != nil {
			return nil, err
		}
		if wantSHA != "" && wantSHA != r.File.SHA256 {
			return nil, invalid("the stored file's sha256 is %s, not the %s sent: the upload was damaged; upload it again", r.File.SHA256, wantSHA)
		}
	}
	rel, _, err := s.classes(ctx)
	if err != nil {
		return nil, err
	}
	now := core.Now()
	r.ID, r.CreatedAt, r.UpdatedAt = core.NewObjectID(), now, now
	obj := r.row()
	obj[core.FieldObjectID], obj[core.FieldCreatedAt], obj[core.FieldUpdatedAt] = r.ID, now, now
	if err := s.opts.App.Store().Insert(ctx, rel, obj); err != nil {
		if core.IsCode(err, core.CodeDuplicateValue) {
			return nil, core.Errorf(core.CodeDuplicateValue, "%s %s already has a release with versionCode %d; use a higher versionCode", r.Platform, r.Channel, r.VersionCode)
		}
		return nil, err
	}
	s.changed(ctx)
	if r.File != nil {
		s.schedulePatches(ctx, r)
	}
	if err := s.fillURLs(ctx, r, nil); err != nil {
		// The release is stored: answer it, without the URL.
		s.log.Warn("releases: resolving the artifact's URL", "release", r.ID, "err", err)
	}
	return r.wire(), nil
}

// schedulePatches enqueues the patch job of r, or runs it in the
// background on a server without a job queue.
func (s *Service) schedulePatches(ctx context.Context, r *Release) {
	if s.opts.PatchFrom <= 0 {
		return
	}
	if jobs := s.opts.App.Jobs(); jobs != nil {
		_, err := jobs.Enqueue(ctx, core.Job{Kind: PatchJobKind, Args: map[string]any{"release": r.ID}, UniqueKey: r.ID, MaxAttempts: 3})
		if err != nil {
			s.log.Warn("releases: enqueueing the patch job failed; the release is served whole", "release", r.ID, "err", err)
		}
		return
	}
	s.background.Add(1)
	go func() {
		defer s.background.Done()
		if _, err := s.BuildPatches(s.stopCtx, r.ID, nil); err != nil {
			s.log.Warn("releases: building patches failed; the release is served whole", "release", r.ID, "err", err)
		}
	}()
}

func (s *Service) fillURLs(ctx context.Context, r *Release, patches []*Patch) error {
	if r.File != nil && r.File.URL == "" && s.opts.FileURL != nil {
		u, err := s.opts.FileURL(ctx, r.File.Name)
		if err != nil {
			return err
		}
		r.File.URL = u
	}
	for _, p := range patches {
		if p.URL == "" && s.opts.FileURL != nil {
			u, err := s.opts.FileURL(ctx, p.Name)
			if err != nil {
				return err
			}
			p.URL = u
		}
	}
	return nil
}

// loadRelease reads one release by id (101 when there is none).
func (s *Service) loadRelease(ctx context.Context, id string) (*Release, error) {
	rel, _, err := s.classes(ctx)
	if err != nil {
		return nil, err
	}
	objs, err := s.opts.App.Store().Find(ctx, rel, &core.Query{Where: core.Cmp{Field: core.FieldObjectID, Op: core.OpEq, Value: id}, Limit: 1})
	if err != nil {
		return nil, err
	}
	if len(objs) == 0 {
		return nil, core.ErrNotFound()
	}
	return releaseFromRow(objs[0]), nil
}

// loadAll reads every release and patch.
func (s *Service) loadAll(ctx context.Context) ([]*Release, []*Patch, error) {
	rel, pc, err := s.classes(ctx)
	if err != nil {
		return nil, nil, err
	}
	st := s.opts.App.Store()
	var releases []*Release
	if err := page(ctx, st, rel, func(o core.Object) { releases = append(releases, releaseFromRow(o)) }); err != nil {
		return nil, nil, err
	}
	var patches []*Patch
	if err := page(ctx, st, pc, func(o core.Object) { patches = append(patches, patchFromRow(o)) }); err != nil {
		return nil, nil, err
	}
	slices.SortFunc(releases, func(a, b *Release) int {
		return cmp.Or(cmp.Compare(a.Platform, b.Platform), cmp.Compare(a.Channel, b.Channel), cmp.Compare(b.VersionCode, a.VersionCode))
	})
	return releases, patches, nil
}

// page reads a class whole in pages of objectId order.
func page(ctx context.Context, st core.Store, c *core.Class, fn func(core.Object)) error {
	last := ""
	for {
		q := &core.Query{Limit: 1000, Order: []core.OrderKey{{Field: core.FieldObjectID}}}
		if last != "" {
			q.Where = core.Cmp{Field: core.FieldObjectID, Op: core.OpGt, Value: last}
		}
		objs, err := st.Find(ctx, c, q)
		if err != nil {
			return err
		}
		for _, o := range objs {
			fn(o)
		}
		if len(objs) < q.Limit {
			return nil
		}
		last = objs[len(objs)-1].ID()
	}
}

// List answers the releases (GET /releases), newest first within each
// platform and channel, each with its patches; params may narrow them to
// a platform and a channel.
func (s *Service) List(ctx context.Context, auth *core.Auth, params map[string]any) ([]map[string]any, error) {
	var plat, ch string
	var err error
	if v, ok := params["platform"]; ok && v != "" {
		if plat, err = platform(v); err != nil {
			return nil, err
		}
	}
	if v, ok := params["channel"]; ok && v != "" {
		if ch, err = channel(v); err != nil {
			return nil, err
		}
	}
	if err := s.authorize(ctx, auth, "list", plat, false); err != nil {
		return nil, err
	}
	releases, patches, err := s.loadAll(ctx)
	if err != nil {
		return nil, err
	}
	byRelease := map[string][]*Patch{}
	for _, p := range patches {
		byRelease[p.Release] = append(byRelease[p.Release], p)
	}
	out := []map[string]any{}
	for _, r := range releases {
		if (plat != "" && r.Platform != plat) || (ch != "" && r.Channel != ch) {
			continue
		}
		out = append(out, s.withPatches(ctx, r, byRelease[r.ID]))
	}
	return out, nil
}

func (s *Service) withPatches(ctx context.Context, r *Release, patches []*Patch) map[string]any {
	if err := s.fillURLs(ctx, r, patches); err != nil {
		s.log.Warn("releases: resolving file URLs", "release", r.ID, "err", err)
	}
	w := r.wire()
	list := make([]any, 0, len(patches))
	for _, p := range patches {
		list = append(list, p.wire())
	}
	w["patches"] = list
	return w
}

// Get answers one release with its patches (GET /releases/:id).
func (s *Service) Get(ctx context.Context, auth *core.Auth, id string) (map[string]any, error) {
	r, err := s.loadRelease(ctx, id)
	if err != nil {
		return nil, err
	}
	if err := s.authorize(ctx, auth, "get", r.Platform, false); err != nil {
		return nil, err
	}
	patches, err := s.patchesOf(ctx, id)
	if err != nil {
		return nil, err
	}
	return s.withPatches(ctx, r, patches), nil
}

func (s *Service) patchesOf(ctx context.Context, releaseID string) ([]*Patch, error) {
	_, pc, err := s.classes(ctx)
	if err != nil {
		return nil, err
	}
	objs, err := s.opts.App.Store().Find(ctx, pc, &core.Query{Where: core.Cmp{Field: "release", Op: core.OpEq, Value: releaseID}, Limit: -1})
	if err != nil {
		return nil, err
	}
	out := make([]*Patch, len(objs))
	for i, o := range objs {
		out[i] = patchFromRow(o)
	}
	return out, nil
}

// Update changes a release's editable fields (PUT /releases/:id):
// versionName, notes, minSupportedVersionCode, mandatory, rolloutPercent
// and enabled. Disabling a release is a rollback: checks answer the
// release before it.
func (s *Service) Update(ctx context.Context, auth *core.Auth, id string, body map[string]any) (map[string]any, error) {
	for k := range body {
		if !editable[k] {
			return nil, core.Errorf(core.CodeChangedImmutableField, "%s of a published release cannot change; publish a new release (editable: versionName, notes, minSupportedVersionCode, mandatory, rolloutPercent, enabled)", k)
		}
	}
	r, err := s.loadRelease(ctx, id)
	if err != nil {
		return nil, err
	}
	if err := s.authorize(ctx, auth, "update", r.Platform, true); err != nil {
		return nil, err
	}
	if err := r.applyEditable(body); err != nil {
		return nil, err
	}
	rel, _, err := s.classes(ctx)
	if err != nil {
		return nil, err
	}
	row := r.row()
	upd := core.Update{core.FieldUpdatedAt: core.Set{Value: core.Now()}}
	for k := range editable {
		upd[k] = core.Set{Value: row[k]}
	}
	saved, err := s.opts.App.Store().Update(ctx, rel, id, nil, nil, upd)
	if err != nil {
		return nil, err
	}
	s.changed(ctx)
	out := releaseFromRow(saved)
	patches, err := s.patchesOf(ctx, id)
	if err != nil {
		return nil, err
	}
	return s.withPatches(ctx, out, patches), nil
}
