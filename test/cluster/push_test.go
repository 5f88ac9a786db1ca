package cluster_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/adapters/push/builtin/builtinclient"
	"github.com/switchboardhq/switchboard/adapters/push/jpush/jpushfake"
	"github.com/switchboardhq/switchboard/adapters/store/postgres"
	"github.com/switchboardhq/switchboard/adapters/store/postgres/pgtest"
	"github.com/switchboardhq/switchboard/core"
)

// pushEnv is what the nodes of a push test run with: the cluster's
// database, JPush at the fake (the values quoted, so that YAML reads them
// as strings), the built-in channel for the other devices, and a short
// lease so that a push lost with its node resumes within the test.
func pushEnv(dbURL string, fake *jpushfake.Server) []string {
	opts := fake.Options()
	return append(clusterEnv(dbURL),
		fmt.Sprintf("SWITCHBOARD_PUSH__JPUSH__APP_KEY=%q", opts["appKey"]),
		fmt.Sprintf("SWITCHBOARD_PUSH__JPUSH__MASTER_SECRET=%q", opts["masterSecret"]),
		fmt.Sprintf("SWITCHBOARD_PUSH__JPUSH__ENDPOINT=%q", opts["endpoint"]),
		"SWITCHBOARD_PUSH__BUILTIN__PING_INTERVAL=5s",
		"SWITCHBOARD_PUSH__ROUTES=pushType=jpush provider=jpush,provider=builtin",
		"SWITCHBOARD_PUSH__RESUME_AFTER=3s",
	)
}

// jpushDevices saves n JPush installations through n and returns their
// registration ids by objectId.
func jpushDevices(t *testing.T, n *node, fake *jpushfake.Server, count int) map[string]string {
	t.Helper()
	for i := 0; i < count; i += 50 {
		var reqs []any
		for k := i; k < min(i+50, count); k++ {
			reqs = append(reqs, map[string]any{"method": "POST", "path": "/parse/installations", "body": map[string]any{
				"installationId": fmt.Sprintf("dev-%06d", k), "deviceType": "android", "pushType": "jpush", "registrationId": fake.RegistrationID(k)}})
		}
		postBatch(t, n, reqs)
	}
	byID := map[string]string{}
	for skip := 0; ; skip += 1000 {
		out := n.must(http.StatusOK, http.MethodGet, fmt.Sprintf("/installations?limit=1000&skip=%d&keys=registrationId&order=objectId", skip), nil, true, "")
		rows := out["results"].([]any)
		for _, r := range rows {
			m := r.(map[string]any)
			if rid, ok := m["registrationId"].(string); ok {
				byID[m["objectId"].(string)] = rid
			}
		}
		if len(rows) < 1000 {
			break
		}
	}
	if len(byID) != count {
		t.Fatalf("%d installations saved, want %d", len(byID), count)
	}
	return byID
}

// postBatch sends one /batch with the master key; its answer is an
// array, which node.call does not read.
func postBatch(t *testing.T, n *node, reqs []any) {
	t.Helper()
	b, _ := json.Marshal(map[string]any{"requests": reqs})
	req, _ := http.NewRequest(http.MethodPost, n.base+"/batch", bytes.NewReader(b))
	req.Header.Set("X-Parse-Application-Id", appID)
	req.Header.Set("X-Parse-Master-Key", masterKey)
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || bytes.Contains(raw, []byte(`"error"`)) {
		t.Fatalf("batch: %d %s", resp.StatusCode, raw)
	}
}

// receipts counts what the fake received per registration id, for the push
// whose alert is alert.
func receipts(fake *jpushfake.Server, alert string) map[string]int {
	out := map[string]int{}
	for _, r := range fake.Received() {
		if r.Alert == alert {
			out[r.Token]++
		}
	}
	return out
}

func waitPush(t *testing.T, n *node, id string, within time.Duration) map[string]any {
	t.Helper()
	var st map[string]any
	poll(t, within, "push "+id+" to finish", func() bool {
		_, out, _, err := n.call(http.MethodGet, "/classes/_PushStatus/"+id, nil, true, "")
		st = out
		return err == nil && (out["status"] == "succeeded" || out["status"] == "failed")
	})
	return st
}

func sendPush(t *testing.T, n *node, body map[string]any) string {
	t.Helper()
	status, out, hdr, err := n.call(http.MethodPost, "/push", body, true, "")
	if err != nil || status != http.StatusOK || hdr.Get("X-Parse-Push-Status-Id") == "" {
		t.Fatalf("POST /push: %d %v %v", status, out, err)
	}
	return hdr.Get("X-Parse-Push-Status-Id")
}

