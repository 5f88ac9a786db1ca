// Package versions is app versions: releases of iOS, Android and JS-bundle
// builds per platform and channel, the public update check (forced and
// staged updates), and the BSDIFF40 patches built between releases in the
// background. Releases live in the internal class _Release and patches in
// _ReleasePatch; the artifacts live with the files provider. The API's
// routes reach it through api.Releases (cmd/switchboard/app/releases.go
// wires it).
package versions

import (
	"fmt"
	"math"
	"net/url"
	"regexp"
	"strconv"
	"time"

	"github.com/switchboardhq/switchboard/core"
)

// Platforms.
const (
	PlatformIOS     = "ios"
	PlatformAndroid = "android"
	// PlatformBundle is a JS bundle or web resources (React Native,
	// Capacitor, ...) served as a hot update; channels are its
	// deployments (staging, production, ...).
	PlatformBundle = "bundle"
)

// DefaultChannel is the channel of a release or check that names none.
const DefaultChannel = "production"

// The internal classes releases and patches are kept in.
const (
	ReleaseClass = "_Release"
	PatchClass   = "_ReleasePatch"
)

// AlgoBSDiff names the patch format in check replies.
const AlgoBSDiff = "bsdiff40"

var (
	channelPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$`)
	localePattern  = regexp.MustCompile(`^[A-Za-z]{2,8}([_-][A-Za-z0-9]{1,8})*$|^default$`)
)

// Limits of a release's fields.
const (
	maxVersionName = 100
	maxNoteLen     = 10_000
	maxNotes       = 50
	maxStoreURL    = 2048
	maxDeviceID    = 256
	// maxVersionCode keeps version codes exact in a float64 (JSON numbers
	// and the store's Number).
	maxVersionCode = 1 << 53
)

// Release is one published build of a platform and channel.
type Release struct {
	ID                      string
	Platform                string
	Channel                 string
	VersionCode             int64
	VersionName             string
	Notes                   map[string]string // locale ("en", "zh-CN", "default") to text
	MinSupportedVersionCode int64
	Mandatory               bool
	RolloutPercent          int
	Enabled                 bool
	// File is the artifact with the files provider; nil for an iOS
	// release that points at the App Store (StoreURL).
	File      *Artifact
	StoreURL  string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Artifact is a stored build: its file name with the files provider and
// what the server measured when the release was published.
type Artifact struct {
	Name   string
	URL    string // filled when served
	Size   int64
	MD5    string
	SHA256 string
}

// Patch is a BSDIFF40 patch from an earlier build (the base, by its
// sha256) to a release's artifact.
type Patch struct {
	ID          string
	Release     string // the target release's id
	FromRelease string
	FromSHA256  string
	ToSHA256    string
	Name        string // the patch file with the files provider
	URL         string // filled when served
	Size        int64
	SHA256      string
	BuildMillis int64
	PeakBytes   int64
	CreatedAt   time.Time
}

// wire is the release as the API answers it.
func (r *Release) wire() map[string]any {
	notes := map[string]any{}
	for k, v := range r.Notes {
		notes[k] = v
	}
	out := map[string]any{
		"objectId": r.ID, "platform": r.Platform, "channel": r.Channel,
		"versionCode": r.VersionCode, "versionName": r.VersionName, "notes": notes,
		"minSupportedVersionCode": r.MinSupportedVersionCode, "mandatory": r.Mandatory,
		"rolloutPercent": r.RolloutPercent, "enabled": r.Enabled,
		"createdAt": core.FormatTime(r.CreatedAt), "updatedAt": core.FormatTime(r.UpdatedAt),
	}
	if r.File != nil {
		out["file"] = map[string]any{"__type": "File", "name": r.File.Name, "url": r.File.URL}
		out["size"], out["md5"], out["sha256"] = r.File.Size, r.File.MD5, r.File.SHA256
	}
	if r.StoreURL != "" {
		out["storeUrl"] = r.StoreURL
	}
	return out
}

func (p *Patch) wire() map[string]any {
	return map[string]any{
		"objectId": p.ID, "fromRelease": p.FromRelease, "fromSha256": p.FromSHA256, "toSha256": p.ToSHA256,
		"algo": AlgoBSDiff, "url": p.URL, "size": p.Size, "sha256": p.SHA256,
		"buildMillis": p.BuildMillis, "peakBytes": p.PeakBytes, "createdAt": core.FormatTime(p.CreatedAt),
	}
}

// row is the release as stored in _Release (without objectId and dates).
func (r *Release) row() core.Object {
	notes := map[string]any{}
	for k, v := range r.Notes {
		notes[k] = v
	}
	o := core.Object{
		"platform": r.Platform, "channel": r.Channel, "versionCode": float64(r.VersionCode),
		"versionName": r.VersionName, "notes": notes, "minSupportedVersionCode": float64(r.MinSupportedVersionCode),
		"mandatory": r.Mandatory, "rolloutPercent": float64(r.RolloutPercent), "enabled": r.Enabled,
	}
	if r.File != nil {
		o["file"] = core.File{Name: r.File.Name}
		o["size"], o["md5"], o["sha256"] = float64(r.File.Size), r.File.MD5, r.File.SHA256
	}
	if r.StoreURL != "" {
		o["storeUrl"] = r.StoreURL
	}
	return o
}

func str(o core.Object, k string) string { s, _ := o[k].(string); return s }
func num(o core.Object, k string) int64  { f, _ := o[k].(float64); return int64(f) }
func date(o core.Object, k string) time.Time {
	t, _ := o[k].(time.Time)
	return t
}

// releaseFromRow reads a stored _Release object.
func releaseFromRow(o core.Object) *Release {
	r := &Release{
		ID: o.ID(), Platform: str(o, "platform"), Channel: str(o, "channel"),
		VersionCode: num(o, "versionCode"), VersionName: str(o, "versionName"), Notes: map[string]string{},
		MinSupportedVersionCode: num(o, "minSupportedVersionCode"), RolloutPercent: int(num(o, "rolloutPercent")),
		StoreURL: str(o, "storeUrl"), CreatedAt: date(o, core.FieldCreatedAt), UpdatedAt: date(o, core.FieldUpdatedAt),
	}
	r.Mandatory, _ = o["mandatory"].(bool)
	r.Enabled, _ = o["enabled"].(bool)
	if notes, ok := o["notes"].(map[string]any); ok {
		for k, v := range notes {
			if s, ok := v.(string); ok {
				r.Notes[k] = s
			}
		}
	}
	if f, ok := o["file"].(core.File); ok && f.Name != "" {
		r.File = &Artifact{Name: f.Name, Size: num(o, "size"), MD5: str(o, "md5"), SHA256: str(o, "sha256")}
	}
	return r
}

func patchFromRow(o core.Object) *Patch {
	p := &Patch{
		ID: o.ID(), Release: str(o, "release"), FromRelease: str(o, "fromRelease"), FromSHA256: str(o, "fromSha256"),
		ToSHA256: str(o, "toSha256"), Size: num(o, "size"), SHA256: str(o, "sha256"),
		BuildMillis: num(o, "buildMillis"), PeakBytes: num(o, "peakBytes"), CreatedAt: date(o, core.FieldCreatedAt),
	}
	if f, ok := o["file"].(core.File); ok {
		p.Name = f.Name
	}
	return p
}

// ---- reading request bodies ----

func invalid(format string, args ...any) *core.Error {
	return core.Errorf(core.CodeInvalidValue, format, args...)
}

func wrongType(field, want string) *core.Error {
	return core.Errorf(core.CodeIncorrectType, "%s must be %s", field, want)
}

// integer reads a whole number from a JSON number or a decimal string (a
// GET check's query string).
func integer(v any, field string, lo, hi int64) (int64, error) {
	var f float64
	switch x := v.(type) {
	case float64:
		f = x
	case string:
		n, err := strconv.ParseInt(x, 10, 64)
		if err != nil {
			return 0, wrongType(field, "a whole number")
		}
		f = float64(n)
	default:
		return 0, wrongType(field, "a whole number")
	}
	if f != math.Trunc(f) || math.IsInf(f, 0) {
		return 0, wrongType(field, "a whole number")
	}
	if f < float64(lo) || f > float64(hi) {
		return 0, invalid("%s must be between %d and %d", field, lo, hi)
	}
	return int64(f), nil
}

func boolean(v any, field string) (bool, error) {
	switch x := v.(type) {
	case bool:
		return x, nil
	case string: // a GET's query string
		if b, err := strconv.ParseBool(x); err == nil {
			return b, nil
		}
	}
	return false, wrongType(field, "true or false")
}

func text(v any, field string, maxLen int) (string, error) {
	s, ok := v.(string)
	if !ok {
		return "", wrongType(field, "a string")
	}
	if len(s) > maxLen {
		return "", invalid("%s is longer than %d bytes", field, maxLen)
	}
	return s, nil
}

func platform(v any) (string, error) {
	s, ok := v.(string)
	if !ok {
		if v == nil {
			return "", core.Errorf(core.CodeMissingRequiredField, "platform is required: ios, android or bundle")
		}
		return "", wrongType("platform", "a string")
	}
	switch s {
	case PlatformIOS, PlatformAndroid, PlatformBundle:
		return s, nil
	}
	return "", invalid("platform must be ios, android or bundle, not %q", s)
}

func channel(v any) (string, error) {
	if v == nil {
		return DefaultChannel, nil
	}
	s, ok := v.(string)
	if !ok {
		return "", wrongType("channel", "a string")
	}
	if s == "" || s == DefaultChannel {
		return DefaultChannel, nil // the common case, without the pattern
	}
	if !channelPattern.MatchString(s) {
		return "", invalid("channel %q: use letters, digits, '_', '.' and '-' (at most 64)", s)
	}
	return s, nil
}

// notes reads release notes: one string (the "default" locale) or an
// object of locale to string.
func notes(v any) (map[string]string, error) {
	switch x := v.(type) {
	case nil:
		return map[string]string{}, nil
	case string:
		if len(x) > maxNoteLen {
			return nil, invalid("notes are longer than %d bytes", maxNoteLen)
		}
		return map[string]string{"default": x}, nil
	case map[string]any:
		if len(x) > maxNotes {
			return nil, invalid("notes has more than %d locales", maxNotes)
		}
		out := make(map[string]string, len(x))
		for k, v := range x {
			if !localePattern.MatchString(k) {
				return nil, invalid("notes: %q is not a locale (en, zh-CN, pt_BR or default)", k)
			}
			s, err := text(v, "notes."+k, maxNoteLen)
			if err != nil {
				return nil, err
			}
			out[k] = s
		}
		return out, nil
	}
	return nil, wrongType("notes", `a string or an object of locale to text ({"en": "...", "zh-CN": "..."})`)
}

// fileName reads the artifact reference: a Parse File value, {"name":
// ...}, or the stored name itself.
func fileName(v any) (string, error) {
	var name string
	switch x := v.(type) {
	case string:
		name = x
	case map[string]any:
		if t, has := x["__type"]; has && t != "File" {
			return "", wrongType("file", `a File ({"__type": "File", "name": ...})`)
		}
		name, _ = x["name"].(string)
	default:
		return "", wrongType("file", `a File ({"__type": "File", "name": ...}) or a stored file's name`)
	}
	if err := core.ValidateFileName(name); err != nil || name == "" {
		return "", invalid("file: %q is not a stored file's name; upload it first (POST /files/NAME)", name)
	}
	return name, nil
}

