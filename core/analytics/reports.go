package analytics

import (
	"context"
	"sort"
	"strconv"
	"strings"
	"time"

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
		rows[i] = map[string]any{"date": dateString(p.from + i), "devices": 0, "users": 0}
	}
	for _, kind := range []core.AnalyticsIDKind{core.AnalyticsDevices, core.AnalyticsUsers} {
		field := string(kind) + "s"
		counts := make([]int, n)
		split := make([]map[string]int, n)
		err := s.reader.FirstSeen(ctx, kind, p.from, p.to, func(f core.AnalyticsFirstSeen) error {
			i := f.Day - p.from
			counts[i]++
			if by != "" {
				if split[i] == nil {
					split[i] = map[string]int{}
				}
				split[i][splitKey(by, f.Platform, f.AppVersion, f.Channel)]++
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		for i := range rows {
			rows[i][field] = counts[i]
			if by != "" {
				if split[i] == nil {
					split[i] = map[string]int{}
				}
				rows[i][field+"By"] = split[i]
			}
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
	n := p.to - start + 1
	dau := make([]int, n)
	// lastCount[i] is how many ids were last seen (so far) on day start+i:
	// the ids active in a window ending at day d are the ids whose last
	// active day so far is in it.
	lastCount := make([]int, n)
	last := map[string]int{}
	weeks, months := map[int]int{}, map[int]int{}
	lastWeek, lastMonth := map[string]int{}, map[string]int{}
	rolling := make([][2]int, p.to-p.from+1)
	day := start
	closeDays := func(upTo int) { // days before upTo are complete
		for ; day < upTo; day++ {
			if day >= p.from {
				i := day - start
				w7, w30 := 0, 0
				for j := max(0, i-window+1); j <= i; j++ {
					w30 += lastCount[j]
					if j > i-7 {
						w7 += lastCount[j]
					}
				}
				rolling[day-p.from] = [2]int{w7, w30}
			}
		}
	}
	err := s.reader.Active(ctx, p.of, start, p.to, func(d int, id string) error {
		closeDays(d)
		i := d - start
		dau[i]++
		if prev, ok := last[id]; ok {
			lastCount[prev-start]--
		}
		last[id] = d
		lastCount[i]++
		if d >= p.from {
			if w := weekOf(d); lastWeek[id] != w+1 {
				lastWeek[id] = w + 1
				weeks[w]++
			}
			if m := monthOf(d); lastMonth[id] != m+1 {
				lastMonth[id] = m + 1
				months[m]++
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	closeDays(p.to + 1)
	rows := make([]map[string]any, 0, p.to-p.from+1)
	for d := p.from; d <= p.to; d++ {
		r := rolling[d-p.from]
		rows = append(rows, map[string]any{"date": dateString(d), "dau": dau[d-start], "wauRolling7d": r[0], "mauRolling30d": r[1]})
	}
	var weekRows, monthRows []map[string]any
	for w := weekOf(p.from); w <= weekOf(p.to); w += 7 {
		weekRows = append(weekRows, map[string]any{"week": dateString(w), "wauCalendar": weeks[w], "partial": w < p.from || w+6 > p.to})
	}
	for m := monthOf(p.from); m <= monthOf(p.to); m = nextMonth(m) {
		monthRows = append(monthRows, map[string]any{"month": dateString(m)[:7], "mauCalendar": months[m],
			"partial": m < p.from || nextMonth(m)-1 > p.to})
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
	cohortOf := map[string]int{}
	size := make([]int, p.to-p.from+1)
	if err := s.reader.FirstSeen(ctx, p.of, p.from, p.to, func(f core.AnalyticsFirstSeen) error {
		cohortOf[f.ID] = f.Day
		size[f.Day-p.from]++
		return nil
	}); err != nil {
		return nil, err
	}
	want := map[int]bool{}
	for _, n := range offsets {
		want[n] = true
	}
	classic := make([]map[int]int, len(size))
	lastActive := map[string]int{}
	if len(cohortOf) > 0 {
		if err := s.reader.Active(ctx, p.of, p.from+1, p.today, func(d int, id string) error {
			c, ok := cohortOf[id]
			if !ok || d <= c {
				return nil
			}
			if want[d-c] {
				if classic[c-p.from] == nil {
					classic[c-p.from] = map[int]int{}
				}
				classic[c-p.from][d-c]++
			}
			lastActive[id] = d // days come in order
			return nil
		}); err != nil {
			return nil, err
		}
	}
	rollingAt := make([][]int, len(size)) // ids by days from their cohort to their last activity
	for id, d := range lastActive {
		c := cohortOf[id]
		if rollingAt[c-p.from] == nil {
			rollingAt[c-p.from] = make([]int, 0, 8)
		}
		rollingAt[c-p.from] = append(rollingAt[c-p.from], d-c)
	}
	rows := make([]map[string]any, 0, len(size))
	for i := range size {
		c := p.from + i
		cl, ro := map[string]int{}, map[string]int{}
		for _, n := range offsets {
			if c+n > p.today {
				continue
			}
			cl[strconv.Itoa(n)] = classic[i][n]
			k := 0
			for _, gap := range rollingAt[i] {
				if gap >= n {
					k++
				}
			}
			ro[strconv.Itoa(n)] = k
		}
		rows = append(rows, map[string]any{"date": dateString(c), "cohort": size[i], "classic": cl, "rolling": ro})
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
	err := s.reader.Events(ctx, core.AnalyticsEventFilter{FromDay: p.from, ToDay: p.to, By: p.of}, func(ev *core.AnalyticsEvent) error {
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
	q := core.AnalyticsCount{Name: p.raw["name"], FromDay: p.from, ToDay: p.to, GroupBy: p.raw["by"], Dimension: p.raw["dimension"]}
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
		buckets = []core.AnalyticsBucket{}
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
	err := s.reader.Events(ctx, core.AnalyticsEventFilter{Names: steps, FromDay: p.from, ToDay: p.to, By: p.of}, func(ev *core.AnalyticsEvent) error {
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
