package analytics

import (
	"context"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/switchboardhq/switchboard/core"
)

// Names of the automatic events. They start with "_", which clients may
// not use for their own events.
const (
	EventAppOpened    = "AppOpened"
	EventSignup       = "_signup"
	EventLogin        = "_login"
	EventSession      = "_session"
	EventInstallation = "_installation"
)

// Limits on what a client may send, so that one event stays a small row.
const (
	maxNameLength      = 256
	maxDimensionLength = 1024
)

// Service is analytics as the API sees it: Track for the /events routes,
// Report for the /analytics routes.
type Service struct {
	app    *core.App
	ingest *Ingestor
	reader Reader // nil: the sink keeps nothing to report from
	gap    time.Duration
	now    func() time.Time
}

// NewService serves ingest's events and the reports read from reader
// (nil when the sink keeps no events). app authorizes the calls; sessionGap
// is the default inactivity that ends a session (0: DefaultSessionGap).
func NewService(app *core.App, ingest *Ingestor, reader Reader, sessionGap time.Duration) *Service {
	if sessionGap <= 0 {
		sessionGap = DefaultSessionGap
	}
	return &Service{app: app, ingest: ingest, reader: reader, gap: sessionGap, now: ingest.opts.Now}
}

// Track takes in one client event: POST /events/:name with
// {"dimensions": {...}, "at": date}, or POST /events/AppOpened with
// {"at": date, "push_hash": "..."}. The caller is the device
// (auth.InstallationID) and, with a session, the user (auth.UserID).
func (s *Service) Track(ctx context.Context, auth *core.Auth, name string, body map[string]any) error {
	name = strings.TrimSpace(name)
	switch {
	case name == "":
		return core.Errorf(core.CodeInvalidJSON, "analytics: an event needs a name: POST /events/<name>")
	case strings.HasPrefix(name, "_"):
		return core.Errorf(core.CodeInvalidJSON, "analytics: event names starting with _ are reserved for the automatic events, got %q", name)
	case len(name) > maxNameLength || !utf8.ValidString(name):
		return core.Errorf(core.CodeInvalidJSON, "analytics: an event name is at most %d bytes of UTF-8", maxNameLength)
	}
	if _, err := s.app.Authorize(ctx, &core.AuthzInput{Point: core.PointAnalytics, Action: core.ActionTrack, Class: name, Auth: auth}); err != nil {
		return err
	}
	ev := core.AnalyticsEvent{Name: name, InstallationID: auth.InstallationID, UserID: auth.UserID}
	if v, ok := body["at"]; ok && v != nil {
		at, err := parseAt(v)
		if err != nil {
			return err
		}
		ev.At = at
	}
	dims, err := dimensions(body["dimensions"])
	if err != nil {
		return err
	}
	if h, ok := body["push_hash"].(string); ok && h != "" && name == EventAppOpened {
		if dims == nil {
			dims = map[string]string{}
		}
		if len(dims) < core.MaxAnalyticsDimensions {
			dims["push_hash"] = truncate(h)
		}
	}
	ev.Dimensions = dims
	return s.ingest.Add(ev)
}

// parseAt reads an event's "at": a Parse Date ({"__type":"Date","iso":...})
// or an ISO-8601 string.
func parseAt(v any) (time.Time, error) {
	iso, _ := v.(string)
	if m, ok := v.(map[string]any); ok && m["__type"] == "Date" {
		iso, _ = m["iso"].(string)
	}
	t, err := time.Parse(time.RFC3339Nano, iso)
	if err != nil {
		return time.Time{}, core.Errorf(core.CodeInvalidJSON, `analytics: "at" must be a date such as {"__type":"Date","iso":"2030-01-02T15:04:05.000Z"}`)
	}
	return t, nil
}

