package core

import (
	"math"
	"slices"
	"strings"
	"time"

	// Local-time pushes resolve each device's IANA zone; the embedded
	// database makes that work on hosts without /usr/share/zoneinfo.
	_ "time/tzdata"
)

// PushTime is a push's push_time: when to deliver it.
type PushTime struct {
	// At is the instant, or for a local-time push the wall-clock time read
	// as UTC (the instant it happens in UTC).
	At time.Time
	// Local is true when push_time had no zone: each device gets the push
	// at that wall-clock time in its own timeZone (devices without a valid
	// zone at that time in UTC).
	Local bool
}

// localPushLayouts are the zone-less forms of push_time, as a JavaScript
// Date would print them without its "Z".
var localPushLayouts = []string{
	"2006-01-02T15:04:05.999999999",
	"2006-01-02T15:04:05",
	"2006-01-02T15:04",
	"2006-01-02 15:04:05",
	"2006-01-02",
}

// maxPushDelay bounds how far ahead a push may be scheduled.
const maxPushDelay = 366 * 24 * time.Hour

// ParsePushTime reads push_time as Parse Server does: an ISO-8601 date
// with a zone ("Z" or "+08:00") is an instant; one without a zone is a
// wall-clock time in each device's own zone; a number is seconds since
// the epoch; {"__type": "Date", "iso": ...} is an instant. Errors are
// CodePushMisconfigured (115), as on Parse Server. A time more than a year
// ahead is refused.
func ParsePushTime(v any, now time.Time) (PushTime, error) {
	bad := func(why string) (PushTime, error) {
		return PushTime{}, Errorf(CodePushMisconfigured, "push_time is not a valid time: %s", why)
	}
	var pt PushTime
	switch t := v.(type) {
	case float64:
		if t <= 0 || t > 1e11 || math.IsNaN(t) {
			return bad("seconds since the epoch out of range")
		}
		pt.At = time.Unix(0, int64(t*float64(time.Second))).UTC()
	case map[string]any:
		iso, _ := t["iso"].(string)
		at, err := ParseTime(iso)
		if t["__type"] != "Date" || err != nil {
			return bad(`want {"__type": "Date", "iso": "..."}`)
		}
		pt.At = at
	case string:
		s := strings.TrimSpace(t)
		if hasZone(s) {
			at, err := time.Parse(time.RFC3339Nano, s)
			if err != nil {
				return bad("want an ISO-8601 date such as 2030-01-02T15:04:05.000Z")
			}
			pt.At = at.UTC()
			break
		}
		for _, layout := range localPushLayouts {
			if at, err := time.Parse(layout, s); err == nil {
				pt.At, pt.Local = at, true
				break
			}
		}
		if !pt.Local {
			return bad("want an ISO-8601 date such as 2030-01-02T15:04:05 (each device's local time) or 2030-01-02T15:04:05Z")
		}
	default:
		return bad("want an ISO-8601 date or seconds since the epoch")
	}
	pt.At = pt.At.Truncate(time.Millisecond)
	if pt.At.After(now.Add(maxPushDelay)) {
		return bad("it is more than a year ahead")
	}
	return pt, nil
}

// hasZone reports whether an ISO date ends with a zone ("Z", "+08:00",
// "-0500"), the way Parse Server tells instants from local times.
func hasZone(s string) bool {
	if strings.HasSuffix(s, "Z") || strings.HasSuffix(s, "z") {
		return true
	}
	t := strings.IndexByte(s, 'T')
	if t < 0 {
		return false
	}
	clock := s[t:]
	return strings.ContainsAny(clock, "+") || strings.Contains(clock[1:], "-")
}

// String is push_time as _PushStatus stores it: ISO-8601, with "Z" for an
// instant and without it for a local time.
func (p PushTime) String() string {
	s := FormatTime(p.At)
	if p.Local {
		return strings.TrimSuffix(s, "Z")
	}
	return s
}

