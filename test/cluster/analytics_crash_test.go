package cluster_test

import (
	"fmt"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/adapters/store/postgres/pgtest"
)

// analyticsFlush is the flush interval the crash test runs with: the
// documented durability window is this plus the batch being written.
const analyticsFlush = 200 * time.Millisecond

// analyticsSlack is what the test allows beyond the flush interval for
// the write in flight on a loaded machine; it bounds the losses, it does
// not time anything.
const analyticsSlack = 2 * time.Second

// TestCrashLosesOnlyTheAnalyticsWindow sends analytics events one after
// another to a real server, kills it with SIGKILL, starts it again and
// reads the events back: the events lost are the last ones accepted
// (never one in the middle), all accepted within the durability window
// before the kill. Three rounds on each store.
func TestCrashLosesOnlyTheAnalyticsWindow(t *testing.T) {
	env := []string{"SWITCHBOARD_ANALYTICS__FLUSH_INTERVAL=" + analyticsFlush.String()}
	t.Run("sqlite", func(t *testing.T) { runAnalyticsCrash(t, t.TempDir(), env...) })
	t.Run("postgres", func(t *testing.T) {
		runAnalyticsCrash(t, t.TempDir(), append(env, "SWITCHBOARD_DATABASE_URL="+pgtest.Fresh(t))...)
	})
}

func runAnalyticsCrash(t *testing.T, dir string, env ...string) {
	n := startNode(t, dir, env...)
	for round := range 3 {
		name := fmt.Sprintf("tick%d", round)
		var acked []time.Time // acked[seq] is when event seq was answered
		// Paced at about 300 a second for 1.5s, so that several flushes
		// happen before the kill.
		for seq := 0; seq < 1000; seq++ {
			status, body, _, err := n.call(http.MethodPost, "/events/"+name, map[string]any{"dimensions": map[string]any{"seq": strconv.Itoa(seq)}}, false, "")
			if err != nil || status != http.StatusOK {
				t.Fatalf("event %d: %d %v %v", seq, status, body, err)
			}
			acked = append(acked, time.Now())
			if time.Since(acked[0]) > 1500*time.Millisecond {
				break
			}
			time.Sleep(3 * time.Millisecond)
		}
		killedAt := time.Now()
		n.kill()
		n = startNode(t, dir, env...)
		_, rep, _, err := n.call(http.MethodGet, "/analytics/events?name="+name+"&by=dimension&dimension=seq&limit=1000&days=2", nil, true, "")
		if err != nil {
			t.Fatal(err)
		}
		kept := map[int]bool{}
		for _, b := range rep["results"].([]any) {
			seq, _ := strconv.Atoi(b.(map[string]any)["key"].(string))
			kept[seq] = true
		}
		firstLost := len(acked)
		for seq := range acked {
			if !kept[seq] {
				firstLost = seq
				break
			}
		}
		for seq := firstLost; seq < len(acked); seq++ {
			if kept[seq] {
				t.Fatalf("round %d: event %d was lost but the later event %d was kept", round, firstLost, seq)
			}
		}
		lost := len(acked) - firstLost
		if lost > 0 {
			if age := killedAt.Sub(acked[firstLost]); age > analyticsFlush+analyticsSlack {
				t.Fatalf("round %d: event %d, accepted %s before the kill, was lost: outside the window", round, firstLost, age)
			}
		}
		t.Logf("round %d: %d events accepted, %d lost (the last %s before the kill)", round, len(acked), lost, lostSpan(acked, firstLost, killedAt))
	}
}

func lostSpan(acked []time.Time, firstLost int, killedAt time.Time) time.Duration {
	if firstLost >= len(acked) {
		return 0
	}
	return killedAt.Sub(acked[firstLost]).Round(time.Millisecond)
}
