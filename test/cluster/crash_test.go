package cluster_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/switchboardhq/switchboard/adapters/store/postgres/pgtest"
)

// crashRounds is how many times each store's server is killed.
const crashRounds = 10

// TestCrashKeepsAcknowledgedWrites sends a stream of creates to a real
// server process, kills it with SIGKILL while requests are in flight,
// starts it again on the same data, and checks that every create that was
// answered 201 is there: an acknowledged write survives a crash of the
// process. Ten rounds on each store.
func TestCrashKeepsAcknowledgedWrites(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) {
		runCrashRounds(t, t.TempDir())
	})
	t.Run("postgres", func(t *testing.T) {
		runCrashRounds(t, t.TempDir(), "SWITCHBOARD_DATABASE_URL="+pgtest.Fresh(t))
	})
}

func runCrashRounds(t *testing.T, dir string, env ...string) {
	n := startNode(t, dir, env...)
	n.must(http.StatusOK, http.MethodPost, "/schemas/Item", map[string]any{"fields": map[string]any{
		"round": map[string]any{"type": "Number"}, "seq": map[string]any{"type": "Number"}}}, true, "")
	total := 0
	for round := range crashRounds {
		acked := writeUntilKilled(t, n, round)
		n = startNode(t, dir, env...)
		missing := missingIDs(t, n, acked)
		if len(missing) > 0 {
			t.Fatalf("round %d: %d of %d acknowledged creates are gone after the crash: %v", round, len(missing), len(acked), missing)
		}
		total += len(acked)
	}
	t.Logf("%d acknowledged creates survived %d kills", total, crashRounds)
}

// writeUntilKilled runs 8 writers against n, kills n once 100 creates were
// acknowledged (so that others are in flight), and returns the objectIds
// of the creates answered 201.
func writeUntilKilled(t *testing.T, n *node, round int) []string {
	t.Helper()
	var (
		mu     sync.Mutex
		acked  []string
		count  atomic.Int64
		killed = make(chan struct{})
		once   sync.Once
		wg     sync.WaitGroup
	)
	for w := range 8 {
		wg.Go(func() {
			for seq := 0; ; seq++ {
				select {
				case <-killed:
					return
				default:
				}
				status, out, _, err := n.call(http.MethodPost, "/classes/Item", map[string]any{"round": round, "seq": w*100000 + seq}, false, "")
				if err != nil || status != http.StatusCreated {
					continue // refused or cut by the kill: not acknowledged
				}
				mu.Lock()
				acked = append(acked, out["objectId"].(string))
				mu.Unlock()
				if count.Add(1) == 100 {
					once.Do(func() {
						n.kill()
						close(killed)
					})
				}
			}
		})
	}
	wg.Wait()
	return acked
}

// missingIDs returns the ids that n cannot find.
func missingIDs(t *testing.T, n *node, ids []string) []string {
	t.Helper()
	found := map[string]bool{}
	for start := 0; start < len(ids); start += 500 {
		batch := ids[start:min(start+500, len(ids))]
		in := make([]any, len(batch))
		for i, id := range batch {
			in[i] = id
		}
		// The JS SDK's envelope: a POST that is a GET, so the ids travel
		// in the body rather than the URL.
		where, _ := json.Marshal(map[string]any{"objectId": map[string]any{"$in": in}})
		out := n.must(http.StatusOK, http.MethodPost, "/classes/Item", map[string]any{
			"_method": "GET", "where": json.RawMessage(where), "limit": 1000, "keys": "objectId",
		}, true, "")
		for _, r := range out["results"].([]any) {
			found[r.(map[string]any)["objectId"].(string)] = true
		}
	}
	var missing []string
	for _, id := range ids {
		if !found[id] {
			missing = append(missing, id)
		}
	}
	if len(missing) > 10 {
		missing = append(missing[:10], fmt.Sprintf("… (%d more)", len(missing)-10))
	}
	return missing
}
