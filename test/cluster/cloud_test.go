package cluster_test

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/adapters/store/postgres/pgtest"
)

// cloudVersion is a cloud-code bundle that names its version.
func cloudVersion(v int) map[string]any {
	main := fmt.Sprintf("Parse.Cloud.define('version', () => %d);\nParse.Cloud.beforeSave('Stamped', req => { req.object.set('version', %d); });\n", v, v)
	return map[string]any{"files": map[string]any{"main.js": base64.StdEncoding.EncodeToString([]byte(main))}, "encoding": "base64", "note": fmt.Sprintf("v%d", v)}
}

func (n *node) version() (float64, error) {
	status, out, _, err := n.call(http.MethodPost, "/functions/version", map[string]any{}, false, "")
	if err != nil {
		return 0, err
	}
	if status != http.StatusOK {
		return 0, fmt.Errorf("status %d: %v", status, out)
	}
	v, _ := out["result"].(float64)
	return v, nil
}

// Two `switchboard serve` processes on one PostgreSQL database: a version
// deployed (or rolled back to) on one node serves on the other with no
// restart, while both keep answering; the delay is measured.
func TestCloudCodeAcrossNodes(t *testing.T) {
	dbURL := pgtest.Fresh(t)
	env := clusterEnv(dbURL)
	n1 := startNode(t, t.TempDir(), env...)
	n2 := startNode(t, t.TempDir(), env...)

	n1.must(http.StatusCreated, http.MethodPost, "/deployments", cloudVersion(1), true, "")
	poll(t, 10*time.Second, "node 2 serving version 1", func() bool { v, err := n2.version(); return err == nil && v == 1 })

	// Callers on both nodes the whole time: none may fail.
	var stop atomic.Bool
	var calls atomic.Int64
	var mu sync.Mutex
	var failures []string
	var wg sync.WaitGroup
	for _, n := range []*node{n1, n2, n1, n2} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !stop.Load() {
				status, out, _, err := n.call(http.MethodPost, "/classes/Stamped", map[string]any{}, true, "")
				calls.Add(1)
				if err != nil || status != http.StatusCreated || out["version"] == nil {
					mu.Lock()
					failures = append(failures, fmt.Sprintf("%d %v %v", status, out, err))
					mu.Unlock()
				}
			}
		}()
	}

	var worst time.Duration
	for v := 2; v <= 4; v++ {
		from, to := n1, n2
		if v%2 == 1 {
			from, to = n2, n1
		}
		from.must(http.StatusCreated, http.MethodPost, "/deployments", cloudVersion(v), true, "")
		start := time.Now()
		// The deadline is generous (a loaded machine); the delay is logged.
		poll(t, 10*time.Second, fmt.Sprintf("the other node serving version %d", v), func() bool {
			got, err := to.version()
			return err == nil && got == float64(v)
		})
		worst = max(worst, time.Since(start))
	}
	n2.must(http.StatusOK, http.MethodPut, "/deployments/1", map[string]any{"active": true}, true, "")
	start := time.Now()
	poll(t, 10*time.Second, "node 1 rolled back to version 1", func() bool { v, err := n1.version(); return err == nil && v == 1 })
	worst = max(worst, time.Since(start))
	stop.Store(true)
	wg.Wait()
	if len(failures) > 0 {
		t.Fatalf("%d of %d requests failed during the deploys; first: %s", len(failures), calls.Load(), failures[0])
	}
	t.Logf("%d requests on two nodes during 3 deploys and a rollback, none failed; the other node served a new version after at most %s", calls.Load(), worst)
}
