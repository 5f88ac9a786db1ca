package app

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"strings"

	"github.com/switchboardhq/switchboard/core"
	"github.com/switchboardhq/switchboard/core/analytics"
	"github.com/switchboardhq/switchboard/core/config"
)

const analyticsUsage = `Usage:
  switchboard analytics report [--days N] [--to YYYY-MM-DD] [--config FILE] [--dir DATA_DIR]

report reads the analytics of the store serve uses (the same --config, --dir
and SWITCHBOARD_* settings) and prints the morning numbers for the last N
days (default 30) to today, or to --to, in the app's analytics time zone:
active devices and users (daily, rolling 7 and 30 days), new devices and
users, day-1/7/30 retention, and the count of each custom event, with small
text charts. It needs analytics.provider: store.
`

// analyticsCommand runs "switchboard analytics ...".
func analyticsCommand(ctx context.Context, args, environ []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] != "report" {
		if len(args) > 0 && (args[0] == "help" || args[0] == "-h" || args[0] == "--help") {
			fmt.Fprint(stdout, analyticsUsage)
			return exitOK
		}
		fmt.Fprint(stderr, analyticsUsage)
		return exitUsage
	}
	fset := flag.NewFlagSet("analytics report", flag.ContinueOnError)
	fset.SetOutput(stderr)
	fset.Usage = func() { fmt.Fprint(stderr, analyticsUsage) }
	fset.String("config", "", "YAML configuration file")
	fset.String("dir", "", "data folder")
	days := fset.Int("days", 30, "days to report, ending today (or --to)")
	to := fset.String("to", "", "last day to report, YYYY-MM-DD (default today)")
	if err := fset.Parse(args[1:]); err != nil {
		return exitUsage
	}
	if fset.NArg() > 0 {
		fmt.Fprintf(stderr, "switchboard analytics report: unexpected argument %q\n", fset.Arg(0))
		return exitUsage
	}
	// The rest is the configuration every command reads.
	var common []string
	fset.Visit(func(f *flag.Flag) {
		if f.Name == "config" || f.Name == "dir" {
			common = append(common, "--"+f.Name, f.Value.String())
		}
	})
	cfg, _, code := commandConfig("analytics report", common, environ, stderr, "(not needed to report)")
	if cfg == nil {
		return code
	}
	slog.SetDefault(newLogger(cfg, stderr))
	params := map[string]any{"days": strconv.Itoa(*days)}
	if *to != "" {
		params["to"] = *to
	}
	if err := analyticsReport(ctx, cfg, params, stdout); err != nil {
		fmt.Fprintf(stderr, "switchboard analytics report: %v\n", err)
		return exitFailure
	}
	return exitOK
}

// analyticsReport opens the store and the analytics sink over it, and
// prints the report.
func analyticsReport(ctx context.Context, cfg *config.Config, params map[string]any, out io.Writer) error {
	if cfg.Analytics.Provider == config.AnalyticsOff {
		return fmt.Errorf("analytics.provider is none: no events are kept")
	}
	if err := os.MkdirAll(cfg.Dir, 0o700); err != nil {
		return fmt.Errorf("creating data folder: %w", err)
	}
	opts := cfg.CoreOptions()
	w := &wiring{cfg: cfg, log: slog.Default(), opts: &opts}
	for _, k := range providerKinds {
		if k.name == "store" {
			if err := k.open(ctx, w); err != nil {
				return err
			}
		}
	}
	defer w.close(true)
	ing, svc, closeSink, err := openAnalytics(ctx, cfg, slog.Default(), w.store, nil)
	if err != nil {
		return err
	}
	defer closeSink()
	defer ing.Close(ctx)
	get := func(report string, extra map[string]any) (map[string]any, error) {
		p := map[string]any{}
		for k, v := range params {
			p[k] = v
		}
		for k, v := range extra {
			p[k] = v
		}
		return svc.Report(ctx, core.MasterAuth(), report, p)
	}
	fresh, err := get("new", nil)
	if err != nil {
		return err
	}
	rows := fresh["results"].([]map[string]any)
	fmt.Fprintf(out, "Switchboard analytics: %s to %s (%d days, %s)\n", fresh["from"], fresh["to"], len(rows), fresh["timezone"])
	for _, of := range []string{"devices", "users"} {
		act, err := get("active", map[string]any{"of": of})
		if err != nil {
			return err
		}
		days := act["results"].([]map[string]any)
		last := days[len(days)-1]
		fmt.Fprintf(out, "\nActive %s   on %s: %d today, %d over 7 days, %d over 30 days (rolling)\n", of, last["date"],
			last["dau"], last["wauRolling7d"], last["mauRolling30d"])
		fmt.Fprintf(out, "  daily  %s\n", chart(column(days, "dau")))
		fmt.Fprintf(out, "  new    %s  total %d\n", chart(column(rows, of)), sum(column(rows, of)))
		ret, err := get("retention", map[string]any{"of": of, "n": "1,7,30"})
		if err != nil {
			return err
		}
		var parts []string
		for _, n := range []string{"1", "7", "30"} {
			cohort, kept := 0, 0
			for _, r := range ret["results"].([]map[string]any) {
				if v, ok := r["classic"].(map[string]int)[n]; ok {
					cohort += r["cohort"].(int)
					kept += v
				}
			}
			if cohort > 0 {
				parts = append(parts, fmt.Sprintf("day %s %.1f%%", n, 100*float64(kept)/float64(cohort)))
			}
		}
		if len(parts) > 0 {
			fmt.Fprintf(out, "  retention (classic, over the cohorts that reached it): %s\n", strings.Join(parts, ", "))
		}
	}
	evs, err := get("events", nil)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "\nEvents (count, devices, users)\n")
	buckets := evs["results"].([]analytics.Bucket)
	if len(buckets) == 0 {
		fmt.Fprintln(out, "  none")
	}
	width := 0
	for _, b := range buckets {
		width = max(width, len(b.Key))
	}
	for _, b := range buckets {
		fmt.Fprintf(out, "  %-*s %-20s %d, %d, %d\n", width, b.Key, bar(b.Count, buckets[0].Count, 20), b.Count, b.Devices, b.Users)
	}
	return nil
}

func column(rows []map[string]any, field string) []int {
	out := make([]int, len(rows))
	for i, r := range rows {
		out[i], _ = r[field].(int)
	}
	return out
}

func sum(v []int) int {
	t := 0
	for _, x := range v {
		t += x
	}
	return t
}

// chart draws values as a line of eighth blocks, scaled to the largest.
func chart(values []int) string {
	const levels = "▁▂▃▄▅▆▇█"
	blocks := []rune(levels)
	top := 0
	for _, v := range values {
		top = max(top, v)
	}
	var b strings.Builder
	for _, v := range values {
		if top == 0 || v == 0 {
			b.WriteRune(' ')
			continue
		}
		b.WriteRune(blocks[min(len(blocks)-1, v*len(blocks)/(top+1))])
	}
	return fmt.Sprintf("%s  max %d", b.String(), top)
}

// bar draws v against top as up to width full blocks.
func bar(v, top int64, width int) string {
	if top <= 0 {
		return ""
	}
	n := int(v * int64(width) / top)
	if n == 0 && v > 0 {
		n = 1
	}
	return strings.Repeat("█", n)
}