// dimensions checks an event's dimensions (string to string) and keeps the
// first MaxAnalyticsDimensions in key order: a decoded JSON object has no
// order of its own, and a fixed one keeps the same event's dimensions the
// same whatever client sent it.
func dimensions(v any) (map[string]string, error) {
	if v == nil {
		return nil, nil
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, core.Errorf(core.CodeInvalidJSON, "analytics: dimensions must be an object of strings")
	}
	keys := make([]string, 0, len(m))
	for k, val := range m {
		if _, ok := val.(string); !ok {
			return nil, core.Errorf(core.CodeInvalidJSON, "analytics: dimension %q must be a string", k)
		}
		if k == "" || len(k) > maxNameLength {
			return nil, core.Errorf(core.CodeInvalidJSON, "analytics: a dimension name is 1 to %d bytes", maxNameLength)
		}
		keys = append(keys, k)
	}
	if len(keys) == 0 {
		return nil, nil
	}
	sort.Strings(keys)
	out := make(map[string]string, min(len(keys), core.MaxAnalyticsDimensions))
	for _, k := range keys[:min(len(keys), core.MaxAnalyticsDimensions)] {
		out[k] = truncate(m[k].(string))
	}
	return out, nil
}

func truncate(s string) string {
	if len(s) <= maxDimensionLength {
		return s
	}
	s = s[:maxDimensionLength]
	for !utf8.ValidString(s) {
		s = s[:len(s)-1]
	}
	return s
}

// Listen turns committed changes into automatic events: a new _User is a
// signup (and a session start), a new or updated _Installation an
// installation event carrying its platform, version and channel. Bind it
// to the App's ChangeBus.
func (s *Service) Listen(ctx context.Context, ev *core.ChangeEvent) {
	switch ev.ClassName {
	case "_User":
		if ev.Kind != core.Created {
			return
		}
		base := core.AnalyticsEvent{At: ev.At, UserID: ev.Object.ID(), InstallationID: ev.Auth.InstallationID}
		s.add(base, EventSignup)
		s.add(base, EventSession)
	case "_Installation":
		if ev.Kind == core.Deleted {
			return
		}
		id, _ := ev.Object["installationId"].(string)
		d := deviceOf(ev.Object)
		s.ingest.SetDevice(id, d)
		// A server-side touch (a badge reset by the master key) is not the
		// device being active; its own saves and new versions are.
		if ev.Kind == core.Updated && ev.Auth.Master && d == deviceOf(ev.Original) {
			return
		}
		s.add(core.AnalyticsEvent{At: ev.At, InstallationID: id, UserID: ev.Auth.UserID,
			Platform: d.Platform, AppVersion: d.AppVersion, Channel: d.Channel}, EventInstallation)
	}
}

// LoggedIn records a login, which starts a session (bind it to the
// AfterLogin hook of _User).
func (s *Service) LoggedIn(e *core.LoginEvent) error {
	base := core.AnalyticsEvent{At: time.Now(), UserID: e.User.ID()}
	if e.Auth != nil {
		base.InstallationID = e.Auth.InstallationID
	}
	s.add(base, EventLogin)
	s.add(base, EventSession)
	return e.Next()
}

// add buffers an automatic event; one the buffer has no room for is
// dropped with a warning, since the write that caused it succeeded.
func (s *Service) add(ev core.AnalyticsEvent, name string) {
	ev.Name = name
	if err := s.ingest.Add(ev); err != nil {
		s.ingest.log.Warn("analytics: automatic event dropped", "event", name, "err", err)
	}
}

func deviceOf(o core.Object) Device {
	str := func(k string) string { v, _ := o[k].(string); return v }
	return Device{Platform: str("deviceType"), AppVersion: str("appVersion"), Channel: str("channel")}
}

// authorizeQuery lets the master key (the read-only one too) read every
// report, and others only where a policy for the analytics point allows
// the report.
func (s *Service) authorizeQuery(ctx context.Context, auth *core.Auth, report string) error {
	if auth.Master {
		return nil
	}
	in := &core.AuthzInput{Point: core.PointAnalytics, Action: core.ActionQuery, Class: report, Auth: auth}
	if !s.app.AuthorizerCovers(in.Point, in.Class) {
		return core.Errorf(core.CodeOperationForbidden, "unauthorized: analytics reports need the master key or a policy for the analytics point that allows them")
	}
	if _, err := s.app.Authorize(ctx, in); err != nil {
		return err
	}
	return nil
}

func badParam(format string, args ...any) error {
	return core.Errorf(core.CodeInvalidQuery, "analytics: "+format, args...)
}
