package core

import (
	"context"
	"time"
)

// PointAnalytics is the decision point of analytics: "track" for an event
// a client sends (Class holds the event's name), "query" for a report
// (Class holds the report's name).
const PointAnalytics = "analytics"

// Analytics actions.
const (
	ActionTrack = "track"
	ActionQuery = "query"
)

// AnalyticsEvent is one analytics event as the core hands it to a sink:
// checked, dated and identified. Sinks must not modify it.
type AnalyticsEvent struct {
	// Name is the event's name: a custom event, AppOpened, or one of the
	// automatic events (_signup, _login, _session, _installation).
	Name string
	// At is when it happened (the client's time when within a day of the
	// server's, else when the server took it), in UTC.
	At time.Time
	// Day is At's calendar day in the app's analytics time zone, as days
	// since 1970-01-01 (see AnalyticsDay). Rollups are bucketed by it.
	Day int
	// InstallationID is the device ("" when the client sent none).
	InstallationID string
	// UserID is the logged-in user's objectId ("" when none).
	UserID string
	// Platform (the installation's deviceType), AppVersion and Channel
	// (the installation's distribution channel) describe the device at
	// the time of the event, when known.
	Platform, AppVersion, Channel string
	// Dimensions are the event's string dimensions (at most
	// MaxAnalyticsDimensions), nil when none.
	Dimensions map[string]string
}

// MaxAnalyticsDimensions is how many dimensions an event keeps, as Parse.
const MaxAnalyticsDimensions = 8

// AnalyticsDay is t's calendar day in loc, as days since 1970-01-01.
func AnalyticsDay(t time.Time, loc *time.Location) int {
	y, m, d := t.In(loc).Date()
	return int(time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / 86400)
}

// AnalyticsDate is the calendar date of an AnalyticsDay.
func AnalyticsDate(day int) time.Time { return time.Unix(int64(day)*86400, 0).UTC() }

// AnalyticsSink is the provider contract of the analytics kind: where
// events go once the core batched them. The store sink keeps them (and
// answers the reports: core/analytics.Reader); others forward them (a
// webhook, a plugin, a column store).
//
// Promises the core makes: WriteEvents is called by one goroutine at a
// time, with 1 to analytics.batchSize events (2000 by default), each checked as documented on
// AnalyticsEvent; the slice is not reused until WriteEvents returns.
//
// Promises a sink makes: a batch is written whole or not at all (an error
// means none of it is kept, so the core may retry it); a nil return means
// the batch survives a crash of the process; writing the same event twice
// (a retry after a timeout) may keep it twice but never breaks a rollup.
type AnalyticsSink interface {
	WriteEvents(ctx context.Context, events []AnalyticsEvent) error
}

// AnalyticsIDKind says whose activity a rollup counts.
type AnalyticsIDKind string

// The two identities of analytics: a device is its installationId, a user
// their objectId.
const (
	AnalyticsDevices AnalyticsIDKind = "device"
	AnalyticsUsers   AnalyticsIDKind = "user"
)

// AnalyticsSinks is the registry of analytics sinks. env.Store is the
// data store, for sinks that keep their tables beside it.
var AnalyticsSinks = NewRegistry[OpenFunc[AnalyticsSink]]("analytics")
