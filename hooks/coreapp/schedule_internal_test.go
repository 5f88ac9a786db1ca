package coreapp

import (
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/core"
)

func TestLatestSlot(t *testing.T) {
	at := func(s string) time.Time {
		tm, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return tm
	}
	// 2030-01-02 is a Wednesday.
	now := at("2030-01-02T10:07:30Z")
	cases := []struct {
		name string
		row  core.Object
		want string // "" = nothing due
	}{
		{"once at startAfter, due", core.Object{"jobName": "j", "startAfter": "2030-01-02T09:00:00.000Z"}, "2030-01-02T09:00:00Z"},
		{"once at startAfter, not yet", core.Object{"jobName": "j", "startAfter": "2030-01-02T11:00:00.000Z"}, ""},
		{"daily at a time, today", core.Object{"jobName": "j", "timeOfDay": "08:30:00.000Z"}, "2030-01-02T08:30:00Z"},
		{"daily at a time, yesterday's", core.Object{"jobName": "j", "timeOfDay": "23:00"}, "2030-01-01T23:00:00Z"},
		{"every 15 minutes from 9:00", core.Object{"jobName": "j", "timeOfDay": "09:00", "repeatMinutes": 15.0}, "2030-01-02T10:00:00Z"},
		{"every 15 minutes, before the first of the day", core.Object{"jobName": "j", "timeOfDay": "11:00", "repeatMinutes": 15.0}, "2030-01-01T23:45:00Z"},
		{"only Mondays (flags)", core.Object{"jobName": "j", "timeOfDay": "06:00", "daysOfWeek": []any{"0", "1", "0", "0", "0", "0", "0"}}, "2029-12-31T06:00:00Z"},
		{"Wednesday by number", core.Object{"jobName": "j", "timeOfDay": "06:00", "daysOfWeek": []any{3.0}}, "2030-01-02T06:00:00Z"},
		{"not before startAfter", core.Object{"jobName": "j", "timeOfDay": "06:00", "startAfter": "2030-01-02T07:00:00.000Z"}, ""},
	}
	for _, c := range cases {
		s, err := parseSchedule(c.row)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		got, ok := s.latestSlot(now)
		switch {
		case c.want == "" && ok:
			t.Errorf("%s: due at %s, want nothing", c.name, got)
		case c.want != "" && (!ok || !got.Equal(at(c.want))):
			t.Errorf("%s: %v %s, want %s", c.name, ok, got, c.want)
		}
	}
	for _, bad := range []core.Object{
		{"startAfter": "2030-01-01T00:00:00.000Z"},
		{"jobName": "j", "params": "not json"},
		{"jobName": "j", "timeOfDay": "25:99"},
		{"jobName": "j", "daysOfWeek": []any{9.0}},
		{"jobName": "j", "startAfter": "yesterday"},
	} {
		if _, err := parseSchedule(bad); err == nil {
			t.Errorf("schedule %v accepted", bad)
		}
	}
}
