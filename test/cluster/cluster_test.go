package cluster_test

import (
	"fmt"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/adapters/store/postgres/pgtest"
)

// clusterEnv is what both nodes of a test cluster run with: one PostgreSQL
// schema, and a short job timeout and rescue interval
// so that a job lost with its node is run again within the test.
func clusterEnv(dbURL string) []string {
	return []string{
		"SWITCHBOARD_DATABASE_URL=" + dbURL,
		"SWITCHBOARD_JOBS__RIVER__JOB_TIMEOUT=5s",
		"SWITCHBOARD_JOBS__RIVER__RESCUE_AFTER=6s",
		"SWITCHBOARD_JOBS__RIVER__POLL_INTERVAL=200ms",
	}
}

// invalidation is how long a node may take to see another node's change
// in the tests below. It is under the session and role cache TTL (10s), so
// a test passes only if the change was announced, not merely expired.
const invalidation = 8 * time.Second

// Two real `switchboard serve` processes on one PostgreSQL database.
func TestTwoNodes(t *testing.T) {
	dbURL := pgtest.Fresh(t)
	env := clusterEnv(dbURL)
	n1 := startNode(t, t.TempDir(), env...)
	n2 := startNode(t, t.TempDir(), env...)
	pointer := func(class, id string) map[string]any {
		return map[string]any{"__type": "Pointer", "className": class, "objectId": id}
	}

	t.Run("SchemaChangeServedByOtherNode", func(t *testing.T) {
		// Without the master key a client may only write to classes that
		// exist (allowClientClassCreation is off): node 2 accepts the
		// write only once it knows the class node 1 created.
		n1.must(200, http.MethodPost, "/schemas/Thing", map[string]any{"fields": map[string]any{"title": map[string]any{"type": "String"}}}, true, "")
		poll(t, invalidation, "node 2 accepting writes to the class node 1 created", func() bool {
			status, _, _, err := n2.call(http.MethodPost, "/classes/Thing", map[string]any{"title": "from node 2"}, false, "")
			return err == nil && status == http.StatusCreated
		})
		// A field added on node 1 is typed on node 2: a wrong type is 111.
		n1.must(200, http.MethodPut, "/schemas/Thing", map[string]any{"fields": map[string]any{"count": map[string]any{"type": "Number"}}}, true, "")
		poll(t, invalidation, "node 2 enforcing the type of the field node 1 added", func() bool {
			_, out, _, err := n2.call(http.MethodPost, "/classes/Thing", map[string]any{"count": "not a number"}, true, "")
			return err == nil && out["code"] == 111.0
		})
	})

	t.Run("RoleChangeEnforcedByOtherNode", func(t *testing.T) {
		user := n1.must(http.StatusCreated, http.MethodPost, "/users", map[string]any{"username": "ann", "password": "pw"}, false, "")
		token, userID := user["sessionToken"].(string), user["objectId"].(string)
		role := n1.must(http.StatusCreated, http.MethodPost, "/roles", map[string]any{
			"name": "members", "ACL": map[string]any{"*": map[string]any{"read": true}},
			"users": map[string]any{"__op": "AddRelation", "objects": []any{pointer("_User", userID)}},
		}, true, "")
		doc := n1.must(http.StatusCreated, http.MethodPost, "/classes/Doc", map[string]any{
			"text": "members only", "ACL": map[string]any{"role:members": map[string]any{"read": true}},
		}, true, "")
		docPath := "/classes/Doc/" + doc["objectId"].(string)
		// Node 2 serves it to the member, and caches her roles.
		poll(t, invalidation, "node 2 serving the document to a member", func() bool {
			status, _, _, err := n2.call(http.MethodGet, docPath, nil, false, token)
			return err == nil && status == http.StatusOK
		})
		n2.must(http.StatusOK, http.MethodGet, docPath, nil, false, token)

		n1.must(http.StatusOK, http.MethodPut, "/roles/"+role["objectId"].(string), map[string]any{
			"users": map[string]any{"__op": "RemoveRelation", "objects": []any{pointer("_User", userID)}},
		}, true, "")
		poll(t, invalidation, "node 2 refusing the document once she left the role", func() bool {
			status, out, _, err := n2.call(http.MethodGet, docPath, nil, false, token)
			return err == nil && status == http.StatusNotFound && out["code"] == 101.0
		})

		// Logging out on node 1 ends the session on node 2.
		n1.must(http.StatusOK, http.MethodPost, "/logout", map[string]any{}, false, token)
		poll(t, invalidation, "node 2 refusing the logged-out session", func() bool {
			_, out, _, err := n2.call(http.MethodGet, "/users/me", nil, false, token)
			return err == nil && out["code"] == 209.0
		})
	})

	// Hole 10 of issue 8: a purge of _Role or _Session on one node ends the
	// purged roles and sessions on the other at once, not when its cache
	// entries expire.
	t.Run("PurgeEndsRolesAndSessionsOnOtherNode", func(t *testing.T) {
		user := n1.must(http.StatusCreated, http.MethodPost, "/users", map[string]any{"username": "bo", "password": "pw"}, false, "")
		token, userID := user["sessionToken"].(string), user["objectId"].(string)
		n1.must(http.StatusCreated, http.MethodPost, "/roles", map[string]any{
			"name": "staff", "ACL": map[string]any{"*": map[string]any{"read": true}},
			"users": map[string]any{"__op": "AddRelation", "objects": []any{pointer("_User", userID)}},
		}, true, "")
		doc := n1.must(http.StatusCreated, http.MethodPost, "/classes/Memo", map[string]any{
			"text": "staff only", "ACL": map[string]any{"role:staff": map[string]any{"read": true}},
		}, true, "")
		docPath := "/classes/Memo/" + doc["objectId"].(string)
		// Node 2 caches bo's session and roles.
		poll(t, invalidation, "node 2 serving the memo to staff", func() bool {
			status, _, _, err := n2.call(http.MethodGet, docPath, nil, false, token)
			return err == nil && status == http.StatusOK
		})

		n1.must(http.StatusOK, http.MethodDelete, "/purge/_Role", nil, true, "")
		poll(t, invalidation, "node 2 refusing the memo once _Role was purged", func() bool {
			status, out, _, err := n2.call(http.MethodGet, docPath, nil, false, token)
			return err == nil && status == http.StatusNotFound && out["code"] == 101.0
		})
		n2.must(http.StatusOK, http.MethodGet, "/users/me", nil, false, token) // the session is cached again

		n1.must(http.StatusOK, http.MethodDelete, "/purge/_Session", nil, true, "")
		poll(t, invalidation, "node 2 refusing the session once _Session was purged", func() bool {
			_, out, _, err := n2.call(http.MethodGet, "/users/me", nil, false, token)
			return err == nil && out["code"] == 209.0
		})
	})

	t.Run("DelayedJobRunsOnce", func(t *testing.T) {
		runAt := time.Now().Add(2 * time.Second).UTC()
		_, _, hdr, err := n1.call(http.MethodPost, "/jobs/sbtest.record?runAt="+url.QueryEscape(runAt.Format(time.RFC3339Nano)), map[string]any{"marker": "delayed"}, true, "")
		if err != nil {
			t.Fatal(err)
		}
		jobID := hdr.Get("X-Parse-Job-Status-Id")
		if jobID == "" {
			t.Fatal("POST /jobs answered no X-Parse-Job-Status-Id")
		}
		waitJob(t, n2, jobID, "succeeded")
		// One run by its id, as Parse.Cloud.getJobStatus asks (a where on
		// objectId) and as GET /classes/_JobStatus/:id.
		byID := n2.must(http.StatusOK, http.MethodGet, "/classes/_JobStatus/"+jobID, nil, true, "")
		byWhere := n2.must(http.StatusOK, http.MethodGet, "/classes/_JobStatus?where="+url.QueryEscape(`{"objectId":"`+jobID+`"}`), nil, true, "")
		if list, _ := byWhere["results"].([]any); byID["status"] != "succeeded" || byID["jobName"] != "sbtest.record" ||
			len(list) != 1 || list[0].(map[string]any)["objectId"] != jobID {
			t.Fatalf("the job by id: %v; by where: %v", byID, byWhere)
		}
		n2.must(http.StatusNotFound, http.MethodGet, "/classes/_JobStatus/999999999", nil, true, "")
		runs := n2.query("SbTestJobRun", map[string]any{"marker": "delayed"})
		if len(runs) != 2 || phases(runs)["start"] != 1 || phases(runs)["done"] != 1 {
			t.Fatalf("the delayed job's runs: %v, want one start and one done", runs)
		}
		for _, r := range runs {
			created, _ := time.Parse(time.RFC3339Nano, r["createdAt"].(string))
			if created.Before(runAt.Truncate(time.Millisecond)) {
				t.Errorf("the job ran at %s, before its runAt %s", created, runAt)
			}
		}
	})

	t.Run("JobSurvivesKilledNode", func(t *testing.T) {
		_, _, hdr, err := n1.call(http.MethodPost, "/jobs/sbtest.record", map[string]any{"marker": "held", "holdFirstAttempt": true}, true, "")
		if err != nil {
			t.Fatal(err)
		}
		jobID := hdr.Get("X-Parse-Job-Status-Id")
		var start map[string]any
		poll(t, 30*time.Second, "the job starting on a node", func() bool {
			if rows := n1.query("SbTestJobRun", map[string]any{"marker": "held", "phase": "start"}); len(rows) > 0 {
				start = rows[0]
			}
			return start != nil
		})
		victim, survivor := n1, n2
		if int(start["pid"].(float64)) == n2.pid() {
			victim, survivor = n2, n1
		}
		victim.kill() // mid-run: the first attempt holds until its timeout
		t.Logf("killed node %d while it ran job %s; node %d must run it again", victim.pid(), jobID, survivor.pid())

		// The rescuer runs every 30s on the leader, and the survivor may
		// first have to take the lead over: allow for both.
		waitJob(t, survivor, jobID, "succeeded")
		runs := survivor.query("SbTestJobRun", map[string]any{"marker": "held"})
		p := phases(runs)
		if p["interrupted"] != 0 {
			t.Fatalf("the first attempt ended before its node was killed (runs: %v); the test did not kill it mid-run", runs)
		}
		if p["done"] != 1 {
			t.Fatalf("runs %v: want exactly one done", runs)
		}
		for _, r := range runs {
			if r["phase"] == "done" && (int(r["pid"].(float64)) != survivor.pid() || r["attempt"] != 2.0) {
				t.Fatalf("done by %v, attempt %v; want the surviving node %d, attempt 2", r["pid"], r["attempt"], survivor.pid())
			}
		}
	})
}

func phases(rows []map[string]any) map[string]int {
	out := map[string]int{}
	for _, r := range rows {
		out[fmt.Sprint(r["phase"])]++
	}
	return out
}

// waitJob polls the job's _JobStatus row on n until it has status want.
func waitJob(t *testing.T, n *node, id, want string) {
	t.Helper()
	deadline := time.Now().Add(120 * time.Second)
	var last map[string]any
	for {
		out := n.must(http.StatusOK, http.MethodGet, "/jobs/status?limit=100", nil, true, "")
		for _, r := range out["results"].([]any) {
			if row := r.(map[string]any); row["objectId"] == id {
				last = row
			}
		}
		switch {
		case last != nil && last["status"] == want:
			return
		case last != nil && last["status"] == "failed":
			t.Fatalf("job %s failed: %v", id, last)
		case time.Now().After(deadline):
			t.Fatalf("job %s not %s within 120s; last status: %v", id, want, last)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
