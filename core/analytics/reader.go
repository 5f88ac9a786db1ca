package analytics

import (
	"context"
	"time"

	"github.com/RoaringBitmap/roaring/v2"

	"github.com/switchboardhq/switchboard/core"
)

// Reader is the optional ability of an analytics sink that keeps events
// and rollups (the store sink): the reads the reports are made of. Each
// honours ctx; the streaming ones stop at fn's first error and return it.
type Reader interface {
	// Days returns, for every day of [from, to] in order, the ids of kind
	// active that day (set DayActive) or first seen that day (set DayNew), as a
	// bitmap of the ids' numbers: each id has one number for good, so
	// that counting distinct ids over days is a union of bitmaps.
	Days(ctx context.Context, kind core.AnalyticsIDKind, set DaySet, from, to int) ([]*roaring.Bitmap, error)
	// FirstSeen calls fn for every id of kind first seen on a day in
	// [from, to].
	FirstSeen(ctx context.Context, kind core.AnalyticsIDKind, from, to int, fn func(FirstSeen) error) error
	// Events calls fn for the raw events f selects, ordered as f says.
	Events(ctx context.Context, f EventFilter, fn func(*core.AnalyticsEvent) error) error
	// CountEvents counts the events q selects, with the distinct devices
	// and users among them, by group, largest count first.
	CountEvents(ctx context.Context, q Count) ([]Bucket, error)
}

// DaySet names the daily rollups Days reads.
type DaySet string

// The daily rollups.
const (
	DayActive DaySet = "active"
	DayNew    DaySet = "new"
)

// FirstSeen is one id's first appearance, from the first-seen rollup.
type FirstSeen struct {
	ID                            string
	Day                           int
	At                            time.Time
	Platform, AppVersion, Channel string
}

// EventFilter selects raw events.
type EventFilter struct {
	// Names selects these event names; empty selects all.
	Names []string
	// FromDay and ToDay bound Day, both included.
	FromDay, ToDay int
	// By orders the events by this identity, then by time; events
	// without that identity are left out. Empty: by time only.
	By core.AnalyticsIDKind
}

// Count asks for event counts over days [FromDay, ToDay].
type Count struct {
	// Name selects one event name; "" counts every name, grouped by name.
	Name           string
	FromDay, ToDay int
	// GroupBy is "" (one bucket per name), "day", "platform",
	// "appVersion", "channel" or "dimension" (Dimension's values; a
	// name without quotes or backslashes).
	GroupBy   string
	Dimension string
}

// Bucket is one group of a Count.
type Bucket struct {
	Key     string `json:"key"`
	Count   int64  `json:"count"`
	Devices int64  `json:"devices"`
	Users   int64  `json:"users"`
}
