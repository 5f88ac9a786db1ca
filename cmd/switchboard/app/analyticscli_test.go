package app

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	_ "github.com/switchboardhq/switchboard/adapters/analytics/store"
	"github.com/switchboardhq/switchboard/core"
	"github.com/switchboardhq/switchboard/core/config"
)

// The report command reads what the server's sink wrote in the same data
// folder and prints the numbers with charts.
func TestAnalyticsReportCommand(t *testing.T) {
	dir := t.TempDir()
	cfg := config.Default()
	cfg.Dir, cfg.MasterKey = dir, "mk"
	opts := cfg.CoreOptions()
	w := &wiring{cfg: cfg, log: slog.Default(), opts: &opts}
	for _, k := range providerKinds {
		if k.name == "store" {
			if err := k.open(t.Context(), w); err != nil {
				t.Fatal(err)
			}
		}
	}
	ing, _, closeSink, err := openAnalytics(t.Context(), cfg, slog.Default(), w.store, nil)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	for i, dev := range []string{"a", "b", "c"} {
		for range i + 1 {
			if err := ing.Add(core.AnalyticsEvent{Name: "search", At: now, InstallationID: dev, UserID: "u" + dev}); err != nil {
				t.Fatal(err)
			}
		}
		if err := ing.Add(core.AnalyticsEvent{Name: "AppOpened", At: now.Add(-20 * time.Hour), InstallationID: dev}); err != nil {
			t.Fatal(err)
		}
	}
	if err := ing.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	closeSink()
	w.close(true)

	var out, errOut bytes.Buffer
	env := []string{"SWITCHBOARD_MASTER_KEY=mk"}
	if code := Run(t.Context(), []string{"analytics", "report", "--days", "7", "--dir", dir}, env, &out, &errOut); code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	report := out.String()
	for _, want := range []string{"(7 days, UTC)", "Active devices", "3 today", "3 over 7 days", "Active users", "search", "6, 3, 3", "AppOpened", "3, 3, 0", "total 3", "█"} {
		if !strings.Contains(report, want) {
			t.Errorf("the report lacks %q:\n%s", want, report)
		}
	}
	if code := Run(t.Context(), []string{"analytics", "report", "--days", "0", "--dir", dir}, env, &out, &errOut); code != exitFailure {
		t.Errorf("--days 0: exit %d, want %d", code, exitFailure)
	}
	if code := Run(t.Context(), []string{"analytics"}, env, &out, &errOut); code != exitUsage {
		t.Errorf("no subcommand: exit %d, want %d", code, exitUsage)
	}
}
