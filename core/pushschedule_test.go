package core

import (
	"slices"
	"testing"
	"time"
)

func TestParsePushTime(t *testing.T) {
	now := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		in    any
		at    string
		local bool
		fails bool
	}{
		{"2030-05-01T09:00:00Z", "2030-05-01T09:00:00Z", false, false},
		{"2030-05-01T09:00:00.250+08:00", "2030-05-01T01:00:00.25Z", false, false},
		{"2030-05-01T09:00:00-0500", "", false, true}, // RFC 3339 wants a colon
		{"2030-05-01T09:00:00", "2030-05-01T09:00:00Z", true, false},
		{"2030-05-01T09:00", "2030-05-01T09:00:00Z", true, false},
		{"2030-05-01", "2030-05-01T00:00:00Z", true, false},
		{1.9e9, "2030-03-17T17:46:40Z", false, false},
		{map[string]any{"__type": "Date", "iso": "2030-02-01T00:00:00.000Z"}, "2030-02-01T00:00:00Z", false, false},
		{"tomorrow", "", false, true},
		{true, "", false, true},
		{-5.0, "", false, true},
		{"2032-01-01T00:00:00Z", "", false, true}, // more than a year ahead
		{map[string]any{"iso": "2030-02-01T00:00:00.000Z"}, "", false, true},
	}
	for _, tc := range tests {
		pt, err := ParsePushTime(tc.in, now)
		if tc.fails {
			if !IsCode(err, CodePushMisconfigured) {
				t.Errorf("%v: got %v, %v; want 115", tc.in, pt, err)
			}
			continue
		}
		if err != nil || pt.At.Format(time.RFC3339Nano) != tc.at || pt.Local != tc.local {
			t.Errorf("%v: got %v local=%v, %v; want %s local=%v", tc.in, pt.At.Format(time.RFC3339Nano), pt.Local, err, tc.at, tc.local)
		}
	}
	local, _ := ParsePushTime("2030-05-01T09:00:00", now)
	if local.String() != "2030-05-01T09:00:00.000" || !local.FirstRun().Equal(time.Date(2030, 4, 30, 19, 0, 0, 0, time.UTC)) {
		t.Errorf("local push time %s, first run %s", local, local.FirstRun())
	}
}

// A local-time push goes out in waves, earliest zone first; zones whose
// time is the same instant go together, the devices without a valid zone
// with UTC.
func TestNextLocalWave(t *testing.T) {
	at := time.Date(2030, 5, 1, 9, 0, 0, 0, time.UTC) // 09:00 local
	zones := []any{"Asia/Tokyo", "Europe/Paris", "Europe/Berlin", "America/New_York", "Not/AZone", "UTC", ""}
	type step struct {
		now   time.Time
		zones []string
		utc   bool
		next  time.Time
	}
	var done []string
	for i, st := range []step{
		{time.Date(2030, 4, 30, 23, 0, 0, 0, time.UTC), nil, false, time.Date(2030, 5, 1, 0, 0, 0, 0, time.UTC)},
		{time.Date(2030, 5, 1, 0, 0, 0, 0, time.UTC), []string{"Asia/Tokyo"}, false, time.Date(2030, 5, 1, 7, 0, 0, 0, time.UTC)},
		{time.Date(2030, 5, 1, 7, 30, 0, 0, time.UTC), []string{"Europe/Berlin", "Europe/Paris"}, false, time.Date(2030, 5, 1, 9, 0, 0, 0, time.UTC)},
		{time.Date(2030, 5, 1, 20, 0, 0, 0, time.UTC), []string{"UTC"}, true, time.Time{}}, // two waves due: the earlier first
		{time.Date(2030, 5, 1, 20, 0, 0, 0, time.UTC), []string{"America/New_York"}, false, time.Time{}},
		{time.Date(2030, 5, 1, 20, 0, 0, 0, time.UTC), nil, false, time.Time{}},
	} {
		w, next := nextLocalWave(at, zones, done, st.now)
		if st.zones == nil && !st.utc {
			if w != nil || !next.Equal(st.next) {
				t.Fatalf("step %d: wave %+v next %s, want none and next %s", i, w, next, st.next)
			}
			continue
		}
		if w == nil || !slices.Equal(w.Zones, st.zones) || w.UTC != st.utc {
			t.Fatalf("step %d: wave %+v, want zones %v utc %v", i, w, st.zones, st.utc)
		}
		if !next.Equal(st.next) {
			t.Fatalf("step %d: next %s, want %s", i, next, st.next)
		}
		if w.UTC && (!slices.Contains(w.Known, "Asia/Tokyo") || slices.Contains(w.Known, "Not/AZone")) {
			t.Fatalf("the UTC wave's known zones %v", w.Known)
		}
		done = append(done, w.doneZones()...)
	}
}

func TestPushWaveFilter(t *testing.T) {
	if (&pushWave{All: true}).filter() != nil {
		t.Error("the one wave of a push that is not local filters nothing")
	}
	f := (&pushWave{Zones: []string{"Asia/Tokyo"}, UTC: true, Known: []string{"Asia/Tokyo", "UTC"}}).filter()
	or, ok := f.(Or)
	if !ok || len(or.Exprs) != 3 {
		t.Fatalf("filter %#v", f)
	}
	if _, nothing := (&pushWave{}).filter().(Nothing); !nothing {
		t.Error("an empty wave matches nothing")
	}
}