// A push scheduled 2 seconds ahead, while two nodes run on one database,
// reaches every device exactly once, after its time; a device connected
// to either node gets its built-in message whichever node sends the push.
func TestPushAcrossNodes(t *testing.T) {
	fake := jpushfake.New(t)
	env := pushEnv(pgtest.Fresh(t), fake)
	n1 := startNode(t, t.TempDir(), env...)
	n2 := startNode(t, t.TempDir(), env...)
	const count = 300
	byID := jpushDevices(t, n1, fake, count)
	for _, id := range []string{"ws-on-1", "ws-on-2"} {
		n1.must(http.StatusCreated, http.MethodPost, "/installations", map[string]any{"installationId": id, "deviceType": "embedded"}, true, "")
	}
	ctx := context.Background()
	d1, err := builtinclient.Dial(ctx, n1.base, builtinclient.Credentials{ApplicationID: appID, InstallationID: "ws-on-1"})
	if err != nil {
		t.Fatal(err)
	}
	defer d1.Close()
	d2, err := builtinclient.Dial(ctx, n2.base, builtinclient.Credentials{ApplicationID: appID, InstallationID: "ws-on-2"})
	if err != nil {
		t.Fatal(err)
	}
	defer d2.Close()

	at := time.Now().Add(2 * time.Second)
	id := sendPush(t, n1, map[string]any{"where": map[string]any{}, "push_time": at.UTC().Format(time.RFC3339Nano), "data": map[string]any{"alert": "scheduled"}})
	if st := n2.must(http.StatusOK, http.MethodGet, "/classes/_PushStatus/"+id, nil, true, ""); st["status"] != "scheduled" {
		t.Fatalf("status %v right after sending", st)
	}
	for name, d := range map[string]*builtinclient.Device{"node 1": d1, "node 2": d2} {
		wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		m, err := d.Next(wctx)
		cancel()
		if err != nil || m.PushID != id {
			t.Fatalf("the device on %s: %+v %v", name, m, err)
		}
		if time.Now().Before(at) {
			t.Fatalf("the device on %s got the push before its time", name)
		}
	}
	st := waitPush(t, n2, id, 60*time.Second)
	if st["status"] != "succeeded" || st["numSent"] != float64(count+2) || st["numFailed"] != float64(0) {
		t.Fatalf("status %v", st)
	}
	got := receipts(fake, "scheduled")
	for _, rid := range byID {
		if got[rid] != 1 {
			t.Fatalf("device %s received the push %d times, want once (%d devices reached)", rid, got[rid], len(got))
		}
	}
	if len(got) != count {
		t.Fatalf("%d devices reached, want %d", len(got), count)
	}
}

// kill -9 of the node running a push: another node resumes it from its
// last checkpoint once the lease runs out. Every device gets the push, and
// the devices the stored checkpoint had done before the kill are not sent
// it again.
func TestPushResumesAfterKill(t *testing.T) {
	fake := jpushfake.New(t)
	dbURL := pgtest.Fresh(t)
	env := pushEnv(dbURL, fake)
	n1 := startNode(t, t.TempDir(), env...)
	const count = 6000
	byID := jpushDevices(t, n1, fake, count)
	fake.RateLimit(1) // one batch of 1000 a second: the push takes seconds

	id := sendPush(t, n1, map[string]any{"where": map[string]any{}, "data": map[string]any{"alert": "resumed"}})
	poll(t, 60*time.Second, "the push to be under way", func() bool {
		_, st, _, err := n1.call(http.MethodGet, "/classes/_PushStatus/"+id, nil, true, "")
		return err == nil && st["numSent"].(float64) >= 2000
	})
	done := checkpointDone(t, dbURL, id)
	n1.kill()
	if len(done) == 0 {
		t.Fatal("no checkpoint was stored before the kill")
	}

	n2 := startNode(t, t.TempDir(), env...)
	st := waitPush(t, n2, id, 120*time.Second)
	if st["status"] != "succeeded" || st["numSent"] != float64(count) {
		t.Fatalf("status %v", st)
	}
	got := receipts(fake, "resumed")
	twice := 0
	for objectID, rid := range byID {
		switch {
		case got[rid] == 0:
			t.Fatalf("device %s never got the push", objectID)
		case done[objectID] && got[rid] != 1:
			t.Fatalf("device %s was done by the checkpoint before the kill and got the push %d times", objectID, got[rid])
		case got[rid] > 1:
			twice++
		}
	}
	t.Logf("%d devices done by the checkpoint before the kill were not sent again; %d in flight at the kill were sent twice", len(done), twice)
}

// checkpointDone reads the push's stored checkpoint from the database (it
// is internal: the API never returns it) and returns the devices it has
// done: every id up to its cursor, and those it lists.
func checkpointDone(t *testing.T, dbURL, id string) map[string]bool {
	t.Helper()
	st, err := postgres.Open(context.Background(), core.StoreConfig{URL: dbURL})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	classes, err := st.Schemas(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var statusClass, instClass *core.Class
	for _, c := range classes {
		switch c.Name {
		case "_PushStatus":
			statusClass = c
		case "_Installation":
			instClass = c
		}
	}
	rows, err := st.Find(context.Background(), statusClass, &core.Query{Where: core.Cmp{Field: core.FieldObjectID, Op: core.OpEq, Value: id}, Limit: 1})
	if err != nil || len(rows) != 1 {
		t.Fatalf("reading the push: %v %v", rows, err)
	}
	run, _ := rows[0]["_run"].(map[string]any)
	cp, _ := run["checkpoint"].(map[string]any)
	cursor, _ := cp["cursor"].(string)
	done := map[string]bool{}
	if cursor != "" {
		devs, err := st.Find(context.Background(), instClass, &core.Query{Where: core.Cmp{Field: core.FieldObjectID, Op: core.OpLte, Value: cursor}, Limit: -1, Keys: []string{"installationId"}})
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range devs {
			done[d.ID()] = true
		}
	}
	if list, ok := cp["done"].([]any); ok {
		for _, v := range list {
			done[v.(string)] = true
		}
	}
	return done
}
