package coreapp

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/switchboardhq/switchboard/core"
)

// Job schedules: rows of Parse's _JobSchedule (jobName, params, startAfter,
// daysOfWeek, timeOfDay, repeatMinutes, lastRun), as the Parse Dashboard
// writes them through /cloud_code/jobs. Parse Server stores them but never
// runs them; here a periodic job on the queue (once a minute, once across
// the nodes) starts every job whose time has come. Times are UTC:
//
//   - startAfter (ISO date): no run before it. A schedule with neither
//     timeOfDay, daysOfWeek nor repeatMinutes runs once, at startAfter.
//   - daysOfWeek: seven flags, Sunday first (1/0, true/false), or a list
//     of day numbers (0 = Sunday); missing or empty means every day.
//   - timeOfDay ("HH:MM", "HH:MM:SS" or "HH:MM:SS.sssZ"): when the job runs
//     on each of those days (default midnight).
//   - repeatMinutes: from timeOfDay on, every so many minutes, until the
//     day ends.
//   - lastRun: the time (Unix milliseconds) of the last run started, which
//     the server sets. A run is claimed by a conditional update of lastRun,
//     so that it starts once however many ticks see it, and a tick that
//     missed several times (the cluster was down) starts only the latest.

const scheduleClass = "_JobSchedule"

type schedule struct {
	id         string
	jobName    string
	params     map[string]any
	startAfter time.Time
	days       [7]bool
	anyDays    bool
	timeOfDay  time.Duration
	hasTime    bool
	repeat     time.Duration
	lastRun    any // as stored: nil or a number
}

func parseSchedule(o core.Object) (*schedule, error) {
	s := &schedule{id: o.ID(), lastRun: o["lastRun"]}
	s.jobName, _ = o["jobName"].(string)
	if s.jobName == "" {
		return nil, fmt.Errorf("no jobName")
	}
	s.params = map[string]any{}
	if p, _ := o["params"].(string); strings.TrimSpace(p) != "" {
		if err := json.Unmarshal([]byte(p), &s.params); err != nil || s.params == nil {
			return nil, fmt.Errorf("params must be a JSON object as text: %v", err)
		}
	}
	if sa, _ := o["startAfter"].(string); sa != "" {
		t, err := core.ParseTime(sa)
		if err != nil {
			if t, err = time.Parse(time.RFC3339Nano, sa); err != nil {
				return nil, fmt.Errorf("startAfter %q is not an ISO-8601 date", sa)
			}
		}
		s.startAfter = t.UTC()
	}
	if days, _ := o["daysOfWeek"].([]any); len(days) > 0 {
		if err := s.parseDays(days); err != nil {
			return nil, err
		}
	}
	if tod, _ := o["timeOfDay"].(string); tod != "" {
		d, err := parseTimeOfDay(tod)
		if err != nil {
			return nil, err
		}
		s.timeOfDay, s.hasTime = d, true
	}
	if r, ok := o["repeatMinutes"].(float64); ok && r > 0 {
		s.repeat = time.Duration(r * float64(time.Minute))
	}
	return s, nil
}

func truthy(v any) (bool, bool) {
	switch x := v.(type) {
	case bool:
		return x, true
	case float64:
		if x == 0 || x == 1 {
			return x == 1, true
		}
	case string:
		switch x {
		case "1", "true":
			return true, true
		case "0", "false", "":
			return false, true
		}
	}
	return false, false
}

func (s *schedule) parseDays(days []any) error {
	s.anyDays = true
	if len(days) == 7 {
		mask := [7]bool{}
		flags := true
		for i, v := range days {
			b, ok := truthy(v)
			if !ok {
				flags = false
				break
			}
			mask[i] = b
		}
		if flags {
			s.days = mask
			return nil
		}
	}
	for _, v := range days {
		var n int
		switch x := v.(type) {
		case float64:
			n = int(x)
		case string:
			var err error
			if n, err = strconv.Atoi(x); err != nil {
				return fmt.Errorf("daysOfWeek: %q is not a day number (0 = Sunday)", x)
			}
		default:
			return fmt.Errorf("daysOfWeek: %v is not a day number (0 = Sunday)", v)
		}
		if n < 0 || n > 6 {
			return fmt.Errorf("daysOfWeek: %d is not a day number (0 = Sunday … 6 = Saturday)", n)
		}
		s.days[n] = true
	}
	return nil
}

