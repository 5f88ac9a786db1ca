package versions

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"time"

	"github.com/switchboardhq/switchboard/core"
)

// InRollout reports whether a device is in a release's staged rollout:
// the first 8 bytes of sha256(deviceId + "-" + releaseId), read as a
// big-endian unsigned integer, modulo 100, is below percent. Every node
// (and a client SDK that wants to know in advance) computes the same
// answer, and a device stays in as the percentage grows.
func InRollout(deviceID, releaseID string, percent int) bool {
	if percent >= 100 {
		return true
	}
	if percent <= 0 {
		return false
	}
	sum := sha256.Sum256([]byte(deviceID + "-" + releaseID))
	return binary.BigEndian.Uint64(sum[:8])%100 < uint64(percent)
}

// snapshot is what update checks answer from: every release of each
// platform and channel by versionCode, ascending, and each release's
// patches by base sha256. The parts of replies are JSON rendered once
// when the snapshot is built (a check then encodes no maps), shared by
// every reply and never changed.
type snapshot struct {
	at      time.Time
	tracks  map[string][]*served
	patches map[string]map[string]json.RawMessage // release id -> fromSha256 -> patch reply
}

// served is a release with its parts of a check reply rendered once.
type served struct {
	*Release
	latest json.RawMessage
	full   json.RawMessage
}

// CheckReply is the answer to an update check (see Check).
type CheckReply struct {
	HasUpdate    bool            `json:"hasUpdate"`
	Latest       json.RawMessage `json:"latest"`
	Mandatory    bool            `json:"mandatory"`
	MinSupported int64           `json:"minSupported"`
	Rollback     bool            `json:"rollback,omitempty"`
	Full         json.RawMessage `json:"full,omitempty"`
	Patch        json.RawMessage `json:"patch,omitempty"`
	ResultSHA256 string          `json:"resultSha256,omitempty"`
}

// render is v's JSON; the values rendered here always encode.
func render(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		panic("versions: rendering a check reply: " + err.Error())
	}
	return b
}

// current returns the snapshot, loading it after a change.
func (s *Service) current(ctx context.Context) (*snapshot, error) {
	if sn := s.snap.Load(); sn != nil && time.Since(sn.at) < snapshotTTL {
		return sn, nil
	}
	s.loadMu.Lock()
	defer s.loadMu.Unlock()
	if sn := s.snap.Load(); sn != nil && time.Since(sn.at) < snapshotTTL {
		return sn, nil
	}
	gen := s.gen.Load()
	releases, patches, err := s.loadAll(ctx)
	if err != nil {
		return nil, err
	}
	sn := &snapshot{at: time.Now(), tracks: map[string][]*served{}, patches: map[string]map[string]json.RawMessage{}}
	// loadAll sorts by versionCode descending within a track.
	for i := len(releases) - 1; i >= 0; i-- {
		r := releases[i]
		if err := s.fillURLs(ctx, r, nil); err != nil {
			return nil, err
		}
		sv := &served{Release: r, latest: render(map[string]any{
			"objectId": r.ID, "versionCode": r.VersionCode, "versionName": r.VersionName,
			"notes": r.wire()["notes"], "mandatory": r.Mandatory, "createdAt": core.FormatTime(r.CreatedAt),
		})}
		switch {
		case r.File != nil:
			sv.full = render(map[string]any{"url": r.File.URL, "size": r.File.Size, "sha256": r.File.SHA256, "md5": r.File.MD5})
		case r.StoreURL != "":
			sv.full = render(map[string]any{"url": r.StoreURL, "store": true})
		}
		key := trackOf(r.Platform, r.Channel)
		sn.tracks[key] = append(sn.tracks[key], sv)
	}
	if err := s.fillURLs(ctx, &Release{}, patches); err != nil {
		return nil, err
	}
	for _, p := range patches {
		m := sn.patches[p.Release]
		if m == nil {
			m = map[string]json.RawMessage{}
			sn.patches[p.Release] = m
		}
		m[p.FromSHA256] = render(map[string]any{"url": p.URL, "size": p.Size, "sha256": p.SHA256, "algo": AlgoBSDiff, "fromSha256": p.FromSHA256})
	}
	if s.gen.Load() == gen {
		s.snap.Store(sn)
	}
	return sn, nil
}