func storeURL(v any) (string, error) {
	s, err := text(v, "storeUrl", maxStoreURL)
	if err != nil {
		return "", err
	}
	u, perr := url.Parse(s)
	if perr != nil || (u.Scheme != "https" && u.Scheme != "http" && u.Scheme != "itms-apps") || u.Host == "" {
		return "", invalid("storeUrl must be an https:// (or itms-apps://) App Store address")
	}
	return s, nil
}

func sha256Field(v any, field string) (string, error) {
	s, ok := v.(string)
	if !ok || !isSHA256Hex(s) {
		return "", invalid("%s must be 64 lower-case hex digits", field)
	}
	return s, nil
}

// isSHA256Hex is shaPattern without a regular expression: every update
// check may carry one.
func isSHA256Hex(s string) bool {
	if len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// applyEditable sets the fields a release's owner may change after
// publishing from body; other keys are left for the caller to refuse.
func (r *Release) applyEditable(body map[string]any) error {
	var err error
	for k, v := range body {
		switch k {
		case "versionName":
			r.VersionName, err = text(v, k, maxVersionName)
		case "notes":
			r.Notes, err = notes(v)
		case "minSupportedVersionCode":
			r.MinSupportedVersionCode, err = integer(v, k, 0, maxVersionCode)
		case "mandatory":
			r.Mandatory, err = boolean(v, k)
		case "rolloutPercent":
			var n int64
			n, err = integer(v, k, 0, 100)
			r.RolloutPercent = int(n)
		case "enabled":
			r.Enabled, err = boolean(v, k)
		default:
			continue
		}
		if err != nil {
			return err
		}
	}
	if r.MinSupportedVersionCode > r.VersionCode {
		return invalid("minSupportedVersionCode %d is above the release's versionCode %d: clients could never satisfy it", r.MinSupportedVersionCode, r.VersionCode)
	}
	return nil
}

var editable = map[string]bool{"versionName": true, "notes": true, "minSupportedVersionCode": true, "mandatory": true, "rolloutPercent": true, "enabled": true}

// parseNew reads a release to publish. The artifact's sizes and hashes
// are measured by the server afterwards; a sha256 the client sends is
// checked against them (wantSHA).
func parseNew(body map[string]any) (r *Release, file, wantSHA string, err error) {
	r = &Release{RolloutPercent: 100, Enabled: true, Notes: map[string]string{}}
	for k := range body {
		switch {
		case editable[k], k == "platform", k == "channel", k == "versionCode", k == "file", k == "storeUrl", k == "sha256":
		default:
			return nil, "", "", core.Errorf(core.CodeInvalidKeyName, "unknown release field %q", k)
		}
	}
	if r.Platform, err = platform(body["platform"]); err != nil {
		return nil, "", "", err
	}
	if r.Channel, err = channel(body["channel"]); err != nil {
		return nil, "", "", err
	}
	if body["versionCode"] == nil {
		return nil, "", "", core.Errorf(core.CodeMissingRequiredField, "versionCode is required (a whole number that grows with every build)")
	}
	if r.VersionCode, err = integer(body["versionCode"], "versionCode", 0, maxVersionCode); err != nil {
		return nil, "", "", err
	}
	r.VersionName = strconv.FormatInt(r.VersionCode, 10)
	if err := r.applyEditable(body); err != nil {
		return nil, "", "", err
	}
	if v, ok := body["file"]; ok && v != nil {
		if file, err = fileName(v); err != nil {
			return nil, "", "", err
		}
	}
	if v, ok := body["storeUrl"]; ok && v != nil {
		if r.Platform != PlatformIOS {
			return nil, "", "", invalid("storeUrl is for iOS releases; %s releases need a file", r.Platform)
		}
		if r.StoreURL, err = storeURL(v); err != nil {
			return nil, "", "", err
		}
	}
	if (file == "") == (r.StoreURL == "") {
		if r.Platform == PlatformIOS {
			return nil, "", "", core.Errorf(core.CodeMissingRequiredField, "an iOS release needs either a file or a storeUrl")
		}
		if file == "" {
			return nil, "", "", core.Errorf(core.CodeMissingRequiredField, "file is required: upload the build with POST /files/NAME and pass {\"__type\": \"File\", \"name\": ...}")
		}
	}
	if v, ok := body["sha256"]; ok && v != nil {
		if wantSHA, err = sha256Field(v, "sha256"); err != nil {
			return nil, "", "", err
		}
	}
	return r, file, wantSHA, nil
}

func trackOf(platform, channel string) string { return platform + "/" + channel }

func (r *Release) String() string {
	return fmt.Sprintf("%s %s %d (%s)", r.Platform, r.Channel, r.VersionCode, r.ID)
}