func parseTimeOfDay(s string) (time.Duration, error) {
	for _, layout := range []string{"15:04:05.000Z", "15:04:05Z", "15:04:05.000", "15:04:05", "15:04Z", "15:04"} {
		if t, err := time.Parse(layout, s); err == nil {
			return time.Duration(t.Hour())*time.Hour + time.Duration(t.Minute())*time.Minute +
				time.Duration(t.Second())*time.Second + time.Duration(t.Nanosecond()), nil
		}
	}
	return 0, fmt.Errorf("timeOfDay %q is not HH:MM or HH:MM:SS.sssZ", s)
}

// latestSlot returns the latest time at or before now the schedule should
// have started its job.
func (s *schedule) latestSlot(now time.Time) (time.Time, bool) {
	now = now.UTC()
	if !s.hasTime && !s.anyDays && s.repeat == 0 {
		if s.startAfter.IsZero() || now.Before(s.startAfter) {
			return time.Time{}, false
		}
		return s.startAfter, true
	}
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	for back := 0; back < 8; back++ {
		day := today.AddDate(0, 0, -back)
		if s.anyDays && !s.days[day.Weekday()] {
			continue
		}
		first := day.Add(s.timeOfDay)
		if first.After(now) {
			continue
		}
		slot := first
		if s.repeat > 0 {
			until := now
			if end := day.AddDate(0, 0, 1).Add(-time.Nanosecond); end.Before(until) {
				until = end
			}
			slot = first.Add(until.Sub(first) / s.repeat * s.repeat)
		}
		if slot.Before(s.startAfter) {
			return time.Time{}, false
		}
		return slot, true
	}
	return time.Time{}, false
}

func (s *schedule) ranAt() int64 {
	if n, ok := s.lastRun.(float64); ok {
		return int64(n)
	}
	return 0
}

// scheduleTick starts the jobs whose time has come. It runs once a minute
// on one node (the queue's periodic job).
func (c *Cloud) scheduleTick(ctx context.Context, _ core.Job) error {
	cls := c.app.Class(scheduleClass)
	if cls == nil {
		return nil
	}
	rows, err := c.app.Store().Find(ctx, cls, &core.Query{Limit: -1})
	if err != nil {
		return err
	}
	now := time.Now()
	for _, row := range rows {
		s, err := parseSchedule(row)
		if err != nil {
			c.log.Warn("cloud code: a job schedule cannot run; fix it in _JobSchedule", "schedule", row.ID(), "err", err)
			continue
		}
		slot, due := s.latestSlot(now)
		if !due || slot.UnixMilli() <= s.ranAt() {
			continue
		}
		if d := c.m.Active(); d == nil || !d.HasJob(s.jobName) {
			c.log.Warn("cloud code: a scheduled job is not deployed; skipped", "schedule", s.id, "job", s.jobName)
			continue
		}
		if err := c.startScheduled(ctx, cls, s, slot); err != nil {
			c.log.Error("cloud code: starting a scheduled job failed", "schedule", s.id, "job", s.jobName, "err", err)
		}
	}
	return nil
}

// startScheduled claims the slot (lastRun moves from what was read to the
// slot, or nothing happens when another tick moved it first) and enqueues
// the job; if the queue refuses it, the claim is given back.
func (c *Cloud) startScheduled(ctx context.Context, cls *core.Class, s *schedule, slot time.Time) error {
	var was core.Expr = core.Exists{Field: "lastRun", Exists: false}
	if s.lastRun != nil {
		was = core.Cmp{Field: "lastRun", Op: core.OpEq, Value: s.lastRun}
	}
	st := c.app.Store()
	ms := float64(slot.UnixMilli())
	_, err := st.Update(ctx, cls, s.id, was, nil, core.Update{"lastRun": core.Set{Value: ms}})
	if core.IsCode(err, core.CodeObjectNotFound) {
		return nil // claimed by another tick, or deleted
	}
	if err != nil {
		return err
	}
	_, err = c.app.Jobs().Enqueue(ctx, core.Job{Kind: core.CloudJobPrefix + s.jobName, Args: s.params,
		UniqueKey: "schedule " + s.id + " " + strconv.FormatInt(slot.UnixMilli(), 10)})
	if err == nil {
		c.log.Info("cloud code: scheduled job started", "schedule", s.id, "job", s.jobName, "slot", slot)
		return nil
	}
	var back core.Op = core.Unset{}
	if s.lastRun != nil {
		back = core.Set{Value: s.lastRun}
	}
	if _, uerr := st.Update(ctx, cls, s.id, core.Cmp{Field: "lastRun", Op: core.OpEq, Value: ms}, nil, core.Update{"lastRun": back}); uerr != nil {
		c.log.Error("cloud code: giving back a schedule's claim failed; its slot is skipped", "schedule", s.id, "err", uerr)
	}
	return err
}