// checkRequest is an update check's input.
type checkRequest struct {
	platform, channel, deviceID, baseSHA string
	versionCode                          int64
}

func parseCheck(params map[string]any) (*checkRequest, error) {
	var c checkRequest
	var err error
	if c.platform, err = platform(params["platform"]); err != nil {
		return nil, err
	}
	if c.channel, err = channel(params["channel"]); err != nil {
		return nil, err
	}
	if params["versionCode"] == nil {
		return nil, core.Errorf(core.CodeMissingRequiredField, "versionCode is required: the installed build's version code")
	}
	if c.versionCode, err = integer(params["versionCode"], "versionCode", 0, maxVersionCode); err != nil {
		return nil, err
	}
	if v, ok := params["versionName"]; ok && v != nil {
		if _, err := text(v, "versionName", maxVersionName); err != nil {
			return nil, err
		}
	}
	if params["deviceId"] == nil {
		return nil, core.Errorf(core.CodeMissingRequiredField, "deviceId is required: a stable id of the device (staged rollouts use it)")
	}
	if c.deviceID, err = text(params["deviceId"], "deviceId", maxDeviceID); err != nil {
		return nil, err
	}
	if c.deviceID == "" {
		return nil, invalid("deviceId must not be empty")
	}
	if v, ok := params["baseSha256"]; ok && v != nil && v != "" {
		if c.baseSHA, err = sha256Field(v, "baseSha256"); err != nil {
			return nil, err
		}
	}
	return &c, nil
}

// Check answers an update check (POST /updates/check), public and
// rate-limited per client IP:
//
//	{hasUpdate, latest, mandatory, minSupported, full{url,size,sha256,md5},
//	 patch?{url,size,sha256,algo,fromSha256}, resultSha256}
//
// The target is the newest enabled release whose rollout holds the
// device (a device outside a staged rollout gets the release before). The
// update is mandatory when the client is below the target's
// minSupportedVersionCode or a mandatory release lies above the client's
// version, up to the target. A patch is offered when one was built from
// the client's baseSha256; the client checks resultSha256 after applying
// it and downloads full on any mismatch.
func (s *Service) Check(ctx context.Context, auth *core.Auth, params map[string]any) (any, error) {
	ip := ""
	if auth != nil {
		ip = auth.IP
	}
	if !s.opts.App.AllowRate("updates:"+ip, s.opts.CheckLimit, time.Minute) {
		return nil, core.Errorf(core.CodeRequestLimitExceeded, "too many update checks from this address; try again in a minute")
	}
	req, err := parseCheck(params)
	if err != nil {
		return nil, err
	}
	sn, err := s.current(ctx)
	if err != nil {
		return nil, err
	}
	return sn.answer(req), nil
}

func (sn *snapshot) answer(req *checkRequest) *CheckReply {
	track := sn.tracks[trackOf(req.platform, req.channel)]
	var target *served
	for i := len(track) - 1; i >= 0; i-- {
		r := track[i]
		if r.Enabled && InRollout(req.deviceID, r.ID, r.RolloutPercent) {
			target = r
			break
		}
	}
	if target == nil {
		return &CheckReply{Latest: json.RawMessage("null")}
	}
	out := &CheckReply{Latest: target.latest, MinSupported: target.MinSupportedVersionCode}
	out.HasUpdate = target.VersionCode > req.versionCode
	if !out.HasUpdate && req.platform == PlatformBundle && target.VersionCode < req.versionCode {
		// A JS bundle can go back: a client on a release that was
		// disabled gets the one it should run now.
		for _, r := range track {
			if r.VersionCode == req.versionCode && !r.Enabled {
				out.HasUpdate, out.Rollback = true, true
			}
		}
	}
	if !out.HasUpdate {
		return out
	}
	// A pulled bundle is replaced at once.
	out.Mandatory = out.Rollback || req.versionCode < target.MinSupportedVersionCode
	for _, r := range track {
		if r.Enabled && r.Mandatory && r.VersionCode > req.versionCode && r.VersionCode <= target.VersionCode {
			out.Mandatory = true
		}
	}
	out.Full = target.full
	if target.File != nil {
		out.ResultSHA256 = target.File.SHA256
	}
	if req.baseSHA != "" {
		out.Patch = sn.patches[target.ID][req.baseSHA]
	}
	return out
}
