package analytics

import (
	"context"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/RoaringBitmap/roaring/v2"

	"github.com/switchboardhq/switchboard/core"
)

// Reports are the names GET /analytics/:report answers.
var Reports = []string{"new", "active", "retention", "sessions", "events", "funnel"}

// DefaultRetentionDays are the day-N retention offsets reported unless
// asked otherwise.
var DefaultRetentionDays = []int{1, 3, 7, 14, 30}

const (
	defaultDays = 30
	maxDays     = 400
	maxSteps    = 10
)

// Report answers one report for auth with params (query parameters):
// from and to (YYYY-MM-DD in the app's time zone; default the last 30
// days to today) or days, of (devices or users), and each report's own.
func (s *Service) Report(ctx context.Context, auth *core.Auth, report string, params map[string]any) (map[string]any, error) {
	if err := s.authorizeQuery(ctx, auth, report); err != nil {
		return nil, err
	}
	if s.reader == nil {
		return nil, core.Errorf(core.CodeCommandUnavailable, "analytics: the configured sink forwards events and keeps none; reports need analytics.provider: store")
	}
	p, err := s.parseParams(params)
	if err != nil {
		return nil, err
	}
	var out map[string]any
	switch report {
	case "new":
		out, err = s.newReport(ctx, p)
	case "active":
		out, err = s.activeReport(ctx, p)
	case "retention":
		out, err = s.retentionReport(ctx, p)
	case "sessions":
		out, err = s.sessionsReport(ctx, p)
	case "events":
		out, err = s.eventsReport(ctx, p)
	case "funnel":
		out, err = s.funnelReport(ctx, p)
	default:
		return nil, core.Errorf(core.CodeInvalidQuery, "analytics: no report %q; reports are %s", report, strings.Join(Reports, ", "))
	}
	if err != nil {
		return nil, err
	}
	out["timezone"] = s.ingest.Location().String()
	out["from"], out["to"] = dateString(p.from), dateString(p.to)
	return out, nil
}

// params are a report's parsed query parameters.
type params struct {
	from, to int // days, both included
	today    int
	of       core.AnalyticsIDKind
	raw      map[string]string
}

func (s *Service) parseParams(in map[string]any) (*params, error) {
	raw := map[string]string{}
	for k, v := range in {
		switch v := v.(type) {
		case string:
			raw[k] = v
		case float64:
			raw[k] = strconv.FormatFloat(v, 'f', -1, 64)
		case []any:
			parts := make([]string, 0, len(v))
			for _, e := range v {
				if str, ok := e.(string); ok {
					parts = append(parts, str)
				}
			}
			raw[k] = strings.Join(parts, ",")
		}
	}
	p := &params{raw: raw, of: core.AnalyticsDevices}
	p.today = core.AnalyticsDay(s.now(), s.ingest.Location())
	p.to = p.today
	if v := raw["to"]; v != "" {
		d, err := parseDate(v)
		if err != nil {
			return nil, err
		}
		p.to = d
	}
	days := defaultDays
	if v := raw["days"]; v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxDays {
			return nil, badParam("days must be a whole number from 1 to %d, got %q", maxDays, v)
		}
		days = n
	}
	p.from = p.to - days + 1
	if v := raw["from"]; v != "" {
		d, err := parseDate(v)
		if err != nil {
			return nil, err
		}
		p.from = d
	}
	if p.from > p.to || p.to-p.from >= maxDays {
		return nil, badParam("from must be on or before to, at most %d days apart", maxDays)
	}
	switch raw["of"] {
	case "", "devices":
	case "users":
		p.of = core.AnalyticsUsers
	default:
		return nil, badParam(`of must be "devices" or "users", got %q`, raw["of"])
	}
	return p, nil
}

func parseDate(s string) (int, error) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return 0, badParam("dates are YYYY-MM-DD in the app's time zone, got %q", s)
	}
	return int(t.Unix() / 86400), nil
}

func dateString(day int) string { return core.AnalyticsDate(day).Format(time.DateOnly) }