// The zones of the Earth are between UTC-12 and UTC+14: a local-time push
// starts 14 hours before its time in UTC and ends 12 hours after.
const earliestZoneOffset = 14 * time.Hour

// FirstRun is when a push at p is first due: its instant, or for a local
// time the moment it is that time in the easternmost zone.
func (p PushTime) FirstRun() time.Time {
	if p.Local {
		return p.At.Add(-earliestZoneOffset)
	}
	return p.At
}

// pushWave is the part of a local-time push sent at one time: the devices
// of the zones where its local push time falls at the same instant. A push
// that is not local has one wave with every device.
type pushWave struct {
	// All is set for a push that is not local: every device.
	All bool `json:"all,omitempty"`
	// At is the instant of the wave's local push time.
	At time.Time `json:"at,omitzero"`
	// Zones are the IANA zones of the wave's devices.
	Zones []string `json:"zones,omitempty"`
	// UTC adds the devices without a zone, or with a zone that is not a
	// valid IANA name (any zone not in Known).
	UTC   bool     `json:"utc,omitempty"`
	Known []string `json:"known,omitempty"`
}

// filter is the condition on _Installation of the wave's devices.
func (w *pushWave) filter() Expr {
	if w.All {
		return nil
	}
	var or []Expr
	if len(w.Zones) > 0 {
		or = append(or, In{Field: "timeZone", Values: stringsToAny(w.Zones)})
	}
	if w.UTC {
		or = append(or, Exists{Field: "timeZone", Exists: false})
		if len(w.Known) > 0 {
			or = append(or, In{Field: "timeZone", Values: stringsToAny(w.Known), Not: true})
		} else {
			or = append(or, Exists{Field: "timeZone", Exists: true})
		}
	}
	if len(or) == 0 {
		return Nothing{}
	}
	return Or{Exprs: or}
}

func stringsToAny(s []string) []any {
	out := make([]any, len(s))
	for i, v := range s {
		out[i] = v
	}
	return out
}

// utcZone names the group of devices without a valid zone in zonesDone.
const utcZone = ""

// nextLocalWave plans a local-time push at wall time at, given the
// distinct timeZone values of its audience and the zones already sent
// (utcZone for the devices without a valid one): the earliest wave due at
// now, if any, and the next time a wave is due after now (zero when none
// is left).
func nextLocalWave(at time.Time, zones []any, done []string, now time.Time) (wave *pushWave, next time.Time) {
	isDone := map[string]bool{}
	for _, z := range done {
		isDone[z] = true
	}
	instants := map[string]time.Time{utcZone: at}
	var known []string
	for _, v := range zones {
		name, _ := v.(string)
		if name == "" || name == "Local" {
			continue
		}
		loc, err := time.LoadLocation(name)
		if err != nil {
			continue // with the devices without a zone
		}
		known = append(known, name)
		instants[name] = time.Date(at.Year(), at.Month(), at.Day(), at.Hour(), at.Minute(), at.Second(), at.Nanosecond(), loc).UTC()
	}
	var due time.Time
	for zone, instant := range instants {
		switch {
		case isDone[zone]:
		case instant.After(now):
			if next.IsZero() || instant.Before(next) {
				next = instant
			}
		case due.IsZero() || instant.Before(due):
			due = instant
		}
	}
	if due.IsZero() {
		return nil, next
	}
	w := &pushWave{At: due}
	for zone, instant := range instants {
		if isDone[zone] || !instant.Equal(due) {
			continue
		}
		if zone == utcZone {
			w.UTC = true
		} else {
			w.Zones = append(w.Zones, zone)
		}
	}
	slices.Sort(w.Zones)
	if w.UTC {
		slices.Sort(known)
		w.Known = known
	}
	return w, next
}

// doneZones are the zones a finished wave covered, for zonesDone.
func (w *pushWave) doneZones() []string {
	out := slices.Clone(w.Zones)
	if w.UTC {
		out = append(out, utcZone)
	}
	return out
}