// newReport counts the devices and users first seen on each day, with
// by=platform|appVersion|channel splitting them.
func (s *Service) newReport(ctx context.Context, p *params) (map[string]any, error) {
	by := p.raw["by"]
	switch by {
	case "", "platform", "appVersion", "channel":
	default:
		return nil, badParam(`by must be platform, appVersion or channel, got %q`, by)
	}
	n := p.to - p.from + 1
	rows := make([]map[string]any, n)
	for i := range rows {
		rows[i] = map[string]any{"date": dateString(p.from + i)}
	}
	for _, kind := range []core.AnalyticsIDKind{core.AnalyticsDevices, core.AnalyticsUsers} {
		field := string(kind) + "s"
		days, err := s.reader.Days(ctx, kind, DayNew, p.from, p.to)
		if err != nil {
			return nil, err
		}
		for i, d := range days {
			rows[i][field] = int(d.GetCardinality())
		}
		if by == "" {
			continue
		}
		split := make([]map[string]int, n)
		for i := range split {
			split[i] = map[string]int{}
		}
		err = s.reader.FirstSeen(ctx, kind, p.from, p.to, func(f FirstSeen) error {
			split[f.Day-p.from][splitKey(by, f.Platform, f.AppVersion, f.Channel)]++
			return nil
		})
		if err != nil {
			return nil, err
		}
		for i := range rows {
			rows[i][field+"By"] = split[i]
		}
	}
	return map[string]any{"results": rows}, nil
}

func splitKey(by, platform, version, channel string) string {
	switch by {
	case "platform":
		return platform
	case "appVersion":
		return version
	}
	return channel
}

// activeReport counts the active ids: per day (DAU) and over the rolling
// 7 and 30 days ending that day (WAU and MAU, rolling), and per calendar
// week (Monday to Sunday) and calendar month (WAU and MAU, calendar; a
// period cut by from or to counts only its days in range and says so).
func (s *Service) activeReport(ctx context.Context, p *params) (map[string]any, error) {
	const window = 30
	start := p.from - window + 1
	days, err := s.reader.Days(ctx, p.of, DayActive, start, p.to)
	if err != nil {
		return nil, err
	}
	at := func(d int) *roaring.Bitmap { return days[d-start] }
	union := func(from, to int) int {
		list := make([]*roaring.Bitmap, 0, to-from+1)
		for d := max(from, start); d <= to; d++ {
			list = append(list, at(d))
		}
		return int(roaring.FastOr(list...).GetCardinality())
	}
	rows := make([]map[string]any, 0, p.to-p.from+1)
	for d := p.from; d <= p.to; d++ {
		rows = append(rows, map[string]any{"date": dateString(d), "dau": int(at(d).GetCardinality()),
			"wauRolling7d": union(d-6, d), "mauRolling30d": union(d-window+1, d)})
	}
	var weekRows, monthRows []map[string]any
	for w := weekOf(p.from); w <= weekOf(p.to); w += 7 {
		weekRows = append(weekRows, map[string]any{"week": dateString(w), "wauCalendar": union(max(w, p.from), min(w+6, p.to)),
			"partial": w < p.from || w+6 > p.to})
	}
	for m := monthOf(p.from); m <= monthOf(p.to); m = nextMonth(m) {
		end := nextMonth(m) - 1
		monthRows = append(monthRows, map[string]any{"month": dateString(m)[:7], "mauCalendar": union(max(m, p.from), min(end, p.to)),
			"partial": m < p.from || end > p.to})
	}
	return map[string]any{"of": string(p.of) + "s", "results": rows, "weeks": weekRows, "months": monthRows}, nil
}

// weekOf is the Monday starting day's calendar week (day 0, 1970-01-01,
// was a Thursday).
func weekOf(day int) int { return day - ((day+3)%7+7)%7 }

func monthOf(day int) int {
	t := core.AnalyticsDate(day)
	return int(time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC).Unix() / 86400)
}

func nextMonth(m int) int {
	t := core.AnalyticsDate(m)
	return int(time.Date(t.Year(), t.Month()+1, 1, 0, 0, 0, 0, time.UTC).Unix() / 86400)
}

// retentionReport follows each day's new ids (the cohort): day-N classic
// retention counts those active exactly N days after their first day,
// rolling (unbounded) retention those active N or more days after it, up
// to today. An N not yet reached by a cohort is left out.
func (s *Service) retentionReport(ctx context.Context, p *params) (map[string]any, error) {
	offsets := DefaultRetentionDays
	if v := p.raw["n"]; v != "" {
		offsets = nil
		for _, part := range strings.Split(v, ",") {
			n, err := strconv.Atoi(strings.TrimSpace(part))
			if err != nil || n < 1 || n > maxDays {
				return nil, badParam("n is a list of days from 1 to %d such as 1,3,7, got %q", maxDays, v)
			}
			offsets = append(offsets, n)
		}
	}
	cohorts, err := s.reader.Days(ctx, p.of, DayNew, p.from, p.to)
	if err != nil {
		return nil, err
	}
	last := max(p.today, p.to)
	var active []*roaring.Bitmap
	if p.from+1 <= last {
		if active, err = s.reader.Days(ctx, p.of, DayActive, p.from+1, last); err != nil {
			return nil, err
		}
	}
	// later[i] holds the ids active on day from+1+i or after (to today).
	later := make([]*roaring.Bitmap, len(active)+1)
	later[len(active)] = roaring.New()
	for i := len(active) - 1; i >= 0; i-- {
		later[i] = roaring.Or(active[i], later[i+1])
	}
	activeOn := func(d int) *roaring.Bitmap { return active[d-p.from-1] }
	activeFrom := func(d int) *roaring.Bitmap { return later[d-p.from-1] }
	rows := make([]map[string]any, 0, len(cohorts))
	for i, cohort := range cohorts {
		c := p.from + i
		cl, ro := map[string]int{}, map[string]int{}
		for _, n := range offsets {
			if c+n > p.today {
				continue
			}
			key := strconv.Itoa(n)
			cl[key] = int(cohort.AndCardinality(activeOn(c + n)))
			ro[key] = int(cohort.AndCardinality(activeFrom(c + n)))
		}
		rows = append(rows, map[string]any{"date": dateString(c), "cohort": int(cohort.GetCardinality()), "classic": cl, "rolling": ro})
	}
	return map[string]any{"of": string(p.of) + "s", "days": offsets, "results": rows}, nil
}

// sessionsReport splits each device's (or user's) events into sessions: a
// session ends after gap (default 30m; gap=30s for apps that send an event
// when they go to the background) without an event. A session belongs to
// the day it starts; its length is from its first event to its last.
func (s *Service) sessionsReport(ctx context.Context, p *params) (map[string]any, error) {
	gap := s.gap
	if v := p.raw["gap"]; v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return nil, badParam(`gap is a duration such as "30m" or "30s", got %q`, v)
		}
		gap = d
	}
	n := p.to - p.from + 1
	count := make([]int, n)
	total := make([]time.Duration, n)
	lengths := make([][]time.Duration, n)
	var curID string
	var start, last time.Time
	var startDay int
	closeSession := func() {
		if curID == "" {
			return
		}
		i := startDay - p.from
		l := last.Sub(start)
		count[i]++
		total[i] += l
		lengths[i] = append(lengths[i], l)
	}
	err := s.reader.Events(ctx, EventFilter{FromDay: p.from, ToDay: p.to, By: p.of}, func(ev *core.AnalyticsEvent) error {
		id := idOf(ev, p.of)
		if id != curID || ev.At.Sub(last) > gap {
			closeSession()
			curID, start, startDay = id, ev.At, ev.Day
		}
		last = ev.At
		return nil
	})
	if err != nil {
		return nil, err
	}
	closeSession()
	rows := make([]map[string]any, n)
	for i := range rows {
		avg, median := 0.0, 0.0
		if count[i] > 0 {
			avg = total[i].Seconds() / float64(count[i])
			l := lengths[i]
			sort.Slice(l, func(a, b int) bool { return l[a] < l[b] })
			median = l[len(l)/2].Seconds()
			if len(l)%2 == 0 {
				median = (l[len(l)/2-1].Seconds() + median) / 2
			}
		}
		rows[i] = map[string]any{"date": dateString(p.from + i), "sessions": count[i], "avgLengthSeconds": avg, "medianLengthSeconds": median}
	}
	return map[string]any{"of": string(p.of) + "s", "gap": gap.String(), "results": rows}, nil
}

func idOf(ev *core.AnalyticsEvent, kind core.AnalyticsIDKind) string {
	if kind == core.AnalyticsUsers {
		return ev.UserID
	}
	return ev.InstallationID
}

// eventsReport counts events: every name (name unset), or one name by
// day, platform, appVersion, channel or a dimension's top values
// (by=dimension&dimension=key), with the distinct devices and users.
func (s *Service) eventsReport(ctx context.Context, p *params) (map[string]any, error) {
	q := Count{Name: p.raw["name"], FromDay: p.from, ToDay: p.to, GroupBy: p.raw["by"], Dimension: p.raw["dimension"]}
	switch q.GroupBy {
	case "", "day", "platform", "appVersion", "channel":
	case "dimension":
		if q.Dimension == "" || len(q.Dimension) > maxNameLength || strings.ContainsAny(q.Dimension, "\"\\") {
			return nil, badParam("by=dimension needs dimension=<name> (without quotes or backslashes)")
		}
	default:
		return nil, badParam("by must be day, platform, appVersion, channel or dimension, got %q", q.GroupBy)
	}
	if q.GroupBy != "" && q.Name == "" {
		return nil, badParam("by needs name=<event>")
	}
	limit := 100
	if v := p.raw["limit"]; v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			return nil, badParam("limit is from 1 to 1000, got %q", v)
		}
		limit = n
	}
	buckets, err := s.reader.CountEvents(ctx, q)
	if err != nil {
		return nil, err
	}
	if q.GroupBy == "day" {
		for i := range buckets {
			d, _ := strconv.Atoi(buckets[i].Key)
			buckets[i].Key = dateString(d)
		}
		sort.Slice(buckets, func(a, b int) bool { return buckets[a].Key < buckets[b].Key })
	} else if len(buckets) > limit {
		buckets = buckets[:limit]
	}
	if buckets == nil {
		buckets = []Bucket{}
	}
	out := map[string]any{"results": buckets}
	if q.Name != "" {
		out["name"] = q.Name
	}
	if q.GroupBy != "" {
		out["by"] = q.GroupBy
	}
	return out, nil
}

// funnelReport counts the ids that went through steps in order, each step
// after the previous one and all within window of the first (default
// 1d). An id counts at the furthest step any of its starts reached.
func (s *Service) funnelReport(ctx context.Context, p *params) (map[string]any, error) {
	var steps []string
	for _, st := range strings.Split(p.raw["steps"], ",") {
		if st = strings.TrimSpace(st); st != "" {
			steps = append(steps, st)
		}
	}
	if len(steps) < 2 || len(steps) > maxSteps {
		return nil, badParam("steps is a comma-separated list of 2 to %d event names", maxSteps)
	}
	window := 24 * time.Hour
	if v := p.raw["window"]; v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return nil, badParam(`window is a duration such as "1h", got %q`, v)
		}
		window = d
	}
	reached := make([]int, len(steps))
	var curID string
	var evs []stepAt
	finish := func() {
		if k := furthest(evs, len(steps), window); k > 0 {
			for i := 0; i < k; i++ {
				reached[i]++
			}
		}
		evs = evs[:0]
	}
	stepIndex := map[string][]int{}
	for i, st := range steps {
		stepIndex[st] = append(stepIndex[st], i)
	}
	err := s.reader.Events(ctx, EventFilter{Names: steps, FromDay: p.from, ToDay: p.to, By: p.of}, func(ev *core.AnalyticsEvent) error {
		id := idOf(ev, p.of)
		if id != curID {
			finish()
			curID = id
		}
		evs = append(evs, stepAt{steps: stepIndex[ev.Name], at: ev.At})
		return nil
	})
	if err != nil {
		return nil, err
	}
	finish()
	rows := make([]map[string]any, len(steps))
	for i, st := range steps {
		rows[i] = map[string]any{"step": st, "count": reached[i]}
	}
	return map[string]any{"of": string(p.of) + "s", "window": window.String(), "results": rows}, nil
}

type stepAt struct {
	steps []int // the funnel steps this event's name is
	at    time.Time
}

// furthest is how many steps one id's events (in time order) complete in
// order within window, trying every event of the first step as the start.
func furthest(evs []stepAt, nsteps int, window time.Duration) int {
	best := 0
	for i, e := range evs {
		if !has(e.steps, 0) {
			continue
		}
		k := 1
		deadline := e.at.Add(window)
		for _, f := range evs[i+1:] {
			if f.at.After(deadline) {
				break
			}
			if has(f.steps, k) {
				k++
				if k == nsteps {
					break
				}
			}
		}
		best = max(best, k)
		if best == nsteps {
			break
		}
	}
	return best
}

func has(list []int, v int) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}
